// The torch.save (zip + pickle) reader behind model.imagenet_weights: tensors, or a
// runtime_error naming the file.
#include "fuzz_support.h"
#include "io/torch_save.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size) {
    const auto file = vestis::fuzz::scratch_folder() / "weights.pth";
    vestis::fuzz::write_file(file, vestis::fuzz::text_of(data, size));
    try {
        vestis::read_torch_save(file.string());
    } catch (const std::runtime_error &) {}
    return 0;
}
