#include "vestis/overlay.h"

#include <algorithm>
#include <cmath>

namespace vestis {

std::array<std::uint8_t, 3> viridis(float t) {
    // Degree-6 polynomial fit of matplotlib's viridis (Matt Zucker, CC0): small, no table.
    static const double c[7][3] = {
        {0.2777273272234177, 0.005407344544966578, 0.3340998053353061}, {0.1050930431085774, 1.404613529898575, 1.384590162594685},
        {-0.3308618287255563, 0.214847559468213, 0.09509516302823659},  {-4.634230498983486, -5.799100973351585, -19.33244095627987},
        {6.228269936347081, 14.17993336680509, 56.69055260068105},      {4.776384997670288, -13.74514537774601, -65.35303263337234},
        {-5.435455855934631, 4.645852612178535, 26.3124352495832}};
    const double x = std::clamp(static_cast<double>(std::isfinite(t) ? t : 0.0f), 0.0, 1.0);
    std::array<std::uint8_t, 3> rgb{};
    for (int ch = 0; ch < 3; ++ch) {
        double v = c[6][ch];
        for (int i = 5; i >= 0; --i) v = c[i][ch] + x * v;
        rgb[ch] = static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
    }
    return rgb;
}

image heatmap_to_rgba(const float * values, int width, int height, const overlay_options & options) {
    image rgba(width, height, pixel_format::rgba8);
    const std::size_t n = static_cast<std::size_t>(width) * height;
    float low = options.low, high = options.high;
    if (options.auto_range && n > 0) {
        const auto [lo, hi] = std::minmax_element(values, values + n);
        low = *lo;
        high = *hi;
    }
    const float span = high > low ? high - low : 1.0f;
    const float opacity = std::clamp(options.opacity, 0.0f, 1.0f);
    for (std::size_t i = 0; i < n; ++i) {
        const float t = std::clamp((values[i] - low) / span, 0.0f, 1.0f);
        const auto rgb = viridis(t);
        std::uint8_t * px = rgba.data() + 4 * i;
        px[0] = rgb[0];
        px[1] = rgb[1];
        px[2] = rgb[2];
        px[3] = static_cast<std::uint8_t>(std::lround(255.0f * opacity * (options.fade_low_values ? t : 1.0f)));
    }
    return rgba;
}

}  // namespace vestis
