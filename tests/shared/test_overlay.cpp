#include "vestis/overlay.h"

#include <gtest/gtest.h>

using namespace vestis;

static void expect_colour(std::array<std::uint8_t, 3> got, int r, int g, int b) {
    EXPECT_NEAR(got[0], r, 4);
    EXPECT_NEAR(got[1], g, 4);
    EXPECT_NEAR(got[2], b, 4);
}

TEST(viridis, matches_matplotlib_at_its_ends_and_middle) {
    expect_colour(viridis(0.0f), 0x44, 0x01, 0x54);   // #440154
    expect_colour(viridis(0.5f), 0x21, 0x91, 0x8c);   // #21918c
    expect_colour(viridis(1.0f), 0xfd, 0xe7, 0x25);   // #fde725
    expect_colour(viridis(-3.0f), 0x44, 0x01, 0x54);  // clamped
}

TEST(viridis, luminance_rises_steadily) {
    double previous = -1;
    for (int i = 0; i <= 100; ++i) {
        const auto c = viridis(static_cast<float>(i) / 100.0f);
        const double luminance = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
        EXPECT_GT(luminance, previous) << "at t = " << i / 100.0;
        previous = luminance;
    }
}

TEST(heatmap_to_rgba, stretches_the_range_and_fades_cold_values) {
    const float values[3] = {2.0f, 3.0f, 4.0f};
    overlay_options options;
    options.opacity = 0.8f;
    const image rgba = heatmap_to_rgba(values, 3, 1, options);
    EXPECT_EQ(rgba.data()[3], 0);     // the minimum is transparent
    EXPECT_EQ(rgba.data()[7], 102);   // half of 0.8 * 255
    EXPECT_EQ(rgba.data()[11], 204);  // 0.8 * 255
    EXPECT_EQ(rgba.data()[8], viridis(1.0f)[0]);
    options.auto_range = false;
    options.low = 0;
    options.high = 8;
    options.fade_low_values = false;
    const image fixed = heatmap_to_rgba(values, 3, 1, options);
    EXPECT_EQ(fixed.data()[0], viridis(0.25f)[0]);
    EXPECT_EQ(fixed.data()[3], 204);
}
