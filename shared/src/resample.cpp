#include "vestis/resample.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

// A loop of a few iterations that clang would otherwise vectorise into a slower one.
#if defined(__clang__)
#define VESTIS_SCALAR_LOOP _Pragma("clang loop vectorize(disable) interleave(disable)")
#else
#define VESTIS_SCALAR_LOOP
#endif

namespace vestis {

namespace {

// Shrinking by more than this factor first averages whole blocks of pixels (cheap integer
// sums), then applies the triangle filter to the block means, so that filter never spans
// more than about 2 x 3 source samples. PIL calls this factor `reducing_gap`; at 3 its
// documentation finds the result indistinguishable from filtering the full image, and it
// cuts the work on a 4032x3024 photo several-fold.
constexpr int reducing_gap = 3;
constexpr int max_block_side = 257;  // 257 rows of 255 still fit a 16-bit column sum

double triangle(double x) {
    x = std::fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

// Taps for `output_size` samples over an input whose extent is `input_extent` sample widths
// (fractional after block averaging), with `input_samples` samples to read.
resample_axis make_axis(double input_extent, int input_samples, int output_size) {
    resample_axis axis;
    axis.input_size = input_samples;
    axis.output_size = output_size;
    const double scale = input_extent / output_size;
    const double filter_scale = std::max(scale, 1.0);  // widen the filter only when shrinking
    const double support = filter_scale;               // a triangle reaches 1 sample at unit scale
    axis.max_taps = static_cast<int>(std::ceil(support)) * 2 + 1;
    axis.first.resize(output_size);
    axis.count.resize(output_size);
    axis.weights.assign(static_cast<std::size_t>(output_size) * axis.max_taps, 0.0f);
    std::vector<double> w(axis.max_taps);
    for (int i = 0; i < output_size; ++i) {
        const double center = (i + 0.5) * scale;
        const int lo = std::max(static_cast<int>(center - support + 0.5), 0);
        const int hi = std::min(static_cast<int>(center + support + 0.5), input_samples);
        const int n = std::min(hi - lo, axis.max_taps);
        double total = 0.0;
        for (int k = 0; k < n; ++k) {
            w[k] = triangle((lo + k - center + 0.5) / filter_scale);
            total += w[k];
        }
        axis.first[i] = lo;
        axis.count[i] = n;
        for (int k = 0; k < n; ++k) {
            axis.weights[static_cast<std::size_t>(i) * axis.max_taps + k] = static_cast<float>(w[k] / total);
        }
    }
    return axis;
}

// Interleaved samples of any element type, rows `stride` elements apart.
template <typename T>
struct samples {
    const T * data;
    int width;  // pixels
    int height;
    int channels;
    std::ptrdiff_t stride;
    const T * row(int y) const { return data + y * stride; }
};

// Adds Count rows from `y` on into the column sums (or starts them, when First). Several
// rows per pass keep the sums in registers: a fraction of the memory traffic of one a pass.
template <int Count, bool First>
void add_rows(const image_view & source, int y, std::uint16_t * sums, int row_values) {
    const std::uint8_t * rows[Count];
    for (int k = 0; k < Count; ++k) rows[k] = source.row(y + k);
    for (int i = 0; i < row_values; ++i) {
        unsigned total = First ? 0u : sums[i];
        for (int k = 0; k < Count; ++k) total += rows[k][i];
        sums[i] = static_cast<std::uint16_t>(total);
    }
}

template <bool First>
void add_rows(const image_view & source, int y, int count, std::uint16_t * sums, int row_values) {
    switch (count) {
        case 1: add_rows<1, First>(source, y, sums, row_values); break;
        case 2: add_rows<2, First>(source, y, sums, row_values); break;
        case 3: add_rows<3, First>(source, y, sums, row_values); break;
        default: add_rows<4, First>(source, y, sums, row_values); break;
    }
}

// Sums of `columns` consecutive pixels of 16-bit column sums, per channel.
template <int Channels>
void sum_columns(const std::uint16_t * in, int columns, bool fits_16_bits, std::uint32_t * total) {
    if constexpr (Channels == 4) {
        if (fits_16_bits) {
            // All four channels of a pixel in one 64-bit add: no lane can carry into the next
            // while the block's sum fits 16 bits. Four times fewer adds, and no shuffles.
            std::uint64_t packed = 0;
            VESTIS_SCALAR_LOOP
            for (int x = 0; x < columns; ++x) {
                std::uint64_t pixel;
                std::memcpy(&pixel, in + 4 * x, sizeof pixel);
                packed += pixel;
            }
            std::uint16_t lanes[4];
            std::memcpy(lanes, &packed, sizeof lanes);
            for (int c = 0; c < 4; ++c) total[c] = lanes[c];
            return;
        }
    }
    for (int c = 0; c < Channels; ++c) total[c] = 0;
    for (int x = 0; x < columns; ++x) {
        for (int c = 0; c < Channels; ++c) total[c] += in[x * Channels + c];
    }
}

// Means of fx x fy blocks; the last block of a row or column may be smaller. Rows are first
// summed into 16-bit column sums (fy <= max_block_side rows of 255 fit), then fx columns at a time.
template <int Channels>
void block_means(const image_view & source, int fx, int fy, int out_width, int out_height, float * means) {
    const int row_values = source.width * Channels;
    const bool block_fits_16_bits = fx * fy * 255 <= 0xFFFF;
    std::vector<std::uint16_t> column_sum_buffer(row_values);
    std::uint16_t * column_sums = column_sum_buffer.data();
    for (int by = 0; by < out_height; ++by) {
        const int y0 = by * fy;
        const int rows = std::min(fy, source.height - y0);
        add_rows<true>(source, y0, std::min(4, rows), column_sums, row_values);
        for (int y = y0 + 4; y < y0 + rows; y += 4) {
            add_rows<false>(source, y, std::min(4, y0 + rows - y), column_sums, row_values);
        }
        float * out = means + static_cast<std::size_t>(by) * out_width * Channels;
        const float full_block = 1.0f / static_cast<float>(fx * rows);
        for (int bx = 0; bx < out_width; ++bx) {
            const int x0 = bx * fx;
            const int columns = std::min(fx, source.width - x0);
            const float inverse_count = columns == fx ? full_block : 1.0f / static_cast<float>(columns * rows);
            std::uint32_t total[Channels];
            sum_columns<Channels>(column_sums + x0 * Channels, columns, block_fits_16_bits, total);
            for (int c = 0; c < Channels; ++c) out[bx * Channels + c] = static_cast<float>(total[c]) * inverse_count;
        }
    }
}

std::vector<float> block_means(const image_view & source, int fx, int fy, int & out_width, int & out_height) {
    out_width = (source.width + fx - 1) / fx;
    out_height = (source.height + fy - 1) / fy;
    std::vector<float> means(static_cast<std::size_t>(out_width) * out_height * source.channels());
    switch (source.channels()) {
        case 1: block_means<1>(source, fx, fy, out_width, out_height, means.data()); break;
        case 3: block_means<3>(source, fx, fy, out_width, out_height, means.data()); break;
        default: block_means<4>(source, fx, fy, out_width, out_height, means.data()); break;
    }
    return means;
}

// The hot loop: one output row of the vertical pass. The row is done in blocks small
// enough that the accumulator stays in L1 cache across all taps; within a block the loop is
// contiguous and branch-free, so compilers vectorise it (SSE, AVX, WASM SIMD).
template <typename T>
void filter_rows(const samples<T> & source, const resample_axis & axis_y, int output_y, float * acc) {
    constexpr int block = 1024;
    const int row_values = source.width * source.channels;
    const int first = axis_y.first[output_y];
    const int taps = axis_y.count[output_y];
    const float * w = &axis_y.weights[static_cast<std::size_t>(output_y) * axis_y.max_taps];
    for (int begin = 0; begin < row_values; begin += block) {
        const int n = std::min(row_values - begin, block);
        float * out = acc + begin;
        const T * in0 = source.row(first) + begin;
        for (int i = 0; i < n; ++i) out[i] = w[0] * static_cast<float>(in0[i]);
        for (int k = 1; k < taps; ++k) {
            const T * in = source.row(first + k) + begin;
            const float wk = w[k];
            for (int i = 0; i < n; ++i) out[i] += wk * static_cast<float>(in[i]);
        }
    }
}

template <int Channels>
void filter_columns(const float * acc, const resample_axis & axis_x, float * out) {
    for (int x = 0; x < axis_x.output_size; ++x) {
        const float * in = acc + static_cast<std::size_t>(axis_x.first[x]) * Channels;
        const float * w = &axis_x.weights[static_cast<std::size_t>(x) * axis_x.max_taps];
        float sum[Channels] = {};
        for (int k = 0; k < axis_x.count[x]; ++k) {
            for (int c = 0; c < Channels; ++c) sum[c] += w[k] * in[k * Channels + c];
        }
        for (int c = 0; c < Channels; ++c) out[x * Channels + c] = sum[c];
    }
}

template <typename T>
void filter_image(const samples<T> & source, const resample_axis & axis_x, const resample_axis & axis_y,
                  const resampled_row_sink & consume_row) {
    std::vector<float> acc(static_cast<std::size_t>(source.width) * source.channels);
    std::vector<float> out(static_cast<std::size_t>(axis_x.output_size) * source.channels);
    for (int y = 0; y < axis_y.output_size; ++y) {
        filter_rows(source, axis_y, y, acc.data());
        switch (source.channels) {
            case 1: filter_columns<1>(acc.data(), axis_x, out.data()); break;
            case 3: filter_columns<3>(acc.data(), axis_x, out.data()); break;
            default: filter_columns<4>(acc.data(), axis_x, out.data()); break;
        }
        consume_row(y, out.data());
    }
}

}  // namespace

resample_axis make_resample_axis(int input_size, int output_size) { return make_axis(input_size, input_size, output_size); }

void resample_rows(const image_view & source, int output_width, int output_height, const resampled_row_sink & consume_row) {
    const int fx = std::clamp(source.width / output_width / reducing_gap, 1, max_block_side);
    const int fy = std::clamp(source.height / output_height / reducing_gap, 1, max_block_side);
    if (fx == 1 && fy == 1) {
        const samples<std::uint8_t> direct{source.data, source.width, source.height, source.channels(), source.stride};
        filter_image(direct, make_resample_axis(source.width, output_width), make_resample_axis(source.height, output_height), consume_row);
        return;
    }
    int width = 0, height = 0;
    const std::vector<float> means = block_means(source, fx, fy, width, height);
    const samples<float> reduced{means.data(), width, height, source.channels(), static_cast<std::ptrdiff_t>(width) * source.channels()};
    // The block means span source.width / fx block widths (fractional when the last block
    // is partial), which keeps output pixel centres where the direct filter puts them.
    filter_image(reduced, make_axis(static_cast<double>(source.width) / fx, width, output_width),
                 make_axis(static_cast<double>(source.height) / fy, height, output_height), consume_row);
}

image resize(const image_view & source, int output_width, int output_height) {
    image resized(output_width, output_height, source.format);
    const int values = output_width * source.channels();
    resample_rows(source, output_width, output_height, [&](int y, const float * row) {
        std::uint8_t * dst = resized.row(y);
        for (int i = 0; i < values; ++i) {
            dst[i] = static_cast<std::uint8_t>(std::clamp(std::lround(row[i]), 0L, 255L));
        }
    });
    return resized;
}

}  // namespace vestis
