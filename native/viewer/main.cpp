// vestis-viewer: shows what an exported model sees in garment photos (classroom demos).
#include "viewer_options.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

// The checkout the viewer runs from: the working folder when it holds models/manifest.json,
// else the one the executable was built in (build/bin/vestis-viewer).
fs::path find_checkout(const char * argv0) {
    if (fs::exists("models/manifest.json")) return fs::current_path();
    std::error_code ignored;
    const fs::path exe = fs::canonical(argv0, ignored);
    for (fs::path up = exe.parent_path(); !up.empty() && up != up.root_path(); up = up.parent_path()) {
        if (fs::exists(up / "models/manifest.json")) return up;
    }
    return {};
}

// With no --model, the first model of the manifest, as the browser demo opens it; with no
// photos, the demo's example photos. Returns a sentence saying what was chosen, or nothing.
std::string choose_defaults(vestis::viewer::viewer_options & options, const char * argv0) {
    const fs::path checkout = find_checkout(argv0);
    if (checkout.empty()) return "";
    std::string said;
    if (options.model.empty()) {
        std::ifstream in(checkout / "models/manifest.json");
        const nlohmann::json manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
        if (manifest.is_object() && manifest.contains("models") && manifest["models"].is_array() && !manifest["models"].empty() &&
            manifest["models"][0].value("path", "") != "") {
            options.model = (checkout / "models" / manifest["models"][0].value("path", "")).string();
            said += "model " + options.model + " (the first of models/manifest.json; --model chooses another)";
        }
    }
    if (options.inputs.empty() && fs::is_directory(checkout / "web/examples")) {
        options.inputs.push_back((checkout / "web/examples").string());
        said += std::string(said.empty() ? "" : "; ") + "the example photos of " + (checkout / "web/examples").string();
    }
    return said;
}

}  // namespace

int main(int argc, char ** argv) {
    using vestis::viewer::viewer_options;
    viewer_options options;
    std::string size = std::to_string(options.window_width) + "x" + std::to_string(options.window_height);

    CLI::App app{
        "vestis-viewer: tag garment photos with an exported model and show landmarks, heatmaps, attention,\n"
        "categories and attributes; compare two models; check against a data set's ground truth.\n"
        "Keys: Left/Right (or Up/Down) photos, F11 presentation, Esc leave it, Ctrl+S save the view,\n"
        "L landmarks, N names, H heatmap, A attention, G ground truth. Drop photos, folders or a model\n"
        "folder (model.onnx + card.json) on the window.",
        "vestis-viewer"};
    app.add_option("--model", options.model, "Model folder (model.onnx + card.json); default: the first of models/manifest.json");
    app.add_option("--compare", options.compare, "A second model folder, shown side by side");
    app.add_option("PHOTOS", options.inputs, "Photos and folders of photos; default: the demo's examples (web/examples)");
    app.add_option("--size", size, "Window size WIDTHxHEIGHT")->capture_default_str();
    app.add_flag("--present", options.presentation, "Start in presentation mode (full screen, large fonts)");
    app.add_option("--threshold", options.threshold, "Smallest attribute probability shown (default: the model card's, else 0)")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--top-attributes", options.tags_per_type, "Attribute tags shown per type (0: all)")
        ->capture_default_str()
        ->check(CLI::Range(0, 100000));
    app.add_flag("--heatmap", options.heatmap, "Start with the landmark heatmap overlay on");
    app.add_flag("--attention", options.attention, "Start with the attention overlay on");
    app.add_option("--opacity", options.opacity, "Opacity of the heatmap and attention overlays")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    app.add_flag("!--no-landmarks", options.landmarks, "Start with the landmark markers off");
    app.add_flag("!--no-names", options.landmark_names, "Start with the landmark names off");
    app.add_flag("!--no-truth", options.truth, "Start with the ground truth off");
    app.add_flag("!--whole-photo", options.use_dataset_box, "Ignore a data set's garment box (default: crop to it)");
    app.add_option("--save-dir", options.save_dir, "Folder for views saved with Ctrl+S")->capture_default_str();
    app.add_option("--max-fps", options.max_fps, "Frame cap (0: none)")->capture_default_str()->check(CLI::Range(0, 1000));
    app.add_option("--screenshot", options.screenshot, "Test mode: save the window as PNG once the results are shown, then exit");
    app.add_option("--frames", options.frames, "Frames rendered after the results are in, before --screenshot / --dump-state")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_option("--dump-state", options.dump_state,
                   "Test mode: write what is displayed (tags, probabilities, landmarks) as JSON, then exit");
    app.add_flag("--measure", options.measure,
                 "Print frames per second while the model runs and the time from launch to the first result, then exit");
    app.add_option("--measure-seconds", options.measure_seconds, "How long --measure keeps the model running")
        ->capture_default_str()
        ->check(CLI::Range(0.5, 600.0));
    app.add_option("--timeout", options.settle_timeout_seconds, "Test modes: give up waiting for results after this many seconds")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 86400.0));
    CLI11_PARSE(app, argc, argv);

    if (std::sscanf(size.c_str(), "%dx%d", &options.window_width, &options.window_height) != 2 || options.window_width < 200 ||
        options.window_height < 150 || options.window_width > 16384 || options.window_height > 16384) {
        std::fprintf(stderr, "vestis-viewer: --size %s: expected WIDTHxHEIGHT, at least 200x150\n", size.c_str());
        return 2;
    }
    if (const std::string chosen = choose_defaults(options, argv[0]); !chosen.empty())
        std::fprintf(stderr, "vestis-viewer: %s\n", chosen.c_str());
    return vestis::viewer::run_viewer(options);
}
