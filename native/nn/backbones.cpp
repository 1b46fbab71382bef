#include "nn/backbones.h"

#include "nn/onnx_emitter.h"

#include <stdexcept>

namespace vestis::nn {

namespace F = torch::nn::functional;

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
            x = x.relu_();   // in place: nothing else reads the conv (or norm) output
            record_stage(convs_[conv].first.c_str(), x);
        }
        if (block == 3) out.stride8 = x;   // conv4_3, stride 8
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

// ---- ResNet (torchvision's v1.5: the stride sits on the 3x3 convolution) ------------------
namespace {

torch::nn::Conv2d conv(int in, int out, int kernel, int stride = 1, int groups = 1) {
    return torch::nn::Conv2d(
        torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(false));
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
            downsample = register_module("downsample", torch::nn::Sequential(conv(in, planes * expansion, 1, stride),
                                                                             torch::nn::BatchNorm2d(planes * expansion)));
        }
    }
    torch::Tensor forward(const torch::Tensor & x) {
        return torch::relu(body->forward(x) + (downsample ? downsample->forward(x) : x));
    }
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
        stem_ = small_stem ? register_module("stem", torch::nn::Sequential(conv(3, in, 3, 1), torch::nn::BatchNorm2d(in), torch::nn::ReLU()))
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

private:
    torch::nn::Sequential stem_{nullptr};
    std::vector<torch::nn::Sequential> layers_;
    int stride8_ = 0, final_ = 0;
};

// ---- MobileNetV2 ------------------------------------------------------------------------
// Convolution, BatchNorm, ReLU6: the unit MobileNetV2 is built from.
struct conv_bn_relu6 : torch::nn::Module, onnx_emittable {
    torch::nn::Conv2d conv_{nullptr};
    torch::nn::BatchNorm2d bn_{nullptr};
    conv_bn_relu6(int in, int out, int kernel, int stride, int groups = 1) {
        conv_ = register_module("conv", conv(in, out, kernel, stride, groups));
        bn_ = register_module("bn", torch::nn::BatchNorm2d(out));
    }
    torch::Tensor forward(const torch::Tensor & x) { return torch::clamp(bn_->forward(conv_->forward(x)), 0, 6); }
    std::string emit_onnx(onnx_emitter & e, const std::string & x) const override { return e.relu6(e.conv(conv_, x, bn_)); }
};

struct inverted_residual : torch::nn::Module, onnx_emittable {
    torch::nn::Sequential body{nullptr};
    bool residual;
    inverted_residual(int in, int out, int stride, int expand) : residual(stride == 1 && in == out) {
        const int hidden = in * expand;
        torch::nn::Sequential b;
        if (expand != 1) b->push_back("expand", std::make_shared<conv_bn_relu6>(in, hidden, 1, 1));
        b->push_back("depthwise", std::make_shared<conv_bn_relu6>(hidden, hidden, 3, stride, hidden));
        b->push_back("project", conv(hidden, out, 1));
        b->push_back("project_bn", torch::nn::BatchNorm2d(out));
        body = register_module("body", b);
    }
    torch::Tensor forward(const torch::Tensor & x) { return residual ? x + body->forward(x) : body->forward(x); }
    std::string emit_onnx(onnx_emitter & e, const std::string & x) const override {
        return residual ? e.add(x, e.sequential(body, x)) : e.sequential(body, x);
    }
};

class mobilenet_v2 : public backbone {
public:
    mobilenet_v2() {
        struct setting { int expand, channels, repeats, stride; };
        const setting settings[] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
        torch::nn::Sequential to_stride8, rest;
        to_stride8->push_back(std::make_shared<conv_bn_relu6>(3, 32, 3, 2));
        int in = 32;
        for (const setting & s : settings) {
            for (int i = 0; i < s.repeats; ++i) {
                auto block = std::make_shared<inverted_residual>(in, s.channels, i == 0 ? s.stride : 1, s.expand);
                (s.channels <= 32 ? to_stride8 : rest)->push_back(block);
                in = s.channels;
            }
        }
        rest->push_back(std::make_shared<conv_bn_relu6>(in, 1280, 1, 1));
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
    int stride8_channels() const override { return 32; }
    int final_channels() const override { return 1280; }

private:
    torch::nn::Sequential to_stride8_{nullptr}, rest_{nullptr};
};

}  // namespace

std::shared_ptr<backbone> make_backbone(const std::string & name, bool vgg_batch_norm, double width, bool small_stem) {
    if (name == "vgg16") return std::make_shared<vgg16_features>(1.0, /*with_conv5=*/true, vgg_batch_norm);
    if (name == "resnet18") return std::make_shared<resnet>(std::vector<int>{2, 2, 2, 2}, /*bottleneck=*/false, width, small_stem);
    if (name == "resnet50") return std::make_shared<resnet>(std::vector<int>{3, 4, 6, 3}, /*bottleneck=*/true, width, small_stem);
    if (name == "mobilenet_v2") return std::make_shared<mobilenet_v2>();
    throw std::invalid_argument("backbone '" + name + "' is not one of vgg16, resnet18, resnet50, mobilenet_v2");
}

}  // namespace vestis::nn
