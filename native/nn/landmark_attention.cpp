#include "nn/landmark_attention.h"

#include "nn/onnx_emitter.h"

namespace vestis::nn {

namespace F = torch::nn::functional;

namespace {

torch::nn::Conv2d conv2d(int in, int out, int kernel, int stride = 1, bool bias = true) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(bias));
}

// k4 s2 p1 doubles the size; k1 keeps it.
torch::nn::ConvTranspose2d deconv(int in, int out, int kernel, bool bias) {
    return torch::nn::ConvTranspose2d(
        torch::nn::ConvTranspose2dOptions(in, out, kernel).stride(kernel == 4 ? 2 : 1).padding(kernel == 4 ? 1 : 0).bias(bias));
}

torch::nn::Conv2d down_conv(int in, int out) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 4).stride(2).padding(1).bias(false));
}

}  // namespace

int heatmap_window_radius(int input_size) { return std::max(1, input_size / 32); }

landmark_branch::landmark_branch(int in_channels, int landmarks, double width, bool batch_norm, int softmax_radius)
    : landmarks_(landmarks), softmax_radius_(softmax_radius) {
    // A width-reduced branch keeps at least two channels per landmark: ending in fewer feature
    // maps than heatmaps, it cannot place a separate peak for each landmark. Width 1 is unchanged.
    const auto channels = [&](int c) { return std::max(scaled(c, width), std::min(c, 2 * landmarks)); };
    const int c16 = channels(16), c32 = channels(32), c64 = channels(64), c128 = channels(128);
    int index = 0;
    auto add = [&](torch::nn::AnyModule module, bool relu) {
        const std::string name = "layer" + std::to_string(++index);
        register_module(name, module.ptr());
        layer l{std::move(module), nullptr, relu};
        if (batch_norm && relu) {
            const auto * conv = l.module.ptr()->as<torch::nn::Conv2d>();
            const int channels = conv ? static_cast<int>(conv->options.out_channels())
                                      : static_cast<int>(l.module.ptr()->as<torch::nn::ConvTranspose2d>()->options.out_channels());
            l.norm = register_module(name + "_bn", torch::nn::BatchNorm2d(channels));
        }
        layers_.push_back(std::move(l));
    };
    add(torch::nn::AnyModule(conv2d(in_channels, c64, 1)), true);
    add(torch::nn::AnyModule(conv2d(c64, c64, 3)), true);
    add(torch::nn::AnyModule(conv2d(c64, c64, 3)), true);
    add(torch::nn::AnyModule(conv2d(c64, c128, 3)), true);
    add(torch::nn::AnyModule(deconv(c128, c64, 4, true)), true);
    add(torch::nn::AnyModule(conv2d(c64, c64, 3)), true);
    add(torch::nn::AnyModule(conv2d(c64, c64, 3)), true);
    add(torch::nn::AnyModule(deconv(c64, c32, 4, true)), true);
    add(torch::nn::AnyModule(conv2d(c32, c32, 3)), true);
    add(torch::nn::AnyModule(conv2d(c32, c32, 3)), true);
    add(torch::nn::AnyModule(deconv(c32, c16, 4, true)), true);
    add(torch::nn::AnyModule(conv2d(c16, c16, 3)), true);
    add(torch::nn::AnyModule(conv2d(c16, landmarks, 1)), false);  // raw heatmaps, no sigmoid
}

landmark_branch::maps landmark_branch::forward(torch::Tensor x) {
    for (auto & l : layers_) {
        x = l.module.forward(x);
        if (l.norm) x = l.norm->forward(x);
        if (l.relu) x = torch::relu_(x);
    }
    if (softmax_radius_ == 0) return {x, {}};
    const torch::Tensor probabilities = torch::softmax(x.flatten(2).to(torch::kFloat), 2).view(x.sizes());
    const int k = 2 * softmax_radius_ + 1;
    const torch::Tensor window =
        F::avg_pool2d(probabilities, F::AvgPool2dFuncOptions(k).stride(1).padding(softmax_radius_).count_include_pad(true));
    return {window * (k * k), x};
}

std::string landmark_branch::emit_onnx(onnx_emitter & e, std::string x, int height, int width) const {
    for (const auto & l : layers_) {
        if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(l.module.ptr())) x = e.conv(torch::nn::Conv2d(conv), x, l.norm);
        else x = e.deconv(torch::nn::ConvTranspose2d(std::dynamic_pointer_cast<torch::nn::ConvTranspose2dImpl>(l.module.ptr())), x, l.norm);
        if (l.relu) x = e.relu(x);
    }
    return softmax_radius_ == 0 ? x : e.windowed_spatial_softmax(x, landmarks_, height, width, softmax_radius_);
}

