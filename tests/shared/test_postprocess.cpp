#include "vestis/postprocess.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace vestis;

TEST(softmax, matches_hand_computed_probabilities) {
    const float logits[3] = {0.0f, std::log(2.0f), std::log(5.0f)};  // 1 : 2 : 5
    const auto p = softmax(logits, 3);
    EXPECT_NEAR(p[0], 0.125, 1e-7);
    EXPECT_NEAR(p[1], 0.25, 1e-7);
    EXPECT_NEAR(p[2], 0.625, 1e-7);
    const float huge[2] = {1000.0f, 1000.0f};  // stable where exp would overflow
    EXPECT_NEAR(softmax(huge, 2)[0], 0.5, 1e-7);
}

TEST(top_k, ranks_best_first_and_breaks_ties_by_index) {
    const float scores[6] = {0.1f, 0.7f, 0.3f, 0.7f, 0.0f, 0.3f};
    const auto top = top_k(scores, 6, 4);
    ASSERT_EQ(top.size(), 4u);
    EXPECT_EQ(top[0].index, 1);
    EXPECT_EQ(top[1].index, 3);
    EXPECT_EQ(top[2].index, 2);
    EXPECT_EQ(top[3].index, 5);
    EXPECT_EQ(top_k(scores, 6, 10).size(), 6u);
    EXPECT_TRUE(top_k(scores, 6, 0).empty());
}

TEST(attribute_probabilities, reads_negative_then_positive_logits) {
    // A = 3: negatives {0, 2, 0}, positives {0, 2 + ln 3, -ln 4}.
    const float logits[6] = {0, 2, 0, 0, 2 + std::log(3.0f), -std::log(4.0f)};
    const auto p = attribute_probabilities(logits, 3, attribute_encoding::two_class);
    EXPECT_NEAR(p[0], 0.5, 1e-6);
    EXPECT_NEAR(p[1], 0.75, 1e-6);
    EXPECT_NEAR(p[2], 0.2, 1e-6);
    const float sigmoid_logits[2] = {std::log(9.0f), -100.0f};
    const auto q = attribute_probabilities(sigmoid_logits, 2, attribute_encoding::sigmoid);
    EXPECT_NEAR(q[0], 0.9, 1e-6);
    EXPECT_GE(q[1], 0.0f);
    EXPECT_LT(q[1], 1e-30);
}

TEST(group_attributes, groups_by_type_ranks_and_applies_k_and_threshold) {
    const std::vector<attribute_info> attributes = {
        {"striped", "texture"}, {"floral", "texture"}, {"denim", "fabric"}, {"dotted", "texture"}, {"boho", "style"}};
    const std::vector<float> p = {0.6f, 0.9f, 0.2f, 0.7f, 0.55f};
    const auto groups = group_attributes(p, attributes, 2, 0.5f);
    ASSERT_EQ(groups.size(), 3u);  // texture, fabric, style: no shape or part listed
    EXPECT_EQ(groups[0].type, "texture");
    ASSERT_EQ(groups[0].tags.size(), 2u);
    EXPECT_EQ(groups[0].tags[0].index, 1);
    EXPECT_EQ(groups[0].tags[1].index, 3);
    EXPECT_EQ(groups[1].type, "fabric");
    EXPECT_TRUE(groups[1].tags.empty());  // denim is below the threshold
    EXPECT_EQ(groups[2].type, "style");
    EXPECT_EQ(groups[2].tags[0].index, 4);
    EXPECT_EQ(group_attributes(p, attributes, 0, 0.0f)[0].tags.size(), 3u);
}

TEST(group_attributes, puts_a_data_sets_own_kinds_after_deepfashions_in_the_order_first_listed) {
    const std::vector<attribute_info> attributes = {
        {"boots", "footwear"}, {"bag", "accessories"}, {"denim", "fabric"}, {"ring", "accessories"}, {"jeans", "bottoms"}};
    EXPECT_EQ(attribute_type_order(attributes), (std::vector<std::string>{"fabric", "footwear", "accessories", "bottoms"}));
    const auto groups = group_attributes({0.9f, 0.8f, 0.1f, 0.7f, 0.6f}, attributes, 0, 0.5f);
    ASSERT_EQ(groups.size(), 4u);
    EXPECT_EQ(groups[2].type, "accessories");
    ASSERT_EQ(groups[2].tags.size(), 2u);
    EXPECT_EQ(groups[2].tags[1].index, 3);
}

