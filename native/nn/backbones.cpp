#include "nn/backbones.h"

#include "nn/onnx_emitter.h"

#include <stdexcept>

namespace vestis::nn {

namespace F = torch::nn::functional;

void append_module(named_tensors & out, const std::string & prefix, const torch::nn::Module & module) {
    for (const auto & p : module.named_parameters()) out.emplace_back(prefix + "." + p.key(), p.value());
    for (const auto & b : module.named_buffers()) out.emplace_back(prefix + "." + b.key(), b.value());
}

namespace {

void append_conv_bn(named_tensors & out, const std::string & conv_prefix, const torch::nn::Conv2d & conv, const std::string & norm_prefix,
                    const torch::nn::BatchNorm2d & norm) {
    append_module(out, conv_prefix, *conv);
    append_module(out, norm_prefix, *norm);
}

}  // namespace

// ---- VGG16 ---------------------------------------------------------------------------
vgg16_features::vgg16_features(double width, bool with_conv5, bool batch_norm) : with_conv5_(with_conv5) {
    const int base[5] = {64, 128, 256, 512, 512};
    const int convs_per_block[5] = {2, 2, 3, 3, 3};
    int in = 3;
    for (int block = 0; block < (with_conv5 ? 5 : 4); ++block) {
        channels_[block] = scaled(base[block], width);
        for (int i = 0; i < convs_per_block[block]; ++i) {
            const std::string name = "conv" + std::to_string(block + 1) + "_" + std::to_string(i + 1);
            auto conv = register_module(name, torch::nn::Conv2d(torch::nn::Conv2dOptions(in, channels_[block], 3).padding(1)));
            convs_.emplace_back(name, conv);
            if (batch_norm) norms_.push_back(register_module(name + "_bn", torch::nn::BatchNorm2d(channels_[block])));
            in = channels_[block];
        }
        block_ends_.push_back(static_cast<int>(convs_.size()));
    }
    if (!with_conv5) channels_[4] = channels_[3];
}

backbone_features vgg16_features::forward(const torch::Tensor & images) {
    backbone_features out;
    torch::Tensor x = images;
    std::size_t conv = 0;
    for (std::size_t block = 0; block < block_ends_.size(); ++block) {
        if (block > 0) x = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(2));
        for (; conv < static_cast<std::size_t>(block_ends_[block]); ++conv) {
            x = convs_[conv].second->forward(x);
            if (!norms_.empty()) x = norms_[conv]->forward(x);
            x = x.relu_();  // in place: nothing else reads the conv (or norm) output
            record_stage(convs_[conv].first.c_str(), x);
        }
        if (block == 3) out.stride8 = x;  // conv4_3, stride 8
    }
    if (with_conv5_) {
        x = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(2));
        record_stage("pool5", x);
    }
    out.final = x;
    return out;
}

backbone_values vgg16_features::emit_onnx(onnx_emitter & e, const std::string & images) const {
    backbone_values out;
    std::string x = images;
    std::size_t conv = 0;
    for (std::size_t block = 0; block < block_ends_.size(); ++block) {
        if (block > 0) x = e.max_pool(x, 2, 2);
        for (; conv < static_cast<std::size_t>(block_ends_[block]); ++conv) {
            x = e.relu(e.conv(convs_[conv].second, x, norms_.empty() ? torch::nn::BatchNorm2d(nullptr) : norms_[conv]));
        }
        if (block == 3) out.stride8 = x;
    }
    if (with_conv5_) x = e.max_pool(x, 2, 2);
    out.final = x;
    return out;
}

// torchvision's vgg16().features (or vgg16_bn().features) numbers every layer, ReLUs and
// pools included: a convolution is followed by a ReLU (and a BatchNorm before it with BN).
int vgg16_feature_index(int conv, bool batch_norm) {
    const int convs_per_block[5] = {2, 2, 3, 3, 3};
    int index = 0, seen = 0;
    for (int block = 0; block < 5; ++block, ++index) {  // the pool ends each block
        for (int i = 0; i < convs_per_block[block]; ++i, ++seen) {
            if (seen == conv) return index;
            index += batch_norm ? 3 : 2;
        }
    }
    throw std::out_of_range("VGG16 has 13 convolutions");
}

