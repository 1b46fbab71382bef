// ImageNet weights from a torchvision state_dict file (vgg16-*.pth, vgg16_bn-*.pth,
// resnet18-*.pth, resnet50-*.pth, mobilenet_v2-*.pth, written by torch.save) into the
// backbone of a Vestis network: the VGG layers of the full network, or the simple model's
// backbone. The classifier head (`classifier.*`, `fc.*`) is left out: Vestis has its own.
#pragma once

#include "nn/network.h"

#include <string>

namespace vestis::nn {

// Checks every key the backbone needs, and its shape; throws std::runtime_error naming the
// file and the key on a missing key, a shape that does not match (e.g. another width) or a
// key the backbone does not have (another architecture). Returns how many tensors were copied.
int import_imagenet_weights(garment_network & network, const std::string & state_dict_path);

}  // namespace vestis::nn
