// The DeepFashion annotation readers: the input's parts (between lines of "%%") become the
// partition, category, attribute, box and landmark files, in that order; a part left out is a
// file left out. An index or a data_error naming the file and line.
#include "data/dataset.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size) {
    static const char * const files[] = {"Eval/list_eval_partition.txt", "Anno/list_category_cloth.txt", "Anno/list_category_img.txt",
                                         "Anno/list_attr_cloth.txt",     "Anno/list_attr_img.txt",       "Anno/list_bbox.txt",
                                         "Anno/list_landmarks.txt"};
    const auto root = vestis::fuzz::scratch_folder() / "deepfashion";
    std::filesystem::remove_all(root);
    const auto parts = vestis::fuzz::split_parts(data, size);
    for (std::size_t i = 0; i < parts.size() && i < std::size(files); ++i) vestis::fuzz::write_file(root / files[i], parts[i]);
    try {
        vestis::data::read_dataset(root.string());
    } catch (const vestis::data::data_error &) {}
    return 0;
}
