// Preprocessing of a phone photo (4032x3024 RGBA, as a canvas hands it over) to the
// 3x224x224 network input: the work the browser and the viewer do for every photo.
#include "vestis/preprocess.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

static vestis::image phone_photo() {
    vestis::image photo(4032, 3024, vestis::pixel_format::rgba8);
    std::mt19937 rng(7);
    for (std::size_t i = 0; i < photo.size_bytes(); ++i) photo.data()[i] = static_cast<std::uint8_t>(rng());
    return photo;
}

static void preprocess_phone_photo(benchmark::State & state, vestis::crop_policy policy) {
    static const vestis::image photo = phone_photo();
    vestis::preprocess_options options;
    options.policy = policy;
    std::vector<float> chw(3 * 224 * 224);
    for (auto _ : state) {
        auto g = vestis::preprocess(photo.view(), nullptr, options, chw.data());
        benchmark::DoNotOptimize(chw.data());
        if (!g.ok()) state.SkipWithError(g.error().message().c_str());
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(preprocess_phone_photo, stretch_4032x3024_rgba_to_224, vestis::crop_policy::stretch)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);
BENCHMARK_CAPTURE(preprocess_phone_photo, letterbox_4032x3024_rgba_to_224, vestis::crop_policy::letterbox)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);

BENCHMARK_MAIN();
