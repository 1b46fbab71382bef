#include "nn/imagenet_import.h"

#include "io/torch_save.h"

#include <set>
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

std::string expected_file(const network_config & c) {
    if (c.kind == network_kind::full || c.backbone == "vgg16") return c.vgg_batch_norm ? "vgg16_bn" : "vgg16";
    return c.backbone;
}

// The classifier of the ImageNet network, which Vestis replaces with its own heads.
bool is_imagenet_head(const std::string & key) { return key.rfind("classifier.", 0) == 0 || key.rfind("fc.", 0) == 0; }

}  // namespace

int import_imagenet_weights(garment_network & network, const std::string & path) {
    const network_config & c = network.config();
    const std::string kind = expected_file(c);
    const std::string hint = " (model " + (c.kind == network_kind::full ? std::string("kind full") : "backbone " + c.backbone) +
                             (c.vgg_batch_norm ? ", vgg_batch_norm" : "") + " takes torchvision's " + kind + " weights";
    const auto saved = read_torch_save(path);
    const named_tensors targets = network.imagenet_state();
    std::set<std::string> wanted;
    for (const auto & [key, tensor] : targets) wanted.insert(key);
    for (const auto & [key, tensor] : saved) {
        if (!wanted.count(key) && !is_imagenet_head(key)) {
            throw std::runtime_error(path + ": key '" + key + "' is not part of the network" + hint + ")");
        }
    }
    torch::NoGradGuard no_grad;
    int copied = 0;
    for (const auto & [key, target] : targets) {
        const auto it = saved.find(key);
        if (it == saved.end()) throw std::runtime_error(path + ": key '" + key + "' is missing" + hint + ")");
        if (it->second.shape != target.sizes().vec()) {
            throw std::runtime_error(path + ": " + key + " has shape " + shape_text(it->second.shape) + " but the network needs " +
                                     shape_text(target.sizes().vec()) + " (model.width " + std::to_string(c.width) +
                                     "; the file may be for another width)");
        }
        torch::Tensor source = torch::from_blob(const_cast<float *>(it->second.values.data()), it->second.shape, torch::kFloat);
        torch::Tensor(target).copy_(source);  // converts to the target's type (num_batches_tracked is int64)
        ++copied;
    }
    return copied;
}

}  // namespace vestis::nn
