#include "vestis/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace vestis;

TEST(metrics, category_top_k_counts_ties_in_index_order) {
    metrics_accumulator m({}, 0);
    const float a[6] = {0.1f, 0.5f, 0.2f, 0.9f, 0.0f, 0.3f};  // ranks: 3, 1, 5, 2, 0, 4
    m.add_category(a, 6, 3);                                  // rank 0: top-1
    m.add_category(a, 6, 2);                                  // rank 3: top-5 only
    m.add_category(a, 6, 4);                                  // rank 5: none
    const float tied[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    m.add_category(tied, 4, 2);  // tie broken by index: rank 2, inside top-3
    const auto r = m.finish();
    EXPECT_EQ(r.images, 4);
    EXPECT_DOUBLE_EQ(r.category_top_k[0], 1.0 / 4);
    EXPECT_DOUBLE_EQ(r.category_top_k[1], 2.0 / 4);
    EXPECT_DOUBLE_EQ(r.category_top_k[2], 3.0 / 4);
}

TEST(metrics, the_confusion_matrix_counts_top1_against_truth_and_ranks_mistakes) {
    metrics_accumulator m({}, 0);
    const float says0[3] = {0.7f, 0.2f, 0.1f}, says1[3] = {0.1f, 0.8f, 0.1f}, tie12[3] = {0.1f, 0.45f, 0.45f};
    m.add_category(says0, 3, 0);  // right
    m.add_category(says1, 3, 0);  // 0 -> 1
    m.add_category(says1, 3, 2);  // 2 -> 1
    m.add_category(says1, 3, 2);  // 2 -> 1
    m.add_category(tie12, 3, 2);  // a tie goes to the lower index: 2 -> 1
    m.add_category(says0, 3, 1);  // 1 -> 0
    const auto r = m.finish();
    const std::vector<std::vector<long long>> expected = {{1, 1, 0}, {1, 0, 0}, {0, 3, 0}};
    EXPECT_EQ(r.category_confusion, expected);
    const auto worst = most_confused(r, 2);
    ASSERT_EQ(worst.size(), 2u);
    EXPECT_EQ(worst[0].true_category, 2);
    EXPECT_EQ(worst[0].predicted_category, 1);
    EXPECT_EQ(worst[0].images, 3);
    EXPECT_EQ(worst[1].true_category, 0);        // 0 -> 1 and 1 -> 0 tie at 1: by true index
    EXPECT_EQ(most_confused(r, 10).size(), 3u);  // only mistakes that happened
}

std::vector<attribute_info> typed(const std::vector<std::string> & types) {
    std::vector<attribute_info> attributes;
    for (const std::string & type : types) attributes.push_back({"attribute " + std::to_string(attributes.size()), type});
    return attributes;
}

TEST(metrics, attribute_recall_ranks_within_each_type_and_over_all) {
    // Six attributes: four textures (0-3), two styles (4, 5).
    metrics_accumulator m(typed({"texture", "texture", "texture", "texture", "style", "style"}), 0);
    const float scores1[6] = {0.9f, 0.1f, 0.8f, 0.7f, 0.95f, 0.2f};
    const std::uint8_t truth1[6] = {0, 1, 1, 0, 0, 1};
    m.add_attributes(scores1, scores1, truth1);
    // Texture top-3 = {0, 2, 3}: hits {2} -> 1 of 2. Style top-3 = {4, 5}: hits {5} -> 1 of 1.
    // All top-3 = {4, 0, 2}: 1 hit of 3; all top-5 = {4, 0, 2, 3, 5}: 2 hits of 3.
    const float scores2[6] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
    const std::uint8_t none[6] = {0, 0, 0, 0, 0, 0};
    m.add_attributes(scores2, scores2, none);  // no positives: changes no recall
    const auto r = m.finish();
    ASSERT_EQ(r.attribute_types, (std::vector<std::string>{"texture", "style"}));  // only the types listed
    EXPECT_DOUBLE_EQ(r.attribute_by_type[0].top_k[0], 0.5);
    EXPECT_DOUBLE_EQ(r.attribute_by_type[0].top_k[1], 1.0);
    EXPECT_DOUBLE_EQ(r.attribute_by_type[1].top_k[0], 1.0);
    EXPECT_EQ(r.attribute_by_type[1].positives, 1);
    EXPECT_DOUBLE_EQ(r.attribute_all.top_k[0], 1.0 / 3);
    EXPECT_DOUBLE_EQ(r.attribute_all.top_k[1], 2.0 / 3);
    // A perfect ranking finds every positive: at most 3 per image, and no image has more.
    EXPECT_DOUBLE_EQ(r.attribute_all.ceiling[0], 1.0);
    EXPECT_DOUBLE_EQ(r.attribute_by_type[0].ceiling[0], 1.0);
}

TEST(metrics, the_recall_ceiling_counts_what_a_perfect_ranking_can_reach) {
    // Four textures, one image with all four positive and one with two: top-3 can hold at most
    // 3 + 2 of the 6 positives, top-5 all of them.
    metrics_accumulator m(typed({"texture", "texture", "texture", "texture"}), 0);
    const float scores[4] = {0.4f, 0.3f, 0.2f, 0.1f};
    const std::uint8_t all[4] = {1, 1, 1, 1}, two[4] = {0, 0, 1, 1};
    m.add_attributes(scores, scores, all);
    m.add_attributes(scores, scores, two);
    const auto r = m.finish();
    EXPECT_DOUBLE_EQ(r.attribute_all.ceiling[0], 5.0 / 6);
    EXPECT_DOUBLE_EQ(r.attribute_all.ceiling[1], 1.0);
    EXPECT_DOUBLE_EQ(r.attribute_all.top_k[0], 4.0 / 6);  // 3 hits, then 1 (attribute 2 ranks third)
    EXPECT_DOUBLE_EQ(r.attribute_all.top_k[1], 1.0);
}

TEST(metrics, average_precision_weights_the_precision_at_each_distinct_score_by_the_recall_it_adds) {
    // Ranked: 0.9 (+), 0.8 (-), 0.7 (+), 0.4 (-), 0.2 (+): precision 1, 2/3 and 3/5 at the
    // three positives, each adding a third of the recall.
    EXPECT_DOUBLE_EQ(average_precision({0.4f, 0.9f, 0.2f, 0.7f, 0.8f}, {0, 1, 1, 1, 0}), (1.0 + 2.0 / 3 + 3.0 / 5) / 3);
    // A tie is one threshold: 0.5 (+), 0.5 (-) enter together at precision 1/2, then 0.1 (+) at 2/3.
    EXPECT_DOUBLE_EQ(average_precision({0.5f, 0.5f, 0.1f}, {1, 0, 1}), 0.5 * 0.5 + 0.5 * 2.0 / 3);
    EXPECT_DOUBLE_EQ(average_precision({0.3f, 0.2f}, {1, 1}), 1.0);
    EXPECT_TRUE(std::isnan(average_precision({0.3f, 0.2f}, {0, 0})));
}

TEST(metrics, map_averages_the_attributes_with_at_least_three_positives) {
    // Attribute 0: positives at ranks 1, 2, 4 of 4 -> (1 + 1 + 3/4) / 3. Attribute 1: two
    // positives only, left out of mAP but given its AP. Attribute 2: never present.
    metrics_accumulator m(typed({"tops", "tops", "footwear"}), 0);
    const float scores[4][3] = {{0.9f, 0.1f, 0.5f}, {0.8f, 0.9f, 0.5f}, {0.3f, 0.2f, 0.5f}, {0.1f, 0.8f, 0.5f}};
    const std::uint8_t truth[4][3] = {{1, 0, 0}, {1, 1, 0}, {0, 0, 0}, {1, 1, 0}};
    for (int i = 0; i < 4; ++i) m.add_attributes(scores[i], scores[i], truth[i]);
    const auto r = m.finish();
    EXPECT_DOUBLE_EQ(r.average_precision[0], (1.0 + 1.0 + 3.0 / 4) / 3);
    EXPECT_DOUBLE_EQ(r.average_precision[1], 1.0);
    EXPECT_TRUE(std::isnan(r.average_precision[2]));
    EXPECT_EQ(r.attribute_positives, (std::vector<long long>{3, 2, 0}));
    EXPECT_EQ(r.map_attributes, 1);
    EXPECT_DOUBLE_EQ(r.mean_average_precision, r.average_precision[0]);
}

TEST(metrics, the_best_micro_f1_threshold_is_the_probability_where_f1_peaks) {
    // Pooled, best first: 0.9 (+), 0.8 (-), 0.7 (+), 0.6 (+), 0.3 (-), 0.2 (+); 4 positives.
    // Predicting down to p: F1 = 2 TP / (predicted + 4) = 2/5, 2/6, 4/7, 6/8, 6/9, 8/10.
    // 0.2 wins (0.8); with the last positive absent, 0.6 would (6/7 against 6/8 ...).
    metrics_accumulator m(typed({"tags", "tags", "tags"}), 0);
    const float p1[3] = {0.9f, 0.8f, 0.2f}, p2[3] = {0.7f, 0.6f, 0.3f};
    const std::uint8_t y1[3] = {1, 0, 1}, y2[3] = {1, 1, 0};
    m.add_attributes(p1, p1, y1);
    m.add_attributes(p2, p2, y2);
    EXPECT_FLOAT_EQ(m.best_micro_f1_threshold(), 0.2f);
    metrics_accumulator n(typed({"tags", "tags", "tags"}), 0);
    const std::uint8_t z1[3] = {1, 0, 0};
    n.add_attributes(p1, p1, z1);
    n.add_attributes(p2, p2, y2);
    EXPECT_FLOAT_EQ(n.best_micro_f1_threshold(), 0.6f);  // 3 positives: 2/4, 2/5, 4/6, 6/7, 6/8, 6/9
    EXPECT_FLOAT_EQ(metrics_accumulator(typed({"tags"}), 0).best_micro_f1_threshold(), 0.5f);
}

TEST(metrics, error_rate_precision_recall_and_f1_at_the_threshold) {
    metrics_accumulator m(typed({"shape", "shape", "part"}), 0, 0.5f);
    const float p1[3] = {0.9f, 0.6f, 0.1f};
    const std::uint8_t y1[3] = {1, 0, 0};  // a0 TP, a1 FP, a2 TN
    const float p2[3] = {0.2f, 0.7f, 0.4f};
    const std::uint8_t y2[3] = {1, 1, 0};  // a0 FN, a1 TP, a2 TN
    m.add_attributes(p1, p1, y1);
    m.add_attributes(p2, p2, y2);
    const auto r = m.finish();
    EXPECT_DOUBLE_EQ(r.attribute_error_rate[0], 0.5);
    EXPECT_DOUBLE_EQ(r.attribute_error_rate[1], 0.5);
    EXPECT_DOUBLE_EQ(r.attribute_error_rate[2], 0.0);
    EXPECT_DOUBLE_EQ(r.mean_attribute_error_rate, 1.0 / 3);
    // TP 2, FP 1, FN 1.
    EXPECT_DOUBLE_EQ(r.precision_micro, 2.0 / 3);
    EXPECT_DOUBLE_EQ(r.recall_micro, 2.0 / 3);
    EXPECT_DOUBLE_EQ(r.f1_micro, 2.0 / 3);
    // a0: F1 = 2/(2+0+1) = 2/3; a1: 2/(2+1+0) = 2/3; a2 never positive: left out.
    EXPECT_DOUBLE_EQ(r.f1_macro, 2.0 / 3);
}

TEST(metrics, landmark_error_averages_visible_landmarks_only) {
    metrics_accumulator m({}, 3);
    const point truth[3] = {{0.5f, 0.5f}, {0.1f, 0.1f}, {0.9f, 0.9f}};
    const point guess1[3] = {{0.8f, 0.9f}, {0.1f, 0.1f}, {0.0f, 0.0f}};  // errors 0.5, 0, (hidden)
    const point guess2[3] = {{0.5f, 0.5f}, {0.4f, 0.5f}, {0.0f, 0.0f}};  // errors 0, 0.5, (hidden)
    const std::uint8_t visible[3] = {1, 1, 0};
    m.add_landmarks(guess1, truth, visible);
    const std::uint8_t only_second[3] = {0, 1, 0};
    m.add_landmarks(guess2, truth, only_second);
    const auto r = m.finish();
    EXPECT_NEAR(r.landmark_error[0], 0.5, 1e-6);
    EXPECT_NEAR(r.landmark_error[1], 0.25, 1e-6);
    EXPECT_TRUE(std::isnan(r.landmark_error[2]));
    EXPECT_EQ(r.landmark_visible[1], 2);
    EXPECT_NEAR(r.mean_landmark_error, 0.375, 1e-6);  // over the landmarks that were measured
}
