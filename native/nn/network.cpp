#include "nn/network.h"

#include "nn/landmark_attention.h"
#include "nn/simple_model.h"

#include <cmath>
#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>

namespace vestis::nn {

namespace {

// torchvision's initialisation (He-normal on fan-out for convolutions, N(0, 0.01) for linear
// layers, zero biases): LibTorch's default leaves a 13-convolution VGG without BatchNorm
// nearly untrainable from scratch.
void initialise(torch::nn::Module & network) {
    torch::NoGradGuard no_grad;
    for (auto & module : network.modules(/*include_self=*/false)) {
        if (auto * conv = module->as<torch::nn::Conv2d>()) {
            torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
            if (conv->bias.defined()) conv->bias.zero_();
        } else if (auto * deconv = module->as<torch::nn::ConvTranspose2d>()) {
            torch::nn::init::kaiming_normal_(deconv->weight, 0.0, torch::kFanOut, torch::kReLU);
            if (deconv->bias.defined()) deconv->bias.zero_();
        } else if (auto * linear = module->as<torch::nn::Linear>()) {
            torch::nn::init::normal_(linear->weight, 0.0, 0.01);
            linear->bias.zero_();
        }
    }
}

// VESTIS_ONEDNN=0 turns LibTorch's oneDNN convolutions off in this process, as
// torch.backends.mkldnn.enabled = False does in Python: on some virtual AMD machines oneDNN 3.6
// (LibTorch 2.6) divides by zero choosing a convolution's backward kernel, or gives NaN
// gradients (docs/gpu-servers.md#known-problems). Every network passes here first.
void apply_onednn_environment() {
    static std::once_flag once;
    std::call_once(once, [] {
        const char * text = std::getenv("VESTIS_ONEDNN");
        const std::string value = text ? text : "";
        if (value == "0" || value == "off") {
            at::globalContext().setUserEnabledMkldnn(false);
        } else if (!value.empty() && value != "1" && value != "on") {
            throw std::invalid_argument("VESTIS_ONEDNN='" + value + "': expected 0 or off (oneDNN off), 1 or on");
        }
    });
}

}  // namespace

std::shared_ptr<garment_network> make_network(const network_config & config) {
    validate(config);
    apply_onednn_environment();
    std::shared_ptr<garment_network> network;
    if (config.kind == network_kind::full) network = std::make_shared<landmark_attention_network>(config);
    else network = std::make_shared<simple_network>(config);
    initialise(*network);
    network->freeze_imagenet_parts();
    return network;
}

void garment_network::train(bool on) {
    torch::nn::Module::train(on);
    if (!on || !config_.freeze_batch_norm) return;
    for (auto * norm : imagenet_batch_norms()) norm->eval();
}

namespace {

// The layer a torchvision key belongs to: features.N -> N; a ResNet's conv1 / bn1 -> 0 and
// layerK -> K.
int torchvision_layer(const std::string & key) {
    if (key.rfind("features.", 0) == 0) return std::stoi(key.substr(9));
    if (key.rfind("layer", 0) == 0) return key[5] - '0';
    return 0;
}

}  // namespace

void garment_network::freeze_imagenet_parts() {
    if (config_.freeze_batch_norm) {
        for (auto * norm : imagenet_batch_norms()) {
            norm->weight.set_requires_grad(false);
            norm->bias.set_requires_grad(false);
        }
    }
    if (config_.frozen_layers <= 0) return;
    int layers = 0;
    for (const auto & [key, tensor] : imagenet_state()) {
        const int layer = torchvision_layer(key);
        layers = std::max(layers, layer + 1);
        if (layer < config_.frozen_layers && tensor.requires_grad()) torch::Tensor(tensor).set_requires_grad(false);
    }
    if (config_.frozen_layers > layers) {
        throw std::invalid_argument("model.frozen_layers: the backbone has " + std::to_string(layers) + " layers, not " +
                                    std::to_string(config_.frozen_layers));
    }
}

std::vector<torch::nn::BatchNorm2dImpl *> garment_network::imagenet_batch_norms() {
    std::set<const void *> imagenet;
    for (const auto & [name, tensor] : imagenet_state()) imagenet.insert(tensor.unsafeGetTensorImpl());
    std::vector<torch::nn::BatchNorm2dImpl *> norms;
    for (auto & module : modules(/*include_self=*/false)) {
        auto * norm = module->as<torch::nn::BatchNorm2d>();
        if (norm && imagenet.count(norm->running_mean.unsafeGetTensorImpl())) norms.push_back(norm);
    }
    return norms;
}

int scaled(int channels, double width) { return std::max(1, static_cast<int>(std::lround(channels * width))); }

torch::Tensor heatmap_argmax_positions(const torch::Tensor & heatmaps) {
    const int64_t h = heatmaps.size(2), w = heatmaps.size(3);
    const torch::Tensor flat_index = heatmaps.detach().flatten(2).argmax(2);
    const torch::Tensor x = torch::remainder(flat_index, w).to(torch::kFloat) / static_cast<double>(std::max<int64_t>(w - 1, 1));
    const torch::Tensor y = torch::div(flat_index, w, "floor").to(torch::kFloat) / static_cast<double>(std::max<int64_t>(h - 1, 1));
    return torch::stack({x, y}, 2);
}

namespace {
thread_local std::vector<stage_shape> * recording = nullptr;
}

void record_stage_shapes(std::vector<stage_shape> * into) { recording = into; }

void record_stage(const char * name, const torch::Tensor & output) {
    if (recording) recording->push_back({name, output.sizes().vec()});
}

void use_channels_last(torch::nn::Module & module) {
    torch::NoGradGuard no_grad;
    for (auto & p : module.parameters()) {
        if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    }
}

long long count_parameters(const torch::nn::Module & module, bool trainable_only) {
    long long total = 0;
    for (const auto & p : module.parameters()) {
        if (!trainable_only || p.requires_grad()) total += p.numel();
    }
    return total;
}

}  // namespace vestis::nn
