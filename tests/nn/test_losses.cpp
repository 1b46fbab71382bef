// Losses against hand-computed values.
#include "nn/landmark_attention.h"
#include "nn/losses.h"
#include "nn/simple_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

using namespace vestis::nn;

TEST(losses, two_class_attribute_loss_is_the_weighted_mean) {
    // One image, two attributes. Negative logits 0, positive logits ln 3 and 0:
    // p(present) = 3/4 and 1/2. Truth: present, absent. Weights: w_pos 1, w_neg 0.1.
    const auto logits = torch::tensor({0.0f, 0.0f, std::log(3.0f), 0.0f}).view({1, 2, 2});
    const auto truth = torch::tensor({1, 0}).view({1, 2});
    const double expected = (std::log(4.0 / 3.0) * 1.0 + std::log(2.0) * 0.1) / 1.1;
    EXPECT_NEAR(two_class_attribute_loss(logits, truth, 0.1, 1.0).item<double>(), expected, 1e-6);
}

TEST(losses, weighted_bce_weights_negatives_and_positives) {
    // x = 0, y = 1: ln 2, weight 2.  x = ln 3, y = 0: -ln(1 - 3/4) = ln 4, weight 0.5.
    const auto logits = torch::tensor({0.0f, std::log(3.0f)}).view({1, 2});
    const auto truth = torch::tensor({1.0f, 0.0f}).view({1, 2});
    EXPECT_NEAR(weighted_bce_loss(logits, truth, 0.5, 2.0).item<double>(), (2 * std::log(2.0) + 0.5 * std::log(4.0)) / 2, 1e-6);
}

TEST(losses, asymmetric_loss_by_hand) {
    // x = 0, y = 1: p = 1/2, (1 - 1/2)^1 * ln 2.  x = ln 3, y = 0: p = 3/4, q = 3/4 - 1/4 = 1/2,
    // (1/2)^2 * -ln(1 - 1/2) = ln 2 / 4.  Mean (ln 2 / 2 + ln 2 / 4) / 2.
    const auto logits = torch::tensor({0.0f, std::log(3.0f)}).view({1, 2});
    const auto truth = torch::tensor({1.0f, 0.0f}).view({1, 2});
    EXPECT_NEAR(asymmetric_loss(logits, truth, 2.0, 1.0, 0.25).item<double>(), 0.375 * std::log(2.0), 1e-6);
    // The full network's two-class logits give the same p(present) from their difference.
    network_output out;
    out.attribute_logits = torch::tensor({1.0f, 2.0f, 1.0f, 2.0f + std::log(3.0f)}).view({1, 2, 2});
    batch_targets t;
    t.attributes = truth;
    loss_config c;
    c.attribute_loss = "asl";
    c.asl_gamma_negative = 2;
    c.asl_gamma_positive = 1;
    c.asl_clip = 0.25;
    EXPECT_NEAR(compute_loss(out, t, c).attribute.item<double>(), 0.375 * std::log(2.0), 1e-6);
}

TEST(losses, asymmetric_loss_without_focusing_or_clip_is_binary_cross_entropy) {
    torch::manual_seed(3);
    auto logits = (torch::randn({4, 6}) * 5).requires_grad_();
    logits.data()[0][0] = 40.0f;  // p rounds to 1 in float: log(1 - p) must come from the logit
    const auto truth = (torch::rand({4, 6}) < 0.3).to(torch::kFloat);
    const auto asl = asymmetric_loss(logits, truth, 0.0, 0.0, 0.0);
    const auto bce = weighted_bce_loss(logits, truth, 1.0, 1.0);
    ASSERT_TRUE(std::isfinite(asl.item<double>()));
    EXPECT_NEAR(asl.item<double>(), bce.item<double>(), 1e-5);
    const auto asl_grad = torch::autograd::grad({asl}, {logits})[0];
    const auto bce_grad = torch::autograd::grad({bce}, {logits})[0];
    EXPECT_TRUE(torch::allclose(asl_grad, bce_grad, 1e-5, 1e-7));
}

