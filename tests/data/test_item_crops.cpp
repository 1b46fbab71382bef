// Item boxes beside a tags CSV (item_boxes.csv) and the item crops training takes from them
// (data/photo_sets.h, data/loader.h): the reader, its bad inputs, the crop's geometry, and
// that a cropped example's tags are the items its pixels show.
#include "data/loader.h"
#include "data/photo_sets.h"
#include "fixtures.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace vestis::data;
namespace fs = std::filesystem;
using vestis::box;

namespace {

std::string error_of(const fs::path & csv) {
    try {
        read_photo_set(csv.string());
    } catch (const data_error & e) {
        return e.what();
    }
    return "";
}

// A 100 x 150 photo, blue but for a red 10 x 10 ring at its top-left corner, in a dress that
// fills it; and a second photo with tags but no boxes.
fs::path ring_and_dress_set(const std::string & name) {
    const auto root = vestis::test::fresh_folder(name);
    cv::Mat photo(150, 100, CV_8UC3, cv::Scalar(200, 0, 0));                          // OpenCV's order: B, G, R
    cv::rectangle(photo, cv::Rect(0, 0, 10, 10), cv::Scalar(0, 0, 255), cv::FILLED);  // the red ring
    cv::imwrite((root / "a.png").string(), photo);
    cv::imwrite((root / "b.png").string(), photo);
    vestis::test::write_file(root / "street.csv", "photo,tags,split\na.png,dress ring,train\nb.png,dress,train\n");
    vestis::test::write_file(root / "item_boxes.csv",
                             "photo,tag,x1,y1,x2,y2,pixels\na.png,ring,0,0,10,10,100\na.png,dress,0,0,100,150,14900\n");
    return root;
}

}  // namespace

TEST(item_boxes, are_read_into_the_photos_items) {
    const auto root = ring_and_dress_set("item-boxes");
    const auto index = read_photo_set((root / "street.csv").string());
    ASSERT_EQ(index.attributes.size(), 2u);  // dress, ring
    ASSERT_EQ(index.samples[0].items.size(), 2u);
    EXPECT_EQ(index.attributes[static_cast<std::size_t>(index.samples[0].items[0].attribute)].name, "ring");
    EXPECT_FLOAT_EQ(index.samples[0].items[0].region.x2, 10);
    EXPECT_FLOAT_EQ(index.samples[0].items[1].region.y2, 150);
    EXPECT_TRUE(index.samples[1].items.empty());  // a photo without boxes keeps its tags only
    EXPECT_NE(summarize(index).find("\n  item boxes: 2 on 1 photos\n"), std::string::npos) << summarize(index);
}

TEST(item_boxes, errors_name_the_file_and_line) {
    const auto root = ring_and_dress_set("item-boxes-bad");
    const auto csv = root / "street.csv";
    const auto boxes = root / "item_boxes.csv";
    const std::string head = "photo,tag,x1,y1,x2,y2\n";
    // Each file's contents, and what the error must say.
    const std::pair<std::string, std::string> cases[] = {
        {"photo,tag,x1,y1\n", "item_boxes.csv:1: expected the columns photo,tag,x1,y1,x2,y2"},
        {head + "a.png,ring,0,0,10\n", "item_boxes.csv:2: 5 columns, but the header has 6"},
        {head + "a.png,ring,0,0,10,10\nc.png,ring,0,0,10,10\n", "item_boxes.csv:3: photo 'c.png' is not in the tags CSV"},
        {head + "a.png,ring,0,0,10,10\nb.png,ring,0,0,10,10\n", "item_boxes.csv:3: photo 'b.png' does not show tag 'ring'"},
        {head + "a.png,ring,0,0,10,10\na.png,dress,5,5,5,9\n", "item_boxes.csv:3: the box 5,5,5,9 needs x2 > x1 and y2 > y1"},
        {head + "a.png,ring,0,0,ten,10\n", "item_boxes.csv:2: x2 'ten' is not a number"},
        {head + "a.png,ring,0,0,10,10\n", "item_boxes.csv: photo 'a.png' has item boxes, but none for its tag 'dress'"},
    };
    for (const auto & [contents, expected] : cases) {
        vestis::test::write_file(boxes, contents);
        EXPECT_NE(error_of(csv).find(expected), std::string::npos) << contents;
    }
    // A photo the CSV lists but whose file is missing is skipped there; its boxes are passed over.
    fs::remove(root / "b.png");
    vestis::test::write_file(boxes, head + "a.png,ring,0,0,10,10\na.png,dress,0,0,100,150\nb.png,dress,0,0,100,150\n");
    long long skipped = 0;
    EXPECT_EQ(read_photo_set(csv.string(), &skipped).samples.size(), 1u);
    EXPECT_EQ(skipped, 1);
}

