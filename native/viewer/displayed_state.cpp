#include "displayed_state.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace vestis::viewer {

std::array<std::uint8_t, 3> landmark_colour(int k) {
    // Eight DeepFashion slots: left/right pairs share a hue family, all far from skin and grey.
    static const std::array<std::uint8_t, 3> palette[] = {
        {255, 40, 200}, {200, 40, 255}, {255, 140, 0}, {255, 220, 0}, {0, 220, 255}, {0, 120, 255}, {60, 255, 60}, {0, 255, 170},
    };
    return palette[static_cast<std::size_t>(k) % std::size(palette)];
}

point to_screen(point photo_pixel, const screen_rect & rect, int photo_width, int photo_height) {
    // Pixel centres: column i covers [i, i + 1) on the photo.
    return {rect.x + (photo_pixel.x + 0.5f) * rect.width / static_cast<float>(std::max(photo_width, 1)),
            rect.y + (photo_pixel.y + 0.5f) * rect.height / static_cast<float>(std::max(photo_height, 1))};
}

shown_prediction make_shown_prediction(int slot, const slot_prediction & made, const display_settings & settings,
                                       const ground_truth * truth) {
    shown_prediction shown;
    shown.slot = slot;
    shown.model_name = made.model_name;
    shown.model_directory = made.model_directory;
    shown.error = made.error;
    if (!made.prediction) return shown;
    const runtime::prediction & p = *made.prediction;
    const model_card & card = made.card;
    shown.image = p.image;
    shown.width = p.width, shown.height = p.height;
    shown.bbox = p.bbox;
    shown.time = p.time;

    const bool category_truth = truth && !truth->category.empty();
    for (const scored_index & c : p.categories) {
        shown_tag tag{c.index, card.categories[static_cast<std::size_t>(c.index)].name, c.score, std::nullopt};
        if (category_truth) tag.truth = tag.name == truth->category;
        shown.categories.push_back(std::move(tag));
    }

    if (!made.attribute_probabilities.empty()) {
        const bool attribute_truth = truth && truth->has_attributes;
        const auto in_truth = [&](const std::string & name) {
            return std::find(truth->attributes.begin(), truth->attributes.end(), name) != truth->attributes.end();
        };
        // The same shared/ function and arguments as `vestis predict --top-attributes K --threshold T`.
        for (const attribute_group & g :
             group_attributes(made.attribute_probabilities, card.attributes, settings.tags_per_type, settings.threshold)) {
            shown_attribute_group group;
            group.type = g.type;
            for (const scored_index & t : g.tags) {
                shown_tag tag{t.index, card.attributes[static_cast<std::size_t>(t.index)].name, t.score, std::nullopt};
                if (attribute_truth) tag.truth = in_truth(tag.name);
                group.tags.push_back(std::move(tag));
            }
            if (attribute_truth) {
                for (const attribute_info & a : card.attributes) {
                    const bool shown_already =
                        std::any_of(group.tags.begin(), group.tags.end(), [&](const shown_tag & t) { return t.name == a.name; });
                    if (a.type == g.type && !shown_already && in_truth(a.name)) group.missed.push_back(a.name);
                }
            }
            shown.attributes.push_back(std::move(group));
        }
    }

    const box frame = truth && truth->bbox ? *truth->bbox : box{0, 0, static_cast<float>(p.width), static_cast<float>(p.height)};
    for (std::size_t k = 0; k < p.landmarks.size(); ++k) {
        shown_landmark l;
        l.name = k < card.landmarks.size() ? card.landmarks[k] : std::to_string(k);
        l.position = p.landmarks[k].source;
        l.confidence = p.landmarks[k].confidence;
        l.second_peak = p.landmarks[k].second_peak;
        l.colour = landmark_colour(static_cast<int>(k));
        if (truth) {
            for (const truth_landmark & t : truth->landmarks) {
                if (t.name != l.name) continue;
                l.truth = t.position;
                if (t.visible) l.error = normalised_landmark_error(l.position, t.position, frame);
            }
        }
        shown.landmarks.push_back(std::move(l));
    }
    return shown;
}

