// Small hand-written DeepFashion-format data sets for the data tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

namespace vestis::test {

inline void write_file(const std::filesystem::path & path, const std::string & text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

// Folders the tests made, removed when the test process ends.
inline void remove_at_exit(const std::filesystem::path & folder) {
    static std::vector<std::filesystem::path> folders;
    static const bool registered = [] {
        std::atexit([] {
            std::error_code ignored;
            for (const auto & f : folders) std::filesystem::remove_all(f, ignored);
        });
        return true;
    }();
    (void)registered;
    folders.push_back(folder);
}

// A fresh folder under the test temp dir.
inline std::filesystem::path fresh_folder(const std::string & name) {
    // The process id keeps tests that ctest runs side by side out of each other's folders.
    const auto folder = std::filesystem::temp_directory_path() / ("vestis-test-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    remove_at_exit(folder);
    return folder;
}

// Three images, one of each clothes type, in the Category and Attribute Prediction format.
inline std::filesystem::path category_attribute_fixture(const std::string & name) {
    const auto root = fresh_folder(name);
    write_file(root / "Eval/list_eval_partition.txt",
               "3\nimage_name  evaluation_status\n"
               "img/Blouse/img_1.jpg   train\nimg/Shorts/img_2.jpg train\nimg/Dress/img_3.jpg      test\n");
    write_file(root / "Anno/list_category_cloth.txt", "3\ncategory_name  category_type\nBlouse 1\nShorts 2\nDress 3\n");
    write_file(root / "Anno/list_category_img.txt",
               "3\nimage_name  category_label\nimg/Blouse/img_1.jpg 1\nimg/Shorts/img_2.jpg 2\nimg/Dress/img_3.jpg 3\n");
    write_file(root / "Anno/list_attr_cloth.txt", "3\nattribute_name  attribute_type\nfloral print      1\nbutton down 4\nboho    5\n");
    write_file(root / "Anno/list_attr_img.txt",
               "3\nimage_name  attribute_labels\nimg/Blouse/img_1.jpg 1 -1 0\nimg/Shorts/img_2.jpg -1 -1 1\nimg/Dress/img_3.jpg 1  1 -1\n");
    write_file(root / "Anno/list_bbox.txt",
               "3\nimage_name  x_1  y_1  x_2  y_2\nimg/Blouse/img_1.jpg 10 20 90 120\nimg/Shorts/img_2.jpg 5 5 60 70\nimg/Dress/img_3.jpg "
               "0 0 100 200\n");
    write_file(root / "Anno/list_landmarks.txt",
               "3\nimage_name  clothes_type  landmark_visibility_1  landmark_location_x_1  landmark_location_y_1\n"
               "img/Blouse/img_1.jpg 1 0 30 25 0 70 25 1 12 60 0 88 60 2 30 119 0 70 119\n"
               "img/Shorts/img_2.jpg 2 0 10 8 0 55 8 0 20 66 0 45 66\n"
               "img/Dress/img_3.jpg 3 0 40 5 0 60 5 0 10 50 0 90 50 0 35 90 0 65 90 0 20 190 0 80 190\n");
    return root;
}

}  // namespace vestis::test
