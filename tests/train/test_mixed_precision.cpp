// The loss scaler against hand-computed gradients and GradScaler's documented schedule, and
// the autocast region on the CPU (bfloat16). CUDA float16 needs a GPU: see docs/gpu-servers.md.
#include "train/mixed_precision.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

using namespace vestis::train;

namespace {

// loss = sum(3 w): every gradient is 3.
std::vector<torch::Tensor> backward_of_scaled_loss(const loss_scaler & scaler, float poison = 0) {
    torch::Tensor w = torch::ones({4}, torch::requires_grad());
    torch::Tensor loss = (3 * w).sum();
    if (poison != 0) loss = loss + poison * w[0];
    scaler.scale(loss).backward();
    return {w};
}

loss_scale_options options(double initial, long long growth_interval = 2000, double backoff = 0.5) {
    loss_scale_options o;
    o.initial = initial;
    o.growth_interval = growth_interval;
    o.backoff = backoff;
    return o;
}

}  // namespace

TEST(loss_scaler, unscaled_gradients_equal_those_of_the_plain_loss) {
    loss_scaler scaler(true, options(1024));
    EXPECT_EQ(scaler.scale(torch::tensor(2.0f)).item<float>(), 2048.0f);
    const auto parameters = backward_of_scaled_loss(scaler);
    EXPECT_EQ(parameters[0].grad()[1].item<float>(), 3.0f * 1024);
    EXPECT_TRUE(scaler.unscale_and_check(parameters));
    EXPECT_TRUE(torch::equal(parameters[0].grad(), torch::full({4}, 3.0f)));
}

TEST(loss_scaler, an_infinite_gradient_skips_the_step_and_halves_the_scale) {
    loss_scaler scaler(true, options(1024, 3));
    scaler.update(true);  // one finite step towards growth, then lost
    const auto parameters = backward_of_scaled_loss(scaler, std::numeric_limits<float>::infinity());
    EXPECT_FALSE(scaler.unscale_and_check(parameters));
    scaler.update(false);
    EXPECT_EQ(scaler.current_scale(), 512.0);
    EXPECT_EQ(scaler.finite_steps_in_a_row(), 0);
    const auto nan = backward_of_scaled_loss(scaler, std::numeric_limits<float>::quiet_NaN());
    EXPECT_FALSE(scaler.unscale_and_check(nan));
}

TEST(loss_scaler, grows_after_the_growth_interval_of_finite_steps) {
    loss_scaler scaler(true, options(8, 3));  // growth 2, backoff 0.5
    scaler.update(true);
    scaler.update(true);
    EXPECT_EQ(scaler.current_scale(), 8.0);
    scaler.update(true);
    EXPECT_EQ(scaler.current_scale(), 16.0);
    EXPECT_EQ(scaler.finite_steps_in_a_row(), 0);
    scaler.restore(4096, 2);  // as a resumed run does
    scaler.update(true);
    EXPECT_EQ(scaler.current_scale(), 8192.0);
}

TEST(loss_scaler, disabled_it_leaves_loss_and_gradients_alone) {
    loss_scaler scaler(false);
    EXPECT_EQ(scaler.current_scale(), 1.0);
    const auto parameters = backward_of_scaled_loss(scaler, std::numeric_limits<float>::infinity());
    EXPECT_TRUE(scaler.unscale_and_check(parameters));  // nothing checked: fp32 training never skips
    scaler.update(false);
    EXPECT_EQ(scaler.current_scale(), 1.0);
}

TEST(loss_scaler, refuses_absurd_options) {
    EXPECT_THROW(loss_scaler(true, options(0)), std::invalid_argument);
    EXPECT_THROW(loss_scaler(true, options(1024, 2000, 1.5)), std::invalid_argument);
    EXPECT_THROW(loss_scaler(true, options(1024, 0)), std::invalid_argument);
}

TEST(autocast_region, runs_cpu_matrix_products_in_bfloat16_and_restores_after) {
    torch::nn::Linear linear(8, 4);
    const torch::Tensor x = torch::randn({2, 8});
    const torch::Tensor exact = linear->forward(x);
    ASSERT_EQ(exact.scalar_type(), torch::kFloat);
    {
        autocast_region outer(torch::kCPU, true);
        EXPECT_EQ(linear->forward(x).scalar_type(), torch::kBFloat16);
        {
            autocast_region inner(torch::kCPU, true);
            EXPECT_EQ(linear->forward(x).scalar_type(), torch::kBFloat16);
        }
        // The inner exit leaves the outer region on.
        const torch::Tensor low = linear->forward(x);
        EXPECT_EQ(low.scalar_type(), torch::kBFloat16);
        // bfloat16 keeps 8 bits of mantissa: near the float product, not equal to it.
        const float error = (low.to(torch::kFloat) - exact).abs().max().item<float>();
        EXPECT_GT(error, 0.0f);
        EXPECT_LT(error, 0.05f);
    }
    EXPECT_EQ(linear->forward(x).scalar_type(), torch::kFloat);
    autocast_region disabled(torch::kCPU, false);
    EXPECT_EQ(linear->forward(x).scalar_type(), torch::kFloat);
}
