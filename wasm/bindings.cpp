// embind bindings of shared/ for the browser (and node, for tests). One `Pipeline` per model
// card, made once when the model loads: it owns the input, tensor and overlay buffers and
// hands them to JS as views into WASM memory, so pixels and tensors are not copied on the
// way in or out. A view is valid until the next call that allocates; take it just before use.
#include "vestis/model_card.h"
#include "vestis/overlay.h"
#include "vestis/postprocess.h"
#include "vestis/preprocess.h"
#include "vestis/build_info.h"
#include "vestis/version.h"

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <string>
#include <vector>

using emscripten::val;

namespace {

val rect_to_js(const vestis::pixel_rect & r) {
    val o = val::object();
    o.set("x", r.x);
    o.set("y", r.y);
    o.set("width", r.width);
    o.set("height", r.height);
    return o;
}

val point_to_js(vestis::point p) {
    val o = val::object();
    o.set("x", p.x);
    o.set("y", p.y);
    return o;
}

val failure(const std::string & message) {
    val o = val::object();
    o.set("ok", false);
    o.set("error", message);
    return o;
}

std::vector<float> floats_from(const val & array) { return emscripten::convertJSArrayToNumberVector<float>(array); }

vestis::pixel_format format_of_channels(int channels) {
    return channels == 1 ? vestis::pixel_format::gray8 : channels == 3 ? vestis::pixel_format::rgb8 : vestis::pixel_format::rgba8;
}

class Pipeline {
public:
    Pipeline(const std::string & card_json, const std::string & source_name) {
        auto parsed = vestis::parse_model_card(card_json, source_name);
        if (parsed) card_ = std::move(parsed).value();
        else error_ = parsed.error().message();
    }

    std::string error() const { return error_; }
    std::string card_json() const { return error_.empty() ? vestis::to_json(card_) : std::string(); }
    int input_width() const { return card_.preprocess.input_width; }
    int input_height() const { return card_.preprocess.input_height; }

    // Room for a width x height photo with 1, 3 or 4 channels; JS writes the pixels into it.
    val input_buffer(int width, int height, int channels) {
        if (width <= 0 || height <= 0 || (channels != 1 && channels != 3 && channels != 4)) return val::null();
        photo_.resize(static_cast<std::size_t>(width) * height * channels);
        return val(emscripten::typed_memory_view(photo_.size(), photo_.data()));
    }

    // Turns the photo in the input buffer into the network input. `box` is null/undefined or
    // {x1, y1, x2, y2} in photo pixels. Returns {ok, error} or {ok, crop, content}.
    val preprocess(int width, int height, int channels, const val & box) {
        if (!error_.empty()) return failure(error_);
        if (photo_.size() != static_cast<std::size_t>(width) * height * channels) {
            return failure("the photo is " + std::to_string(width) + "x" + std::to_string(height) + "x" + std::to_string(channels) +
                           " but the input buffer holds " + std::to_string(photo_.size()) +
                           " bytes: call inputBuffer() with the same size first");
        }
        const vestis::image_view view{photo_.data(), width, height, static_cast<std::ptrdiff_t>(width) * channels,
                                      format_of_channels(channels)};
        vestis::box crop{};
        const bool has_box = !box.isNull() && !box.isUndefined();
        if (has_box) {
            crop = {box["x1"].as<float>(), box["y1"].as<float>(), box["x2"].as<float>(), box["y2"].as<float>()};
        }
        tensor_.resize(3 * static_cast<std::size_t>(input_width()) * input_height());
        auto g = vestis::preprocess(view, has_box ? &crop : nullptr, card_.preprocess, tensor_.data());
        if (!g) return failure(g.error().message());
        geometry_ = g.value();
        val o = val::object();
        o.set("ok", true);
        o.set("crop", rect_to_js(geometry_.crop));
        o.set("content", rect_to_js(geometry_.content));
        return o;
    }

    val input_tensor() const { return val(emscripten::typed_memory_view(tensor_.size(), tensor_.data())); }

    // The network input as a person would see it (normalisation undone), RGBA.
    val input_rgba() {
        if (tensor_.empty()) return val::null();
        display_ = vestis::input_to_rgba(tensor_.data(), input_width(), input_height(), card_.preprocess.norm);
        return val(emscripten::typed_memory_view(display_.size_bytes(), display_.data()));
    }

    val to_source(float x, float y) const { return point_to_js(geometry_.to_source({x, y})); }
    val to_input(float x, float y) const { return point_to_js(geometry_.to_input({x, y})); }

    // [{index, name, probability}], best first.
    val categories(const val & logits, int k) const {
        const std::vector<float> values = floats_from(logits);
        const std::vector<float> p = vestis::softmax(values.data(), static_cast<int>(values.size()));
        val list = val::array();
        for (const auto & entry : vestis::top_k(p.data(), static_cast<int>(p.size()), k)) {
            val o = val::object();
            o.set("index", entry.index);
            o.set("name", entry.index < static_cast<int>(card_.categories.size()) ? card_.categories[entry.index].name : std::string());
            o.set("probability", entry.score);
            list.call<void>("push", o);
        }
        return list;
    }

