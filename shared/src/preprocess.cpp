#include "vestis/preprocess.h"

#include "vestis/resample.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace vestis {

normalisation imagenet_normalisation() { return {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}}; }

status validate(const preprocess_options & options) {
    constexpr int max_input_side = 4096;
    if (options.input_width <= 0 || options.input_height <= 0 || options.input_width > max_input_side ||
        options.input_height > max_input_side) {
        return status::error("input size " + std::to_string(options.input_width) + "x" + std::to_string(options.input_height) +
                             " is outside 1.." + std::to_string(max_input_side));
    }
    static const char * channel_names[3] = {"red", "green", "blue"};
    for (int c = 0; c < 3; ++c) {
        if (!std::isfinite(options.norm.mean[c])) {
            return status::error(std::string("mean of the ") + channel_names[c] + " channel is not a number");
        }
        if (!std::isfinite(options.norm.std[c]) || options.norm.std[c] <= 0.0f) {
            return status::error(std::string("std of the ") + channel_names[c] + " channel must be positive, got " +
                                 std::to_string(options.norm.std[c]));
        }
    }
    if (!std::isfinite(options.crop_margin) || options.crop_margin < 0.0f || options.crop_margin > 10.0f) {
        return status::error("crop margin " + std::to_string(options.crop_margin) + " is outside [0, 10]");
    }
    return {};
}

result<input_geometry> preprocess(const image_view & photo, const box * crop_box, const preprocess_options & options, float * chw) {
    if (auto s = validate(photo); !s) return s;
    if (auto s = validate(options); !s) return s;
    auto planned = plan_input_geometry(photo.width, photo.height, crop_box, options.crop_margin, options.policy, options.input_width,
                                       options.input_height);
    if (!planned) return planned.error();
    const input_geometry & g = planned.value();

    const std::size_t plane = static_cast<std::size_t>(options.input_width) * options.input_height;
    if (g.content.width != options.input_width || g.content.height != options.input_height) {
        std::fill(chw, chw + 3 * plane, 0.0f);  // letterbox padding: the mean colour
    }
    // (v / 255 - mean) / std folded into one multiply-add per value.
    float gain[3], bias[3];
    for (int c = 0; c < 3; ++c) {
        gain[c] = 1.0f / (255.0f * options.norm.std[c]);
        bias[c] = -options.norm.mean[c] / options.norm.std[c];
    }
    const int channels = photo.channels();
    const int source_of[3] = {0, channels == 1 ? 0 : 1, channels == 1 ? 0 : 2};
    resample_rows(photo.region(g.crop), g.content.width, g.content.height, [&](int y, const float * row) {
        const std::size_t offset = static_cast<std::size_t>(g.content.y + y) * options.input_width + static_cast<std::size_t>(g.content.x);
        for (int c = 0; c < 3; ++c) {
            float * dst = chw + c * plane + offset;
            const float * src = row + source_of[c];
            for (int x = 0; x < g.content.width; ++x) dst[x] = src[x * channels] * gain[c] + bias[c];
        }
    });
    return g;
}

image input_to_rgba(const float * chw, int width, int height, const normalisation & norm) {
    image rgba(width, height, pixel_format::rgba8);
    const std::size_t plane = static_cast<std::size_t>(width) * height;
    for (std::size_t i = 0; i < plane; ++i) {
        std::uint8_t * px = rgba.data() + 4 * i;
        for (int c = 0; c < 3; ++c) {
            const float v = (chw[c * plane + i] * norm.std[c] + norm.mean[c]) * 255.0f;
            px[c] = static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
        }
        px[3] = 255;
    }
    return rgba;
}

}  // namespace vestis
