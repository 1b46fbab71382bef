#include "vestis/image.h"

#include <string>

namespace vestis {

const char * pixel_format_name(pixel_format format) {
    switch (format) {
        case pixel_format::gray8: return "gray8";
        case pixel_format::rgb8: return "rgb8";
        case pixel_format::rgba8: return "rgba8";
    }
    return "unknown";
}

image_view image_view::region(const pixel_rect & rect) const { return {pixel(rect.x, rect.y), rect.width, rect.height, stride, format}; }

status validate(const image_view & view) {
    if (view.data == nullptr) return status::error("image has no pixel data");
    if (view.width <= 0 || view.height <= 0) {
        return status::error("image size " + std::to_string(view.width) + "x" + std::to_string(view.height) + " is empty");
    }
    const std::ptrdiff_t row_bytes = static_cast<std::ptrdiff_t>(view.width) * view.channels();
    if (view.stride < row_bytes) {
        return status::error("image stride " + std::to_string(view.stride) + " bytes is shorter than a " + pixel_format_name(view.format) +
                             " row of " + std::to_string(row_bytes) + " bytes");
    }
    return {};
}

image::image(int width, int height, pixel_format format)
    : pixels_(static_cast<std::size_t>(width > 0 ? width : 0) * (height > 0 ? height : 0) * channel_count(format)),
      width_(width > 0 ? width : 0),
      height_(height > 0 ? height : 0),
      format_(format) {}

}  // namespace vestis