TEST(decode_landmarks, finds_a_sub_pixel_peak_and_maps_it_to_the_photo) {
    // A paraboloid peaking at (12.3, 7.8) on a 32x24 map: the parabola fit is exact.
    const int w = 32, h = 24;
    std::vector<float> maps(2 * w * h);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float dx = static_cast<float>(x) - 12.3f, dy = static_cast<float>(y) - 7.8f;
            maps[y * w + x] = 0.9f - 0.01f * (dx * dx + dy * dy);
            maps[w * h + y * w + x] = (x == 0 && y == 23) ? 1.7f : 0.0f;  // a corner spike above 1
        }
    // The map covers a 64x48 input, which is a 2x stretch of a 128x96 photo.
    auto g = plan_input_geometry(128, 96, nullptr, 0, crop_policy::stretch, 64, 48);
    ASSERT_TRUE(g.ok());
    const auto lm = decode_landmarks(maps.data(), 2, w, h, g.value());
    ASSERT_EQ(lm.size(), 2u);
    EXPECT_NEAR(lm[0].heatmap.x, 12.3f, 1e-4);
    EXPECT_NEAR(lm[0].heatmap.y, 7.8f, 1e-4);
    EXPECT_NEAR(lm[0].input.x, (12.3f + 0.5f) * 2 - 0.5f, 1e-4);
    EXPECT_NEAR(lm[0].source.x, ((12.3f + 0.5f) * 2) * 2 - 0.5f, 1e-3);
    EXPECT_NEAR(lm[0].source.y, ((7.8f + 0.5f) * 2) * 2 - 0.5f, 1e-3);
    EXPECT_NEAR(lm[0].confidence, 0.9f - 0.01f * (0.09f + 0.04f), 1e-6);
    // On the border there is no neighbour to fit: the integer peak stays.
    EXPECT_FLOAT_EQ(lm[1].heatmap.x, 0.0f);
    EXPECT_FLOAT_EQ(lm[1].heatmap.y, 23.0f);
    EXPECT_FLOAT_EQ(lm[1].confidence, 1.0f);
}

TEST(decode_landmarks, gives_the_highest_value_more_than_a_cell_from_the_peak) {
    // The paraboloid of the test above, peaking at (12.3, 7.8): the nearest cell outside the
    // 3x3 around (12, 8) is (14, 8), 1.7 and 0.2 away. Beside it, two spikes far apart (a
    // left/right mix-up) and one spike with its neighbour, which is not a second place.
    const int w = 32, h = 24, plane = w * h;
    std::vector<float> maps(3 * plane, 0.0f);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float dx = static_cast<float>(x) - 12.3f, dy = static_cast<float>(y) - 7.8f;
            maps[y * w + x] = 0.9f - 0.01f * (dx * dx + dy * dy);
        }
    maps[plane + 5 * w + 3] = 0.42f;
    maps[plane + 5 * w + 28] = 0.41f;
    maps[2 * plane + 5 * w + 3] = 0.42f;
    maps[2 * plane + 6 * w + 4] = 0.41f;
    auto g = plan_input_geometry(64, 48, nullptr, 0, crop_policy::stretch, 64, 48);
    ASSERT_TRUE(g.ok());
    const auto lm = decode_landmarks(maps.data(), 3, w, h, g.value());
    ASSERT_EQ(lm.size(), 3u);
    EXPECT_NEAR(lm[0].second_peak, 0.9f - 0.01f * (1.7f * 1.7f + 0.2f * 0.2f), 1e-6);
    EXPECT_FLOAT_EQ(lm[1].confidence, 0.42f);
    EXPECT_FLOAT_EQ(lm[1].second_peak, 0.41f);
    EXPECT_FLOAT_EQ(lm[2].second_peak, 0.0f);
}

TEST(max_over_maps, takes_the_elementwise_maximum) {
    const float maps[6] = {1, 5, -2, 3, 0, -1};
    const auto m = max_over_maps(maps, 2, 3);
    EXPECT_EQ(m, (std::vector<float>{3, 5, -1}));
}
