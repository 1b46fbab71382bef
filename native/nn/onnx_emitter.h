// Writes trained torch::nn modules as ONNX nodes: each network class emits its own graph next
// to its forward(), through these helpers, which fold BatchNorm into the convolution before it
// (as eval mode computes it) and name every weight after the parameter it comes from.
#pragma once

#include "nn/network.h"
#include "onnx/graph_builder.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace vestis::nn {

class onnx_emitter;

// A custom module inside a Sequential that knows its own graph.
struct onnx_emittable {
    virtual ~onnx_emittable() = default;
    virtual std::string emit_onnx(onnx_emitter & e, const std::string & x) const = 0;
};

class onnx_emitter {
public:
    // `root` is the network the parameters belong to (their names become weight names).
    onnx_emitter(onnx_export::graph_builder & graph, const torch::nn::Module & root);

    onnx_export::graph_builder & graph() { return graph_; }

    // Convolutions, with the BatchNorm after them folded in when given; `extra_end_padding` more
    // rows and columns at the bottom and right (TensorFlow's SAME padding, see network_config).
    std::string conv(const torch::nn::Conv2d & conv, const std::string & x, const torch::nn::BatchNorm2d & norm = nullptr,
                     const std::string & output = {}, std::int64_t extra_end_padding = 0);
    std::string deconv(const torch::nn::ConvTranspose2d & deconv, const std::string & x, const torch::nn::BatchNorm2d & norm = nullptr);
    std::string linear(const torch::nn::Linear & linear, const std::string & x, const std::string & output = {});
    // linear(pooled) + peak_weight * the highest score of each output at any location of `map`
    // ([B, C, H, W]): the Linear's weights, without bias, as a 1x1 convolution, then a global max pool.
    std::string linear_with_peak(const torch::nn::Linear & linear, const std::string & pooled, const std::string & map, float peak_weight,
                                 const std::string & output);

    std::string relu(const std::string & x);
    std::string relu6(const std::string & x);
    std::string leaky_relu(const std::string & x, double slope);
    std::string tanh(const std::string & x);
    std::string max_pool(const std::string & x, int kernel, int stride, int padding = 0);
    std::string add(const std::string & a, const std::string & b);
    std::string add_scalar(const std::string & x, float value);
    std::string mul(const std::string & a, const std::string & b);
    std::string concat(const std::vector<std::string> & values, int axis);
    std::string global_average_pool_flat(const std::string & x);  // [B, C, H, W] -> [B, C]
    std::string flatten(const std::string & x);                   // [B, ...] -> [B, n]
    std::string reshape(const std::string & x, const std::vector<std::int64_t> & shape, const std::string & output = {});
    std::string channel_max(const std::string & x);  // [B, C, H, W] -> [B, 1, H, W]
    std::string channel_mean(const std::string & x, int channels, const std::string & output = {});
    std::string resize_bilinear(const std::string & x, float scale);  // half-pixel centres, as F::interpolate
    std::string identity(const std::string & x, const std::string & output);
    // [B, C, H, W] logits -> the probability mass of each map's softmax over its pixels within
    // the (2r+1)^2 window around every pixel (a box sum as a grouped convolution of ones).
    std::string windowed_spatial_softmax(const std::string & x, int channels, int height, int width, int radius,
                                         const std::string & output = {});

    // Children of a Sequential in order; Conv2d or ConvTranspose2d followed by BatchNorm2d are
    // fused. Throws std::logic_error for a module it does not know.
    std::string sequential(const torch::nn::Sequential & sequence, std::string x);

private:
    std::string parameter_name(const torch::Tensor & parameter, const char * fallback);
    std::string add_weight(const torch::Tensor & value, const std::string & name, int channel_axis);

    onnx_export::graph_builder & graph_;
    std::unordered_map<const void *, std::string> names_;  // parameter storage -> qualified name
    int unnamed_ = 0;
    std::string relu6_bound_;  // the constant 6 every ReLU6 shares
};

}  // namespace vestis::nn
