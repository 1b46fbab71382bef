#include "onnx/weight_storage.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace vestis::onnx_export {

const char * storage_name(weight_storage storage) {
    switch (storage) {
        case weight_storage::fp32: return "fp32";
        case weight_storage::fp16: return "fp16";
        case weight_storage::int8: return "int8";
    }
    return "?";
}

weight_storage parse_weight_storage(const std::string & text) {
    if (text == "fp32") return weight_storage::fp32;
    if (text == "fp16") return weight_storage::fp16;
    if (text == "int8") return weight_storage::int8;
    throw std::invalid_argument("weights: expected fp32, fp16 or int8, got '" + text + "'");
}

std::uint16_t float_to_half(float value) {
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    const std::uint32_t sign = (bits >> 16) & 0x8000u;
    const std::uint32_t magnitude = bits & 0x7fffffffu;
    if (magnitude >= 0x7f800000u) {  // infinity or NaN (keep NaN quiet and non-zero)
        return static_cast<std::uint16_t>(sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x200u : 0u));
    }
    if (magnitude >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504
    if (magnitude < 0x38800000u) {
        // Subnormal half (or zero): scale into units of 2^-24 and round to nearest even.
        const float scaled_value = std::fabs(value) * 16777216.0f;  // exact: a power-of-two scale
        const float rounded = std::nearbyint(scaled_value);         // default mode: to nearest even
        return static_cast<std::uint16_t>(sign | static_cast<std::uint32_t>(rounded));
    }
    // Normal: rebias the exponent, round the 23-bit mantissa to 10 bits, to nearest even.
    const std::uint32_t rebased = magnitude - ((127u - 15u) << 23);
    const std::uint32_t round_bit = 0x1000u, sticky = 0xfffu;
    std::uint32_t half = rebased >> 13;
    if ((rebased & round_bit) && ((rebased & sticky) || (half & 1u))) ++half;  // a carry may bump the exponent: correct
    return static_cast<std::uint16_t>(sign | half);
}

float half_to_float(std::uint16_t half) {
    const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
    const std::uint32_t exponent = (half >> 10) & 0x1fu, mantissa = half & 0x3ffu;
    if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
        const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
        return sign ? -magnitude : magnitude;
    }
    std::uint32_t bits;
    if (exponent == 31) bits = sign | 0x7f800000u | (mantissa << 13);
    else bits = sign | ((exponent + 127u - 15u) << 23) | (mantissa << 13);
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

namespace {

// The tensor seen as [outer, channels, inner] around `axis`.
struct channel_layout {
    std::int64_t outer = 1, channels = 1, inner = 1;
};

channel_layout layout_of(const std::vector<std::int64_t> & dims, int axis) {
    if (axis < 0 || axis >= static_cast<int>(dims.size())) {
        throw std::invalid_argument("quantize_per_channel: axis " + std::to_string(axis) + " outside a " + std::to_string(dims.size()) +
                                    "-d tensor");
    }
    channel_layout l;
    for (int d = 0; d < static_cast<int>(dims.size()); ++d) {
        if (d < axis) l.outer *= dims[static_cast<std::size_t>(d)];
        else if (d == axis) l.channels = dims[static_cast<std::size_t>(d)];
        else l.inner *= dims[static_cast<std::size_t>(d)];
    }
    return l;
}

}  // namespace

int8_tensor quantize_per_channel(const std::vector<float> & values, const std::vector<std::int64_t> & dims, int axis) {
    const channel_layout l = layout_of(dims, axis);
    if (static_cast<std::int64_t>(values.size()) != l.outer * l.channels * l.inner) {
        throw std::invalid_argument("quantize_per_channel: " + std::to_string(values.size()) + " values do not fill the shape");
    }
    int8_tensor q;
    q.scales.assign(static_cast<std::size_t>(l.channels), 0.0f);
    for (std::int64_t o = 0; o < l.outer; ++o) {
        for (std::int64_t c = 0; c < l.channels; ++c) {
            const float * row = values.data() + (o * l.channels + c) * l.inner;
            for (std::int64_t i = 0; i < l.inner; ++i) {
                q.scales[static_cast<std::size_t>(c)] = std::max(q.scales[static_cast<std::size_t>(c)], std::fabs(row[i]));
            }
        }
    }
    for (float & scale : q.scales) scale = scale > 0.0f ? scale / 127.0f : 1.0f;  // an all-zero channel stays zero
    q.values.resize(values.size());
    for (std::int64_t o = 0; o < l.outer; ++o) {
        for (std::int64_t c = 0; c < l.channels; ++c) {
            const std::size_t start = static_cast<std::size_t>((o * l.channels + c) * l.inner);
            const float scale = q.scales[static_cast<std::size_t>(c)];
            for (std::int64_t i = 0; i < l.inner; ++i) {
                // ONNX's QuantizeLinear rounds half to even; so does nearbyint in the default mode.
                const float level = std::nearbyint(values[start + static_cast<std::size_t>(i)] / scale);
                q.values[start + static_cast<std::size_t>(i)] = static_cast<std::int8_t>(std::clamp(level, -127.0f, 127.0f));
            }
        }
    }
    return q;
}

std::vector<float> storage_round_trip(const std::vector<float> & values, const std::vector<std::int64_t> & dims, int axis,
                                      weight_storage storage) {
    std::vector<float> out(values.size());
    if (storage == weight_storage::fp32) return values;
    if (storage == weight_storage::fp16) {
        std::transform(values.begin(), values.end(), out.begin(), [](float v) { return half_to_float(float_to_half(v)); });
        return out;
    }
    const int8_tensor q = quantize_per_channel(values, dims, axis);
    const channel_layout l = layout_of(dims, axis);
    for (std::size_t k = 0; k < values.size(); ++k) {
        const std::int64_t channel = (static_cast<std::int64_t>(k) / l.inner) % l.channels;
        out[k] = static_cast<float>(q.values[k]) * q.scales[static_cast<std::size_t>(channel)];
    }
    return out;
}

}  // namespace vestis::onnx_export
