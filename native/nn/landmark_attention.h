// The full landmark-attention network (Liu & Lu, ECCV 2018 Workshops), faithful to the
// reference by default; `width` scales every channel count and FC width for CPU demos.
#pragma once

#include "nn/backbones.h"

namespace vestis::nn {

// The window of a spatial-softmax heatmap: 1/32 of the input side (3 pixels at 96, 7 at 224).
int heatmap_window_radius(int input_size);

// conv4_3 -> 8 heatmaps at 8x its resolution: 1x1, three 3x3, then three (deconv k4 s2,
// 3x3 convs) stages; ReLU after every layer but the last. `batch_norm` (a simplification)
// puts BatchNorm before each of those ReLUs: without it the thin width-reduced branch trained
// from scratch outputs flat heatmaps.
class landmark_branch : public torch::nn::Module {
public:
    // softmax_radius > 0: heatmaps are each map's spatial-softmax probability summed over the
    // (2r+1)^2 window around every pixel, the chance that the landmark lies within r pixels.
    landmark_branch(int in_channels, int landmarks, double width, bool batch_norm = false, int softmax_radius = 0);
    struct maps {
        torch::Tensor heatmaps;
        torch::Tensor logits;  // defined with softmax_radius > 0
    };
    maps forward(torch::Tensor x);
    // `height`, `width`: the heatmaps' size (the network input's).
    std::string emit_onnx(onnx_emitter & e, std::string x, int height, int width) const;

private:
    struct layer {
        torch::nn::AnyModule module;           // Conv2d or ConvTranspose2d
        torch::nn::BatchNorm2d norm{nullptr};  // with batch_norm, after every layer but the last
        bool relu = true;
    };
    std::vector<layer> layers_;
    int landmarks_;
    int softmax_radius_;
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
    // VGG16's 13 convolutions: conv1_1 .. conv4_3 from vgg(), conv5 from this network.
    named_tensors imagenet_state() const override;

    std::shared_ptr<vgg16_features> vgg() const { return vgg_; }
    // conv5_1 .. conv5_3, which ImageNet weights also fill.
    std::vector<std::pair<std::string, torch::nn::Conv2d>> conv5() const;

private:
    std::shared_ptr<vgg16_features> vgg_;
    std::shared_ptr<landmark_branch> landmarks_;
    std::shared_ptr<attention_unet> attention_;
    torch::nn::Conv2d conv5_1_{nullptr}, conv5_2_{nullptr}, conv5_3_{nullptr};
    std::vector<torch::nn::BatchNorm2d> conv5_norms_;  // only with vgg_batch_norm
    torch::nn::Linear category_fc1_{nullptr}, category_fc2_{nullptr}, attribute_fc1_{nullptr}, attribute_fc2_{nullptr};
};

}  // namespace vestis::nn
