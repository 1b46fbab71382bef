// Photo sets as people keep them (data/photo_sets.h): class folders with and without split
// folders, CSVs, and the bad inputs each can have. Photos are small PNGs written here.
#include "data/loader.h"
#include "data/photo_sets.h"
#include "fixtures.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <map>

using namespace vestis::data;
namespace fs = std::filesystem;

namespace {

void write_photo(const fs::path & path, int width = 12, int height = 10) {
    fs::create_directories(path.parent_path());
    ASSERT_TRUE(cv::imwrite(path.string(), cv::Mat(height, width, CV_8UC3, cv::Scalar(10, 120, 200))));
}

std::string error_of(const std::string & root) {
    try {
        read_photo_set(root);
    } catch (const data_error & e) {
        return e.what();
    }
    return "";
}

std::map<std::string, int> split_counts(const dataset_index & index) {
    std::map<std::string, int> counts;
    for (const auto & s : index.samples) ++counts[split_name(s.part)];
    return counts;
}

}  // namespace

TEST(photo_sets, class_folders_with_split_folders_keep_their_splits) {
    const auto root = vestis::test::fresh_folder("imagefolder-splits");
    write_photo(root / "train/shirt/a.jpg");
    write_photo(root / "train/shirt/b.PNG");
    write_photo(root / "train/dress/c.png");
    write_photo(root / "validation/dress/d.png");
    write_photo(root / "test/shirt/e.png");
    vestis::test::write_file(root / "train/shirt/notes.txt", "not a photo");
    vestis::test::write_file(root / "train/.DS_Store", "");
    ASSERT_TRUE(is_photo_set(root.string()));
    const auto index = read_photo_set(root.string());
    ASSERT_EQ(index.categories.size(), 2u);
    EXPECT_EQ(index.categories[0].name, "dress");  // sorted, as torchvision's ImageFolder numbers them
    EXPECT_EQ(index.categories[1].name, "shirt");
    ASSERT_EQ(index.samples.size(), 5u);
    EXPECT_EQ(split_counts(index), (std::map<std::string, int>{{"test", 1}, {"train", 3}, {"val", 1}}));
    EXPECT_EQ(index.samples[0].image, "train/dress/c.png");
    EXPECT_EQ(index.samples[0].category, 0);
    EXPECT_EQ(index.samples[0].visible[0], visibility::absent);
    EXPECT_FALSE(index.has_landmarks);
    // The loader takes the photos as they are: the whole photo, resized to the input.
    loader_options options;
    options.preprocess.input_width = options.preprocess.input_height = 8;
    const example ex = load_example(index, 4, options, 1);
    EXPECT_EQ(ex.image.size(), 3u * 8 * 8);
    EXPECT_EQ(ex.category, 1);
}

TEST(photo_sets, class_folders_without_splits_split_by_path_hash) {
    const auto root = vestis::test::fresh_folder("imagefolder-flat");
    for (int i = 0; i < 200; ++i) write_photo(root / (i % 2 ? "hat" : "shoes") / ("p" + std::to_string(i) + ".png"), 4, 4);
    const auto index = read_photo_set(root.string());
    const auto counts = split_counts(index);
    // 200 photos at 10 % each: a binomial spread of about +-4 (one sigma) around 20.
    EXPECT_NEAR(counts.at("val"), 20, 12);
    EXPECT_NEAR(counts.at("test"), 20, 12);
    for (const auto & s : index.samples) EXPECT_EQ(s.part, hashed_split(s.image));  // the same split every time
    EXPECT_EQ(hashed_split("a"), hashed_split("a"));
}