namespace {

using json = nlohmann::ordered_json;

json optional_bool(const std::optional<bool> & value) { return value ? json(*value) : json(nullptr); }

json box_json(const std::optional<box> & b) { return b ? json::array({b->x1, b->y1, b->x2, b->y2}) : json(nullptr); }

json rect_json(const screen_rect & r) { return json::array({r.x, r.y, r.width, r.height}); }

json tags_json(const std::vector<shown_tag> & tags) {
    json out = json::array();
    for (const shown_tag & t : tags)
        out.push_back({{"index", t.index}, {"name", t.name}, {"probability", t.probability}, {"truth", optional_bool(t.truth)}});
    return out;
}

json prediction_json(const shown_prediction & p) {
    json j;
    j["slot"] = p.slot == 0 ? "model" : "compare";
    j["model"] = {{"name", p.model_name}, {"path", p.model_directory}};
    j["error"] = p.error.empty() ? json(nullptr) : json(p.error);
    j["image"] = p.image;
    j["width"] = p.width;
    j["height"] = p.height;
    j["bbox"] = box_json(p.bbox);
    j["categories"] = tags_json(p.categories);
    json attributes = json::object(), missed = json::object();
    for (const shown_attribute_group & g : p.attributes) {
        attributes[g.type] = tags_json(g.tags);
        if (!g.missed.empty()) missed[g.type] = g.missed;
    }
    j["attributes"] = attributes;
    j["attributes_missed"] = missed;
    json landmarks = json::array();
    for (const shown_landmark & l : p.landmarks) {
        landmarks.push_back({{"name", l.name},
                             {"x", l.position.x},
                             {"y", l.position.y},
                             {"confidence", l.confidence},
                             {"second_peak", l.second_peak},
                             {"colour", {l.colour[0], l.colour[1], l.colour[2]}},
                             {"screen", {l.screen.x, l.screen.y}},
                             {"truth", l.truth ? json::array({l.truth->x, l.truth->y}) : json(nullptr)},
                             {"error", l.error ? json(*l.error) : json(nullptr)}});
    }
    j["landmarks"] = landmarks;
    j["timings_ms"] = {{"decode", p.time.decode_ms},
                       {"preprocess", p.time.preprocess_ms},
                       {"inference", p.time.inference_ms},
                       {"postprocess", p.time.postprocess_ms}};
    j["image_rect"] = rect_json(p.image_rect);
    return j;
}

}  // namespace

const char * model_state_name(model_state state) {
    switch (state) {
        case model_state::none: return "none";
        case model_state::loading: return "loading";
        case model_state::ready: return "ready";
        case model_state::error: return "error";
    }
    return "none";
}

std::string snapshot_json(const screen_snapshot & s) {
    json root;
    root["format"] = "vestis-viewer-state";
    root["version"] = 1;
    root["photo"] = {{"path", s.photo},
                     {"index", s.photo_index},
                     {"count", s.photo_count},
                     {"width", s.width},
                     {"height", s.height},
                     {"error", s.photo_error.empty() ? json(nullptr) : json(s.photo_error)},
                     {"rect", rect_json(s.photo_rect)}};
    json models = json::array();
    for (std::size_t slot = 0; slot < s.models.size(); ++slot) {
        const model_status & m = s.models[slot];
        models.push_back({{"slot", slot == 0 ? "model" : "compare"},
                          {"path", m.directory},
                          {"name", m.name},
                          {"state", model_state_name(m.state)},
                          {"error", m.error.empty() ? json(nullptr) : json(m.error)},
                          {"overlays", {{"landmarks", m.has_landmarks}, {"attention", m.has_attention}}}});
    }
    root["models"] = models;
    const display_settings & d = s.settings;
    root["settings"] = {{"threshold", d.threshold},
                        {"tags_per_type", d.tags_per_type},
                        {"landmarks", d.landmarks},
                        {"landmark_names", d.landmark_names},
                        {"heatmap", d.heatmap},
                        {"attention", d.attention},
                        {"ground_truth", d.truth},
                        {"opacity", d.opacity},
                        {"dataset_box", d.use_dataset_box},
                        {"presentation", d.presentation}};
    json predictions = json::array();
    for (const shown_prediction & p : s.predictions) predictions.push_back(prediction_json(p));
    root["predictions"] = predictions;
    if (s.truth) {
        json landmarks = json::array();
        for (const truth_landmark & l : s.truth->landmarks)
            landmarks.push_back({{"name", l.name}, {"x", l.position.x}, {"y", l.position.y}, {"visible", l.visible}});
        root["ground_truth"] = {{"dataset", s.truth->dataset_root}, {"image", s.truth->image},           {"category", s.truth->category},
                                {"bbox", box_json(s.truth->bbox)},  {"attributes", s.truth->attributes}, {"landmarks", landmarks}};
    } else {
        root["ground_truth"] = nullptr;
    }
    root["ground_truth_note"] = s.truth_note;
    root["messages"] = s.messages;
    root["framebuffer"] = {s.framebuffer_width, s.framebuffer_height};
    return root.dump(2) + "\n";
}

}  // namespace vestis::viewer
