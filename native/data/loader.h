// Samples -> network inputs and targets: OpenCV decodes, the garment box is jittered (when
// training), the photo flipped and colour-jittered (when training), then shared/'s
// preprocess (the one implementation the browser and viewer also run) crops, resizes and
// normalises. Targets: category, attribute bits, landmark positions and heatmaps.
#pragma once

#include "data/dataset.h"
#include "vestis/preprocess.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

namespace vestis::data {

struct augmentation {
    bool enabled = false;  // training only: evaluation never augments
    float flip_probability = 0.5f;
    // Box jitter suits DeepFashion's tight garment boxes; a photo of a garment needs
    // torchvision's RandomResizedCrop: a crop of a random area and aspect inside the box.
    bool random_resized_crop = false;
    float box_scale = 0.1f;               // box jitter: the box's sides scale by up to +-10 %
    float box_shift = 0.05f;              // ... and it moves by up to +-5 % of its size
    float min_crop_area = 0.25f;          // random resized crop: area min_crop_area..1 of the box
    float max_crop_aspect = 4.0f / 3.0f;  // ... and width / height from 1 / this to this
    // Item crops: with this probability a photo with item boxes is cropped to one of its items
    // and some surroundings instead (its tags then those items mostly inside the crop), so
    // that rings and watches are seen at more pixels than the whole photo gives them.
    float item_crop_probability = 0.0f;
    float item_crop_min_side = 0.35f;   // the crop's sides are this fraction of the photo's, or more
    float item_inside_fraction = 0.5f;  // an item is in the crop when this much of its box is
    float brightness = 0.2f;            // colour jitter, each up to +-20 %
    float contrast = 0.2f;
    float saturation = 0.2f;
};

struct loader_options {
    preprocess_options preprocess;  // from the model card: input size, statistics, crop policy
    augmentation augment;
    bool heatmaps = true;         // build target heatmaps (landmark heads only)
    float heatmap_radius = 8.0f;  // R in exp(-0.5 * d / R), d in input pixels
    bool strict = false;          // a missing or corrupt image is fatal instead of skipped
};

struct example {
    std::size_t sample = 0;    // index in dataset_index::samples
    std::vector<float> image;  // 3 x H x W, normalised
    int category = -1;
    std::vector<std::uint8_t> attributes;                // 0/1 per attribute
    std::array<point, landmark_slots> landmarks{};       // input pixels / (W - 1, H - 1)
    pixel_rect content{};                                // where the crop lies in the input (crop_fraction)
    std::array<std::uint8_t, landmark_slots> visible{};  // 1: visible and inside the input
    std::vector<float> heatmaps;                         // landmark_slots x H x W, or empty
    bool flipped = false;
    bool box_clamped = false;  // the annotated box left the image
};

// torchvision's RandomResizedCrop inside `b`: up to ten tries at a random area fraction and a
// log-uniform aspect ratio, else the largest centred crop of an allowed aspect.
box random_resized_crop(const box & b, float min_area, float max_aspect, std::mt19937_64 & rng);

// A crop of the photo's aspect around `item`: its sides a random fraction of the photo's, from
// `min_side` (or what holds the item with a little margin) to 1, placed at random where it
// holds the item.
box item_crop(const box & item, float photo_width, float photo_height, float min_side, std::mt19937_64 & rng);

// 0/1 per attribute: the items of which at least `inside_fraction` of the box lies in `crop`.
std::vector<std::uint8_t> tags_inside(const std::vector<item_box> & items, const box & crop, float inside_fraction, std::size_t attributes);

// Mirrors the landmark slots of a horizontal flip: left and right swap places.
int mirrored_slot(int slot);

// Loads one sample. `random_seed` decides its augmentation, so the result does not depend on
// which thread loads it. Throws data_error when the image is missing or cannot be decoded.
example load_example(const dataset_index & index, std::size_t sample, const loader_options & options, std::uint64_t random_seed);

// exp(-0.5 * d / radius) around (x, y) on a width x height map (pixel centres), added by max.
void draw_heatmap(float * map, int width, int height, float x, float y, float radius);

// Batches of examples in a fixed order, loaded ahead by worker threads. The same seed gives
// the same batches whatever the number of workers. Unreadable images are skipped and
// counted (or fatal with `strict`).
class batch_loader {
public:
    batch_loader(const dataset_index & index, std::vector<std::size_t> samples, loader_options options, int batch_size, int workers,
                 std::uint64_t seed, bool shuffle);
    ~batch_loader();
    batch_loader(const batch_loader &) = delete;
    batch_loader & operator=(const batch_loader &) = delete;

    // The order a shuffled pass takes for this seed: resuming mid-epoch starts part-way into it.
    static std::vector<std::size_t> shuffled(std::vector<std::size_t> samples, std::uint64_t seed);

    // The next batch, or nothing at the end of the pass. Rethrows a worker's fatal error.
    std::optional<std::vector<example>> next();
    std::size_t batches() const { return batch_count_; }
    long long skipped() const { return skipped_; }
    long long boxes_clamped() const { return boxes_clamped_; }
    const std::vector<std::string> & skipped_images() const { return skipped_images_; }

private:
    void work();

    const dataset_index & index_;
    std::vector<std::size_t> order_;
    loader_options options_;
    int batch_size_;
    std::size_t worker_count_;
    std::uint64_t seed_;
    std::size_t batch_count_;
    std::size_t next_to_load_ = 0, next_to_return_ = 0;
    std::map<std::size_t, std::vector<example>> ready_;
    std::string fatal_;
    std::atomic<long long> skipped_{0}, boxes_clamped_{0};
    std::vector<std::string> skipped_images_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace vestis::data