// Skip blocks after pix2pix's UnetSkipConnectionBlock as the reference configures it
// (BatchNorm, so no bias but on the 1x1 innermost deconvolution and the outer one):
//   outer: 1x1 conv in -> ngf | block ngf -> 2ngf | block 2ngf -> 4ngf | innermost 4ngf
//   | up 8ngf -> ngf | up 4ngf -> ... each inner block concatenates its input and output.
attention_unet::attention_unet(int in_channels, int out_channels, int ngf) {
    const int c1 = ngf, c2 = 2 * ngf, c3 = 4 * ngf;
    outer_down_ = register_module("outer_down", conv2d(in_channels, c1, 1, 1, /*bias=*/false));
    down1_ = register_module("down1", torch::nn::Sequential(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
                                                            down_conv(c1, c2), torch::nn::BatchNorm2d(c2)));
    down2_ = register_module("down2", torch::nn::Sequential(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
                                                            down_conv(c2, c3), torch::nn::BatchNorm2d(c3)));
    innermost_ = register_module("innermost", torch::nn::Sequential(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
                                                                    conv2d(c3, c3, 1, 1, /*bias=*/false), torch::nn::ReLU(),
                                                                    deconv(c3, c3, 1, /*bias=*/true), torch::nn::BatchNorm2d(c3)));
    up2_ = register_module("up2", torch::nn::Sequential(torch::nn::ReLU(), deconv(2 * c3, c2, 4, false), torch::nn::BatchNorm2d(c2)));
    up1_ = register_module("up1", torch::nn::Sequential(torch::nn::ReLU(), deconv(2 * c2, c1, 4, false), torch::nn::BatchNorm2d(c1)));
    outer_up_ = register_module("outer_up", deconv(2 * c1, out_channels, 1, /*bias=*/true));
}

torch::Tensor attention_unet::forward(const torch::Tensor & x) {
    const torch::Tensor d0 = outer_down_->forward(x);
    const torch::Tensor d1 = down1_->forward(d0);
    const torch::Tensor d2 = down2_->forward(d1);
    const torch::Tensor inner = torch::cat({d2, innermost_->forward(d2)}, 1);
    const torch::Tensor u2 = torch::cat({d1, up2_->forward(inner)}, 1);
    const torch::Tensor u1 = torch::cat({d0, up1_->forward(u2)}, 1);
    return torch::tanh(outer_up_->forward(torch::relu(u1)));
}

std::string attention_unet::emit_onnx(onnx_emitter & e, const std::string & x) const {
    const std::string d0 = e.conv(outer_down_, x);
    const std::string d1 = e.sequential(down1_, d0);
    const std::string d2 = e.sequential(down2_, d1);
    const std::string inner = e.concat({d2, e.sequential(innermost_, d2)}, 1);
    const std::string u2 = e.concat({d1, e.sequential(up2_, inner)}, 1);
    const std::string u1 = e.concat({d0, e.sequential(up1_, u2)}, 1);
    return e.tanh(e.deconv(outer_up_, e.relu(u1)));
}

landmark_attention_network::landmark_attention_network(const network_config & config) : garment_network(config) {
    const double w = config.width;
    vgg_ = register_module("vgg", std::make_shared<vgg16_features>(w, /*with_conv5=*/false, config.vgg_batch_norm));
    const int c4 = vgg_->stride8_channels();
    landmarks_ = register_module("landmark_branch",
                                 std::make_shared<landmark_branch>(c4, config.landmarks, w, config.landmark_batch_norm,
                                                                   config.heatmap_softmax ? heatmap_window_radius(config.input_size) : 0));
    attention_ = register_module("attention", std::make_shared<attention_unet>(c4 + 1, c4, scaled(32, w)));
    const int c5 = scaled(512, w);
    conv5_1_ = register_module("conv5_1", conv2d(c4, c5, 3));
    conv5_2_ = register_module("conv5_2", conv2d(c5, c5, 3));
    conv5_3_ = register_module("conv5_3", conv2d(c5, c5, 3));
    if (config.vgg_batch_norm) {
        for (int i = 0; i < 3; ++i)
            conv5_norms_.push_back(register_module("conv5_" + std::to_string(i + 1) + "_bn", torch::nn::BatchNorm2d(c5)));
    }
    const int side = config.input_size / 32;
    const int flat = c5 * side * side;
    const int hidden = scaled(1024, w);
    category_fc1_ = register_module("category_fc1", torch::nn::Linear(flat, hidden));
    category_fc2_ = register_module("category_fc2", torch::nn::Linear(hidden, config.categories));
    if (config.attributes > 0) {
        attribute_fc1_ = register_module("attribute_fc1", torch::nn::Linear(flat, hidden));
        attribute_fc2_ = register_module("attribute_fc2", torch::nn::Linear(hidden, 2 * config.attributes));
    }
}

