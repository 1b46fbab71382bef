// The ONNX model loader's first step: protobuf parsing, ONNX's checker and shape inference
// (onnx_export::check_model). A signature, or a runtime_error naming the file.
#include "fuzz_support.h"
#include "onnx/graph_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size) {
    try {
        vestis::onnx_export::check_model(std::string(vestis::fuzz::text_of(data, size)), "model.onnx");
    } catch (const std::runtime_error &) {}
    return 0;
}
