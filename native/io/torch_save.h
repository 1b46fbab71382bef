// Reads the tensors of a file written by PyTorch's `torch.save` (the zip format, PyTorch
// >= 1.6): a dict or OrderedDict of name -> tensor, which is what a `state_dict` file such as
// torchvision's vgg16-*.pth holds. LibTorch 1.13's own unpickler rejects these files (it
// lacks opcodes and OrderedDict's state), so this is a small, strict reader of its own:
// a zip directory walk, a pickle machine for the opcodes torch.save emits, and the raw
// little-endian storages. Torch-free, so it is quick to build and to test.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace vestis {

struct saved_tensor {
    std::vector<std::int64_t> shape;
    std::vector<float> values;  // row-major; integer and double storages are converted
    std::string storage_type;   // "FloatStorage", "LongStorage", ...
    std::int64_t numel() const;
};

// Throws std::runtime_error naming the file and what is wrong with it.
std::map<std::string, saved_tensor> read_torch_save(const std::string & path);

}  // namespace vestis
