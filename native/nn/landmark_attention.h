// The full landmark-attention network (Liu & Lu, ECCV 2018 Workshops), faithful to the
// reference by default; `width` scales every channel count and FC width for CPU demos.
#pragma once

#include "nn/backbones.h"

namespace vestis::nn {

// conv4_3 -> 8 heatmaps at 8x its resolution: 1x1, three 3x3, then three (deconv k4 s2,
// 3x3 convs) stages; ReLU after every layer but the last.
class landmark_branch : public torch::nn::Module {
public:
    landmark_branch(int in_channels, int landmarks, double width);
    torch::Tensor forward(torch::Tensor x);
    std::string emit_onnx(onnx_emitter & e, std::string x) const;

private:
    std::vector<std::pair<torch::nn::AnyModule, bool>> layers_;   // layer, ReLU after it
};

// The attention U-Net (pix2pix-style skip blocks, num_downs 2, BatchNorm, tanh output) on
// [max heatmap, conv4_3].
class attention_unet : public torch::nn::Module {
public:
    attention_unet(int in_channels, int out_channels, int ngf);
    torch::Tensor forward(const torch::Tensor & x);
    std::string emit_onnx(onnx_emitter & e, const std::string & x) const;

private:
    torch::nn::Conv2d outer_down_{nullptr};
    torch::nn::Sequential down1_{nullptr}, down2_{nullptr}, innermost_{nullptr}, up2_{nullptr}, up1_{nullptr};
    torch::nn::ConvTranspose2d outer_up_{nullptr};
};

class landmark_attention_network : public garment_network {
public:
    explicit landmark_attention_network(const network_config & config);
    network_output forward(const torch::Tensor & images) override;
    bool two_class_attributes() const override { return true; }
    void emit_onnx(onnx_emitter & e, const std::string & image) const override;

    std::shared_ptr<vgg16_features> vgg() const { return vgg_; }
    // conv5_1 .. conv5_3, which ImageNet weights also fill.
    std::vector<std::pair<std::string, torch::nn::Conv2d>> conv5() const;

private:
    std::shared_ptr<vgg16_features> vgg_;
    std::shared_ptr<landmark_branch> landmarks_;
    std::shared_ptr<attention_unet> attention_;
    torch::nn::Conv2d conv5_1_{nullptr}, conv5_2_{nullptr}, conv5_3_{nullptr};
    std::vector<torch::nn::BatchNorm2d> conv5_norms_;   // only with vgg_batch_norm
    torch::nn::Linear category_fc1_{nullptr}, category_fc2_{nullptr}, attribute_fc1_{nullptr}, attribute_fc2_{nullptr};
};

}  // namespace vestis::nn
