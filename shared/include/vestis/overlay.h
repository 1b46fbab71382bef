// Heatmaps and attention as pictures: a perceptual colour map (viridis: luminance rises
// steadily, readable in grey and by most colour-blind viewers) into RGBA for blending.
#pragma once

#include "vestis/image.h"

#include <array>
#include <cstdint>

namespace vestis {

// t in [0, 1] (clamped) -> viridis RGB.
std::array<std::uint8_t, 3> viridis(float t);

struct overlay_options {
    bool auto_range = true;         // stretch the map's own min..max to 0..1
    float low = 0.0f, high = 1.0f;  // the range used when auto_range is off
    float opacity = 0.6f;           // alpha of the strongest value
    bool fade_low_values = true;    // alpha grows with the value, so cold areas stay clear
};

// One map of width x height values -> RGBA of the same size.
image heatmap_to_rgba(const float * values, int width, int height, const overlay_options & options);

}  // namespace vestis
