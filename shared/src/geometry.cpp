#include "vestis/geometry.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace vestis {

const char * crop_policy_name(crop_policy policy) { return policy == crop_policy::stretch ? "stretch" : "letterbox"; }

result<crop_policy> parse_crop_policy(const char * name) {
    if (std::strcmp(name, "stretch") == 0) return crop_policy::stretch;
    if (std::strcmp(name, "letterbox") == 0) return crop_policy::letterbox;
    return status::error(std::string("unknown crop policy '") + name + "' (expected 'stretch' or 'letterbox')");
}

static std::string describe(const box & b) {
    return "(" + std::to_string(b.x1) + ", " + std::to_string(b.y1) + ", " + std::to_string(b.x2) + ", " + std::to_string(b.y2) + ")";
}

result<pixel_rect> crop_rect(int image_width, int image_height, const box & b, float margin) {
    if (!std::isfinite(b.x1) || !std::isfinite(b.y1) || !std::isfinite(b.x2) || !std::isfinite(b.y2)) {
        return status::error("box " + describe(b) + " has a coordinate that is not a number");
    }
    if (!(b.x2 > b.x1) || !(b.y2 > b.y1)) {
        return status::error("box " + describe(b) + " is empty: x2 must exceed x1 and y2 must exceed y1");
    }
    if (!std::isfinite(margin) || margin < 0.0f || margin > 10.0f) {
        return status::error("crop margin " + std::to_string(margin) + " is outside [0, 10]");
    }
    const float grow_x = margin * b.width();
    const float grow_y = margin * b.height();
    const double x1 = std::max(0.0, std::floor(static_cast<double>(b.x1) - grow_x));
    const double y1 = std::max(0.0, std::floor(static_cast<double>(b.y1) - grow_y));
    const double x2 = std::min(static_cast<double>(image_width), std::ceil(static_cast<double>(b.x2) + grow_x));
    const double y2 = std::min(static_cast<double>(image_height), std::ceil(static_cast<double>(b.y2) + grow_y));
    if (x2 <= x1 || y2 <= y1) {
        return status::error("box " + describe(b) + " lies outside the " + std::to_string(image_width) + "x" +
                             std::to_string(image_height) + " image");
    }
    return pixel_rect{static_cast<int>(x1), static_cast<int>(y1), static_cast<int>(x2 - x1), static_cast<int>(y2 - y1)};
}

point input_geometry::to_source(point p) const {
    return {static_cast<float>(crop.x) + (p.x - static_cast<float>(content.x) + 0.5f) * scale_x() - 0.5f,
            static_cast<float>(crop.y) + (p.y - static_cast<float>(content.y) + 0.5f) * scale_y() - 0.5f};
}

point input_geometry::to_input(point p) const {
    return {static_cast<float>(content.x) + (p.x - static_cast<float>(crop.x) + 0.5f) / scale_x() - 0.5f,
            static_cast<float>(content.y) + (p.y - static_cast<float>(crop.y) + 0.5f) / scale_y() - 0.5f};
}

result<input_geometry> plan_input_geometry(int image_width, int image_height, const box * crop_box, float margin, crop_policy policy,
                                           int input_width, int input_height) {
    if (image_width <= 0 || image_height <= 0) {
        return status::error("image size " + std::to_string(image_width) + "x" + std::to_string(image_height) + " is empty");
    }
    if (input_width <= 0 || input_height <= 0) {
        return status::error("network input size " + std::to_string(input_width) + "x" + std::to_string(input_height) + " is empty");
    }
    input_geometry g;
    g.input_width = input_width;
    g.input_height = input_height;
    if (crop_box != nullptr) {
        auto rect = crop_rect(image_width, image_height, *crop_box, margin);
        if (!rect) return rect.error();
        g.crop = rect.value();
    } else {
        g.crop = {0, 0, image_width, image_height};
    }
    g.content = {0, 0, input_width, input_height};
    if (policy == crop_policy::letterbox) {
        // One scale for both axes: the side that fills the input decides it.
        const double scale = std::max(static_cast<double>(g.crop.width) / input_width, static_cast<double>(g.crop.height) / input_height);
        const int w = std::clamp(static_cast<int>(std::lround(g.crop.width / scale)), 1, input_width);
        const int h = std::clamp(static_cast<int>(std::lround(g.crop.height / scale)), 1, input_height);
        g.content = {(input_width - w) / 2, (input_height - h) / 2, w, h};
    }
    return g;
}

point crop_fraction(point f, const pixel_rect & content, int input_width, int input_height) {
    const auto along = [](float fraction, int input_side, int offset, int side) {
        const float pixel = fraction * static_cast<float>(std::max(input_side - 1, 1));
        return (pixel - static_cast<float>(offset)) / static_cast<float>(std::max(side - 1, 1));
    };
    return {along(f.x, input_width, content.x, content.width), along(f.y, input_height, content.y, content.height)};
}

point map_to_input(point p, int map_width, int map_height, int input_width, int input_height) {
    const float sx = static_cast<float>(input_width) / static_cast<float>(map_width);
    const float sy = static_cast<float>(input_height) / static_cast<float>(map_height);
    return {(p.x + 0.5f) * sx - 0.5f, (p.y + 0.5f) * sy - 0.5f};
}

}  // namespace vestis
