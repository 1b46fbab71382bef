#include "nn/onnx_emitter.h"

#include <torch/version.h>

#include <stdexcept>
#include <variant>

namespace vestis::nn {

using onnx_export::attribute;

namespace {

std::vector<std::int64_t> pair_list(std::int64_t value) { return {value, value}; }

// Convolutions export with explicit pads only ('same'/'valid' string modes are not used here).
std::int64_t explicit_padding(const torch::nn::detail::ConvNdOptions<2> & options, const std::string & layer) {
#if TORCH_VERSION_MAJOR >= 2  // padding() became a std::variant; 1.13's is c10's own
    const auto * padding = std::get_if<torch::ExpandingArray<2>>(&options.padding());
#else
    const auto * padding = c10::get_if<torch::ExpandingArray<2>>(&options.padding());
#endif
    if (!padding) throw std::logic_error("ONNX export: '" + layer + "' uses a padding mode other than explicit sizes");
    return (*padding)->at(0);
}

std::vector<float> to_floats(const torch::Tensor & t) {
    const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Eval-mode BatchNorm as y = x * scale + shift, per channel.
struct affine {
    torch::Tensor scale, shift;
};

affine batch_norm_affine(const torch::nn::BatchNorm2d & norm) {
    const torch::Tensor scale = norm->weight.detach() / torch::sqrt(norm->running_var + norm->options.eps());
    return {scale, norm->bias.detach() - norm->running_mean * scale};
}

}  // namespace

onnx_emitter::onnx_emitter(onnx_export::graph_builder & graph, const torch::nn::Module & root) : graph_(graph) {
    for (const auto & item : root.named_parameters(/*recurse=*/true)) names_[item.value().data_ptr()] = item.key();
    for (const auto & item : root.named_buffers(/*recurse=*/true)) names_[item.value().data_ptr()] = item.key();
}

std::string onnx_emitter::parameter_name(const torch::Tensor & parameter, const char * fallback) {
    const auto found = names_.find(parameter.data_ptr());
    if (found != names_.end()) return found->second;
    return std::string(fallback) + "_" + std::to_string(unnamed_++);
}

std::string onnx_emitter::add_weight(const torch::Tensor & value, const std::string & name, int channel_axis) {
    onnx_export::weight w;
    w.dims = value.sizes().vec();
    w.values = to_floats(value);
    w.channel_axis = channel_axis;
    return graph_.add_weight(name, w);
}

std::string onnx_emitter::conv(const torch::nn::Conv2d & conv, const std::string & x, const torch::nn::BatchNorm2d & norm,
                               const std::string & output, std::int64_t extra_end_padding) {
    torch::NoGradGuard no_grad;
    const auto & o = conv->options;
    torch::Tensor weight = conv->weight.detach();
    torch::Tensor bias = conv->bias.defined() ? conv->bias.detach() : torch::zeros({weight.size(0)});
    if (!norm.is_empty()) {
        const affine a = batch_norm_affine(norm);
        weight = weight * a.scale.view({-1, 1, 1, 1});
        bias = bias * a.scale + a.shift;
    }
    const std::string name = parameter_name(conv->weight, "conv");
    const std::string stem = name.substr(0, name.rfind(".weight"));
    const std::int64_t kernel = o.kernel_size()->at(0), stride = o.stride()->at(0), dilation = o.dilation()->at(0);
    const std::int64_t pad = explicit_padding(o, stem);
    return graph_.add_node("Conv", {x, add_weight(weight, stem + ".weight", 0), add_weight(bias, stem + ".bias", 0)},
                           {attribute::of("kernel_shape", pair_list(kernel)), attribute::of("strides", pair_list(stride)),
                            attribute::of("pads", std::vector<std::int64_t>{pad, pad, pad + extra_end_padding, pad + extra_end_padding}),
                            attribute::of("dilations", pair_list(dilation)), attribute::of("group", std::int64_t{o.groups()})},
                           output);
}

std::string onnx_emitter::deconv(const torch::nn::ConvTranspose2d & deconv, const std::string & x, const torch::nn::BatchNorm2d & norm) {
    torch::NoGradGuard no_grad;
    const auto & o = deconv->options;
    if (o.groups() != 1) throw std::logic_error("ONNX export: grouped transposed convolutions are not exported");
    torch::Tensor weight = deconv->weight.detach();  // [in, out, kh, kw]
    torch::Tensor bias = deconv->bias.defined() ? deconv->bias.detach() : torch::zeros({weight.size(1)});
    if (!norm.is_empty()) {
        const affine a = batch_norm_affine(norm);
        weight = weight * a.scale.view({1, -1, 1, 1});
        bias = bias * a.scale + a.shift;
    }
    const std::string name = parameter_name(deconv->weight, "deconv");
    const std::string stem = name.substr(0, name.rfind(".weight"));
    const std::int64_t kernel = o.kernel_size()->at(0), stride = o.stride()->at(0);
    const std::int64_t pad = explicit_padding(o, stem);
    return graph_.add_node("ConvTranspose", {x, add_weight(weight, stem + ".weight", 1), add_weight(bias, stem + ".bias", 0)},
                           {attribute::of("kernel_shape", pair_list(kernel)), attribute::of("strides", pair_list(stride)),
                            attribute::of("pads", std::vector<std::int64_t>{pad, pad, pad, pad})});
}

std::string onnx_emitter::linear(const torch::nn::Linear & linear, const std::string & x, const std::string & output) {
    const std::string name = parameter_name(linear->weight, "linear");
    const std::string stem = name.substr(0, name.rfind(".weight"));
    return graph_.add_node("Gemm", {x, add_weight(linear->weight, stem + ".weight", 0), add_weight(linear->bias, stem + ".bias", 0)},
                           {attribute::of("transB", std::int64_t{1})}, output);
}

std::string onnx_emitter::linear_with_peak(const torch::nn::Linear & linear, const std::string & pooled, const std::string & map,
                                           float peak_weight, const std::string & output) {
    const std::string name = parameter_name(linear->weight, "linear");
    const std::string stem = name.substr(0, name.rfind(".weight"));
    // A second copy of the weights shaped for a convolution, rather than a Reshape of the first:
    // the graph keeps to constant-weight convolutions; per-row int8 scales quantize both alike.
    const torch::Tensor & w = linear->weight;
    const std::string kernel = add_weight(w.detach().view({w.size(0), w.size(1), 1, 1}), stem + ".weight_as_1x1_conv", 0);
    const std::string scores = graph_.add_node("Conv", {map, kernel}, {attribute::of("kernel_shape", pair_list(1))});
    const std::string peak = flatten(graph_.add_node("GlobalMaxPool", {scores}));
    const std::string scale = graph_.add_float_constant("peak_weight_" + std::to_string(unnamed_++), {}, {peak_weight});
    return graph_.add_node("Add", {this->linear(linear, pooled), mul(peak, scale)}, {}, output);
}

std::string onnx_emitter::relu(const std::string & x) { return graph_.add_node("Relu", {x}); }

std::string onnx_emitter::relu6(const std::string & x) {
    // min(max(x, 0), 6) as relu(x) - relu(x - 6): OpenCV DNN 4.6 cannot import Clip with its
    // bounds as inputs (opset 11+), and every runtime has Relu and Sub.
    if (relu6_bound_.empty()) relu6_bound_ = graph_.add_float_constant("relu6_bound", {}, {6.0f});
    return graph_.add_node("Sub", {relu(x), relu(graph_.add_node("Sub", {x, relu6_bound_}))});
}

std::string onnx_emitter::leaky_relu(const std::string & x, double slope) {
    return graph_.add_node("LeakyRelu", {x}, {attribute::of("alpha", static_cast<float>(slope))});
}

std::string onnx_emitter::tanh(const std::string & x) { return graph_.add_node("Tanh", {x}); }

std::string onnx_emitter::max_pool(const std::string & x, int kernel, int stride, int padding) {
    return graph_.add_node("MaxPool", {x},
                           {attribute::of("kernel_shape", pair_list(kernel)), attribute::of("strides", pair_list(stride)),
                            attribute::of("pads", std::vector<std::int64_t>(4, padding))});
}

std::string onnx_emitter::add(const std::string & a, const std::string & b) { return graph_.add_node("Add", {a, b}); }

std::string onnx_emitter::add_scalar(const std::string & x, float value) {
    const std::string constant = graph_.add_float_constant("scalar_" + std::to_string(unnamed_++), {}, {value});
    return graph_.add_node("Add", {x, constant});
}

std::string onnx_emitter::mul(const std::string & a, const std::string & b) { return graph_.add_node("Mul", {a, b}); }

std::string onnx_emitter::concat(const std::vector<std::string> & values, int axis) {
    return graph_.add_node("Concat", values, {attribute::of("axis", std::int64_t{axis})});
}

std::string onnx_emitter::global_average_pool_flat(const std::string & x) { return flatten(graph_.add_node("GlobalAveragePool", {x})); }

std::string onnx_emitter::flatten(const std::string & x) {
    return graph_.add_node("Flatten", {x}, {attribute::of("axis", std::int64_t{1})});
}

std::string onnx_emitter::reshape(const std::string & x, const std::vector<std::int64_t> & shape, const std::string & output) {
    const std::string target = graph_.add_int64_constant("shape_" + std::to_string(unnamed_++), shape);
    return graph_.add_node("Reshape", {x, target}, {}, output);
}

std::string onnx_emitter::windowed_spatial_softmax(const std::string & x, int channels, int height, int width, int radius,
                                                   const std::string & output) {
    const std::string flat = reshape(x, {-1, channels, static_cast<std::int64_t>(height) * width});
    const std::string probabilities = graph_.add_node("Softmax", {flat}, {attribute::of("axis", std::int64_t{2})});
    const std::string maps = reshape(probabilities, {-1, channels, height, width});
    const int k = 2 * radius + 1;
    const std::string name = "window_sum_" + std::to_string(unnamed_++);
    const std::string ones = graph_.add_float_constant(name + ".weight", {channels, 1, k, k},
                                                       std::vector<float>(static_cast<std::size_t>(channels) * k * k, 1.0f));
    return graph_.add_node("Conv", {maps, ones},
                           {attribute::of("kernel_shape", pair_list(k)), attribute::of("strides", pair_list(1)),
                            attribute::of("pads", std::vector<std::int64_t>(4, radius)), attribute::of("group", std::int64_t{channels})},
                           output);
}

std::string onnx_emitter::channel_max(const std::string & x) {
    return graph_.add_node("ReduceMax", {x},
                           {attribute::of("axes", std::vector<std::int64_t>{1}), attribute::of("keepdims", std::int64_t{1})});
}

std::string onnx_emitter::channel_mean(const std::string & x, int channels, const std::string & output) {
    // A 1x1 convolution with weights 1/C: the mean over channels, in an operator every runtime has.
    const std::string name = "channel_mean_" + std::to_string(unnamed_++);
    const std::string weight = graph_.add_float_constant(
        name + ".weight", {1, channels, 1, 1}, std::vector<float>(static_cast<std::size_t>(channels), 1.0f / static_cast<float>(channels)));
    return graph_.add_node("Conv", {x, weight}, {attribute::of("kernel_shape", pair_list(1))}, output);
}

std::string onnx_emitter::resize_bilinear(const std::string & x, float scale) {
    const std::string scales = graph_.add_float_constant("resize_scales_" + std::to_string(unnamed_++), {4}, {1.0f, 1.0f, scale, scale});
    return graph_.add_node(
        "Resize", {x, "", scales},
        {attribute::of("mode", std::string("linear")), attribute::of("coordinate_transformation_mode", std::string("half_pixel"))});
}

std::string onnx_emitter::identity(const std::string & x, const std::string & output) {
    return graph_.add_node("Identity", {x}, {}, output);
}

std::string onnx_emitter::sequential(const torch::nn::Sequential & sequence, std::string x) {
    const auto children = sequence->children();
    for (std::size_t i = 0; i < children.size(); ++i) {
        const std::shared_ptr<torch::nn::Module> & child = children[i];
        torch::nn::BatchNorm2d next_norm = nullptr;
        if (i + 1 < children.size()) {
            if (auto norm = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(children[i + 1]))
                next_norm = torch::nn::BatchNorm2d(norm);
        }
        if (auto c = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(child)) {
            x = conv(torch::nn::Conv2d(c), x, next_norm);
            if (!next_norm.is_empty()) ++i;
        } else if (auto d = std::dynamic_pointer_cast<torch::nn::ConvTranspose2dImpl>(child)) {
            x = deconv(torch::nn::ConvTranspose2d(d), x, next_norm);
            if (!next_norm.is_empty()) ++i;
        } else if (std::dynamic_pointer_cast<torch::nn::ReLUImpl>(child)) {
            x = relu(x);
        } else if (auto l = std::dynamic_pointer_cast<torch::nn::LeakyReLUImpl>(child)) {
            x = leaky_relu(x, l->options.negative_slope());
        } else if (auto p = std::dynamic_pointer_cast<torch::nn::MaxPool2dImpl>(child)) {
            x = max_pool(x, static_cast<int>(p->options.kernel_size()->at(0)), static_cast<int>(p->options.stride()->at(0)),
                         static_cast<int>(p->options.padding()->at(0)));
        } else if (auto e = std::dynamic_pointer_cast<onnx_emittable>(child)) {
            x = e->emit_onnx(*this, x);
        } else {
            throw std::logic_error("ONNX export: no graph for a " + child->name() + " inside a Sequential");
        }
    }
    return x;
}

}  // namespace vestis::nn
