#include "vestis/geometry.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace vestis;

TEST(crop_rect, rounds_outward_and_clamps_to_the_image) {
    auto r = crop_rect(100, 80, box{10.4f, 20.6f, 50.2f, 90.0f}, 0.0f);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r.value().x, 10);
    EXPECT_EQ(r.value().y, 20);
    EXPECT_EQ(r.value().width, 41);   // 10 .. ceil(50.2) = 51
    EXPECT_EQ(r.value().height, 60);  // 20 .. 80 (clamped from 90)
}

TEST(crop_rect, margin_grows_every_side_by_a_fraction_of_the_box) {
    auto r = crop_rect(200, 200, box{50, 60, 150, 100}, 0.1f);  // 100 x 40 box
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().x, 40);
    EXPECT_EQ(r.value().y, 56);
    EXPECT_EQ(r.value().width, 120);
    EXPECT_EQ(r.value().height, 48);
}

TEST(crop_rect, rejects_empty_outside_and_nan_boxes_with_the_reason) {
    EXPECT_NE(crop_rect(100, 100, box{10, 10, 10, 20}, 0).error().message().find("is empty"), std::string::npos);
    EXPECT_NE(crop_rect(100, 100, box{120, 10, 150, 20}, 0).error().message().find("outside the 100x100 image"), std::string::npos);
    EXPECT_NE(crop_rect(100, 100, box{0, 0, std::nanf(""), 20}, 0).error().message().find("not a number"), std::string::npos);
    EXPECT_NE(crop_rect(100, 100, box{0, 0, 50, 50}, -1).error().message().find("margin"), std::string::npos);
}

TEST(input_geometry, stretch_maps_pixel_centres_of_a_2x_downscale) {
    auto g = plan_input_geometry(448, 224, nullptr, 0, crop_policy::stretch, 224, 112);
    ASSERT_TRUE(g.ok());
    // Input pixel 0 averages source pixels 0 and 1: its centre is at 0.5.
    EXPECT_FLOAT_EQ(g.value().to_source({0, 0}).x, 0.5f);
    EXPECT_FLOAT_EQ(g.value().to_source({223, 111}).x, 446.5f);
    EXPECT_FLOAT_EQ(g.value().to_source({223, 111}).y, 222.5f);
    EXPECT_FLOAT_EQ(g.value().to_input({0.5f, 0.5f}).x, 0.0f);
}

TEST(input_geometry, crop_offsets_the_mapping) {
    const box b{100, 50, 200, 250};  // 100 x 200 box into 50 x 100: scale 2 on both axes
    auto g = plan_input_geometry(640, 480, &b, 0, crop_policy::stretch, 50, 100);
    ASSERT_TRUE(g.ok());
    const point p = g.value().to_source({10, 20});
    EXPECT_FLOAT_EQ(p.x, 100 + 10.5f * 2 - 0.5f);
    EXPECT_FLOAT_EQ(p.y, 50 + 20.5f * 2 - 0.5f);
}

TEST(input_geometry, letterbox_keeps_aspect_and_centres_the_content) {
    auto g = plan_input_geometry(400, 200, nullptr, 0, crop_policy::letterbox, 224, 224);
    ASSERT_TRUE(g.ok());
    const input_geometry & v = g.value();
    EXPECT_EQ(v.content.width, 224);
    EXPECT_EQ(v.content.height, 112);
    EXPECT_EQ(v.content.x, 0);
    EXPECT_EQ(v.content.y, 56);
    EXPECT_NEAR(v.scale_x(), v.scale_y(), 1e-6);
    // The top-left source pixel centre sits inside the first content row.
    const point p = v.to_input({0, 0});
    EXPECT_NEAR(p.y, 56 + (0.5f / v.scale_y()) - 0.5f, 1e-5);
}

TEST(input_geometry, to_input_and_to_source_are_inverse) {
    const box b{33.3f, 12.7f, 612.9f, 401.2f};
    for (crop_policy policy : {crop_policy::stretch, crop_policy::letterbox}) {
        auto g = plan_input_geometry(640, 480, &b, 0.05f, policy, 224, 224);
        ASSERT_TRUE(g.ok());
        for (point p : {point{0, 0}, point{100.25f, 37.5f}, point{639, 479}}) {
            const point back = g.value().to_source(g.value().to_input(p));
            EXPECT_NEAR(back.x, p.x, 1e-3);
            EXPECT_NEAR(back.y, p.y, 1e-3);
        }
    }
}

TEST(crop_fraction, is_the_identity_under_stretch_and_takes_off_letterbox_padding) {
    const pixel_rect whole{0, 0, 65, 65};
    const point same = crop_fraction({0.25f, 0.75f}, whole, 65, 65);
    EXPECT_FLOAT_EQ(same.x, 0.25f);
    EXPECT_FLOAT_EQ(same.y, 0.75f);
    // A 65x33 content band centred at y = 16 of a 65x65 input: input row 16 is the crop's top
    // row, row 48 its bottom; the middle column is half-way across.
    const pixel_rect band{0, 16, 65, 33};
    const point top = crop_fraction({32.0f / 64, 16.0f / 64}, band, 65, 65);
    EXPECT_FLOAT_EQ(top.x, 0.5f);
    EXPECT_FLOAT_EQ(top.y, 0.0f);
    EXPECT_FLOAT_EQ(crop_fraction({0, 48.0f / 64}, band, 65, 65).y, 1.0f);
    // A distance across the band doubles when measured in the crop's height.
    EXPECT_FLOAT_EQ(crop_fraction({0, 40.0f / 64}, band, 65, 65).y - crop_fraction({0, 24.0f / 64}, band, 65, 65).y, 0.5f);
}

TEST(map_to_input, scales_pixel_centres_of_a_smaller_map) {
    // A 56x56 heatmap over a 224x224 input: each map pixel covers 4 input pixels.
    const point p = map_to_input({0, 55}, 56, 56, 224, 224);
    EXPECT_FLOAT_EQ(p.x, 1.5f);
    EXPECT_FLOAT_EQ(p.y, 221.5f);
    EXPECT_FLOAT_EQ(map_to_input({7.25f, 3}, 224, 224, 224, 224).x, 7.25f);
}

TEST(crop_policy, parses_names_and_rejects_others) {
    EXPECT_EQ(parse_crop_policy("letterbox").value(), crop_policy::letterbox);
    EXPECT_EQ(parse_crop_policy("stretch").value(), crop_policy::stretch);
    EXPECT_FALSE(parse_crop_policy("zoom").ok());
}
