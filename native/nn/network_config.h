// What a network is made of, without LibTorch: front-ends (CLI, config) include this alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vestis::nn {

enum class network_kind {
    full,    // the landmark-attention network: VGG16, landmark branch, attention U-Net, heads
    simple,  // a backbone with category and attribute heads, and optionally the landmark branch
};
const char * network_kind_name(network_kind kind);  // "full", "simple": the config's and card's words
std::optional<network_kind> parse_network_kind(std::string_view name);

struct network_config {
    network_kind kind = network_kind::full;
    std::string backbone = "vgg16";    // simple: vgg16, resnet18, resnet50, mobilenet_v2
    double width = 1.0;                // full, simple ResNets and MobileNetV2: scales every channel count (1 = faithful;
                                       // MobileNetV2 rounds to multiples of 8 as torchvision does)
    bool landmark_branch = true;       // simple: add the landmark heatmap branch
    bool vgg_batch_norm = false;       // a simplification: BatchNorm after each VGG convolution
                                       // (vgg16_bn), so VGG trains from scratch without ImageNet weights
    bool landmark_batch_norm = false;  // a simplification: BatchNorm after every landmark-branch layer
                                       // but the last, so a width-reduced branch learns from scratch
    bool heatmap_softmax = false;      // a simplification: the branch's maps become spatial-softmax probabilities
                                       // (near each pixel), trained by cross-entropy rather than MSE
    bool small_input_stem = false;     // a simplification for simple ResNets on 28-64 px images: a 3x3
                                       // stride-1 first convolution and no max pool (CIFAR-style)
    bool tf_padding = false;           // mobilenet_v2: stride-2 convolutions pad 0 before and 1 after, as TensorFlow's
                                       // SAME padding does and Google's ImageNet weights were trained (torchvision pads 1 on
                                       // both sides, which shifts those layers' outputs by a pixel)
    bool freeze_batch_norm = false;    // the backbone's BatchNorms stay in eval mode and untrained, as when
                                       // fine-tuning from ImageNet weights whose statistics must be kept
    int frozen_layers = 0;             // the backbone's first N layers, as torchvision numbers them (features.N for
                                       // VGG16 and MobileNetV2; for ResNets the stem, then layer1 .. layer4), keep their
                                       // weights: fine-tuning the rest only, as Keras' `layer.trainable = False`
    double residual_attention = 0;     // simple: each attribute logit adds this times the attribute's highest score at any
                                       // location of the final feature map (class-specific residual attention, CSRA, Zhu & Wu
                                       // 2021, with T = infinity): a ring or a watch fills few locations, which the mean dilutes
    int categories = 48;
    int attributes = 1000;  // 0: no attribute head
    int landmarks = 8;
    int input_size = 224;  // the input's width, and its height unless input_height says otherwise
    int input_height = 0;  // simple, without landmarks: a taller (or wider) input than square, so that portrait
                           // photos keep their shape; 0: input_size
};

// The input's height: input_height where set, else input_size (square).
int input_height_of(const network_config & config);

// Whether the network predicts landmark heatmaps: the full network always, the simple one with
// its landmark branch (and landmarks to predict).
bool has_landmark_head(const network_config & config);

// Checks names and ranges; throws std::invalid_argument naming the field.
void validate(const network_config & config);

}  // namespace vestis::nn
