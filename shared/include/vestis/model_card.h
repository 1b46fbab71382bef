// The model card: the JSON document that travels with every exported model and holds
// everything a front-end must agree on with the trainer — input size, normalisation, crop
// policy, output names, and the names and types of categories, attributes and landmarks.
#pragma once

#include "vestis/preprocess.h"
#include "vestis/status.h"

#include <string>
#include <string_view>
#include <vector>

namespace vestis {

// An attribute's type groups it for display and for the per-type metrics: DeepFashion's five
// (texture, fabric, shape, part, style, the order of its type codes 1..5), or any kind a data
// set names (a street-photo tagger's tops, footwear, accessories ...).
const std::vector<std::string> & deepfashion_attribute_types();

// How the attribute head is read: `two_class` is [2, A] (negative, positive logit per
// attribute, the landmark-attention network); `sigmoid` is [A] independent logits.
enum class attribute_encoding { two_class, sigmoid };

struct category_info {
    std::string name;
    std::string type;  // "upper", "lower", "full", or empty when the data set has none
};

struct attribute_info {
    std::string name;
    std::string type;
};

// The distinct types of `attributes` in display order: DeepFashion's five first, in code order,
// then any others in the order they are first listed.
std::vector<std::string> attribute_type_order(const std::vector<attribute_info> & attributes);

// Graph output names; an empty name means the model does not have that output.
struct model_outputs {
    std::string category_logits;
    std::string attribute_logits;
    attribute_encoding attributes = attribute_encoding::two_class;
    std::string landmark_heatmaps;
    std::string attention;
};

struct model_card {
    std::string name;
    std::string input_name = "image";
    preprocess_options preprocess;
    model_outputs outputs;
    std::vector<category_info> categories;
    std::vector<attribute_info> attributes;
    std::vector<std::string> landmarks;
    // The attribute probability from which a tag is shown by default (chosen on validation at
    // export); 0 when the card gives none.
    float threshold = 0;
    // "training", "metrics" and "produced_by" are free-form records for people; kept as JSON
    // text (an object, or empty) and written back unchanged.
    std::string training_json;
    std::string metrics_json;
    std::string produced_by_json;
};

constexpr int model_card_version = 1;

// Parses and validates; errors read "<source_name>: <field path>: <what was expected>".
result<model_card> parse_model_card(std::string_view json_text, std::string_view source_name);
status validate(const model_card & card);
std::string to_json(const model_card & card);

// The eight DeepFashion landmark slots, in the order the networks emit them.
const std::vector<std::string> & deepfashion_landmark_names();

}  // namespace vestis
