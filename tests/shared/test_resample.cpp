#include "vestis/resample.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace vestis;

static std::vector<float> taps_of(const resample_axis & axis, int i) {
    return {axis.weights.begin() + i * axis.max_taps, axis.weights.begin() + i * axis.max_taps + axis.count[i]};
}

TEST(resample_axis, identity_reads_one_pixel) {
    const auto axis = make_resample_axis(5, 5);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(axis.first[i], i);
        EXPECT_FLOAT_EQ(taps_of(axis, i)[0], 1.0f);
        for (std::size_t k = 1; k < taps_of(axis, i).size(); ++k) EXPECT_FLOAT_EQ(taps_of(axis, i)[k], 0.0f);
    }
}

TEST(resample_axis, halving_uses_a_widened_triangle) {
    // Output 1 is centred on source 3.0: triangle of half-width 2 at pixel centres 1.5 .. 4.5
    // gives 0.25, 0.75, 0.75, 0.25, normalised by 2.
    const auto axis = make_resample_axis(8, 4);
    EXPECT_EQ(axis.first[1], 1);
    const auto w = taps_of(axis, 1);
    ASSERT_EQ(w.size(), 4u);
    EXPECT_FLOAT_EQ(w[0], 0.125f);
    EXPECT_FLOAT_EQ(w[1], 0.375f);
    EXPECT_FLOAT_EQ(w[2], 0.375f);
    EXPECT_FLOAT_EQ(w[3], 0.125f);
    // At the border the taps that fall outside are dropped and the rest renormalised.
    const auto edge = taps_of(axis, 0);
    ASSERT_EQ(edge.size(), 3u);
    EXPECT_FLOAT_EQ(edge[0], 0.75f / 1.75f);
    EXPECT_FLOAT_EQ(edge[2], 0.25f / 1.75f);
}

TEST(resize, upscaling_is_plain_bilinear_with_clamped_edges) {
    const std::uint8_t row[2] = {0, 100};
    const image_view src{row, 2, 1, 2, pixel_format::gray8};
    const image out = resize(src, 4, 1);
    EXPECT_EQ(out.row(0)[0], 0);
    EXPECT_EQ(out.row(0)[1], 25);
    EXPECT_EQ(out.row(0)[2], 75);
    EXPECT_EQ(out.row(0)[3], 100);
}

TEST(resize, keeps_a_constant_image_constant_in_every_channel) {
    image src(37, 29, pixel_format::rgba8);
    for (int y = 0; y < 29; ++y)
        for (int x = 0; x < 37; ++x) {
            std::uint8_t * p = src.row(y) + 4 * x;
            p[0] = 200, p[1] = 13, p[2] = 77, p[3] = 255;
        }
    for (auto [w, h] : {std::pair{5, 3}, std::pair{37, 29}, std::pair{100, 61}}) {
        const image out = resize(src.view(), w, h);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const std::uint8_t * p = out.row(y) + 4 * x;
                ASSERT_EQ(p[0], 200);
                ASSERT_EQ(p[1], 13);
                ASSERT_EQ(p[2], 77);
            }
    }
}

TEST(resize, shrinking_fine_stripes_averages_instead_of_aliasing) {
    // One-pixel black/white columns, 4032 wide, down to 224: an antialiased resize is a flat
    // mid-grey; point sampling would give black, white or beats.
    image src(4032, 8, pixel_format::gray8);
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 4032; ++x) src.row(y)[x] = (x % 2) ? 255 : 0;
    std::vector<float> row0;
    resample_rows(src.view(), 224, 1, [&](int, const float * row) { row0.assign(row, row + 224); });
    for (int x = 0; x < 224; ++x) EXPECT_NEAR(row0[x], 127.5f, 4.0f) << "column " << x;
}

TEST(resample_rows, honours_the_stride_of_a_region) {
    // A 2x2 region inside a 4x3 gray image; resampling at the same size returns it exactly.
    const std::uint8_t pixels[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    const image_view full{pixels, 4, 3, 4, pixel_format::gray8};
    const image out = resize(full.region({1, 1, 2, 2}), 2, 2);
    EXPECT_EQ(out.row(0)[0], 6);
    EXPECT_EQ(out.row(0)[1], 7);
    EXPECT_EQ(out.row(1)[0], 10);
    EXPECT_EQ(out.row(1)[1], 11);
}