TEST(losses, asymmetric_loss_ignores_negatives_below_the_clip_and_focuses_the_rest) {
    // p = 0.04 is under the 0.05 clip: no loss and no gradient. p = 1/2 with gamma 4 weighs
    // q^4 = 0.45^4 of its clipped log loss, far below plain cross-entropy's ln 2.
    auto logits = torch::tensor({std::log(0.04f / 0.96f), 0.0f}).view({1, 2}).requires_grad_();
    const auto truth = torch::zeros({1, 2});
    const auto loss = asymmetric_loss(logits, truth, 4.0, 0.0, 0.05);
    EXPECT_NEAR(loss.item<double>(), std::pow(0.45, 4) * -std::log(0.55) / 2, 1e-6);
    const auto grad = torch::autograd::grad({loss}, {logits})[0];
    EXPECT_EQ(grad[0][0].item<float>(), 0.0f);
    EXPECT_GT(grad[0][1].item<float>(), 0.0f);  // a negative's loss falls as its logit falls
}

TEST(losses, soft_fbeta_matches_counts) {
    // p = [1, 0], y = [1, 1]: TP 1, FP 0, FN 1. F1 = 2/3; F2 = 5 / (5 + 4) = 5/9.
    const auto p = torch::tensor({1.0f, 0.0f}), y = torch::tensor({1.0f, 1.0f});
    EXPECT_NEAR(soft_fbeta_loss(p, y, 1.0).item<double>(), 1.0 / 3.0, 1e-6);
    EXPECT_NEAR(soft_fbeta_loss(p, y, 2.0).item<double>(), 4.0 / 9.0, 1e-6);
}

TEST(losses, heatmap_mse_counts_only_visible_landmarks) {
    const auto predicted = torch::ones({1, 2, 2, 2}), target = torch::zeros({1, 2, 2, 2});
    const auto visible = torch::tensor({1.0f, 0.0f}).view({1, 2});
    EXPECT_NEAR(masked_heatmap_mse(predicted, target, visible).item<double>(), 4.0 / 8.0, 1e-7);
}

TEST(losses, spatial_softmax_cross_entropy_by_hand) {
    // One row of two pixels per map. Logits (0, ln 3): softmax (1/4, 3/4).
    const auto logits = torch::tensor({0.0f, std::log(3.0f), 0.0f, 0.0f}).view({1, 2, 1, 2});
    const auto target = torch::tensor({1.0f, 1.0f, 0.5f, 0.0f}).view({1, 2, 1, 2});
    // Map 1: q = (1/2, 1/2), CE = -(ln 1/4 + ln 3/4) / 2. Map 2: q = (1, 0), CE = ln 2.
    const double first = -(std::log(0.25) + std::log(0.75)) / 2, second = std::log(2.0);
    EXPECT_NEAR(spatial_softmax_cross_entropy(logits, target, torch::ones({1, 2})).item<double>(), (first + second) / 2, 1e-6);
    EXPECT_NEAR(spatial_softmax_cross_entropy(logits, target, torch::tensor({1.0f, 0.0f}).view({1, 2})).item<double>(), first, 1e-6);
    EXPECT_EQ(spatial_softmax_cross_entropy(logits, target, torch::zeros({1, 2})).item<double>(), 0.0);
    // compute_loss takes it when the network gives logits.
    network_output out;
    out.category_logits = torch::zeros({1, 4});
    out.heatmaps = torch::zeros({1, 2, 1, 2});
    out.heatmap_logits = logits;
    batch_targets t;
    t.category = torch::tensor({0}, torch::kLong);
    t.heatmaps = target;
    t.landmark_visible = torch::ones({1, 2});
    EXPECT_NEAR(compute_loss(out, t, loss_config{}).landmark.item<double>(), (first + second) / 2, 1e-6);
}

