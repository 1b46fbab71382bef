// What `vestis predict` does with a photo file before the network: the header's size check,
// the cut-short JPEG check and OpenCV's decoders. A photo, or an image_error naming the file.
#include "fuzz_support.h"
#include "runtime/predict.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size) {
    const auto file = vestis::fuzz::scratch_folder() / "photo.jpg";
    vestis::fuzz::write_file(file, vestis::fuzz::text_of(data, size));
    try {
        vestis::runtime::read_photo(file.string(), 4'000'000);  // 4 megapixels: the fuzzer's memory, not a user's
    } catch (const vestis::runtime::image_error &) {}
    return 0;
}
