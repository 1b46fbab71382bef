// What `vestis-viewer` is asked to do: the command line, parsed once in main.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vestis::viewer {

struct viewer_options {
    std::string model;                // model folder (model.onnx + card.json); empty: none yet
    std::string compare;              // a second model, shown side by side
    std::vector<std::string> inputs;  // photos and folders, in order
    int window_width = 1280, window_height = 800;
    bool presentation = false;       // start full screen with large fonts
    std::optional<float> threshold;  // smallest attribute probability shown (absent: the model card's, else 0)
    int tags_per_type = 5;           // attribute tags shown per type (0: all)
    bool landmarks = true, landmark_names = true, heatmap = false, attention = false, truth = true;  // overlays at start
    float opacity = 0.6f;         // of the heatmap and attention overlays
    bool use_dataset_box = true;  // crop to the data set's garment box when the photo has one
    std::string save_dir = ".";   // where "Save view" writes its PNGs
    int max_fps = 60;             // frame cap, so the UI leaves the CPU to inference (0: none)

    // Test and measurement modes: each runs until the photo's results are shown, then exits.
    std::string screenshot;  // save the window as a PNG after `frames` more frames
    std::string dump_state;  // write what is displayed as JSON
    int frames = 5;
    bool measure = false;  // print frames/s while a model runs and launch-to-result time
    double measure_seconds = 5;
    double settle_timeout_seconds = 300;

    bool exits_by_itself() const { return !screenshot.empty() || !dump_state.empty() || measure; }
};

// Opens the window and runs until it is closed (or a test mode is done). Returns the exit code.
int run_viewer(const viewer_options & options);

}  // namespace vestis::viewer
