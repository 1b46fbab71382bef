#include "data/loader.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <random>

namespace vestis::data {

int mirrored_slot(int slot) { return slot ^ 1; }  // slots come in (left, right) pairs

void draw_heatmap(float * map, int width, int height, float x, float y, float radius) {
    const float scale = -0.5f / radius;
    for (int row = 0; row < height; ++row) {
        const float dy = static_cast<float>(row) - y;
        float * out = map + static_cast<std::size_t>(row) * width;
        for (int col = 0; col < width; ++col) {
            const float dx = static_cast<float>(col) - x;
            out[col] = std::max(out[col], std::exp(scale * std::sqrt(dx * dx + dy * dy)));
        }
    }
}

namespace {

// Brightness, contrast and saturation, each a factor near 1, on an 8-bit RGB image.
void jitter_colours(cv::Mat & rgb, float brightness, float contrast, float saturation) {
    const cv::Scalar mean = cv::mean(rgb);
    const float grey_mean = static_cast<float>(0.299 * mean[0] + 0.587 * mean[1] + 0.114 * mean[2]);
    for (int y = 0; y < rgb.rows; ++y) {
        std::uint8_t * p = rgb.ptr<std::uint8_t>(y);
        for (int x = 0; x < rgb.cols; ++x, p += 3) {
            float c[3];
            for (int k = 0; k < 3; ++k) c[k] = static_cast<float>(p[k]) * brightness;
            const float grey = 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2];
            for (int k = 0; k < 3; ++k) {
                const float saturated = grey + (c[k] - grey) * saturation;
                const float v = grey_mean * brightness + (saturated - grey_mean * brightness) * contrast;
                p[k] = static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
            }
        }
    }
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64: decorrelates per-sample seeds
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

box random_resized_crop(const box & b, float min_area, float max_aspect, std::mt19937_64 & rng) {
    const float width = b.width(), height = b.height(), area = width * height;
    std::uniform_real_distribution<float> area_fraction(min_area, 1.0f);
    std::uniform_real_distribution<float> log_aspect(-std::log(max_aspect), std::log(max_aspect));
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    for (int attempt = 0; attempt < 10; ++attempt) {
        const float target = area * area_fraction(rng), aspect = std::exp(log_aspect(rng));
        const float w = std::sqrt(target * aspect), h = std::sqrt(target / aspect);
        if (w <= width && h <= height && w >= 1 && h >= 1) {
            const float x = b.x1 + (width - w) * unit(rng), y = b.y1 + (height - h) * unit(rng);
            return {x, y, x + w, y + h};
        }
    }
    // Fallback: the whole box when its aspect is allowed, else its centre at the nearest one.
    const float aspect = std::clamp(width / height, 1.0f / max_aspect, max_aspect);
    const float w = std::min(width, height * aspect), h = std::min(height, width / aspect);
    const float x = b.x1 + (width - w) / 2, y = b.y1 + (height - h) / 2;
    return {x, y, x + w, y + h};
}

box item_crop(const box & item, float photo_width, float photo_height, float min_side, std::mt19937_64 & rng) {
    constexpr float margin = 1.2f;  // the item's box and a tenth of it each side, at the least
    const float needed = std::max(item.width() / photo_width, item.height() / photo_height) * margin;
    const float smallest = std::min(1.0f, std::max(min_side, needed));
    const float side = std::uniform_real_distribution<float>(smallest, 1.0f)(rng);
    const float w = side * photo_width, h = side * photo_height;
    // Where the crop's corner may go: holding the item, inside the photo (the item when it cannot).
    const auto place = [&](float low_edge, float high_edge, float length, float photo) {
        const float lo = std::clamp(high_edge - length, 0.0f, photo - length), hi = std::clamp(low_edge, 0.0f, photo - length);
        return std::uniform_real_distribution<float>(0.0f, 1.0f)(rng) * (std::max(lo, hi) - std::min(lo, hi)) + std::min(lo, hi);
    };
    const float x = place(item.x1, item.x2, w, photo_width), y = place(item.y1, item.y2, h, photo_height);
    return {x, y, x + w, y + h};
}

std::vector<std::uint8_t> tags_inside(const std::vector<item_box> & items, const box & crop, float inside_fraction,
                                      std::size_t attributes) {
    std::vector<std::uint8_t> tags(attributes, 0);
    for (const item_box & item : items) {
        const float w = std::min(item.region.x2, crop.x2) - std::max(item.region.x1, crop.x1);
        const float h = std::min(item.region.y2, crop.y2) - std::max(item.region.y1, crop.y1);
        const float inside = std::max(w, 0.0f) * std::max(h, 0.0f);
        if (inside >= inside_fraction * item.region.width() * item.region.height()) tags[static_cast<std::size_t>(item.attribute)] = 1;
    }
    return tags;
}

example load_example(const dataset_index & index, std::size_t sample_index, const loader_options & options, std::uint64_t random_seed) {
    // Unreadable images are reported by Vestis, by name and count: OpenCV need not warn too.
    static const bool quiet = [] {
        cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
        return true;
    }();
    (void)quiet;
    const sample & s = index.samples[sample_index];
    const std::string path = (std::filesystem::path(index.root) / s.image).string();
    cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
    if (bgr.empty()) throw data_error(path + ": missing, or not an image OpenCV can decode");
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    const float width = static_cast<float>(rgb.cols), height = static_cast<float>(rgb.rows);

    example ex;
    ex.sample = sample_index;
    ex.category = s.category;
    std::mt19937_64 rng(random_seed);
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
    const augmentation & aug = options.augment;

    box b = s.has_bbox ? s.bbox : box{0, 0, width, height};
    const box clamped{std::max(b.x1, 0.0f), std::max(b.y1, 0.0f), std::min(b.x2, width), std::min(b.y2, height)};
    ex.box_clamped = clamped.x1 != b.x1 || clamped.y1 != b.y1 || clamped.x2 != b.x2 || clamped.y2 != b.y2;
    b = clamped;
    if (!(b.x2 > b.x1 && b.y2 > b.y1)) b = {0, 0, width, height};  // nothing of it inside: use the photo
    std::array<point, landmark_slots> landmarks = s.landmarks;
    std::array<visibility, landmark_slots> visible = s.visible;

    std::optional<box> item_region;  // the item crop, when this example is one
    if (aug.enabled && aug.item_crop_probability > 0 && !s.items.empty() &&
        std::uniform_real_distribution<float>(0.0f, 1.0f)(rng) < aug.item_crop_probability) {
        const item_box & item = s.items[std::uniform_int_distribution<std::size_t>(0, s.items.size() - 1)(rng)];
        item_region = item_crop(item.region, width, height, aug.item_crop_min_side, rng);
        b = *item_region;
    } else if (aug.enabled && aug.random_resized_crop) {
        b = random_resized_crop(b, aug.min_crop_area, aug.max_crop_aspect, rng);
    } else if (aug.enabled) {
        const float sx = 1.0f + aug.box_scale * unit(rng), sy = 1.0f + aug.box_scale * unit(rng);
        const float cx = (b.x1 + b.x2) / 2 + aug.box_shift * b.width() * unit(rng);
        const float cy = (b.y1 + b.y2) / 2 + aug.box_shift * b.height() * unit(rng);
        const float hw = b.width() * sx / 2, hh = b.height() * sy / 2;
        const box jittered{std::max(cx - hw, 0.0f), std::max(cy - hh, 0.0f), std::min(cx + hw, width), std::min(cy + hh, height)};
        if (jittered.x2 - jittered.x1 >= 2 && jittered.y2 - jittered.y1 >= 2) b = jittered;
    }
    if (aug.enabled) {
        if ((unit(rng) + 1) / 2 < aug.flip_probability) {
            ex.flipped = true;
            cv::flip(rgb, rgb, 1);
            b = {width - b.x2, b.y1, width - b.x1, b.y2};  // edges mirror around the width
            std::array<point, landmark_slots> l = landmarks;
            std::array<visibility, landmark_slots> v = visible;
            for (int k = 0; k < landmark_slots; ++k) {  // pixel centres mirror around width - 1
                landmarks[mirrored_slot(k)] = {width - 1 - l[k].x, l[k].y};
                visible[mirrored_slot(k)] = v[k];
            }
        }
        jitter_colours(rgb, 1 + aug.brightness * unit(rng), 1 + aug.contrast * unit(rng), 1 + aug.saturation * unit(rng));
    }

    const int w = options.preprocess.input_width, h = options.preprocess.input_height;
    ex.image.resize(3 * static_cast<std::size_t>(w) * h);
    const image_view view{rgb.data, rgb.cols, rgb.rows, static_cast<std::ptrdiff_t>(rgb.step), pixel_format::rgb8};
    const auto geometry = preprocess(view, &b, options.preprocess, ex.image.data());
    if (!geometry) throw data_error(path + ": " + geometry.error().message());
    ex.content = geometry.value().content;

    if (options.heatmaps && index.has_landmarks) ex.heatmaps.assign(static_cast<std::size_t>(landmark_slots) * w * h, 0.0f);
    for (int k = 0; k < landmark_slots; ++k) {
        if (visible[k] == visibility::absent) continue;
        const point p = geometry.value().to_input(landmarks[k]);
        ex.landmarks[k] = {p.x / static_cast<float>(w - 1), p.y / static_cast<float>(h - 1)};
        const bool inside = p.x >= 0 && p.y >= 0 && p.x <= static_cast<float>(w - 1) && p.y <= static_cast<float>(h - 1);
        ex.visible[k] = visible[k] == visibility::visible && inside;
        if (ex.visible[k] && !ex.heatmaps.empty()) {
            draw_heatmap(ex.heatmaps.data() + static_cast<std::size_t>(k) * w * h, w, h, p.x, p.y, options.heatmap_radius);
        }
    }
    if (item_region) {
        ex.attributes = tags_inside(s.items, *item_region, aug.item_inside_fraction, index.attributes.size());
    } else if (index.has_attributes) {
        ex.attributes.resize(index.attributes.size());
        for (std::size_t a = 0; a < index.attributes.size(); ++a) ex.attributes[a] = index.attribute(sample_index, static_cast<int>(a));
    }
    return ex;
}

batch_loader::batch_loader(const dataset_index & index, std::vector<std::size_t> samples, loader_options options, int batch_size,
                           int workers, std::uint64_t seed, bool shuffle)
    : index_(index),
      order_(std::move(samples)),
      options_(std::move(options)),
      batch_size_(std::max(1, batch_size)),
      worker_count_(static_cast<std::size_t>(std::max(1, workers))),
      seed_(seed) {
    if (shuffle) order_ = shuffled(std::move(order_), seed);
    batch_count_ = (order_.size() + static_cast<std::size_t>(batch_size_) - 1) / static_cast<std::size_t>(batch_size_);
    for (std::size_t i = 0; i < worker_count_; ++i) workers_.emplace_back([this] { work(); });
}

std::vector<std::size_t> batch_loader::shuffled(std::vector<std::size_t> samples, std::uint64_t seed) {
    std::mt19937_64 rng(mix(seed));
    std::shuffle(samples.begin(), samples.end(), rng);
    return samples;
}

batch_loader::~batch_loader() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    for (auto & t : workers_) t.join();
}

void batch_loader::work() {
    const std::size_t ahead = 2 * worker_count_ + 2;  // batches loaded before they are asked for
    while (true) {
        std::size_t k;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait(lock, [&] { return stopping_ || next_to_load_ >= batch_count_ || next_to_load_ < next_to_return_ + ahead; });
            if (stopping_ || next_to_load_ >= batch_count_ || !fatal_.empty()) return;
            k = next_to_load_++;
        }
        std::vector<example> batch;
        const std::size_t begin = k * static_cast<std::size_t>(batch_size_);
        const std::size_t end = std::min(order_.size(), begin + static_cast<std::size_t>(batch_size_));
        for (std::size_t i = begin; i < end; ++i) {
            try {
                example ex = load_example(index_, order_[i], options_, mix(seed_ ^ mix(order_[i])));
                if (ex.box_clamped) ++boxes_clamped_;
                batch.push_back(std::move(ex));
            } catch (const data_error & e) {
                std::lock_guard<std::mutex> lock(mutex_);
                if (options_.strict) {
                    fatal_ = e.what();
                    changed_.notify_all();
                    return;
                }
                ++skipped_;
                skipped_images_.push_back(index_.samples[order_[i]].image);
            }
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ready_[k] = std::move(batch);
        }
        changed_.notify_all();
    }
}

std::optional<std::vector<example>> batch_loader::next() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (next_to_return_ >= batch_count_) return std::nullopt;
    changed_.wait(lock, [&] { return !fatal_.empty() || ready_.count(next_to_return_) > 0; });
    if (!fatal_.empty()) throw data_error(fatal_);
    std::vector<example> batch = std::move(ready_[next_to_return_]);
    ready_.erase(next_to_return_++);
    lock.unlock();
    changed_.notify_all();
    return batch;
}

}  // namespace vestis::data
