#include "vestis/model_card.h"

#include "vestis/number_text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace vestis {

// ordered_json keeps fields in the order a card is written, so cards stay readable.
using json = nlohmann::ordered_json;

const std::vector<std::string> & deepfashion_attribute_types() {
    static const std::vector<std::string> names = {"texture", "fabric", "shape", "part", "style"};
    return names;
}

std::vector<std::string> attribute_type_order(const std::vector<attribute_info> & attributes) {
    std::vector<std::string> order;
    const auto listed = [&](const std::string & type) { return std::find(order.begin(), order.end(), type) != order.end(); };
    for (const std::string & type : deepfashion_attribute_types()) {
        const bool present = std::any_of(attributes.begin(), attributes.end(), [&](const attribute_info & a) { return a.type == type; });
        if (present) order.push_back(type);
    }
    for (const attribute_info & a : attributes) {
        if (!listed(a.type)) order.push_back(a.type);
    }
    return order;
}

const std::vector<std::string> & deepfashion_landmark_names() {
    static const std::vector<std::string> names = {"left_collar",    "right_collar",    "left_sleeve", "right_sleeve",
                                                   "left_waistline", "right_waistline", "left_hem",    "right_hem"};
    return names;
}

namespace {

const char * kind_of(const json & value) {
    switch (value.type()) {
        case json::value_t::null: return "null";
        case json::value_t::object: return "an object";
        case json::value_t::array: return "an array";
        case json::value_t::string: return "a string";
        case json::value_t::boolean: return "true/false";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float: return "a number";
        default: return "an unreadable value";
    }
}

// Keeps the nlohmann parser from throwing (shared/ builds without exceptions) while keeping
// its message, which names the line and column.
struct dom_parser_keeping_error : nlohmann::detail::json_sax_dom_parser<json> {
    using json_sax_dom_parser::json_sax_dom_parser;
    std::string message;
    template <class Exception>
    bool parse_error(std::size_t position, const std::string & last_token, const Exception & ex) {
        message = ex.what();
        if (const auto end = message.find("] "); message.rfind("[json.exception", 0) == 0 && end != std::string::npos) {
            message.erase(0, end + 2);
        }
        return json_sax_dom_parser::parse_error(position, last_token, ex);
    }
};

// Reads one card, remembering the first problem together with the field it was found in.
class card_reader {
public:
    explicit card_reader(std::string_view source) : source_(source) {}

    bool failed() const { return !error_.empty(); }
    status error() const { return status::error(error_); }

    bool fail(const std::string & path, const std::string & what) {
        if (error_.empty()) error_ = source_ + ": " + path + ": " + what;
        return false;
    }

    const json * member(const json & object, const std::string & path, const char * key, bool required) {
        const auto it = object.find(key);
        if (it == object.end()) {
            if (required) fail(join(path, key), "is missing");
            return nullptr;
        }
        return &*it;
    }

    bool only_known_keys(const json & object, const std::string & path, std::initializer_list<const char *> keys) {
        for (const auto & item : object.items()) {
            bool known = false;
            for (const char * key : keys) known = known || item.key() == key;
            if (!known) {
                std::string list;
                for (const char * key : keys) list += std::string(list.empty() ? "" : ", ") + key;
                return fail(join(path, item.key().c_str()), "is not a card field (expected one of: " + list + ")");
            }
        }
        return true;
    }

    bool read_object(const json * value, const std::string & path) {
        return value->is_object() || fail(path, std::string("expected an object, got ") + kind_of(*value));
    }

    bool read_string(const json * value, const std::string & path, std::string & out, bool allow_empty) {
        if (!value->is_string()) return fail(path, std::string("expected a string, got ") + kind_of(*value));
        out = value->get<std::string>();
        return allow_empty || !out.empty() || fail(path, "must not be empty");
    }

