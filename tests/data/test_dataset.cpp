#include "data/dataset.h"
#include "fixtures.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <thread>

using namespace vestis;
using namespace vestis::data;
using vestis::test::category_attribute_fixture;
using vestis::test::write_file;

TEST(splits, parse_the_names_they_print_and_refuse_others_by_name) {
    for (const split s : {split::train, split::val, split::test}) EXPECT_EQ(parse_split(split_name(s)), s);
    try {
        parse_split("validation");
        ADD_FAILURE() << "no error";
    } catch (const data_error & e) {
        EXPECT_STREQ(e.what(), "--split: expected train, val or test, got 'validation'");
    }
}

TEST(read_dataset, joins_the_category_and_attribute_benchmark) {
    const auto root = category_attribute_fixture("cap");
    const auto index = read_dataset(root.string());
    ASSERT_EQ(index.samples.size(), 3u);
    EXPECT_EQ(index.landmark_format, "category-attribute");
    EXPECT_TRUE(index.has_attributes && index.has_bbox && index.has_landmarks);
    EXPECT_EQ(index.categories[2].name, "Dress");
    EXPECT_EQ(index.categories[2].type, "full");
    EXPECT_EQ(index.attributes[0].name, "floral print");  // names keep their spaces
    EXPECT_EQ(index.attributes[1].type, "part");

    const sample & blouse = index.samples[0];
    EXPECT_EQ(blouse.category, 0);
    EXPECT_EQ(blouse.part, split::train);
    EXPECT_EQ(blouse.type, clothes_type::upper);
    EXPECT_FLOAT_EQ(blouse.bbox.x2, 90);
    // Upper garments fill collar, sleeve and hem slots (0, 1, 2, 3, 6, 7); waist slots are absent.
    EXPECT_FLOAT_EQ(blouse.landmarks[2].x, 12);
    EXPECT_EQ(blouse.visible[2], visibility::occluded);
    EXPECT_EQ(blouse.visible[4], visibility::absent);
    EXPECT_EQ(blouse.visible[5], visibility::absent);
    EXPECT_EQ(blouse.visible[6], visibility::truncated);
    EXPECT_FLOAT_EQ(blouse.landmarks[7].y, 119);
    // Lower garments fill waist and hem (4, 5, 6, 7).
    const sample & shorts = index.samples[1];
    EXPECT_EQ(shorts.visible[0], visibility::absent);
    EXPECT_FLOAT_EQ(shorts.landmarks[4].x, 10);
    EXPECT_FLOAT_EQ(shorts.landmarks[7].x, 45);
    // Full-body garments fill all eight.
    EXPECT_FLOAT_EQ(index.samples[2].landmarks[3].x, 90);  // right sleeve
    EXPECT_FLOAT_EQ(index.samples[2].landmarks[5].x, 65);  // right waist
    EXPECT_EQ(index.samples[2].part, split::test);
    // 1 is positive; -1 and 0 (unknown) are negative.
    EXPECT_TRUE(index.attribute(0, 0));
    EXPECT_FALSE(index.attribute(0, 2));
    EXPECT_TRUE(index.attribute(1, 2));
    EXPECT_TRUE(index.attribute(2, 1));
}

TEST(read_dataset, reads_the_landmark_detection_format) {
    const auto root = vestis::test::fresh_folder("fld");
    write_file(root / "Eval/list_eval_partition.txt", "2\nimage_name evaluation_status\nimg/a.jpg train\nimg/b.jpg val\n");
    write_file(root / "Anno/list_landmarks.txt",
               "2\nimage_name clothes_type variation_type landmark_visibility_1 landmark_location_x_1 landmark_location_y_1\n"
               "img/a.jpg 2 1 0 11 12 0 21 22 1 31 32 2 41 42\n"
               "img/b.jpg 1 3 0 1 2 0 3 4 0 5 6 0 7 8 0 9 10 0 11 12 0 0 0 0 0 0\n");
    const auto index = read_dataset(root.string());
    EXPECT_EQ(index.landmark_format, "landmark-detection");
    EXPECT_TRUE(index.categories.empty());
    EXPECT_FALSE(index.has_attributes || index.has_bbox);
    EXPECT_EQ(index.samples[0].type, clothes_type::lower);
    EXPECT_FLOAT_EQ(index.samples[0].landmarks[4].x, 11);
    EXPECT_EQ(index.samples[0].visible[7], visibility::truncated);
    EXPECT_FLOAT_EQ(index.samples[1].landmarks[7].x, 11);  // upper: the sixth landmark is right hem; padding follows
    EXPECT_EQ(index.samples[1].category, -1);
}

