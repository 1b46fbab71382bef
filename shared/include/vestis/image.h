// 8-bit images: a non-owning view with a stride (what a decoder, a canvas or a crop hands
// over) and an owning buffer. Pixels are interleaved, rows top to bottom.
#pragma once

#include "vestis/status.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vestis {

enum class pixel_format : std::uint8_t { gray8, rgb8, rgba8 };

constexpr int channel_count(pixel_format format) { return format == pixel_format::gray8 ? 1 : format == pixel_format::rgb8 ? 3 : 4; }
const char * pixel_format_name(pixel_format format);

// Integer pixel rectangle: columns [x, x + width), rows [y, y + height).
struct pixel_rect {
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;
};

struct image_view {
    const std::uint8_t * data = nullptr;
    int width = 0;
    int height = 0;
    std::ptrdiff_t stride = 0;  // bytes from one row to the next
    pixel_format format = pixel_format::rgb8;

    int channels() const { return channel_count(format); }
    const std::uint8_t * row(int y) const { return data + y * stride; }
    const std::uint8_t * pixel(int x, int y) const { return row(y) + x * channels(); }
    // A view of part of this one; no pixels are copied. `rect` must lie inside.
    image_view region(const pixel_rect & rect) const;
};

// Checks what a caller from outside (JS, a decoder) hands in: non-null, positive size,
// a stride that holds a row.
status validate(const image_view & view);

class image {
public:
    image() = default;
    image(int width, int height, pixel_format format);

    int width() const { return width_; }
    int height() const { return height_; }
    pixel_format format() const { return format_; }
    int channels() const { return channel_count(format_); }
    std::ptrdiff_t stride() const { return static_cast<std::ptrdiff_t>(width_) * channels(); }
    bool empty() const { return pixels_.empty(); }

    std::uint8_t * data() { return pixels_.data(); }
    const std::uint8_t * data() const { return pixels_.data(); }
    std::uint8_t * row(int y) { return pixels_.data() + y * stride(); }
    const std::uint8_t * row(int y) const { return pixels_.data() + y * stride(); }
    std::size_t size_bytes() const { return pixels_.size(); }

    image_view view() const { return {pixels_.data(), width_, height_, stride(), format_}; }

private:
    std::vector<std::uint8_t> pixels_;
    int width_ = 0;
    int height_ = 0;
    pixel_format format_ = pixel_format::rgb8;
};

}  // namespace vestis
