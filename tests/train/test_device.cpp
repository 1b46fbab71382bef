// The GPU path against the CPU: the full network's forward and backward, autocast with the loss
// scaler, and a process group of one rank. The device under test is VESTIS_TEST_DEVICE
// (tools/gpu-check sets cuda, or cpu for its dry run); unset, CUDA when there is one, else the
// tests skip: on a machine without a GPU there is nothing to compare. The one-rank group also
// runs on the CPU in every ctest run (tests/CMakeLists.txt).
//
// Tolerances, norm-wise (|a - b| / |b| over a whole tensor), from the arithmetic: each layer
// rounds its inputs to the compute type's unit roundoff u, and the errors of the ~20 layers in
// a row add up at most linearly: 2 * 20 * u for outputs, twice that for gradients (backward runs
// the layers again). CUDA convolutions default to TF32 (u = 2^-11, what the trainer runs);
// float16 autocast has u = 2^-11 too, bfloat16 (the CPU's autocast) 2^-8. CPU against CPU
// differs by nothing.
#include "nn/losses.h"
#include "nn/network.h"
#include "train/distributed.h"
#include "train/mixed_precision.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

using namespace vestis;

namespace {

std::optional<torch::Device> device_under_test() {
    const char * named = std::getenv("VESTIS_TEST_DEVICE");
    if (named && *named) return torch::Device(named);
    if (torch::cuda::is_available()) return torch::Device(torch::kCUDA, 0);
    return std::nullopt;
}

constexpr double layers_in_a_row = 20;
double unit_roundoff(torch::Device device, bool autocast) {
    if (device.is_cpu()) return autocast ? std::ldexp(1.0, -8) : 0.0;  // bfloat16, or the same arithmetic
    return std::ldexp(1.0, -11);                                       // TF32 convolutions, float16 autocast
}
double output_tolerance(torch::Device device, bool autocast) { return 2 * layers_in_a_row * unit_roundoff(device, autocast) + 1e-6; }
double gradient_tolerance(torch::Device device, bool autocast) { return 2 * output_tolerance(device, autocast); }

double relative_error(const torch::Tensor & value, const torch::Tensor & reference) {
    const torch::Tensor a = value.detach().to(torch::kCPU, torch::kDouble), b = reference.detach().to(torch::kCPU, torch::kDouble);
    return (a - b).norm().item<double>() / std::max(b.norm().item<double>(), 1e-30);
}

// The faithful network (224 px, 48 categories, 1000 attributes) with the seed's weights, in eval
// mode: dropout off and BatchNorm on its running statistics, the same on every device.
std::shared_ptr<nn::garment_network> seeded_network(torch::Device device) {
    torch::manual_seed(7);
    auto net = nn::make_network(nn::network_config{});
    net->eval();
    net->to(device);
    return net;
}

struct batch {
    torch::Tensor images;
    nn::batch_targets targets;
};

batch seeded_batch(torch::Device device, int images = 2) {
    torch::manual_seed(11);
    const nn::network_config config;
    batch b;
    b.images = torch::randn({images, 3, 224, 224}).to(device);
    b.targets.category = torch::randint(0, config.categories, {images}, torch::kLong).to(device);
    b.targets.attributes = torch::randint(0, 2, {images, config.attributes}, torch::kLong).to(device);
    b.targets.heatmaps = torch::rand({images, config.landmarks, 224, 224}).to(device);
    b.targets.landmark_visible = torch::randint(0, 2, {images, config.landmarks}).to(torch::kFloat).to(device);
    return b;
}

torch::Tensor gradient_of(const torch::Tensor & parameter) {
    return parameter.grad().defined() ? parameter.grad().detach().clone() : torch::zeros_like(parameter);
}

// Forward (under autocast when asked, scaled by the scaler) and backward; the unscaled gradients.
struct pass {
    nn::network_output output;
    double loss = 0;
    std::vector<torch::Tensor> gradients;
};

pass forward_backward(nn::garment_network & net, const batch & b, bool autocast, const train::loss_scaler & scaler) {
    net.zero_grad();
    pass p;
    nn::loss_terms terms;
    {
        train::autocast_region region(b.images.device(), autocast);
        p.output = net.forward(b.images);
        terms = nn::compute_loss(p.output, b.targets, nn::loss_config{});
    }
    scaler.scale(terms.total).backward();
    std::vector<torch::Tensor> parameters = net.parameters();
    EXPECT_TRUE(scaler.unscale_and_check(parameters)) << "a non-finite gradient at scale " << scaler.current_scale();
    p.loss = terms.total.item<double>();
    for (const auto & parameter : parameters) p.gradients.push_back(gradient_of(parameter));
    return p;
}

class on_device : public ::testing::Test {
protected:
    void SetUp() override {
        const auto named = device_under_test();
        if (!named) GTEST_SKIP() << "no CUDA device: set VESTIS_TEST_DEVICE=cpu to run these against the CPU";
        device = *named;
    }
    torch::Device device = torch::kCPU;
};

// Gradients: the whole gradient (every parameter in one vector) within the tolerance; in float32
// each parameter's own too. Under autocast a parameter whose gradient is tiny beside the others
// (a BatchNorm shift, say) is mostly rounding, so only the whole is held to the bound there.
void expect_same_pass(const pass & here, const pass & on_cpu, double output_tol, double gradient_tol, bool each_parameter) {
    EXPECT_LE(relative_error(here.output.category_logits, on_cpu.output.category_logits), output_tol);
    EXPECT_LE(relative_error(here.output.attribute_logits, on_cpu.output.attribute_logits), output_tol);
    EXPECT_LE(relative_error(here.output.heatmaps, on_cpu.output.heatmaps), output_tol);
    EXPECT_LE(relative_error(here.output.attention, on_cpu.output.attention), output_tol);
    EXPECT_NEAR(here.loss, on_cpu.loss, output_tol * std::abs(on_cpu.loss));
    ASSERT_EQ(here.gradients.size(), on_cpu.gradients.size());
    std::vector<torch::Tensor> all_here, all_reference;
    for (std::size_t i = 0; i < on_cpu.gradients.size(); ++i) {
        all_here.push_back(here.gradients[i].to(torch::kCPU).flatten());
        all_reference.push_back(on_cpu.gradients[i].flatten());
        if (each_parameter && on_cpu.gradients[i].norm().item<double>() > 0) {
            EXPECT_LE(relative_error(here.gradients[i], on_cpu.gradients[i]), gradient_tol) << "parameter " << i;
        }
    }
    const double whole = relative_error(torch::cat(all_here), torch::cat(all_reference));
    // In the test's JSON report (tools/gpu-check keeps it): how close, not only whether.
    ::testing::Test::RecordProperty("whole_gradient_relative_error", std::to_string(whole));
    ::testing::Test::RecordProperty("category_logits_relative_error",
                                    std::to_string(relative_error(here.output.category_logits, on_cpu.output.category_logits)));
    EXPECT_LE(whole, gradient_tol) << "the whole gradient";
}

}  // namespace

