// Backbones written with torch::nn (there is no torchvision for C++), laid out as
// torchvision's so their parameter counts and state_dict shapes match.
#pragma once

#include "nn/network.h"

namespace vestis::nn {

struct backbone_features {
    torch::Tensor stride8;  // the stride-8 map the landmark branch reads
    torch::Tensor final;    // the last feature map
};

struct backbone_values {  // the same, as ONNX value names
    std::string stride8, final;
};

// Appends `module`'s parameters and buffers as "<prefix>.<name>".
void append_module(named_tensors & out, const std::string & prefix, const torch::nn::Module & module);

class backbone : public torch::nn::Module {
public:
    // The backbone's tensors as torchvision names them in the same network's state_dict, so
    // ImageNet weight files load key by key (nn/imagenet_import.h).
    virtual named_tensors torchvision_state() const = 0;
    virtual backbone_features forward(const torch::Tensor & images) = 0;
    virtual backbone_values emit_onnx(onnx_emitter & e, const std::string & images) const = 0;
    virtual int stride8_channels() const = 0;
    virtual int final_channels() const = 0;
};

// VGG16's 13 convolutions (ReLU after each, max pools between blocks). Without conv5 it
// stops at the ReLU after conv4_3, as the landmark-attention network uses it.
class vgg16_features : public backbone {
public:
    vgg16_features(double width, bool with_conv5, bool batch_norm = false);
    backbone_features forward(const torch::Tensor & images) override;
    backbone_values emit_onnx(onnx_emitter & e, const std::string & images) const override;
    int stride8_channels() const override { return channels_[3]; }
    int final_channels() const override { return channels_[4]; }
    named_tensors torchvision_state() const override;
    // Named convolutions conv1_1 .. conv5_3 in order (conv5 only when built with it).
    std::vector<std::pair<std::string, torch::nn::Conv2d>> convolutions() const { return convs_; }

private:
    std::vector<std::pair<std::string, torch::nn::Conv2d>> convs_;
    std::vector<torch::nn::BatchNorm2d> norms_;  // empty unless built with batch_norm
    std::vector<int> block_ends_;                // index after the last conv of each block
    int channels_[5];
    bool with_conv5_;
};

// torchvision's index in vgg16().features (vgg16_bn().features with `batch_norm`) of
// convolution `conv` (0 = conv1_1 .. 12 = conv5_3).
int vgg16_feature_index(int conv, bool batch_norm);

// `width` applies to the ResNets and MobileNetV2, `tf_padding` to MobileNetV2, `small_stem` to the
// ResNets (see network_config).
std::shared_ptr<backbone> make_backbone(const std::string & name, bool vgg_batch_norm = false, double width = 1.0, bool tf_padding = false,
                                        bool small_stem = false);

}  // namespace vestis::nn