named_tensors vgg16_features::torchvision_state() const {
    named_tensors out;
    for (std::size_t i = 0; i < convs_.size(); ++i) {
        const int index = vgg16_feature_index(static_cast<int>(i), !norms_.empty());
        append_module(out, "features." + std::to_string(index), *convs_[i].second);
        if (!norms_.empty()) append_module(out, "features." + std::to_string(index + 1), *norms_[i]);
    }
    return out;
}

// ---- ResNet (torchvision's v1.5: the stride sits on the 3x3 convolution) ------------------
namespace {

torch::nn::Conv2d conv(int in, int out, int kernel, int stride = 1, int groups = 1) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(false));
}

struct residual_block : torch::nn::Module, onnx_emittable {
    torch::nn::Sequential body{nullptr};
    torch::nn::Sequential downsample{nullptr};
    residual_block(int in, int planes, int stride, bool bottleneck) {
        const int expansion = bottleneck ? 4 : 1;
        torch::nn::Sequential b;
        if (bottleneck) {
            b->push_back("conv1", conv(in, planes, 1));
            b->push_back("bn1", torch::nn::BatchNorm2d(planes));
            b->push_back("relu1", torch::nn::ReLU());
            b->push_back("conv2", conv(planes, planes, 3, stride));
            b->push_back("bn2", torch::nn::BatchNorm2d(planes));
            b->push_back("relu2", torch::nn::ReLU());
            b->push_back("conv3", conv(planes, planes * expansion, 1));
            b->push_back("bn3", torch::nn::BatchNorm2d(planes * expansion));
        } else {
            b->push_back("conv1", conv(in, planes, 3, stride));
            b->push_back("bn1", torch::nn::BatchNorm2d(planes));
            b->push_back("relu1", torch::nn::ReLU());
            b->push_back("conv2", conv(planes, planes, 3));
            b->push_back("bn2", torch::nn::BatchNorm2d(planes));
        }
        body = register_module("body", b);
        if (stride != 1 || in != planes * expansion) {
            downsample = register_module(
                "downsample", torch::nn::Sequential(conv(in, planes * expansion, 1, stride), torch::nn::BatchNorm2d(planes * expansion)));
        }
    }
    torch::Tensor forward(const torch::Tensor & x) { return torch::relu(body->forward(x) + (downsample ? downsample->forward(x) : x)); }
    std::string emit_onnx(onnx_emitter & e, const std::string & x) const override {
        return e.relu(e.add(e.sequential(body, x), downsample ? e.sequential(downsample, x) : x));
    }
};

class resnet : public backbone {
public:
    // `width` scales every channel count; `small_stem` is the CIFAR-style 3x3 stride-1 stem
    // without max pooling, which keeps detail in 28-64 px images such as Fashion-MNIST.
    resnet(const std::vector<int> & blocks, bool bottleneck, double width, bool small_stem) {
        const int expansion = bottleneck ? 4 : 1;
        int in = scaled(64, width);
        stem_ =
            small_stem
                ? register_module("stem", torch::nn::Sequential(conv(3, in, 3, 1), torch::nn::BatchNorm2d(in), torch::nn::ReLU()))
                : register_module("stem", torch::nn::Sequential(conv(3, in, 7, 2), torch::nn::BatchNorm2d(in), torch::nn::ReLU(),
                                                                torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1))));
        for (int stage = 0; stage < 4; ++stage) {
            const int planes = scaled(64 << stage, width);
            torch::nn::Sequential layer;
            for (int i = 0; i < blocks[stage]; ++i) {
                layer->push_back(std::make_shared<residual_block>(in, planes, (i == 0 && stage > 0) ? 2 : 1, bottleneck));
                in = planes * expansion;
            }
            layers_.push_back(register_module("layer" + std::to_string(stage + 1), layer));
        }
        stride8_ = scaled(128, width) * expansion;
        final_ = scaled(512, width) * expansion;
    }
    backbone_features forward(const torch::Tensor & images) override {
        backbone_features out;
        torch::Tensor x = stem_->forward(images);
        record_stage("stem", x);
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            x = layers_[i]->forward(x);
            record_stage(("layer" + std::to_string(i + 1)).c_str(), x);
            if (i == 1) out.stride8 = x;
        }
        out.final = x;
        return out;
    }
    backbone_values emit_onnx(onnx_emitter & e, const std::string & images) const override {
        backbone_values out;
        std::string x = e.sequential(stem_, images);
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            x = e.sequential(layers_[i], x);
            if (i == 1) out.stride8 = x;
        }
        out.final = x;
        return out;
    }
    int stride8_channels() const override { return stride8_; }
    int final_channels() const override { return final_; }
    // torchvision's names: conv1 / bn1 for the stem, layerN.i.{convK, bnK, downsample.0/1}.
    named_tensors torchvision_state() const override {
        named_tensors out;
        const auto stem = stem_->children();
        append_module(out, "conv1", *stem[0]);
        append_module(out, "bn1", *stem[1]);
        for (std::size_t stage = 0; stage < layers_.size(); ++stage) {
            const auto blocks = layers_[stage]->children();
            for (std::size_t i = 0; i < blocks.size(); ++i) {
                const std::string prefix = "layer" + std::to_string(stage + 1) + "." + std::to_string(i) + ".";
                const auto & block = std::dynamic_pointer_cast<residual_block>(blocks[i]);
                for (const auto & part : block->body->named_children()) {
                    if (part.key().rfind("relu", 0) != 0) append_module(out, prefix + part.key(), *part.value());
                }
                if (block->downsample) append_module(out, prefix + "downsample", *block->downsample);
            }
        }
        return out;
    }