TEST(photo_sets, a_set_without_validation_photos_takes_a_hashed_tenth_of_train) {
    const auto root = vestis::test::fresh_folder("imagefolder-train-test");
    std::string rows = "photo,label,split\n";
    int hashed_val = 0;
    for (int i = 0; i < 100; ++i) {
        const std::string name = (i % 2 ? "hat/p" : "shoes/p") + std::to_string(i) + ".png";
        write_photo(root / "train" / name, 4, 4);
        hashed_val += hashed_split("train/" + name) == split::val;
        rows += "train/" + name + "," + (i % 2 ? "hat" : "shoes") + ",train\n";
    }
    write_photo(root / "test/hat/q.png", 4, 4);
    rows += "test/hat/q.png,hat,test\n";
    ASSERT_GT(hashed_val, 0);  // 100 paths at 10 %: none would be a 1-in-37,000 draw
    const std::map<std::string, int> expected{{"test", 1}, {"train", 100 - hashed_val}, {"val", hashed_val}};
    const auto folders = read_photo_set(root.string());
    EXPECT_EQ(split_counts(folders), expected);
    for (const auto & s : folders.samples) {
        const split expected_part = s.image.rfind("test/", 0) == 0        ? split::test
                                    : hashed_split(s.image) == split::val ? split::val
                                                                          : split::train;
        EXPECT_EQ(s.part, expected_part) << s.image;
    }
    // The same from a split column without val; a set that has validation photos keeps its own.
    vestis::test::write_file(root / "photos.csv", rows);
    EXPECT_EQ(split_counts(read_photo_set((root / "photos.csv").string())), expected);
    write_photo(root / "validation/hat/v.png", 4, 4);
    EXPECT_EQ(split_counts(read_photo_set(root.string())), (std::map<std::string, int>{{"test", 1}, {"train", 100}, {"val", 1}}));
}

TEST(photo_sets, a_test_only_set_takes_its_classes_from_every_split_folder) {
    const auto root = vestis::test::fresh_folder("imagefolder-test-only");
    write_photo(root / "test/shirt/a.png");
    write_photo(root / "val/hat/b.png");
    const auto index = read_photo_set(root.string());
    ASSERT_EQ(index.categories.size(), 2u);
    EXPECT_EQ(index.categories[0].name, "hat");
    EXPECT_EQ(split_counts(index), (std::map<std::string, int>{{"test", 1}, {"val", 1}}));
}

TEST(photo_sets, class_folder_errors_name_the_folder) {
    const auto root = vestis::test::fresh_folder("imagefolder-bad");
    write_photo(root / "train/shirt/a.png");
    fs::create_directories(root / "train/dress");
    EXPECT_NE(error_of(root.string()).find("train/dress: class folder holds no photos"), std::string::npos) << error_of(root.string());
    write_photo(root / "train/dress/b.png");
    write_photo(root / "test/scarf/c.png");
    EXPECT_NE(error_of(root.string()).find("test/scarf: class 'scarf' is not among the training classes"), std::string::npos);
    const auto empty = vestis::test::fresh_folder("imagefolder-empty");
    EXPECT_NE(error_of(empty.string()).find("holds no class folders"), std::string::npos);
}

TEST(photo_sets, csv_with_boxes_splits_and_a_byte_order_mark) {
    const auto root = vestis::test::fresh_folder("photo-csv");
    write_photo(root / "photos/a.png", 20, 10);
    write_photo(root / "photos/b c.png");
    write_photo(root / "photos/d.png");
    vestis::test::write_file(root / "labels.csv",
                             "\xEF\xBB\xBFPhoto,Label,x1,y1,x2,y2,split\r\n"
                             "photos/a.png,skirt,1,2,15,9,train\r\n"
                             "\"photos/b c.png\",\"long, sleeve\",0,0,12,10,validation\r\n"
                             "photos/d.png,skirt,0,0,5,5,test\r\n"
                             "photos/gone.png,skirt,0,0,5,5,test\r\n");
    long long skipped = 0;
    const auto index = read_photo_set((root / "labels.csv").string(), &skipped);
    EXPECT_EQ(skipped, 1);  // the missing photo
    ASSERT_EQ(index.samples.size(), 3u);
    EXPECT_TRUE(index.has_bbox);
    EXPECT_EQ(index.root, root.string());
    EXPECT_EQ(index.samples[1].image, "photos/b c.png");
    EXPECT_EQ(index.categories[1].name, "long, sleeve");
    EXPECT_EQ(index.samples[1].part, split::val);
    EXPECT_FLOAT_EQ(index.samples[0].bbox.x2, 15);
    EXPECT_EQ(split_counts(index), (std::map<std::string, int>{{"test", 1}, {"train", 1}, {"val", 1}}));
}