std::vector<std::pair<std::string, torch::nn::Conv2d>> landmark_attention_network::conv5() const {
    return {{"conv5_1", conv5_1_}, {"conv5_2", conv5_2_}, {"conv5_3", conv5_3_}};
}

named_tensors landmark_attention_network::imagenet_state() const {
    named_tensors out = vgg_->torchvision_state();
    const bool batch_norm = !conv5_norms_.empty();
    const auto convs = conv5();
    for (std::size_t i = 0; i < convs.size(); ++i) {
        const int index = vgg16_feature_index(10 + static_cast<int>(i), batch_norm);
        append_module(out, "features." + std::to_string(index), *convs[i].second);
        if (batch_norm) append_module(out, "features." + std::to_string(index + 1), *conv5_norms_[i]);
    }
    return out;
}

network_output landmark_attention_network::forward(const torch::Tensor & images) {
    network_output out;
    const torch::Tensor conv4_3 = vgg_->forward(images).stride8;
    auto maps = landmarks_->forward(conv4_3);
    out.heatmaps = maps.heatmaps;
    out.heatmap_logits = maps.logits;
    record_stage("landmark_branch", out.heatmaps);
    out.landmarks = heatmap_argmax_positions(out.heatmaps);

    // Attention from where the landmarks are: the strongest heatmap, brought to conv4_3's size.
    const torch::Tensor merged =
        F::interpolate(std::get<0>(out.heatmaps.max(1, /*keepdim=*/true)), F::InterpolateFuncOptions()
                                                                               .size(std::vector<int64_t>{conv4_3.size(2), conv4_3.size(3)})
                                                                               .mode(torch::kBilinear)
                                                                               .align_corners(false));
    out.attention = attention_->forward(torch::cat({merged, conv4_3}, 1));
    record_stage("attention", out.attention);

    torch::Tensor x = F::max_pool2d((1 + out.attention) * conv4_3, F::MaxPool2dFuncOptions(2).stride(2));
    torch::nn::Conv2d conv5[3] = {conv5_1_, conv5_2_, conv5_3_};
    for (int i = 0; i < 3; ++i) {
        x = conv5[i]->forward(x);
        if (!conv5_norms_.empty()) x = conv5_norms_[static_cast<std::size_t>(i)]->forward(x);
        x = torch::relu(x);
    }
    x = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(2));
    record_stage("conv5_pool", x);
    const torch::Tensor flat = x.flatten(1);
    out.category_logits = category_fc2_->forward(torch::relu(category_fc1_->forward(flat)));
    record_stage("category_logits", out.category_logits);
    if (attribute_fc1_) {
        out.attribute_logits =
            attribute_fc2_->forward(torch::relu(attribute_fc1_->forward(flat))).view({images.size(0), 2, config_.attributes});
        record_stage("attribute_logits", out.attribute_logits);
    }
    return out;
}

void landmark_attention_network::emit_onnx(onnx_emitter & e, const std::string & image) const {
    using names = onnx_output_names;
    const std::string conv4_3 = vgg_->emit_onnx(e, image).stride8;
    const std::string heatmaps =
        e.identity(landmarks_->emit_onnx(e, conv4_3, config_.input_size, config_.input_size), names::landmark_heatmaps);
    // The landmark branch upsamples conv4_3 by exactly 8, so a scale of 1/8 lands on its size.
    const std::string merged = e.resize_bilinear(e.channel_max(heatmaps), 0.125f);
    const std::string attention = attention_->emit_onnx(e, e.concat({merged, conv4_3}, 1));
    e.channel_mean(attention, vgg_->stride8_channels(), names::attention);

    std::string x = e.max_pool(e.mul(e.add_scalar(attention, 1.0f), conv4_3), 2, 2);
    const torch::nn::Conv2d conv5[3] = {conv5_1_, conv5_2_, conv5_3_};
    for (std::size_t i = 0; i < 3; ++i)
        x = e.relu(e.conv(conv5[i], x, conv5_norms_.empty() ? torch::nn::BatchNorm2d(nullptr) : conv5_norms_[i]));
    const std::string flat = e.flatten(e.max_pool(x, 2, 2));
    e.linear(category_fc2_, e.relu(e.linear(category_fc1_, flat)), names::category_logits);
    if (attribute_fc1_) {
        e.reshape(e.linear(attribute_fc2_, e.relu(e.linear(attribute_fc1_, flat))), {-1, 2, config_.attributes}, names::attribute_logits);
    }
}

}  // namespace vestis::nn
