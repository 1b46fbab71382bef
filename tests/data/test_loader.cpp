#include "data/dataset.h"
#include "data/fmnist.h"
#include "data/loader.h"
#include "data/synth.h"
#include "fixtures.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

using namespace vestis;
using namespace vestis::data;
namespace fs = std::filesystem;

namespace {

// One 100x80 photo with a single landmark pair: left collar at (20, 30), right at (70, 30).
dataset_index one_photo_index(const fs::path & root) {
    cv::Mat photo(80, 100, CV_8UC3, cv::Scalar(10, 200, 30));  // OpenCV's order: B, G, R
    cv::imwrite((root / "photo.png").string(), photo);
    dataset_index index;
    index.root = root.string();
    index.has_landmarks = true;
    sample s;
    s.image = "photo.png";
    s.category = 0;
    s.type = clothes_type::upper;
    s.visible.fill(visibility::absent);
    s.landmarks[0] = {20, 30};
    s.visible[0] = visibility::visible;
    s.landmarks[1] = {70, 30};
    s.visible[1] = visibility::visible;
    index.samples.push_back(s);
    return index;
}

loader_options plain_options(int size) {
    loader_options o;
    o.preprocess.input_width = o.preprocess.input_height = size;
    return o;
}

const fs::path & synthetic_set() {
    static const fs::path root = [] {
        const auto folder = vestis::test::fresh_folder("synth");
        synth_options o;
        o.out = (folder / "set").string();
        o.images = 40;
        o.seed = 11;
        write_synthetic_dataset(o, nullptr);
        return folder / "set";
    }();
    return root;
}

}  // namespace

TEST(draw_heatmap, peaks_at_the_landmark_and_decays_as_exp_of_distance) {
    std::vector<float> map(20 * 10, 0.0f);
    draw_heatmap(map.data(), 20, 10, 7.0f, 4.0f, 8.0f);
    EXPECT_FLOAT_EQ(map[4 * 20 + 7], 1.0f);
    EXPECT_EQ(std::max_element(map.begin(), map.end()) - map.begin(), 4 * 20 + 7);
    EXPECT_NEAR(map[8 * 20 + 10], std::exp(-0.5 * 5.0 / 8.0), 1e-6);  // 3-4-5 away
}

TEST(load_example, maps_landmarks_into_the_input_and_builds_their_heatmaps) {
    const auto root = vestis::test::fresh_folder("loader-plain");
    const auto index = one_photo_index(root);
    const example ex = load_example(index, 0, plain_options(50), 1);  // 100x80 -> 50x50: x / 2, y / 1.6
    const point expected{(20 + 0.5f) / 2 - 0.5f, (30 + 0.5f) / 1.6f - 0.5f};
    EXPECT_NEAR(ex.landmarks[0].x * 49, expected.x, 1e-4);
    EXPECT_NEAR(ex.landmarks[0].y * 49, expected.y, 1e-4);
    EXPECT_EQ(ex.visible[0], 1);
    EXPECT_EQ(ex.visible[4], 0);
    ASSERT_EQ(ex.heatmaps.size(), 8u * 50 * 50);
    const auto peak = std::max_element(ex.heatmaps.begin(), ex.heatmaps.begin() + 2500) - ex.heatmaps.begin();
    EXPECT_EQ(peak % 50, std::lround(expected.x));
    EXPECT_EQ(peak / 50, std::lround(expected.y));
    EXPECT_TRUE(std::all_of(ex.heatmaps.begin() + 4 * 2500, ex.heatmaps.end(), [](float v) { return v == 0.0f; }));
    EXPECT_NEAR(ex.image[0], (30 / 255.0f - 0.485f) / 0.229f, 1e-5);         // red, normalised
    EXPECT_NEAR(ex.image[2 * 2500], (10 / 255.0f - 0.406f) / 0.225f, 1e-5);  // blue
}

TEST(load_example, letterboxed_landmarks_measure_in_the_crop_as_stretched_ones_do) {
    // 100x80 into 50x50: stretch fills the input; letterbox scales by 2 on both axes into a
    // 50x40 band at y = 5. In the crop's frame both give the landmark's place in the photo.
    const auto root = vestis::test::fresh_folder("loader-letterbox");
    const auto index = one_photo_index(root);
    loader_options boxed = plain_options(50);
    boxed.preprocess.policy = crop_policy::letterbox;
    const example stretched = load_example(index, 0, plain_options(50), 1), letterboxed = load_example(index, 0, boxed, 1);
    EXPECT_EQ(letterboxed.content.y, 5);
    EXPECT_EQ(letterboxed.content.height, 40);
    const point a = crop_fraction(stretched.landmarks[1], stretched.content, 50, 50);
    const point b = crop_fraction(letterboxed.landmarks[1], letterboxed.content, 50, 50);
    EXPECT_FLOAT_EQ(a.x, stretched.landmarks[1].x);  // stretch: the identity
    EXPECT_NEAR(b.x, a.x, 1e-3);
    EXPECT_NEAR(b.y, a.y, 1e-3);                                   // (30.5 / 2 - 0.5) / 39 against (30.5 / 1.6 - 0.5) / 49
    EXPECT_GT(std::fabs(letterboxed.landmarks[1].y - a.y), 0.02);  // in input fractions the padding skews y
}

