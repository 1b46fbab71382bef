// The networks Vestis trains: the full landmark-attention network (Liu & Lu, ECCVW 2018)
// and a simplified multi-label model on a backbone chosen by name. Both take normalised
// images [B, 3, H, W] and give the same kind of output.
#pragma once

#include "nn/network_config.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace vestis::nn {

class onnx_emitter;

struct network_output {
    torch::Tensor category_logits;   // [B, C]
    torch::Tensor attribute_logits;  // full: [B, 2, A] (negative, positive); simple: [B, A]
    torch::Tensor heatmaps;          // [B, L, H, W] at input resolution, or undefined
    torch::Tensor heatmap_logits;    // with model.heatmap_softmax: the branch's raw maps, which the loss reads
    torch::Tensor landmarks;         // [B, L, 2]: argmax (x, y) / (W - 1, H - 1), or undefined
    torch::Tensor attention;         // full: [B, C4, h, w] tanh attention, else undefined
};

// Tensors (parameters and buffers) under the names torchvision's state_dict gives them.
using named_tensors = std::vector<std::pair<std::string, torch::Tensor>>;

class garment_network : public torch::nn::Module {
public:
    virtual network_output forward(const torch::Tensor & images) = 0;
    // The tensors an ImageNet classifier of torchvision's fills, under its names in that
    // classifier's state_dict (nn/imagenet_import.h).
    virtual named_tensors imagenet_state() const = 0;
    // With config().freeze_batch_norm the BatchNorms that ImageNet weights fill stay in eval
    // mode: they keep the statistics they were loaded with (see network_config).
    void train(bool on = true) override;
    // Those BatchNorms.
    std::vector<torch::nn::BatchNorm2dImpl *> imagenet_batch_norms();
    // Applies freeze_batch_norm and frozen_layers to the parameters (make_network does).
    void freeze_imagenet_parts();
    virtual bool two_class_attributes() const = 0;
    // The same computation as ONNX nodes from `image` to the outputs named in onnx_output_names.
    virtual void emit_onnx(onnx_emitter & e, const std::string & image) const = 0;
    const network_config & config() const { return config_; }

protected:
    explicit garment_network(network_config config) : config_(std::move(config)) {}
    network_config config_;
};

// The graph outputs every exported network uses (a network lacking a head omits its output).
struct onnx_output_names {
    static constexpr const char * category_logits = "category_logits";
    static constexpr const char * attribute_logits = "attribute_logits";
    static constexpr const char * landmark_heatmaps = "landmark_heatmaps";
    static constexpr const char * attention = "attention";  // one channel: the mean over channels
};

std::shared_ptr<garment_network> make_network(const network_config & config);

// Channel count scaled by the width multiplier, at least 1.
int scaled(int channels, double width);

// Landmark positions from heatmaps: argmax of each map over (W - 1, H - 1), as the reference.
torch::Tensor heatmap_argmax_positions(const torch::Tensor & heatmaps);

// Stage outputs of the last forward pass when recording is on, for `vestis model info`.
struct stage_shape {
    std::string name;
    std::vector<int64_t> shape;
};
void record_stage_shapes(std::vector<stage_shape> * into);  // nullptr stops recording
void record_stage(const char * name, const torch::Tensor & output);

// Stores every 4-d weight channels-last (NHWC), the layout oneDNN (CPU) and cuDNN (tensor
// cores) convolve fastest; feed images with .contiguous(torch::MemoryFormat::ChannelsLast).
void use_channels_last(torch::nn::Module & module);

long long count_parameters(const torch::nn::Module & module, bool trainable_only = true);

}  // namespace vestis::nn