TEST(photo_sets, csv_errors_name_the_file_and_line) {
    const auto root = vestis::test::fresh_folder("photo-csv-bad");
    write_photo(root / "a.png");
    write_photo(root / "b.png");
    const auto csv = [&](const std::string & text) {
        vestis::test::write_file(root / "set.csv", text);
        return error_of((root / "set.csv").string());
    };
    EXPECT_NE(csv("photo,label\na.png,hat\nb.png\n").find("set.csv:3: 1 columns, but the header has 2"), std::string::npos);
    EXPECT_NE(csv("photo,label\na.png,hat\nb.png,hat\na.png,cap\n").find("set.csv:4: photo 'a.png' is listed twice (first on line 2)"),
              std::string::npos);
    EXPECT_NE(csv("name,label\na.png,hat\n").find("set.csv:1: the header needs a photo column"), std::string::npos);
    EXPECT_NE(csv("photo,label,split\na.png,hat,holdout\n").find("set.csv:2: split 'holdout' is not train"), std::string::npos);
    EXPECT_NE(csv("photo,label,x1,y1\na.png,hat,1,2\n").find("a box needs all four columns"), std::string::npos);
    EXPECT_NE(csv("photo,label,x1,y1,x2,y2\na.png,hat,5,2,3,4\n").find("set.csv:2: the box 5,2,3,4 needs x2 > x1 and y2 > y1"),
              std::string::npos);
    EXPECT_NE(csv("photo,label\n,hat\n").find("set.csv:2: the photo column is empty"), std::string::npos);
    EXPECT_NE(csv("photo,label\na.png,\n").find("set.csv:2: photo 'a.png' has an empty label"), std::string::npos);
    EXPECT_NE(csv("photo,label,x1,y1,x2,y2\na.png,hat,5,two,8,4\n").find("set.csv:2: y1 'two' is not a number"), std::string::npos);
    EXPECT_NE(csv("photo,label\nnothere.png,hat\n").find("lists no photo that exists"), std::string::npos);
}