TEST(load_example, flipping_mirrors_the_photo_and_swaps_left_and_right) {
    const auto root = vestis::test::fresh_folder("loader-flip");
    const auto index = one_photo_index(root);
    loader_options o = plain_options(100);
    o.preprocess.input_height = 80;  // same size: input pixels are photo pixels
    o.augment.enabled = true;
    o.augment.flip_probability = 1;
    o.augment.box_scale = o.augment.box_shift = 0;
    o.augment.brightness = o.augment.contrast = o.augment.saturation = 0;
    const example ex = load_example(index, 0, o, 5);
    EXPECT_TRUE(ex.flipped);
    // The left collar at x = 20 becomes the right collar at 99 - 20; the right one the left.
    EXPECT_NEAR(ex.landmarks[1].x * 99, 79, 1e-4);
    EXPECT_NEAR(ex.landmarks[0].x * 99, 29, 1e-4);
    EXPECT_EQ(mirrored_slot(6), 7);
    EXPECT_EQ(mirrored_slot(5), 4);
}

TEST(synthetic_set, round_trips_through_the_reader_and_the_loader) {
    const auto index = read_dataset(synthetic_set().string());
    ASSERT_EQ(index.samples.size(), 40u);
    EXPECT_EQ(index.categories.size(), synth_categories().size());
    EXPECT_EQ(index.attributes.size(), synth_attributes().size());
    int with_landmarks = 0;
    for (std::size_t i = 0; i < index.samples.size(); ++i) {
        const sample & s = index.samples[i];
        EXPECT_EQ(index.categories[s.category].type, clothes_type_name(s.type));
        const cv::Mat image = cv::imread((synthetic_set() / s.image).string());
        ASSERT_FALSE(image.empty()) << s.image;
        for (int k = 0; k < landmark_slots; ++k) {
            if (s.visible[k] != visibility::visible) continue;
            ++with_landmarks;
            // Visible landmarks lie on the drawn garment, so inside its box (rounding allowed).
            EXPECT_GE(s.landmarks[k].x, s.bbox.x1 - 1.5f) << s.image;
            EXPECT_LE(s.landmarks[k].x, s.bbox.x2 + 0.5f) << s.image;
            EXPECT_GE(s.landmarks[k].y, s.bbox.y1 - 1.5f) << s.image;
            EXPECT_LE(s.landmarks[k].y, s.bbox.y2 + 0.5f) << s.image;
        }
        int textures = 0, palettes = 0;
        for (std::size_t a = 0; a < index.attributes.size(); ++a) {
            textures += index.attributes[a].type == "texture" && index.attribute(i, static_cast<int>(a));
            palettes += index.attributes[a].type == "style" && index.attribute(i, static_cast<int>(a));
        }
        EXPECT_EQ(textures, 1) << s.image;  // exactly one texture and one palette per garment
        EXPECT_EQ(palettes, 1) << s.image;
    }
    EXPECT_GT(with_landmarks, 40 * 3);
}