    bool read_int(const json * value, const std::string & path, int & out, int lo, int hi) {
        if (!value->is_number_integer()) {
            return fail(path, std::string("expected a whole number, got ") + kind_of(*value));
        }
        const auto v = value->get<long long>();
        if (v < lo || v > hi) {
            return fail(path,
                        "expected a whole number in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + std::to_string(v));
        }
        out = static_cast<int>(v);
        return true;
    }

    bool read_float(const json * value, const std::string & path, float & out) {
        if (!value->is_number()) return fail(path, std::string("expected a number, got ") + kind_of(*value));
        out = value->get<float>();
        return std::isfinite(out) || fail(path, "expected a finite number");
    }

    bool read_rgb(const json * value, const std::string & path, std::array<float, 3> & out) {
        if (!value->is_array() || value->size() != 3) {
            return fail(path, std::string("expected an array of 3 numbers (red, green, blue), got ") +
                                  (value->is_array() ? std::to_string(value->size()) + " values" : kind_of(*value)));
        }
        for (int c = 0; c < 3; ++c) {
            if (!read_float(&(*value)[c], path + "[" + std::to_string(c) + "]", out[c])) return false;
        }
        return true;
    }

    static std::string join(const std::string & path, const char * key) { return path.empty() ? std::string(key) : path + "." + key; }

private:
    std::string source_;
    std::string error_;
};

bool read_input(card_reader & r, const json & root, model_card & card) {
    const json * input = r.member(root, "", "input", true);
    if (!input || !r.read_object(input, "input")) return false;
    if (!r.only_known_keys(*input, "input", {"name", "width", "height", "mean", "std", "crop"})) return false;
    preprocess_options & p = card.preprocess;
    if (const json * v = r.member(*input, "input", "name", false); v && !r.read_string(v, "input.name", card.input_name, false))
        return false;
    const json * width = r.member(*input, "input", "width", true);
    if (!width || !r.read_int(width, "input.width", p.input_width, 1, 4096)) return false;
    const json * height = r.member(*input, "input", "height", true);
    if (!height || !r.read_int(height, "input.height", p.input_height, 1, 4096)) return false;
    const json * mean = r.member(*input, "input", "mean", true);
    if (!mean || !r.read_rgb(mean, "input.mean", p.norm.mean)) return false;
    const json * std_dev = r.member(*input, "input", "std", true);
    if (!std_dev || !r.read_rgb(std_dev, "input.std", p.norm.std)) return false;
    for (int c = 0; c < 3; ++c) {
        if (p.norm.std[c] <= 0.0f) {
            return r.fail("input.std[" + std::to_string(c) + "]", "must be positive, got " + std::to_string(p.norm.std[c]));
        }
    }
    const json * crop = r.member(*input, "input", "crop", true);
    if (!crop || !r.read_object(crop, "input.crop") || !r.only_known_keys(*crop, "input.crop", {"policy", "margin"})) {
        return false;
    }
    std::string policy_name;
    const json * policy = r.member(*crop, "input.crop", "policy", true);
    if (!policy || !r.read_string(policy, "input.crop.policy", policy_name, false)) return false;
    const auto policy_value = parse_crop_policy(policy_name.c_str());
    if (!policy_value) return r.fail("input.crop.policy", policy_value.error().message());
    p.policy = policy_value.value();
    p.crop_margin = 0.0f;
    if (const json * margin = r.member(*crop, "input.crop", "margin", false)) {
        if (!r.read_float(margin, "input.crop.margin", p.crop_margin)) return false;
        if (p.crop_margin < 0.0f || p.crop_margin > 10.0f) return r.fail("input.crop.margin", "expected a number in [0, 10]");
    }
    return true;
}

bool read_outputs(card_reader & r, const json & root, model_card & card) {
    const json * outputs = r.member(root, "", "outputs", true);
    if (!outputs || !r.read_object(outputs, "outputs")) return false;
    if (!r.only_known_keys(*outputs, "outputs",
                           {"category_logits", "attribute_logits", "attribute_encoding", "landmark_heatmaps", "attention"})) {
        return false;
    }
    model_outputs & o = card.outputs;
    const std::pair<const char *, std::string *> names[] = {{"category_logits", &o.category_logits},
                                                            {"attribute_logits", &o.attribute_logits},
                                                            {"landmark_heatmaps", &o.landmark_heatmaps},
                                                            {"attention", &o.attention}};
    for (const auto & [key, target] : names) {
        if (const json * v = r.member(*outputs, "outputs", key, false);
            v && !r.read_string(v, std::string("outputs.") + key, *target, false)) {
            return false;
        }
    }
    if (const json * v = r.member(*outputs, "outputs", "attribute_encoding", false)) {
        std::string encoding;
        if (!r.read_string(v, "outputs.attribute_encoding", encoding, false)) return false;
        if (encoding == "two_class") o.attributes = attribute_encoding::two_class;
        else if (encoding == "sigmoid") o.attributes = attribute_encoding::sigmoid;
        else return r.fail("outputs.attribute_encoding", "expected 'two_class' or 'sigmoid', got '" + encoding + "'");
    }
    return true;
}

bool read_categories(card_reader & r, const json & root, model_card & card) {
    const json * list = r.member(root, "", "categories", false);
    if (!list) return true;
    if (!list->is_array()) return r.fail("categories", std::string("expected an array, got ") + kind_of(*list));
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string path = "categories[" + std::to_string(i) + "]";
        const json & item = (*list)[i];
        if (!r.read_object(&item, path) || !r.only_known_keys(item, path, {"name", "type"})) return false;
        category_info info;
        const json * name = r.member(item, path, "name", true);
        if (!name || !r.read_string(name, path + ".name", info.name, false)) return false;
        if (const json * type = r.member(item, path, "type", false)) {
            if (!r.read_string(type, path + ".type", info.type, true)) return false;
            if (!info.type.empty() && info.type != "upper" && info.type != "lower" && info.type != "full") {
                return r.fail(path + ".type", "expected 'upper', 'lower' or 'full', got '" + info.type + "'");
            }
        }
        card.categories.push_back(std::move(info));
    }
    return true;
}

bool read_attributes(card_reader & r, const json & root, model_card & card) {
    const json * list = r.member(root, "", "attributes", false);
    if (!list) return true;
    if (!list->is_array()) return r.fail("attributes", std::string("expected an array, got ") + kind_of(*list));
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string path = "attributes[" + std::to_string(i) + "]";
        const json & item = (*list)[i];
        if (!r.read_object(&item, path) || !r.only_known_keys(item, path, {"name", "type"})) return false;
        attribute_info info;
        const json * name = r.member(item, path, "name", true);
        if (!name || !r.read_string(name, path + ".name", info.name, false)) return false;
        const json * type = r.member(item, path, "type", true);
        if (!type || !r.read_string(type, path + ".type", info.type, false)) return false;
        card.attributes.push_back(std::move(info));
    }
    return true;
}