private:
    torch::nn::Sequential stem_{nullptr};
    std::vector<torch::nn::Sequential> layers_;
    int stride8_ = 0, final_ = 0;
};

// ---- MobileNetV2 ------------------------------------------------------------------------
// Convolution, BatchNorm, ReLU6: the unit MobileNetV2 is built from. With `tf_padding`, a
// stride-2 3x3 convolution pads as TensorFlow's SAME does on even sizes: 0 before, 1 after.
struct conv_bn_relu6 : torch::nn::Module, onnx_emittable {
    torch::nn::Conv2d conv_{nullptr};
    torch::nn::BatchNorm2d bn_{nullptr};
    bool pad_end_only = false;
    conv_bn_relu6(int in, int out, int kernel, int stride, int groups = 1, bool tf_padding = false)
        : pad_end_only(tf_padding && stride == 2 && kernel == 3) {
        conv_ = register_module("conv", conv(in, out, kernel, stride, groups));
        if (pad_end_only) conv_->options.padding(0);
        bn_ = register_module("bn", torch::nn::BatchNorm2d(out));
    }
    torch::Tensor forward(const torch::Tensor & x) {
        return torch::clamp(bn_->forward(conv_->forward(pad_end_only ? torch::constant_pad_nd(x, {0, 1, 0, 1}) : x)), 0, 6);
    }
    std::string emit_onnx(onnx_emitter & e, const std::string & x) const override {
        return e.relu6(e.conv(conv_, x, bn_, {}, pad_end_only ? 1 : 0));
    }
};

struct inverted_residual : torch::nn::Module, onnx_emittable {
    torch::nn::Sequential body{nullptr};
    bool residual;
    inverted_residual(int in, int out, int stride, int expand, bool tf_padding) : residual(stride == 1 && in == out) {
        const int hidden = in * expand;
        torch::nn::Sequential b;
        if (expand != 1) b->push_back("expand", std::make_shared<conv_bn_relu6>(in, hidden, 1, 1));
        b->push_back("depthwise", std::make_shared<conv_bn_relu6>(hidden, hidden, 3, stride, hidden, tf_padding));
        b->push_back("project", conv(hidden, out, 1));
        b->push_back("project_bn", torch::nn::BatchNorm2d(out));
        body = register_module("body", b);
    }
    torch::Tensor forward(const torch::Tensor & x) { return residual ? x + body->forward(x) : body->forward(x); }
    std::string emit_onnx(onnx_emitter & e, const std::string & x) const override {
        return residual ? e.add(x, e.sequential(body, x)) : e.sequential(body, x);
    }
};

// torchvision's _make_divisible: channels rounded to a multiple of 8, never below 90 % of
// the exact product, so the 0.35 and 0.5 widths load Google's and torchvision's weights.
int divisible_by_8(double channels) {
    const int rounded = std::max(8, static_cast<int>(channels + 4) / 8 * 8);
    return rounded < 0.9 * channels ? rounded + 8 : rounded;
}