TEST(photo_sets, a_tags_column_makes_a_multi_label_set_grouped_by_the_kinds_file) {
    const auto root = vestis::test::fresh_folder("photo-tags");
    for (const char * name : {"a.png", "b.png", "c.png", "d.png"}) write_photo(root / "photos" / name);
    vestis::test::write_file(root / "street.csv",
                             "photo,tags,split\n"
                             "photos/a.png,jeans boots bag,train\n"
                             "photos/b.png,\"bag; long coat\",val\n"
                             "photos/c.png,,test\n"                 // shows none of the tags
                             "photos/d.png,boots  boots,train\n");  // a tag given twice counts once
    const auto untyped = read_photo_set((root / "street.csv").string());
    EXPECT_TRUE(untyped.categories.empty());
    ASSERT_TRUE(untyped.has_attributes);
    ASSERT_EQ(untyped.attributes.size(), 4u);  // sorted: bag, boots, jeans, long coat
    EXPECT_EQ(untyped.attributes[3].name, "long coat");
    EXPECT_EQ(untyped.attributes[0].type, "tags");
    EXPECT_EQ(untyped.samples[0].category, -1);
    const auto tagged = [&](const dataset_index & index, std::size_t sample) {
        std::string names;
        for (std::size_t a = 0; a < index.attributes.size(); ++a) {
            if (index.attribute(sample, static_cast<int>(a))) names += index.attributes[a].name + ";";
        }
        return names;
    };
    EXPECT_EQ(tagged(untyped, 0), "bag;boots;jeans;");
    EXPECT_EQ(tagged(untyped, 1), "bag;long coat;");
    EXPECT_EQ(tagged(untyped, 2), "");
    EXPECT_EQ(tagged(untyped, 3), "boots;");

    // Grouped in the order the kinds file names the kinds, by name within a kind; its tags are
    // the set's, a ring that no photo shows included.
    vestis::test::write_file(root / "tag_kinds.csv",
                             "tag,kind\nlong coat,outerwear\njeans,bottoms\nboots,footwear\nring,accessories\nbag,accessories\n");
    const auto typed = read_photo_set((root / "street.csv").string());
    ASSERT_EQ(typed.attributes.size(), 5u);
    EXPECT_EQ(typed.attributes[0].name, "long coat");
    EXPECT_EQ(typed.attributes[0].type, "outerwear");
    EXPECT_EQ(typed.attributes[1].type, "bottoms");
    EXPECT_EQ(typed.attributes[3].name, "bag");
    EXPECT_EQ(typed.attributes[4].name, "ring");
    EXPECT_EQ(typed.attributes[4].type, "accessories");
    EXPECT_EQ(tagged(typed, 1), "long coat;bag;");

    vestis::test::write_file(root / "tag_kinds.csv", "tag,kind\nbag,accessories\nboots,footwear\n");
    EXPECT_NE(error_of((root / "street.csv").string()).find("tag_kinds.csv: gives tag 'jeans' no kind"), std::string::npos);
    vestis::test::write_file(root / "tag_kinds.csv", "tag,kind\nbag,accessories\nbag,footwear\n");
    EXPECT_NE(error_of((root / "street.csv").string()).find("tag_kinds.csv:3: tag 'bag' is given a kind twice"), std::string::npos);
    vestis::test::write_file(root / "tag_kinds.csv", "tag,kind\nbag\n");
    EXPECT_NE(error_of((root / "street.csv").string()).find("tag_kinds.csv:2: expected 'tag,kind'"), std::string::npos);
    fs::remove(root / "tag_kinds.csv");
    vestis::test::write_file(root / "street.csv", "photo,tags\nphotos/a.png,\n");
    EXPECT_NE(error_of((root / "street.csv").string()).find("street.csv: the tags column names no tag"), std::string::npos);
}

TEST(random_resized_crop, stays_inside_the_box_with_the_allowed_area_and_aspect) {
    std::mt19937_64 rng(5);
    const vestis::box b{10, 20, 410, 553};  // 400 x 533, as the garment photos
    double smallest = 1, largest = 0;
    for (int i = 0; i < 2000; ++i) {
        const vestis::box c = random_resized_crop(b, 0.25f, 4.0f / 3.0f, rng);
        ASSERT_GE(c.x1, b.x1 - 1e-3f);
        ASSERT_GE(c.y1, b.y1 - 1e-3f);
        ASSERT_LE(c.x2, b.x2 + 1e-3f);
        ASSERT_LE(c.y2, b.y2 + 1e-3f);
        const double aspect = c.width() / c.height(), area = c.width() * c.height() / (b.width() * b.height());
        ASSERT_GE(aspect, 0.75 - 1e-4);
        ASSERT_LE(aspect, 4.0 / 3.0 + 1e-4);
        ASSERT_GE(area, 0.25 - 1e-4);
        smallest = std::min(smallest, area);
        largest = std::max(largest, area);
    }
    EXPECT_LT(smallest, 0.3);  // the whole range is used
    EXPECT_GT(largest, 0.9);
    // A box too narrow for any allowed aspect: the centred crop at the nearest one (3/4).
    const vestis::box thin = random_resized_crop(vestis::box{0, 0, 10, 100}, 1.0f, 4.0f / 3.0f, rng);
    EXPECT_FLOAT_EQ(thin.width(), 10);
    EXPECT_FLOAT_EQ(thin.height(), 10 / 0.75f);
    EXPECT_FLOAT_EQ(thin.y1, (100 - 10 / 0.75f) / 2);
}