TEST_F(on_device, the_full_network_computes_what_the_cpu_computes_forward_and_backward) {
    const train::loss_scaler unscaled(false);
    auto cpu_net = seeded_network(torch::kCPU);
    const pass on_cpu = forward_backward(*cpu_net, seeded_batch(torch::kCPU), false, unscaled);
    auto net = seeded_network(device);
    const pass here = forward_backward(*net, seeded_batch(device), false, unscaled);
    expect_same_pass(here, on_cpu, output_tolerance(device, false), gradient_tolerance(device, false), true);
}

TEST_F(on_device, autocast_with_the_loss_scale_gives_the_float32_gradients) {
    // float16 on CUDA needs the scale: small gradients would flush to zero without it.
    auto reference_net = seeded_network(torch::kCPU);
    const pass reference = forward_backward(*reference_net, seeded_batch(torch::kCPU), false, train::loss_scaler(false));
    auto net = seeded_network(device);
    train::loss_scale_options scale;
    scale.initial = 1024;
    const pass mixed = forward_backward(*net, seeded_batch(device), true, train::loss_scaler(true, scale));
    expect_same_pass(mixed, reference, output_tolerance(device, true), gradient_tolerance(device, true), false);
}

TEST_F(on_device, mixed_precision_steps_lower_the_loss_and_keep_the_scale_finite) {
    // GradScaler's schedule from 2^16: a first step may overflow and halve the scale; the loss
    // on one fixed batch must still fall over a few Adam steps.
    auto net = seeded_network(device);
    net->train();
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-4));
    train::loss_scaler scaler(true);
    const batch b = seeded_batch(device);
    double first = 0, last = 0;
    int applied = 0;
    for (int step = 0; step < 6; ++step) {
        adam.zero_grad();
        nn::loss_terms terms;
        {
            train::autocast_region region(device, true);
            terms = nn::compute_loss(net->forward(b.images), b.targets, nn::loss_config{});
        }
        scaler.scale(terms.total).backward();
        const bool finite = scaler.unscale_and_check(net->parameters());
        if (finite) {
            adam.step();
            ++applied;
        }
        scaler.update(finite);
        (step == 0 ? first : last) = terms.total.item<double>();
    }
    EXPECT_GE(applied, 4) << "steps skipped for non-finite gradients";
    EXPECT_TRUE(std::isfinite(scaler.current_scale()) && scaler.current_scale() >= 1) << scaler.current_scale();
    EXPECT_LT(last, first);
}

