// ImageNet VGG16 weights from a torchvision state_dict file (vgg16-*.pth, written by
// torch.save) into conv1_1 .. conv4_3 and the conv5 block of a Vestis network.
#pragma once

#include "nn/network.h"

#include <string>

namespace vestis::nn {

// Throws std::runtime_error naming the file and the key on a missing key or a shape that
// does not match (e.g. a width-reduced network). Returns how many tensors were copied.
int import_vgg16_weights(garment_network & network, const std::string & state_dict_path);

}  // namespace vestis::nn
