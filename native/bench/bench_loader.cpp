// Loader throughput: decode + crop + augment + preprocess + target heatmaps of 300 px JPEGs
// (a synthetic set written for the run), 224x224 inputs, batches of 16. Training must never
// wait for it: the target is >= 300 images/s with 2 workers. One worker is the baseline.
#include "data/loader.h"
#include "data/synth.h"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <unistd.h>

namespace {

const vestis::data::dataset_index & benchmark_set() {
    static const vestis::data::dataset_index index = [] {
        const auto folder = std::filesystem::temp_directory_path() / ("vestis-bench-loader-" + std::to_string(::getpid()));
        std::filesystem::remove_all(folder);
        vestis::data::synth_options o;
        o.out = folder.string();
        o.images = 300;
        vestis::data::write_synthetic_dataset(o, nullptr);
        std::atexit([] {
            std::error_code ignored;
            std::filesystem::remove_all(std::filesystem::temp_directory_path() / ("vestis-bench-loader-" + std::to_string(::getpid())),
                                        ignored);
        });
        return vestis::data::read_dataset(folder.string());
    }();
    return index;
}

void loader_pass(benchmark::State & state) {
    const auto & index = benchmark_set();
    std::vector<std::size_t> all(index.samples.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    vestis::data::loader_options options;  // 224x224, ImageNet statistics, heatmaps with R = 8
    options.augment.enabled = true;
    std::uint64_t seed = 0;
    for (auto _ : state) {
        vestis::data::batch_loader loader(index, all, options, 16, static_cast<int>(state.range(0)), ++seed, true);
        while (auto batch = loader.next()) benchmark::DoNotOptimize(batch->data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<long long>(all.size()));
}

}  // namespace

BENCHMARK(loader_pass)->ArgName("workers")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

BENCHMARK_MAIN();