class mobilenet_v2 : public backbone {
public:
    mobilenet_v2(double width, bool tf_padding) {
        struct setting {
            int expand, channels, repeats, stride;
        };
        const setting settings[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
        torch::nn::Sequential to_stride8, rest;
        int in = divisible_by_8(32 * width);
        to_stride8->push_back(std::make_shared<conv_bn_relu6>(3, in, 3, 2, 1, tf_padding));
        for (std::size_t stage = 0; stage < std::size(settings); ++stage) {
            const setting & s = settings[stage];
            const int out = divisible_by_8(s.channels * width);
            for (int i = 0; i < s.repeats; ++i) {
                auto block = std::make_shared<inverted_residual>(in, out, i == 0 ? s.stride : 1, s.expand, tf_padding);
                (stage <= 2 ? to_stride8 : rest)->push_back(block);  // stages 0-2 end at stride 8
                in = out;
            }
            if (stage == 2) stride8_ = out;
        }
        final_ = divisible_by_8(1280 * std::max(1.0, width));
        rest->push_back(std::make_shared<conv_bn_relu6>(in, final_, 1, 1));
        to_stride8_ = register_module("features_to_stride8", to_stride8);
        rest_ = register_module("features", rest);
    }
    backbone_features forward(const torch::Tensor & images) override {
        backbone_features out;
        out.stride8 = to_stride8_->forward(images);
        record_stage("features[0:7]", out.stride8);
        out.final = rest_->forward(out.stride8);
        record_stage("features[7:19]", out.final);
        return out;
    }
    backbone_values emit_onnx(onnx_emitter & e, const std::string & images) const override {
        backbone_values out;
        out.stride8 = e.sequential(to_stride8_, images);
        out.final = e.sequential(rest_, out.stride8);
        return out;
    }
    int stride8_channels() const override { return stride8_; }
    int final_channels() const override { return final_; }
    // torchvision numbers the 19 feature layers in one Sequential: the stem, 17 inverted
    // residuals (conv.N inside), the last 1x1 convolution.
    named_tensors torchvision_state() const override {
        named_tensors out;
        std::vector<std::shared_ptr<torch::nn::Module>> layers;
        for (const auto & part : {to_stride8_, rest_}) {
            for (const auto & layer : part->children()) layers.push_back(layer);
        }
        for (std::size_t i = 0; i < layers.size(); ++i) {
            const std::string prefix = "features." + std::to_string(i) + ".";
            if (auto unit = std::dynamic_pointer_cast<conv_bn_relu6>(layers[i])) {
                append_conv_bn(out, prefix + "0", unit->conv_, prefix + "1", unit->bn_);
                continue;
            }
            const auto body = std::dynamic_pointer_cast<inverted_residual>(layers[i])->body;
            int n = 0;  // torchvision's index inside the block's `conv` Sequential
            for (const auto & part : body->children()) {
                if (auto unit = std::dynamic_pointer_cast<conv_bn_relu6>(part)) {
                    const std::string at = prefix + "conv." + std::to_string(n++) + ".";
                    append_conv_bn(out, at + "0", unit->conv_, at + "1", unit->bn_);
                } else if (auto * c = part->as<torch::nn::Conv2d>()) {
                    append_module(out, prefix + "conv." + std::to_string(n++), *c);
                } else {
                    append_module(out, prefix + "conv." + std::to_string(n++), *part);
                }
            }
        }
        return out;
    }

private:
    torch::nn::Sequential to_stride8_{nullptr}, rest_{nullptr};
    int stride8_ = 0, final_ = 0;
};

}  // namespace

std::shared_ptr<backbone> make_backbone(const std::string & name, bool vgg_batch_norm, double width, bool tf_padding, bool small_stem) {
    if (name == "vgg16") return std::make_shared<vgg16_features>(1.0, /*with_conv5=*/true, vgg_batch_norm);
    if (name == "resnet18") return std::make_shared<resnet>(std::vector<int>{2, 2, 2, 2}, /*bottleneck=*/false, width, small_stem);
    if (name == "resnet50") return std::make_shared<resnet>(std::vector<int>{3, 4, 6, 3}, /*bottleneck=*/true, width, small_stem);
    if (name == "mobilenet_v2") return std::make_shared<mobilenet_v2>(width, tf_padding);
    throw std::invalid_argument("backbone '" + name + "' is not one of vgg16, resnet18, resnet50, mobilenet_v2");
}

}  // namespace vestis::nn
