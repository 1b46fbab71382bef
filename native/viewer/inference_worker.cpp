#include "inference_worker.h"

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace vestis::viewer {

namespace {

using clock_type = std::chrono::steady_clock;

double milliseconds_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// GL textures have a size limit, and a 50-megapixel photo does not need all its pixels on screen.
void fit_for_display(const runtime::decoded_photo & photo, int max_side, photo_analysis & out) {
    const int longest = std::max(photo.width, photo.height);
    if (longest <= max_side) {
        out.display_rgb = photo.rgb;
        out.display_width = photo.width, out.display_height = photo.height;
        return;
    }
    const double scale = static_cast<double>(max_side) / longest;
    out.display_width = std::max(1, static_cast<int>(photo.width * scale));
    out.display_height = std::max(1, static_cast<int>(photo.height * scale));
    out.display_rgb.resize(static_cast<std::size_t>(out.display_width) * static_cast<std::size_t>(out.display_height) * 3);
    const cv::Mat source(photo.height, photo.width, CV_8UC3, const_cast<std::uint8_t *>(photo.rgb.data()));
    cv::Mat target(out.display_height, out.display_width, CV_8UC3, out.display_rgb.data());
    cv::resize(source, target, target.size(), 0, 0, cv::INTER_AREA);
}

}  // namespace

inference_worker::inference_worker(std::function<void()> wake, int threads)
    : wake_(std::move(wake)), threads_(threads), thread_([this] { run(); }) {}

inference_worker::~inference_worker() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    jobs_ready_.notify_all();
    thread_.join();  // waits for a running inference: at most one photo
}

void inference_worker::load_model(int slot, const std::string & directory) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        // A newer load for the slot makes a waiting one pointless.
        jobs_.erase(std::remove_if(jobs_.begin(), jobs_.end(), [&](const job & j) { return j.is_load && j.slot == slot; }), jobs_.end());
        jobs_.push_back({true, slot, directory, 0, {}, clock_type::now()});
    }
    jobs_ready_.notify_one();
}

long long inference_worker::analyse(const std::string & path, const analysis_settings & settings) {
    long long request = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        jobs_.erase(std::remove_if(jobs_.begin(), jobs_.end(), [](const job & j) { return !j.is_load; }), jobs_.end());
        request = next_request_++;
        jobs_.push_back({false, 0, path, request, settings, clock_type::now()});
    }
    jobs_ready_.notify_one();
    return request;
}

std::vector<worker_event> inference_worker::take_events() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<worker_event> taken;
    taken.swap(events_);
    return taken;
}

bool inference_worker::idle() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return jobs_.empty() && !busy_ && events_.empty();
}

void inference_worker::run() {
    if (threads_ > 0) cv::setNumThreads(threads_);
    for (;;) {
        job next;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            jobs_ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            next = std::move(jobs_.front());
            jobs_.pop_front();
            busy_ = true;
        }
        worker_event done = next.is_load ? worker_event(load(next)) : worker_event(analyse_now(next));
        {
            std::lock_guard<std::mutex> lock(mutex_);
            events_.push_back(std::move(done));
            busy_ = false;
        }
        if (wake_) wake_();
    }
}

model_loaded inference_worker::load(const job & j) {
    const auto start = clock_type::now();
    model_loaded out;
    out.slot = j.slot;
    out.directory = j.path;
    models_[static_cast<std::size_t>(j.slot)].reset();
    if (j.path.empty()) return out;
    try {
        auto model = std::make_unique<runtime::onnx_model>(j.path);
        out.card = model->card();
        models_[static_cast<std::size_t>(j.slot)] = std::move(model);
    } catch (const std::exception & e) {  // model_error, and cv::Exception from the importer
        out.error = e.what();
    }
    out.load_ms = milliseconds_since(start);
    return out;
}

photo_analysis inference_worker::analyse_now(const job & j) {
    photo_analysis out;
    out.request = j.request;
    out.path = j.path;
    const auto start = clock_type::now();
    runtime::decoded_photo photo;
    try {
        photo = runtime::read_photo(j.path, j.settings.max_pixels);
    } catch (const std::exception & e) {
        out.error = e.what();
        out.seconds = milliseconds_since(j.queued) / 1000;
        return out;
    }
    out.warning = photo.warning;
    const double decode_ms = milliseconds_since(start);
    out.width = photo.width, out.height = photo.height;
    fit_for_display(photo, j.settings.max_display_side, out);
    out.truth = datasets_.find(j.path, out.truth_note);

    // The same options as `vestis predict`, except that every attribute is kept: the UI
    // applies the threshold and the tags-per-type itself, with the same shared/ function.
    runtime::predict_options options;
    options.attributes_per_type = 0;
    options.max_pixels = j.settings.max_pixels;
    if (j.settings.use_dataset_box && out.truth && out.truth->bbox) options.bbox = out.truth->bbox;

    for (int slot = 0; slot < slot_count; ++slot) {
        runtime::onnx_model * model = models_[static_cast<std::size_t>(slot)].get();
        if (!model) continue;
        slot_prediction & made = out.models[static_cast<std::size_t>(slot)].emplace();
        const model_card & card = model->card();
        made.model_directory = model->directory();
        made.model_name = card.name;
        made.card = card;
        try {
            runtime::prediction p = runtime::predict_photo(*model, photo, options);
            p.image = j.path;
            p.time.decode_ms = decode_ms;
            if (!p.outputs.attribute_logits.empty()) {
                made.attribute_probabilities = attribute_probabilities(p.outputs.attribute_logits.data(),
                                                                       static_cast<int>(card.attributes.size()), card.outputs.attributes);
            }
            const preprocess_options & pre = card.preprocess;
            const result<input_geometry> geometry = plan_input_geometry(photo.width, photo.height, p.bbox ? &*p.bbox : nullptr,
                                                                        pre.crop_margin, pre.policy, pre.input_width, pre.input_height);
            if (geometry) made.geometry = geometry.value();
            made.prediction = std::move(p);
        } catch (const std::exception & e) {
            made.error = e.what();
        }
    }
    out.seconds = milliseconds_since(j.queued) / 1000;
    return out;
}

}  // namespace vestis::viewer