    // [{type, tags: [{index, name, probability}]}] in type order.
    val attributes(const val & logits, int k, float threshold) const {
        const std::vector<float> values = floats_from(logits);
        const int count = static_cast<int>(card_.attributes.size());
        const std::size_t expected = card_.outputs.attributes == vestis::attribute_encoding::two_class ? 2u * count : count;
        if (values.size() != expected) return val::null();
        const auto p = vestis::attribute_probabilities(values.data(), count, card_.outputs.attributes);
        val groups = val::array();
        for (const auto & group : vestis::group_attributes(p, card_.attributes, k, threshold)) {
            val tags = val::array();
            for (const auto & tag : group.tags) {
                val o = val::object();
                o.set("index", tag.index);
                o.set("name", card_.attributes[tag.index].name);
                o.set("probability", tag.score);
                tags.call<void>("push", o);
            }
            val g = val::object();
            g.set("type", group.type);
            g.set("tags", tags);
            groups.call<void>("push", g);
        }
        return groups;
    }

    // [{name, x, y, inputX, inputY, heatmapX, heatmapY, confidence, secondPeak}] with x, y in photo pixels
    // of the last preprocessed photo. `heatmaps` is [count, height, width].
    val landmarks(const val & heatmaps, int width, int height) const {
        const std::vector<float> values = floats_from(heatmaps);
        const std::size_t plane = static_cast<std::size_t>(width) * height;
        if (width <= 0 || height <= 0 || values.size() % plane != 0) return val::null();
        const int count = static_cast<int>(values.size() / plane);
        val list = val::array();
        const auto found = vestis::decode_landmarks(values.data(), count, width, height, geometry_);
        for (std::size_t i = 0; i < found.size(); ++i) {
            val o = val::object();
            o.set("name", i < card_.landmarks.size() ? card_.landmarks[i] : "landmark " + std::to_string(i));
            o.set("x", found[i].source.x);
            o.set("y", found[i].source.y);
            o.set("inputX", found[i].input.x);
            o.set("inputY", found[i].input.y);
            o.set("heatmapX", found[i].heatmap.x);
            o.set("heatmapY", found[i].heatmap.y);
            o.set("confidence", found[i].confidence);
            o.set("secondPeak", found[i].second_peak);
            list.call<void>("push", o);
        }
        return list;
    }

    // One map (or `count` maps, combined by their maximum) as viridis RGBA of width x height.
    val overlay(const val & maps, int width, int height, float opacity, bool auto_range, float low, float high) {
        const std::vector<float> values = floats_from(maps);
        const std::size_t plane = static_cast<std::size_t>(width) * height;
        if (width <= 0 || height <= 0 || values.empty() || values.size() % plane != 0) return val::null();
        const std::vector<float> combined =
            vestis::max_over_maps(values.data(), static_cast<int>(values.size() / plane), static_cast<int>(plane));
        vestis::overlay_options options;
        options.opacity = opacity;
        options.auto_range = auto_range;
        options.low = low;
        options.high = high;
        overlay_ = vestis::heatmap_to_rgba(combined.data(), width, height, options);
        return val(emscripten::typed_memory_view(overlay_.size_bytes(), overlay_.data()));
    }

private:
    vestis::model_card card_;
    std::string error_;
    std::vector<std::uint8_t> photo_;
    std::vector<float> tensor_;
    vestis::input_geometry geometry_;
    vestis::image display_;
    vestis::image overlay_;
};

// The card of a model trained with the defaults (the reference network's input: 224x224,
// ImageNet statistics, garment box stretched), for pages that show preprocessing before a
// model is chosen.
std::string default_input_card() {
    vestis::model_card card;
    card.name = "reference-input";
    card.outputs.landmark_heatmaps = "landmark_heatmaps";
    card.landmarks = vestis::deepfashion_landmark_names();
    return vestis::to_json(card);
}

std::string build_info() {
    return std::string(VESTIS_VERSION) + " (" + vestis::source_commit() + (vestis::source_modified() ? ", modified" : "") + ")";
}

// Validates a card without keeping it: "" when valid, else the message.
std::string check_card(const std::string & card_json, const std::string & source_name) {
    auto parsed = vestis::parse_model_card(card_json, source_name);
    return parsed ? std::string() : parsed.error().message();
}

}  // namespace

EMSCRIPTEN_BINDINGS(vestis) {
    emscripten::function("defaultInputCard", &default_input_card);
    emscripten::function("checkCard", &check_card);
    emscripten::function("buildInfo", &build_info);
    emscripten::class_<Pipeline>("Pipeline")
        .constructor<std::string, std::string>()
        .function("error", &Pipeline::error)
        .function("cardJson", &Pipeline::card_json)
        .function("inputWidth", &Pipeline::input_width)
        .function("inputHeight", &Pipeline::input_height)
        .function("inputBuffer", &Pipeline::input_buffer)
        .function("preprocess", &Pipeline::preprocess)
        .function("inputTensor", &Pipeline::input_tensor)
        .function("inputRgba", &Pipeline::input_rgba)
        .function("toSource", &Pipeline::to_source)
        .function("toInput", &Pipeline::to_input)
        .function("categories", &Pipeline::categories)
        .function("attributes", &Pipeline::attributes)
        .function("landmarks", &Pipeline::landmarks)
        .function("overlay", &Pipeline::overlay);
}