bool read_landmarks(card_reader & r, const json & root, model_card & card) {
    const json * list = r.member(root, "", "landmarks", false);
    if (!list) return true;
    if (!list->is_array()) return r.fail("landmarks", std::string("expected an array of names, got ") + kind_of(*list));
    for (std::size_t i = 0; i < list->size(); ++i) {
        std::string name;
        if (!r.read_string(&(*list)[i], "landmarks[" + std::to_string(i) + "]", name, false)) return false;
        card.landmarks.push_back(std::move(name));
    }
    return true;
}

bool read_free_form(card_reader & r, const json & root, const char * key, std::string & out) {
    const json * value = r.member(root, "", key, false);
    if (!value) return true;
    if (!r.read_object(value, key)) return false;
    out = value->dump();
    return true;
}

// Shortest decimal that reads back as the same float, so 0.485f is written "0.485".
json float_to_json(float value) { return json(std::strtod(shortest_text(value).c_str(), nullptr)); }

status check_unique(const std::vector<std::string> & names, const char * field) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (!seen.insert(names[i]).second) {
            return status::error(std::string(field) + "[" + std::to_string(i) + "]: name '" + names[i] + "' appears twice");
        }
    }
    return {};
}

bool read_threshold(card_reader & r, const json & root, model_card & card) {
    const json * value = r.member(root, "", "threshold", false);
    if (!value) return true;
    if (!r.read_float(value, "threshold", card.threshold)) return false;
    return (card.threshold > 0 && card.threshold < 1) ||
           r.fail("threshold", "expected a probability in (0, 1), got " + std::to_string(card.threshold));
}

}  // namespace

status validate(const model_card & card) {
    if (auto s = validate(card.preprocess); !s) return status::error("input: " + s.message());
    const model_outputs & o = card.outputs;
    if (o.category_logits.empty() && o.attribute_logits.empty() && o.landmark_heatmaps.empty()) {
        return status::error("outputs: the model has no category, attribute or landmark output");
    }
    if (o.category_logits.empty() != card.categories.empty()) {
        return status::error(o.category_logits.empty() ? "categories: listed, but outputs.category_logits names no output"
                                                       : "categories: missing, but outputs.category_logits names an output");
    }
    if (o.attribute_logits.empty() != card.attributes.empty()) {
        return status::error(o.attribute_logits.empty() ? "attributes: listed, but outputs.attribute_logits names no output"
                                                        : "attributes: missing, but outputs.attribute_logits names an output");
    }
    if (o.landmark_heatmaps.empty() != card.landmarks.empty()) {
        return status::error(o.landmark_heatmaps.empty() ? "landmarks: listed, but outputs.landmark_heatmaps names no output"
                                                         : "landmarks: missing, but outputs.landmark_heatmaps names an output");
    }
    std::vector<std::string> output_names;
    for (const std::string * name : {&o.category_logits, &o.attribute_logits, &o.landmark_heatmaps, &o.attention}) {
        if (!name->empty()) output_names.push_back(*name);
    }
    if (auto s = check_unique(output_names, "outputs"); !s) return s;
    std::vector<std::string> names;
    for (const auto & c : card.categories) names.push_back(c.name);
    if (auto s = check_unique(names, "categories"); !s) return s;
    names.clear();
    for (const auto & a : card.attributes) names.push_back(a.name);
    if (auto s = check_unique(names, "attributes"); !s) return s;
    return check_unique(card.landmarks, "landmarks");
}

