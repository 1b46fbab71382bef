#include "nn/vgg_import.h"

#include "io/torch_save.h"
#include "nn/landmark_attention.h"
#include "nn/simple_model.h"

#include <sstream>

namespace vestis::nn {

namespace {

std::string shape_text(const std::vector<int64_t> & shape) {
    std::ostringstream out;
    out << "[";
    for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
    out << "]";
    return out.str();
}

}  // namespace

int import_vgg16_weights(garment_network & network, const std::string & path) {
    if (network.config().vgg_batch_norm) {
        throw std::runtime_error(path + ": ImageNet VGG16 weights are for VGG without BatchNorm; turn model.vgg_batch_norm off");
    }
    std::vector<std::pair<std::string, torch::nn::Conv2d>> convs;
    if (auto * full = dynamic_cast<landmark_attention_network *>(&network)) {
        convs = full->vgg()->convolutions();
        for (const auto & c : full->conv5()) convs.push_back(c);
    } else if (auto * simple = dynamic_cast<simple_network *>(&network);
               simple && network.config().backbone == "vgg16") {
        convs = std::dynamic_pointer_cast<vgg16_features>(simple->features())->convolutions();
    } else {
        throw std::runtime_error(path + ": ImageNet VGG16 weights fit the full network or the vgg16 backbone only");
    }
    const auto saved = read_torch_save(path);
    // torchvision's vgg16().features numbers its layers; convolutions sit at these indices.
    const int feature_index[13] = {0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28};
    torch::NoGradGuard no_grad;
    int copied = 0;
    for (std::size_t i = 0; i < convs.size() && i < 13; ++i) {
        for (const char * part : {"weight", "bias"}) {
            const std::string key = "features." + std::to_string(feature_index[i]) + "." + part;
            const auto it = saved.find(key);
            if (it == saved.end()) throw std::runtime_error(path + ": key '" + key + "' (for " + convs[i].first + ") is missing");
            torch::Tensor target = std::string(part) == "weight" ? convs[i].second->weight : convs[i].second->bias;
            if (it->second.shape != target.sizes().vec()) {
                throw std::runtime_error(path + ": " + key + " has shape " + shape_text(it->second.shape) + " but " +
                                         convs[i].first + "." + part + " needs " + shape_text(target.sizes().vec()) +
                                         (network.config().width != 1.0 ? " (ImageNet weights need width 1.0)" : ""));
            }
            target.copy_(torch::from_blob(const_cast<float *>(it->second.values.data()), it->second.shape, torch::kFloat));
            ++copied;
        }
    }
    return copied;
}

}  // namespace vestis::nn