// Softmax of ln 1, ln 2, ln 5 is 1/8, 2/8, 5/8. With smoothing e the target is (1 - e) on the
// true class plus e/3 on each: loss = (1 - e) ln(8/5) + e/3 (ln 8 + ln 4 + ln(8/5)).
TEST(losses, label_smoothing_spreads_the_category_target) {
    network_output out;
    out.category_logits = torch::log(torch::tensor({1.0f, 2.0f, 5.0f})).view({1, 3});
    batch_targets t;
    t.category = torch::tensor({2}, torch::kLong);
    loss_config c;
    EXPECT_NEAR(compute_loss(out, t, c).category.item<double>(), std::log(8.0 / 5.0), 1e-6);
    c.label_smoothing = 0.3;
    const double expected = 0.7 * std::log(8.0 / 5.0) + 0.1 * (std::log(8.0) + std::log(4.0) + std::log(8.0 / 5.0));
    EXPECT_NEAR(compute_loss(out, t, c).category.item<double>(), expected, 1e-6);
    c.label_smoothing = 1.0;
    EXPECT_THROW(validate(c), std::invalid_argument);
}

TEST(losses, total_weights_each_term) {
    network_output out;
    out.category_logits = torch::zeros({1, 4});   // CE = ln 4
    out.attribute_logits = torch::zeros({1, 3});  // BCE = ln 2 whatever the truth
    out.heatmaps = torch::ones({1, 1, 2, 2});
    batch_targets t;
    t.category = torch::tensor({2}, torch::kLong);
    t.attributes = torch::tensor({1.0f, 0.0f, 1.0f}).view({1, 3});
    t.heatmaps = torch::zeros({1, 1, 2, 2});
    t.landmark_visible = torch::ones({1, 1});
    loss_config c;
    c.category_weight = 0.5;
    c.attribute_weight = 3;
    c.landmark_weight = 7;
    c.attribute_negative_weight = 1;
    c.attribute_positive_weight = 1;
    const auto terms = compute_loss(out, t, c);
    EXPECT_NEAR(terms.category.item<double>(), std::log(4.0), 1e-6);
    EXPECT_NEAR(terms.attribute.item<double>(), std::log(2.0), 1e-6);
    EXPECT_NEAR(terms.landmark.item<double>(), 1.0, 1e-6);
    EXPECT_NEAR(terms.total.item<double>(), 0.5 * std::log(4.0) + 3 * std::log(2.0) + 7, 1e-5);
    c.attribute_loss = "asl";
    c.asl_gamma_negative = 0;
    c.asl_clip = 0;
    EXPECT_NEAR(compute_loss(out, t, c).attribute.item<double>(), std::log(2.0), 1e-6);  // unfocused, unclipped: BCE
    c.asl_gamma_negative = 4;
    c.asl_clip = 0.05;
    // Two positives at p = 1/2 keep ln 2; the negative weighs 0.45^4 of -ln(1 - 0.45).
    EXPECT_NEAR(compute_loss(out, t, c).attribute.item<double>(), (2 * std::log(2.0) + std::pow(0.45, 4) * -std::log(0.55)) / 3, 1e-6);
    const auto message = [&c] {
        try {
            validate(c);
        } catch (const std::invalid_argument & e) {
            return std::string(e.what());
        }
        return std::string();
    };
    c.asl_clip = 1;
    EXPECT_EQ(message(), "loss.asl_clip: expected a probability in [0, 1), got 1");
    c.asl_clip = 0.05;
    c.asl_gamma_negative = -1;
    EXPECT_EQ(message(), "loss.asl_gamma_negative: expected an exponent in [0, 10], got -1");
    c.asl_gamma_negative = 4;
    c.attribute_loss = "softmax";
    EXPECT_THROW(validate(c), std::invalid_argument);
}