TEST(synthetic_set, is_the_same_for_the_same_seed) {
    const auto folder = vestis::test::fresh_folder("synth-again");
    synth_options o;
    o.out = (folder / "set").string();
    o.images = 40;
    o.seed = 11;
    write_synthetic_dataset(o, nullptr);
    const auto slurp = [](const fs::path & p) {
        std::ifstream in(p);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    for (const char * file : {"Anno/list_landmarks.txt", "Anno/list_attr_img.txt", "Eval/list_eval_partition.txt"}) {
        EXPECT_EQ(slurp(folder / "set" / file), slurp(synthetic_set() / file)) << file;
    }
    o.out = (folder / "other").string();
    vestis::test::write_file(folder / "other/notes.txt", "mine");
    EXPECT_THROW(write_synthetic_dataset(o, nullptr), data_error);  // never writes into someone's folder
    o.force = true;
    EXPECT_THROW(write_synthetic_dataset(o, nullptr), data_error);  // not even when forced
    EXPECT_TRUE(fs::exists(folder / "other/notes.txt"));
}

TEST(synthetic_set, replaces_its_own_set_only_when_forced_and_then_whole) {
    const auto folder = vestis::test::fresh_folder("synth-force");
    synth_options o;
    o.out = (folder / "set").string();
    o.images = 30;
    write_synthetic_dataset(o, nullptr);
    const auto count_images = [&] {
        int n = 0;
        for (const auto & entry : fs::recursive_directory_iterator(folder / "set" / "img")) n += entry.is_regular_file();
        return n;
    };
    ASSERT_EQ(count_images(), 30);
    o.images = 5;
    try {
        write_synthetic_dataset(o, nullptr);
        ADD_FAILURE() << "wrote over the first set";
    } catch (const data_error & e) {
        EXPECT_NE(std::string(e.what()).find("or --force to replace it"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_dataset(o.out).samples.size(), 30u);  // untouched
    o.force = true;
    write_synthetic_dataset(o, nullptr);
    EXPECT_EQ(read_dataset(o.out).samples.size(), 5u);
    EXPECT_EQ(count_images(), 5);  // no image of the old set is left behind
}

TEST(batch_loader, gives_the_same_batches_whatever_the_number_of_workers) {
    const auto index = read_dataset(synthetic_set().string());
    loader_options o = plain_options(64);
    o.augment.enabled = true;
    const auto ids = subset(index, split::train, 0, 1);
    std::vector<std::vector<float>> images[2];
    for (int run = 0; run < 2; ++run) {
        batch_loader loader(index, ids, o, 8, run == 0 ? 1 : 3, 42, /*shuffle=*/true);
        while (auto batch = loader.next()) {
            for (auto & ex : *batch) images[run].push_back(ex.image);
        }
        EXPECT_EQ(loader.skipped(), 0);
    }
    ASSERT_EQ(images[0].size(), ids.size());
    EXPECT_EQ(images[0], images[1]);
}

TEST(batch_loader, skips_and_counts_unreadable_images_or_stops_when_strict) {
    const auto folder = vestis::test::fresh_folder("broken");
    fs::copy(synthetic_set(), folder / "set", fs::copy_options::recursive);
    auto index = read_dataset((folder / "set").string());
    fs::remove(folder / "set" / index.samples[0].image);
    vestis::test::write_file(folder / "set" / index.samples[1].image, "not a jpeg");
    index.samples[2].bbox = {-50, -50, 5000, 5000};  // a box past the edges: clamped and counted
    std::vector<std::size_t> ids = {0, 1, 2, 3, 4};
    loader_options o = plain_options(32);
    {
        batch_loader loader(index, ids, o, 2, 2, 1, false);
        std::size_t loaded = 0;
        while (auto batch = loader.next()) loaded += batch->size();
        EXPECT_EQ(loaded, 3u);
        EXPECT_EQ(loader.skipped(), 2);
        EXPECT_EQ(loader.boxes_clamped(), 1);
        EXPECT_EQ(loader.skipped_images().size(), 2u);
    }
    o.strict = true;
    batch_loader strict(index, ids, o, 2, 2, 1, false);
    try {
        while (strict.next()) {}
        FAIL() << "strict loading went on past a missing image";
    } catch (const data_error & e) {
        EXPECT_NE(std::string(e.what()).find("missing, or not an image OpenCV can decode"), std::string::npos) << e.what();
    }
}

TEST(fashion_mnist, imports_every_image_with_a_balanced_validation_split) {
    const auto folder = vestis::test::fresh_folder("fmnist");
    fmnist_options o;
    o.out = (folder / "fmnist").string();
    import_fashion_mnist(o, nullptr);
    const auto index = read_dataset(o.out);
    ASSERT_EQ(index.samples.size(), 70000u);
    EXPECT_EQ(index.categories.size(), 10u);
    EXPECT_EQ(index.categories[9].name, "Ankle boot");
    EXPECT_FALSE(index.has_attributes || index.has_bbox || index.has_landmarks);
    std::map<split, std::array<int, 10>> counts;
    for (const sample & s : index.samples) ++counts[s.part][s.category];
    for (int c = 0; c < 10; ++c) {
        EXPECT_EQ(counts[split::train][c] + counts[split::val][c], 6000) << index.categories[c].name;
        EXPECT_EQ(counts[split::test][c], 1000) << index.categories[c].name;
        EXPECT_NEAR(counts[split::val][c], 500, 60) << index.categories[c].name;  // every 12th image
    }
    const cv::Mat first = cv::imread(o.out + "/" + index.samples[0].image, cv::IMREAD_UNCHANGED);
    EXPECT_EQ(first.rows, 28);
    EXPECT_EQ(first.cols, 28);
    fs::remove_all(folder);
}
