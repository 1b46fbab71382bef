// Model loading and inference off the UI thread: one worker thread and a small job queue.
// The UI asks (load a model, analyse a photo) and each frame takes what is done, so the
// window keeps drawing while OpenCV DNN runs. Only the newest photo request is kept waiting:
// stepping quickly through a folder does not queue up stale work.
#pragma once

#include "ground_truth.h"
#include "runtime/predict.h"

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace vestis::viewer {

// Slot 0 is the main model, slot 1 the one compared with it.
constexpr int slot_count = 2;

struct model_loaded {
    int slot = 0;
    std::string directory;           // empty: the slot was emptied
    std::optional<model_card> card;  // absent when loading failed
    std::string error;
    double load_ms = 0;
};

struct slot_prediction {
    std::string model_directory, model_name;
    model_card card;                                // the model's own card: names and heads of this result
    std::optional<runtime::prediction> prediction;  // absent when the model failed on this photo
    std::string error;
    std::vector<float> attribute_probabilities;  // every attribute: the threshold moves without rerunning
    input_geometry geometry;                     // where the heatmaps lie on the photo
};

struct photo_analysis {
    long long request = 0;
    std::string path;
    std::string error;                      // the photo could not be read
    std::string warning;                    // ... or was, but looks damaged (a JPEG cut short)
    int width = 0, height = 0;              // as decoded (EXIF orientation applied)
    std::vector<std::uint8_t> display_rgb;  // the photo for the screen, downscaled when huge
    int display_width = 0, display_height = 0;
    std::array<std::optional<slot_prediction>, slot_count> models;  // one per loaded model
    std::optional<ground_truth> truth;
    std::string truth_note;
    double seconds = 0;  // from the request to the result
};

using worker_event = std::variant<model_loaded, photo_analysis>;

struct analysis_settings {
    bool use_dataset_box = true;  // crop to the garment box of a data set photo
    int max_display_side = 4096;  // larger photos are downscaled for the texture only
    long long max_pixels = 100'000'000;
};

class inference_worker {
public:
    // `wake` is called from the worker when an event is ready (glfwPostEmptyEvent).
    // `threads` for OpenCV DNN; 0 leaves OpenCV's default (every core).
    inference_worker(std::function<void()> wake, int threads);
    ~inference_worker();
    inference_worker(const inference_worker &) = delete;
    inference_worker & operator=(const inference_worker &) = delete;

    // An empty directory empties the slot. Photos analysed after this call use the new model.
    void load_model(int slot, const std::string & directory);
    // Replaces any photo request still waiting. Returns the request number.
    long long analyse(const std::string & path, const analysis_settings & settings);

    std::vector<worker_event> take_events();
    // Nothing waiting, nothing running, nothing left to take.
    bool idle() const;

private:
    struct job {
        bool is_load = false;
        int slot = 0;
        std::string path;  // model folder or photo
        long long request = 0;
        analysis_settings settings;
        std::chrono::steady_clock::time_point queued;
    };
    void run();
    model_loaded load(const job & j);
    photo_analysis analyse_now(const job & j);

    std::function<void()> wake_;
    int threads_ = 0;
    mutable std::mutex mutex_;
    std::condition_variable jobs_ready_;
    std::deque<job> jobs_;
    std::vector<worker_event> events_;
    bool busy_ = false, stopping_ = false;
    long long next_request_ = 1;

    // Touched by the worker thread only.
    std::array<std::unique_ptr<runtime::onnx_model>, slot_count> models_;
    dataset_lookup datasets_;

    std::thread thread_;  // last: starts after everything above exists
};

}  // namespace vestis::viewer
