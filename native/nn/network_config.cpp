#include "nn/network_config.h"

#include "vestis/number_text.h"

#include <stdexcept>
#include <string>

namespace vestis::nn {

const char * network_kind_name(network_kind kind) { return kind == network_kind::full ? "full" : "simple"; }

std::optional<network_kind> parse_network_kind(std::string_view name) {
    if (name == "full") return network_kind::full;
    if (name == "simple") return network_kind::simple;
    return std::nullopt;
}

bool has_landmark_head(const network_config & config) {
    return config.kind == network_kind::full || (config.landmark_branch && config.landmarks > 0);
}

int input_height_of(const network_config & config) { return config.input_height > 0 ? config.input_height : config.input_size; }

void validate(const network_config & c) {
    const auto fail = [](const std::string & message) { throw std::invalid_argument(message); };
    if (c.kind == network_kind::simple && c.backbone != "vgg16" && c.backbone != "resnet18" && c.backbone != "resnet50" &&
        c.backbone != "mobilenet_v2") {
        fail("model.backbone: expected vgg16, resnet18, resnet50 or mobilenet_v2, got '" + c.backbone + "'");
    }
    if (!(c.width > 0.0 && c.width <= 4.0)) fail("model.width: expected a number in (0, 4], got " + shortest_text(c.width));
    const bool resnet = c.kind == network_kind::simple && (c.backbone == "resnet18" || c.backbone == "resnet50");
    if (c.kind == network_kind::simple && c.backbone == "vgg16" && c.width != 1.0)
        fail("model.width: the simple vgg16 backbone takes no width (the full network, the ResNets and mobilenet_v2 do)");
    // LibTorch 1.13's CPU convolution backward corrupts the heap on ResNet blocks of 8 channels
    // (seen at width 0.125, fine from 0.25): refuse rather than crash mid-run.
    if (resnet && c.width < 0.25)
        fail("model.width: the simple ResNets need a width of at least 0.25 (16 channels), got " + shortest_text(c.width));
    if (c.small_input_stem && !resnet)
        fail("model.small_input_stem: only the simple ResNets have it, not " +
             (c.kind == network_kind::full ? std::string("the full network") : c.backbone));
    if (c.small_input_stem && c.landmark_branch && c.landmarks > 0) {
        fail(
            "model.small_input_stem: the landmark branch reads a stride-8 map, which this stem does not make (set model.landmark_branch: "
            "false)");
    }
    if (c.tf_padding && !(c.kind == network_kind::simple && c.backbone == "mobilenet_v2")) {
        fail("model.tf_padding: only the mobilenet_v2 backbone has it (Google's weights were trained with it)");
    }
    // TensorFlow's SAME padding is 0 before and 1 after only where a stride-2 layer's input is even.
    if (c.tf_padding && c.input_size % 32 != 0) {
        fail("model.tf_padding: needs model.input_size a multiple of 32, got " + std::to_string(c.input_size));
    }
    if (c.tf_padding && input_height_of(c) % 32 != 0) {
        fail("model.tf_padding: needs model.input_height a multiple of 32, got " + std::to_string(c.input_height));
    }
    if (c.residual_attention != 0) {
        if (!(c.residual_attention > 0 && c.residual_attention <= 10))
            fail("model.residual_attention: expected a weight in [0, 10], got " + shortest_text(c.residual_attention));
        if (c.kind != network_kind::simple || c.attributes == 0)
            fail("model.residual_attention: only the simple network's attribute head has it");
    }
    if (c.frozen_layers < 0) fail("model.frozen_layers: expected a count >= 0, got " + std::to_string(c.frozen_layers));
    // A tags-only set (multi-label photos) has no categories: the simple model then has no category head.
    const int fewest_categories = c.kind == network_kind::simple && c.attributes > 0 ? 0 : 1;
    if (c.categories < fewest_categories || c.categories > 100000) {
        fail("model.categories: expected " + std::to_string(fewest_categories) + "..100000, got " + std::to_string(c.categories));
    }
    if (c.attributes < 0 || c.attributes > 100000) fail("model.attributes: expected 0..100000, got " + std::to_string(c.attributes));
    if (c.landmarks < 0 || c.landmarks > 64) fail("model.landmarks: expected 0..64, got " + std::to_string(c.landmarks));
    const int smallest = c.small_input_stem ? 16 : 32;  // the small stem does not divide by 32
    if (c.input_size < smallest || c.input_size > 2048 || (c.kind == network_kind::full && c.input_size % 32 != 0)) {
        fail("model.input_size: expected " + std::string(c.kind == network_kind::full ? "a multiple of 32" : "a size") + " in " +
             std::to_string(smallest) + "..2048, got " + std::to_string(c.input_size));
    }
    if (c.input_height != 0) {
        if (c.input_height < smallest || c.input_height > 2048)
            fail("model.input_height: expected 0 (square) or a height in " + std::to_string(smallest) + "..2048, got " +
                 std::to_string(c.input_height));
        // The heatmaps, their softmax and the landmark coordinates are laid out for a square input.
        if (has_landmark_head(c))
            fail("model.input_height: only a network without landmarks takes a non-square input (set model.landmark_branch: false)");
    }
    if (c.kind == network_kind::full && c.landmarks < 1) fail("model.landmarks: the full network needs at least one landmark");
    // The softmax runs over the heatmap's pixels, which then number input_size^2 exactly.
    if (c.heatmap_softmax && c.input_size % 8 != 0) {
        fail("model.heatmap_softmax: needs model.input_size a multiple of 8, got " + std::to_string(c.input_size));
    }
}

}  // namespace vestis::nn
