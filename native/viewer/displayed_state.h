// What the window shows for one photo, derived from the model outputs and the current
// settings. The panes draw exactly these values and --dump-state writes them, so a test of
// the dump is a test of the screen.
#pragma once

#include "ground_truth.h"
#include "inference_worker.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vestis::viewer {

struct display_settings {
    float threshold = 0.0f;  // smallest attribute probability shown
    int tags_per_type = 5;   // 0: all
    bool landmarks = true, landmark_names = true, heatmap = false, attention = false, truth = true;
    float opacity = 0.6f;  // of the heatmap and attention overlays
    bool use_dataset_box = true;
    bool presentation = false;
};

// A rectangle in window pixels.
struct screen_rect {
    float x = 0, y = 0, width = 0, height = 0;
};

struct shown_tag {
    int index = 0;
    std::string name;
    float probability = 0;
    std::optional<bool> truth;  // in the ground truth? (absent: no ground truth)
};

struct shown_attribute_group {
    std::string type;
    std::vector<shown_tag> tags;
    std::vector<std::string> missed;  // ground-truth attributes of this type that are not shown
};

struct shown_landmark {
    std::string name;
    point position;  // photo pixels
    float confidence = 0;
    float second_peak = 0;
    std::array<std::uint8_t, 3> colour{};
    point screen;                // where its marker is drawn (set by the pane)
    std::optional<point> truth;  // the annotated position
    std::optional<float> error;  // normalised, for visible annotated landmarks
};

struct shown_prediction {
    int slot = 0;
    std::string model_name, model_directory;
    std::string error;  // the model failed on this photo
    std::string image;
    int width = 0, height = 0;
    std::optional<box> bbox;
    std::vector<shown_tag> categories;
    std::vector<shown_attribute_group> attributes;
    std::vector<shown_landmark> landmarks;
    runtime::timings time;
    screen_rect image_rect;  // the photo on screen (set by the pane)
};

// The marker colour of landmark k: distinct, saturated, readable on photos.
std::array<std::uint8_t, 3> landmark_colour(int k);

shown_prediction make_shown_prediction(int slot, const slot_prediction & made, const display_settings & settings,
                                       const ground_truth * truth);

// Photo pixel (pixel-centre coordinates) -> window pixel, for a photo drawn in `rect`.
point to_screen(point photo_pixel, const screen_rect & rect, int photo_width, int photo_height);

enum class model_state { none, loading, ready, error };
const char * model_state_name(model_state state);  // as --dump-state writes it

struct model_status {
    std::string directory, name;
    model_state state = model_state::none;
    std::string error;
    bool has_landmarks = false, has_attention = false;  // the overlays its card lists
};

// Everything --dump-state records.
struct screen_snapshot {
    std::string photo;
    int photo_index = -1, photo_count = 0;
    int width = 0, height = 0;
    std::string photo_error;
    std::array<model_status, slot_count> models;
    display_settings settings;
    std::vector<shown_prediction> predictions;
    screen_rect photo_rect;  // the first pane's photo (also when no model is loaded)
    const ground_truth * truth = nullptr;
    std::string truth_note;
    std::vector<std::string> messages;
    int framebuffer_width = 0, framebuffer_height = 0;
};

// The JSON of --dump-state: the layout of `vestis predict --json` per prediction, plus what
// only the viewer has (ground truth, colours, screen positions, messages).
std::string snapshot_json(const screen_snapshot & snapshot);

}  // namespace vestis::viewer
