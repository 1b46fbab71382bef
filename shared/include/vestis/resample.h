// Resampling with a triangle (bilinear) filter whose support widens with the shrink
// factor: shrinking averages every source pixel instead of skipping most of them, so a
// 4032x3024 photo brought down to 224x224 does not alias. Shrinking by more than 3x first
// takes means of whole pixel blocks, then filters those. This is the algorithm of PIL's
// Image.resize(BILINEAR, reducing_gap=3), so an independent implementation checks it
// (tests/reference); unlike PIL, nothing is rounded to 8 bits along the way.
#pragma once

#include "vestis/image.h"

#include <functional>
#include <vector>

namespace vestis {

// Filter taps of one axis: output i reads `count[i]` source samples from `first[i]` on,
// with `weights[i * max_taps + k]`, which sum to 1.
struct resample_axis {
    int input_size = 0;
    int output_size = 0;
    int max_taps = 0;
    std::vector<int> first;
    std::vector<int> count;
    std::vector<float> weights;
};

resample_axis make_resample_axis(int input_size, int output_size);

// Resamples `source` (all channels, values 0..255) to output_width x output_height and hands
// each output row, as interleaved floats, to `consume_row(y, row)`. This is the single
// resampling implementation: preprocessing and 8-bit resizing are sinks of it.
using resampled_row_sink = std::function<void(int y, const float * row)>;
void resample_rows(const image_view & source, int output_width, int output_height, const resampled_row_sink & consume_row);

// An 8-bit resize in the source's pixel format (rounded to nearest, clamped).
image resize(const image_view & source, int output_width, int output_height);

}  // namespace vestis