TEST(item_crop, keeps_the_photo_aspect_holds_the_item_and_stays_inside) {
    std::mt19937_64 rng(3);
    const box ring{500, 30, 520, 50};  // near the top-right corner of a 550 x 825 photo
    double smallest = 1, largest = 0;
    for (int i = 0; i < 2000; ++i) {
        const box c = item_crop(ring, 550, 825, 0.35f, rng);
        ASSERT_NEAR(c.width() / c.height(), 550.0 / 825.0, 1e-4);
        ASSERT_GE(c.x1, -1e-3f);
        ASSERT_GE(c.y1, -1e-3f);
        ASSERT_LE(c.x2, 550 + 1e-3f);
        ASSERT_LE(c.y2, 825 + 1e-3f);
        ASSERT_LE(c.x1, ring.x1 + 1e-3f);
        ASSERT_GE(c.x2, ring.x2 - 1e-3f);
        ASSERT_LE(c.y1, ring.y1 + 1e-3f);
        ASSERT_GE(c.y2, ring.y2 - 1e-3f);
        const double side = c.width() / 550;
        ASSERT_GE(side, 0.35 - 1e-4);
        smallest = std::min(smallest, side);
        largest = std::max(largest, side);
    }
    EXPECT_LT(smallest, 0.4);  // the whole range is used
    EXPECT_GT(largest, 0.95);
    // An item wider than 35 % of the photo: the crop holds it with a tenth of it each side.
    const box coat{100, 200, 400, 500};
    for (int i = 0; i < 200; ++i) ASSERT_GE(item_crop(coat, 550, 825, 0.35f, rng).width(), 300 * 1.2f - 1e-3f);
    // An item as large as the photo: the whole photo.
    const box whole = item_crop(box{0, 0, 550, 825}, 550, 825, 0.35f, rng);
    EXPECT_FLOAT_EQ(whole.x1, 0);
    EXPECT_FLOAT_EQ(whole.y2, 825);
}

TEST(tags_inside, are_the_items_with_enough_of_their_box_in_the_crop) {
    const std::vector<item_box> items = {{0, box{0, 0, 10, 10}}, {1, box{5, 0, 15, 10}}, {2, box{8, 0, 18, 10}}, {0, box{50, 50, 60, 60}}};
    // Inside 0..10 x 0..10: the first item wholly, the second half (counted), the third a fifth.
    EXPECT_EQ(tags_inside(items, box{0, 0, 10, 10}, 0.5f, 4), (std::vector<std::uint8_t>{1, 1, 0, 0}));
    EXPECT_EQ(tags_inside(items, box{0, 0, 10, 10}, 0.6f, 4), (std::vector<std::uint8_t>{1, 0, 0, 0}));
    // Tag 0's second box alone is enough for it.
    EXPECT_EQ(tags_inside(items, box{45, 45, 70, 70}, 0.5f, 4), (std::vector<std::uint8_t>{1, 0, 0, 0}));
    EXPECT_EQ(tags_inside(items, box{20, 20, 40, 40}, 0.5f, 4), (std::vector<std::uint8_t>{0, 0, 0, 0}));
}

TEST(load_example, an_item_crop_is_tagged_with_the_items_its_pixels_show) {
    const auto root = ring_and_dress_set("item-crop-load");
    const auto index = read_photo_set((root / "street.csv").string());
    loader_options o;
    o.preprocess.input_width = 64;
    o.preprocess.input_height = 96;
    o.augment.enabled = true;
    o.augment.item_crop_probability = 1;
    o.augment.brightness = o.augment.contrast = o.augment.saturation = 0;
    const int dress = 0, ring = 1;
    int without_dress = 0;
    for (std::uint64_t seed = 0; seed < 60; ++seed) {
        const example ex = load_example(index, 0, o, seed);
        // Every crop holds the ring. Red input pixels (R above B, after normalisation too):
        int red = 0;
        const std::size_t plane = 64 * 96;
        for (std::size_t i = 0; i < plane; ++i) red += ex.image[i] > ex.image[2 * plane + i];
        const double share = static_cast<double>(red) / static_cast<double>(plane);
        ASSERT_EQ(ex.attributes[ring], 1) << seed;
        // Without the dress less than half the photo is in view, so the 100-pixel ring covers
        // more than 100 / 7,500 of it (1/150 in the whole photo); resampling blurs its edge.
        if (!ex.attributes[dress]) {
            ++without_dress;
            EXPECT_GT(share, 0.011) << seed;
        } else {
            EXPECT_GT(share, 0.005) << seed;
        }
    }
    EXPECT_GT(without_dress, 5);
    EXPECT_LT(without_dress, 60);
    // The photo without boxes, and any photo without item crops, keeps all of its tags.
    EXPECT_EQ(load_example(index, 1, o, 7).attributes, (std::vector<std::uint8_t>{1, 0}));
    o.augment.item_crop_probability = 0;
    EXPECT_EQ(load_example(index, 0, o, 7).attributes, (std::vector<std::uint8_t>{1, 1}));
}