TEST_F(on_device, a_process_group_of_one_rank_runs_its_collectives) {
    // What `vestis launch --nproc 1` sets: NCCL on CUDA, Gloo on the CPU, through the same
    // rendezvous. Port 0 would be refused: fixed ports unlikely to be taken on a test machine,
    // one per device, as ctest may run the CPU and CUDA cases side by side.
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", device.is_cuda() ? "29517" : "29518", 1);
    setenv("WORLD_SIZE", "1", 1);
    setenv("RANK", "0", 1);
    setenv("LOCAL_RANK", "0", 1);
    setenv("VESTIS_DIST_TIMEOUT", "60", 1);
    train::process_group group = train::process_group::from_environment(device);
    for (const char * name : {"MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "LOCAL_RANK", "VESTIS_DIST_TIMEOUT"}) unsetenv(name);
    ASSERT_TRUE(group.distributed());
    EXPECT_EQ(group.world(), 1);
    EXPECT_EQ(group.device().type(), device.type());

    EXPECT_EQ(group.sum({1.5, -2.0, 40.0}), (std::vector<double>{1.5, -2.0, 40.0}));  // all-reduce
    const torch::Tensor rows = torch::arange(6, torch::kFloat).view({3, 2});
    EXPECT_TRUE(torch::equal(group.all_gather_rows(rows), rows));
    auto net = seeded_network(group.device());
    const torch::Tensor before = net->parameters().front().detach().cpu().clone();
    group.broadcast_state(*net);  // from rank 0 to itself: unchanged, through the backend
    EXPECT_TRUE(torch::equal(net->parameters().front().detach().cpu(), before));

    // The bucketed gradient all-reduce, through the backend during backward: this rank's
    // gradient weighted by its 2 images, over the combined batch's 4, is half its own.
    train::gradient_reducer reducer(group, *net);
    net->zero_grad();
    reducer.begin_step(2);
    const batch b = seeded_batch(group.device());
    nn::compute_loss(net->forward(b.images), b.targets, nn::loss_config{}).total.backward();
    std::vector<torch::Tensor> own;
    for (const auto & parameter : net->parameters()) own.push_back(gradient_of(parameter));
    reducer.launch_remaining();
    reducer.finish(4);
    const auto parameters = net->parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        ASSERT_TRUE(torch::equal(parameters[i].grad(), own[i] * 0.5)) << "parameter " << i;  // x2 then /4: exact in binary
    }
}