namespace {

std::string error_reading(const std::filesystem::path & root) {
    try {
        read_dataset(root.string());
    } catch (const data_error & e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(read_dataset, names_file_line_and_expectation_on_bad_input) {
    struct bad_case {
        const char * file;
        const char * text;
        const char * expected;
    };
    const bad_case cases[] = {
        {"Anno/list_bbox.txt", "3\nimage_name x_1 y_1 x_2 y_2\nimg/Blouse/img_1.jpg 10 20 90\n",
         "Anno/list_bbox.txt:3: expected 5 fields (image_name x_1 y_1 x_2 y_2), got 4"},
        {"Anno/list_category_cloth.txt", "4\ncategory_name category_type\nBlouse 1\nShorts 2\nDress 3\n",
         "Anno/list_category_cloth.txt: line 1 declares 4 rows but the file has 3"},
        {"Anno/list_category_img.txt",
         "3\nimage_name category_label\nimg/Blouse/img_1.jpg 1\nimg/Nope/img_9.jpg 2\nimg/Dress/img_3.jpg 3\n",
         "Anno/list_category_img.txt:4: image 'img/Nope/img_9.jpg' is not in Eval/list_eval_partition.txt"},
        {"Anno/list_attr_img.txt",
         "3\nimage_name attribute_labels\nimg/Blouse/img_1.jpg 1 -1\nimg/Shorts/img_2.jpg -1 -1 1\nimg/Dress/img_3.jpg 1 1 -1\n",
         "Anno/list_attr_img.txt:3: expected image_name and 3 attribute labels, got 2 labels"},
        {"Anno/list_attr_img.txt",
         "3\nimage_name attribute_labels\nimg/Blouse/img_1.jpg 1 -1 0\nimg/Shorts/img_2.jpg -1 2 1\nimg/Dress/img_3.jpg 1 1 -1\n",
         "Anno/list_attr_img.txt:4: attribute 2: expected 1, -1 or 0, got '2'"},
        {"Anno/list_landmarks.txt",
         "3\nimage_name clothes_type\nimg/Blouse/img_1.jpg 1 0 30 25 0 70 25 1 12 60 0 88 60 2 30 119 0 70 119\n"
         "img/Shorts/img_2.jpg 2 0 10 8 7 55 8 0 20 66 0 45 66\nimg/Dress/img_3.jpg 3 0 1 1 0 1 1 0 1 1 0 1 1 0 1 1 0 1 1 0 1 1 0 1 1\n",
         "Anno/list_landmarks.txt:4: landmark_visibility_2: expected 0 (visible), 1 (occluded) or 2 (truncated), got 7"},
        {"Anno/list_landmarks.txt",
         "3\nimage_name clothes_type\nimg/Blouse/img_1.jpg 1 0 30 25 0 70 25\n"
         "img/Shorts/img_2.jpg 2 0 10 8 0 55 8 0 20 66 0 45 66\nimg/Dress/img_3.jpg 3 0 1 1 0 1 1 0 1 1 0 1 1 0 1 1 0 1 1 0 1 1 0 1 1\n",
         "Anno/list_landmarks.txt:3: expected 6 landmarks (visibility x y each) for clothes type 1, got 6 values"},
        {"Anno/list_category_img.txt", "2\nimage_name category_label\nimg/Blouse/img_1.jpg 1\nimg/Shorts/img_2.jpg 2\n",
         "Anno/list_category_img.txt: has no row for image 'img/Dress/img_3.jpg' (listed in the partition)"},
        {"Anno/list_category_img.txt",
         "3\nimage_name category_label\nimg/Blouse/img_1.jpg 1\nimg/Shorts/img_2.jpg 9\nimg/Dress/img_3.jpg 3\n",
         "Anno/list_category_img.txt:4: category_label: expected 1..3 (list_category_cloth.txt), got 9"},
        {"Eval/list_eval_partition.txt",
         "3\nimage_name evaluation_status\nimg/Blouse/img_1.jpg train\nimg/Shorts/img_2.jpg training\nimg/Dress/img_3.jpg test\n",
         "Eval/list_eval_partition.txt:4: evaluation_status: expected train, val or test, got 'training'"},
        {"Anno/list_bbox.txt", "three\nimage_name x_1 y_1 x_2 y_2\n",
         "Anno/list_bbox.txt:1: expected the number of rows on line 1, got 'three'"},
    };
    for (const bad_case & c : cases) {
        const auto root = category_attribute_fixture("bad");
        write_file(root / c.file, c.text);
        const std::string message = error_reading(root);
        EXPECT_NE(message.find(c.expected), std::string::npos) << "got:      " << message << "\nexpected: " << c.expected;
    }
}

TEST(read_dataset, takes_files_that_start_with_a_byte_order_mark) {
    const auto root = category_attribute_fixture("bom");
    const auto plain = read_dataset(root.string());
    std::ifstream in(root / "Eval/list_eval_partition.txt", std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    write_file(root / "Eval/list_eval_partition.txt", "\xEF\xBB\xBF" + text);  // as Windows' Notepad saves it
    const auto marked = read_dataset(root.string());
    ASSERT_EQ(marked.samples.size(), plain.samples.size());
    for (std::size_t i = 0; i < plain.samples.size(); ++i) EXPECT_EQ(marked.samples[i].part, plain.samples[i].part);
}

TEST(load_dataset, caches_the_index_and_notices_changed_sources) {
    const auto root = category_attribute_fixture("cache");
    std::string note;
    const auto first = load_dataset(root.string(), &note);
    EXPECT_NE(note.find("cached in"), std::string::npos) << note;
    const auto second = load_dataset(root.string(), &note);
    EXPECT_NE(note.find("read from the cache"), std::string::npos) << note;
    ASSERT_EQ(second.samples.size(), first.samples.size());
    EXPECT_EQ(second.samples[0].image, first.samples[0].image);
    EXPECT_EQ(second.samples[0].visible, first.samples[0].visible);
    EXPECT_FLOAT_EQ(second.samples[2].landmarks[7].x, first.samples[2].landmarks[7].x);
    EXPECT_EQ(second.attribute_bits, first.attribute_bits);
    EXPECT_EQ(second.attributes[0].name, "floral print");
    // A changed source (another size) is read again, not taken from the stale cache.
    write_file(root / "Anno/list_category_cloth.txt", "3\ncategory_name  category_type\nBlouse 1\nShorts 2\nMaxi Dress 3\n");
    const auto third = load_dataset(root.string(), &note);
    EXPECT_NE(note.find("cached in"), std::string::npos) << note;
    EXPECT_EQ(third.categories[2].name, "Maxi Dress");
}

TEST(subset, is_deterministic_for_a_seed_and_stays_in_its_split) {
    dataset_index index;
    for (int i = 0; i < 1000; ++i) {
        sample s;
        s.image = std::to_string(i);
        s.part = i % 10 == 0 ? split::val : split::train;
        index.samples.push_back(s);
    }
    const auto a = subset(index, split::train, 100, 7), b = subset(index, split::train, 100, 7), c = subset(index, split::train, 100, 8);
    EXPECT_EQ(a.size(), 100u);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    for (auto i : a) EXPECT_EQ(index.samples[i].part, split::train);
    EXPECT_EQ(subset(index, split::val, 0, 7).size(), 100u);    // all of them
    EXPECT_EQ(subset(index, split::val, 500, 7).size(), 100u);  // no more than there are
}
