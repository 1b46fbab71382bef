// One training step (forward, backward, Adam) of the full landmark-attention network at
// 224x224: the unit of work of `vestis train`. tools/bench runs the same network written in
// PyTorch (native/bench/train_step_pytorch.py) beside it as the baseline. The second case is
// the same step under `train.amp`: bfloat16 autocast on the CPU, whose gain depends on the CPU
// having bfloat16 instructions (AVX512-BF16, AMX); float16 with the loss scale on CUDA.
// VESTIS_BENCH_DEVICE (cpu, cuda) and VESTIS_BENCH_BATCH (default 8) choose where and how much.
#include "nn/losses.h"
#include "nn/network.h"
#include "train/mixed_precision.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

std::string environment(const char * name, const char * fallback) {
    const char * value = std::getenv(name);
    return value && *value ? value : fallback;
}
int positive(const char * name, const char * fallback) {
    const std::string text = environment(name, fallback);
    char * end = nullptr;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (*end != '\0' || value < 1 || value > 4096) {
        std::fprintf(stderr, "%s='%s': expected an integer in 1..4096\n", name, text.c_str());
        std::exit(2);
    }
    return static_cast<int>(value);
}
const torch::Device device(environment("VESTIS_BENCH_DEVICE", "cpu"));
const int batch = positive("VESTIS_BENCH_BATCH", "8");

}  // namespace

static void full_network_train_step(benchmark::State & state) {
    const bool amp = state.range(0) != 0;
    // OpenMP may start with one thread here: use every core, as the PyTorch baseline does.
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    torch::manual_seed(0);
    vestis::nn::network_config config;  // faithful: C = 48, A = 1000, width 1
    auto net = vestis::nn::make_network(config);
    net->to(device);
    vestis::nn::use_channels_last(*net);  // as the trainer runs it
    net->train();
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-4));
    const auto on_device = torch::TensorOptions().device(device);
    const auto images = torch::randn({batch, 3, 224, 224}, on_device).contiguous(torch::MemoryFormat::ChannelsLast);
    vestis::nn::batch_targets targets;
    targets.category = torch::randint(0, config.categories, {batch}, on_device.dtype(torch::kLong));
    targets.attributes = torch::randint(0, 2, {batch, config.attributes}, on_device.dtype(torch::kLong));
    targets.heatmaps = torch::rand({batch, config.landmarks, 224, 224}, on_device);
    targets.landmark_visible = torch::randint(0, 2, {batch, config.landmarks}, on_device);
    const vestis::nn::loss_config losses;                        // reference weights
    vestis::train::loss_scaler scaler(amp && device.is_cuda());  // as the trainer does

    const auto step = [&] {
        adam.zero_grad();
        vestis::nn::loss_terms terms;
        {
            vestis::train::autocast_region autocast(device, amp);
            terms = vestis::nn::compute_loss(net->forward(images), targets, losses);
        }
        scaler.scale(terms.total).backward();
        const bool finite = scaler.unscale_and_check(net->parameters());
        if (finite) adam.step();
        scaler.update(finite);
        return terms.total.item<float>();  // waits for the device
    };
    for (int warm_up = 0; warm_up < (device.is_cuda() ? 3 : 1); ++warm_up) step();  // first-touch allocations, kernel choice
    for (auto _ : state) benchmark::DoNotOptimize(step());
    state.SetItemsProcessed(state.iterations() * batch);
    state.counters["threads"] = torch::get_num_threads();
    state.counters["batch"] = batch;
}

BENCHMARK(full_network_train_step)
    ->ArgName("amp")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kSecond)
    ->Iterations(device.is_cuda() ? 20 : 4)
    ->UseRealTime();

BENCHMARK_MAIN();
