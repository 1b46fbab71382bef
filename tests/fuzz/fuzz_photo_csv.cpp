// The photo-set CSV reader: the first part (up to a line of "%%") is the CSV, the second the
// tag kinds file, the third the item boxes file; a.jpg and b.jpg exist beside them. An index or a data_error naming the line.
#include "data/photo_sets.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size) {
    const auto root = vestis::fuzz::scratch_folder() / "photos";
    std::filesystem::remove_all(root);
    vestis::fuzz::write_file(root / "a.jpg", "");
    vestis::fuzz::write_file(root / "b.jpg", "");
    const auto parts = vestis::fuzz::split_parts(data, size);
    vestis::fuzz::write_file(root / "set.csv", parts[0]);
    if (parts.size() > 1) vestis::fuzz::write_file(root / vestis::data::tag_kinds_file, parts[1]);
    if (parts.size() > 2) vestis::fuzz::write_file(root / vestis::data::item_boxes_file, parts[2]);
    try {
        vestis::data::read_photo_set((root / "set.csv").string());
    } catch (const vestis::data::data_error &) {}
    return 0;
}
