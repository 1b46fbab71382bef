// One training step (forward, backward, Adam) of the full landmark-attention network at
// 224x224, batch 8, on the CPU: the unit of work of `vestis train`. tools/bench runs the same
// network written in PyTorch (native/bench/train_step_pytorch.py) beside it as the baseline.
// The second case is the same step under `train.amp` (bfloat16 autocast on the CPU), whose
// gain depends on the CPU having bfloat16 instructions (AVX512-BF16, AMX).
#include "nn/losses.h"
#include "nn/network.h"
#include "train/mixed_precision.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <thread>

static void full_network_train_step(benchmark::State & state) {
    constexpr int batch = 8;
    const bool bfloat16 = state.range(0) != 0;
    // OpenMP may start with one thread here: use every core, as the PyTorch baseline does.
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    torch::manual_seed(0);
    vestis::nn::network_config config;  // faithful: C = 48, A = 1000, width 1
    auto net = vestis::nn::make_network(config);
    vestis::nn::use_channels_last(*net);  // as the trainer runs it
    net->train();
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-4));
    const auto images = torch::randn({batch, 3, 224, 224}).contiguous(torch::MemoryFormat::ChannelsLast);
    vestis::nn::batch_targets targets;
    targets.category = torch::randint(0, config.categories, {batch}, torch::kLong);
    targets.attributes = torch::randint(0, 2, {batch, config.attributes}, torch::kLong);
    targets.heatmaps = torch::rand({batch, config.landmarks, 224, 224});
    targets.landmark_visible = torch::randint(0, 2, {batch, config.landmarks}).to(torch::kFloat);
    const vestis::nn::loss_config losses;  // reference weights

    const auto step = [&] {
        adam.zero_grad();
        vestis::nn::loss_terms terms;
        {
            vestis::train::autocast_region autocast(torch::kCPU, bfloat16);  // as the trainer does
            terms = vestis::nn::compute_loss(net->forward(images), targets, losses);
        }
        terms.total.backward();
        adam.step();
        return terms.total.item<float>();
    };
    step();  // warm-up: first-touch allocations
    for (auto _ : state) benchmark::DoNotOptimize(step());
    state.SetItemsProcessed(state.iterations() * batch);
    state.counters["threads"] = torch::get_num_threads();
}

BENCHMARK(full_network_train_step)->ArgName("bfloat16")->Arg(0)->Arg(1)->Unit(benchmark::kSecond)->Iterations(4)->UseRealTime();

BENCHMARK_MAIN();
