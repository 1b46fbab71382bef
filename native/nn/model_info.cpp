#include "nn/model_info.h"

#include "nn/network.h"

#include <cstdio>
#include <sstream>

namespace vestis::nn {

namespace {

std::string thousands(long long n) {
    std::string digits = std::to_string(n);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
    return digits;
}

std::string shape_text(const std::vector<int64_t> & shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// "torch::nn::Conv2dImpl" -> "Conv2d"
std::string layer_type(std::string name) {
    if (name.rfind("torch::nn::", 0) == 0) name.erase(0, 11);
    if (name.size() > 4 && name.compare(name.size() - 4, 4, "Impl") == 0) name.erase(name.size() - 4);
    return name;
}

void row(std::ostringstream & out, const std::string & left, const std::string & right) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-58s %20s\n", left.c_str(), right.c_str());
    out << line;
}

}  // namespace

std::string describe_network(const network_config & config) {
    torch::NoGradGuard no_grad;
    auto network = make_network(config);
    network->eval();
    std::ostringstream out;
    out << "Vestis "
        << (config.kind == network_kind::full ? "full landmark-attention network" : "simplified model, backbone " + config.backbone)
        << ": width " << config.width << ", " << config.categories << " categories, " << config.attributes << " attributes, "
        << (has_landmark_head(config) ? config.landmarks : 0) << " landmarks, input 3x" << config.input_size << "x" << config.input_size
        << "\n\n";
    row(out, "layer", "parameters");
    for (const auto & item : network->named_modules("", /*include_self=*/false)) {
        long long own = 0;
        for (const auto & p : item.value()->named_parameters(/*recurse=*/false)) own += p.value().numel();
        if (own > 0) row(out, item.key() + " (" + layer_type(item.value()->name()) + ")", thousands(own));
    }
    row(out, "total trainable", thousands(count_parameters(*network)));

    std::vector<stage_shape> stages;
    record_stage_shapes(&stages);
    network->forward(torch::zeros({1, 3, input_height_of(config), config.input_size}));
    record_stage_shapes(nullptr);
    out << "\n";
    row(out, "stage", "output shape");
    for (const auto & stage : stages) row(out, stage.name, shape_text(stage.shape));
    return out.str();
}

}  // namespace vestis::nn