result<model_card> parse_model_card(std::string_view json_text, std::string_view source_name) {
    const std::string source(source_name);
    json root;
    dom_parser_keeping_error parser(root, /*allow_exceptions=*/false);
    if (!json::sax_parse(json_text, &parser) || !parser.message.empty()) {
        return status::error(source +
                             ": not valid JSON: " + (parser.message.empty() ? std::string("unreadable document") : parser.message));
    }
    card_reader r(source);
    if (!root.is_object()) {
        return status::error(source + ": expected a JSON object at the top level, got " + kind_of(root));
    }
    if (!r.only_known_keys(root, "",
                           {"format", "version", "name", "input", "outputs", "categories", "attributes", "landmarks", "threshold",
                            "training", "metrics", "produced_by"})) {
        return r.error();
    }
    std::string format;
    const json * format_value = r.member(root, "", "format", true);
    if (!format_value || !r.read_string(format_value, "format", format, false)) return r.error();
    if (format != "vestis-model-card") {
        r.fail("format", "expected 'vestis-model-card', got '" + format + "' (is this a Vestis model card?)");
        return r.error();
    }
    int version = 0;
    const json * version_value = r.member(root, "", "version", true);
    if (!version_value || !r.read_int(version_value, "version", version, 1, 1 << 20)) return r.error();
    if (version > model_card_version) {
        r.fail("version", "card version " + std::to_string(version) + " is newer than this build reads (" +
                              std::to_string(model_card_version) + "); update Vestis");
        return r.error();
    }
    model_card card;
    const json * name = r.member(root, "", "name", true);
    if (!name || !r.read_string(name, "name", card.name, false)) return r.error();
    if (!read_input(r, root, card) || !read_outputs(r, root, card) || !read_categories(r, root, card) || !read_attributes(r, root, card) ||
        !read_landmarks(r, root, card) || !read_threshold(r, root, card) || !read_free_form(r, root, "training", card.training_json) ||
        !read_free_form(r, root, "metrics", card.metrics_json) || !read_free_form(r, root, "produced_by", card.produced_by_json)) {
        return r.error();
    }
    if (auto s = validate(card); !s) return status::error(source + ": " + s.message());
    return card;
}

std::string to_json(const model_card & card) {
    const preprocess_options & p = card.preprocess;
    json mean = json::array(), std_dev = json::array();
    for (int c = 0; c < 3; ++c) {
        mean.push_back(float_to_json(p.norm.mean[c]));
        std_dev.push_back(float_to_json(p.norm.std[c]));
    }
    json root = {{"format", "vestis-model-card"}, {"version", model_card_version}, {"name", card.name}};
    root["input"] = {
        {"name", card.input_name},  {"width", p.input_width},
        {"height", p.input_height}, {"mean", mean},
        {"std", std_dev},           {"crop", {{"policy", crop_policy_name(p.policy)}, {"margin", float_to_json(p.crop_margin)}}}};
    json outputs = json::object();
    const model_outputs & o = card.outputs;
    if (!o.category_logits.empty()) outputs["category_logits"] = o.category_logits;
    if (!o.attribute_logits.empty()) {
        outputs["attribute_logits"] = o.attribute_logits;
        outputs["attribute_encoding"] = o.attributes == attribute_encoding::two_class ? "two_class" : "sigmoid";
    }
    if (!o.landmark_heatmaps.empty()) outputs["landmark_heatmaps"] = o.landmark_heatmaps;
    if (!o.attention.empty()) outputs["attention"] = o.attention;
    root["outputs"] = outputs;
    if (!card.categories.empty()) {
        json list = json::array();
        for (const auto & c : card.categories) {
            json item = {{"name", c.name}};
            if (!c.type.empty()) item["type"] = c.type;
            list.push_back(item);
        }
        root["categories"] = list;
    }
    if (!card.attributes.empty()) {
        json list = json::array();
        for (const auto & a : card.attributes) list.push_back({{"name", a.name}, {"type", a.type}});
        root["attributes"] = list;
    }
    if (!card.landmarks.empty()) root["landmarks"] = card.landmarks;
    if (card.threshold > 0) root["threshold"] = float_to_json(card.threshold);
    const std::pair<const char *, const std::string *> free_form[] = {
        {"training", &card.training_json}, {"metrics", &card.metrics_json}, {"produced_by", &card.produced_by_json}};
    for (const auto & [key, text] : free_form) {
        if (!text->empty()) root[key] = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    }
    return root.dump(2);
}

}  // namespace vestis
