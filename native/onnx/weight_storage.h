// How an exported model stores its weights: fp32 as trained, fp16 halves (Cast to fp32 in the
// graph), or int8 with one scale per output channel (DequantizeLinear in the graph). Every
// runtime computes in fp32; only the file shrinks, and the rounding is the only difference.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vestis::onnx_export {

enum class weight_storage { fp32, fp16, int8 };

const char * storage_name(weight_storage storage);
// "fp32", "fp16" or "int8"; throws std::invalid_argument naming the accepted values.
weight_storage parse_weight_storage(const std::string & text);

// IEEE 754 binary16, round to nearest even; overflow goes to infinity.
std::uint16_t float_to_half(float value);
float half_to_float(std::uint16_t half);

// Symmetric per-channel int8: value ~= q * scale[channel], q in [-127, 127], zero point 0.
struct int8_tensor {
    std::vector<std::int8_t> values;
    std::vector<float> scales;  // one per index along `axis`
};
int8_tensor quantize_per_channel(const std::vector<float> & values, const std::vector<std::int64_t> & dims, int axis);

// What the stored weights become when a runtime expands them: the round trip through the
// storage, so the trainer can measure what a smaller export costs before writing it.
std::vector<float> storage_round_trip(const std::vector<float> & values, const std::vector<std::int64_t> & dims, int axis,
                                      weight_storage storage);

}  // namespace vestis::onnx_export
