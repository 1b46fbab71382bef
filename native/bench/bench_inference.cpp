// Native inference latency, one image: the exported model in OpenCV DNN (what `vestis predict`
// and the viewer run) against the same network's LibTorch forward (eval mode, no gradients),
// in the same run. The full landmark-attention network at 224 px, and the simplified models
// on ResNet-18 and MobileNetV2.
#include "nn/onnx_export.h"
#include "runtime/onnx_model.h"

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <thread>

namespace {

using namespace vestis;

struct prepared {
    std::shared_ptr<nn::garment_network> net;
    std::unique_ptr<runtime::onnx_model> model;
    torch::Tensor image;
};

nn::network_config named_config(const std::string & name) {
    nn::network_config c;  // "full": faithful (48 categories, 1000 attributes, 224 px)
    if (name != "full") {
        c.kind = nn::network_kind::simple;
        c.backbone = name;
        c.landmark_branch = false;
    }
    return c;
}

// Built once per network and shared by both benchmarks of it.
prepared & network(const std::string & name) {
    static std::map<std::string, prepared> cache;
    auto found = cache.find(name);
    if (found != cache.end()) return found->second;
    prepared p;
    torch::manual_seed(0);
    const nn::network_config config = named_config(name);
    p.net = nn::make_network(config);
    p.net->eval();
    std::vector<category_info> categories(static_cast<std::size_t>(config.categories), {"c", ""});
    std::vector<attribute_info> attributes(static_cast<std::size_t>(config.attributes), {"a", "texture"});
    const nn::onnx_export_result exported =
        nn::export_onnx(*p.net, preprocess_options{}, categories, attributes, onnx_export::weight_storage::fp32, name);
    p.model = std::make_unique<runtime::onnx_model>(exported.card, exported.model, name);
    p.image = torch::randn({1, 3, 224, 224});
    return cache.emplace(name, std::move(p)).first->second;
}

void use_every_core() {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(cores);
    cv::setNumThreads(cores);
}

void opencv_dnn(benchmark::State & state, const std::string & name) {
    use_every_core();
    prepared & p = network(name);
    p.model->run(p.image.data_ptr<float>());  // warm-up: OpenCV allocates on the first run
    for (auto _ : state) benchmark::DoNotOptimize(p.model->run(p.image.data_ptr<float>()));
}

void libtorch(benchmark::State & state, const std::string & name) {
    use_every_core();
    prepared & p = network(name);
    torch::NoGradGuard no_grad;
    p.net->forward(p.image);
    for (auto _ : state) benchmark::DoNotOptimize(p.net->forward(p.image).category_logits.data_ptr<float>());
}

}  // namespace

BENCHMARK_CAPTURE(libtorch, full, std::string("full"))->Unit(benchmark::kMillisecond)->MinTime(3)->UseRealTime();
BENCHMARK_CAPTURE(opencv_dnn, full, std::string("full"))->Unit(benchmark::kMillisecond)->MinTime(3)->UseRealTime();
BENCHMARK_CAPTURE(libtorch, resnet18, std::string("resnet18"))->Unit(benchmark::kMillisecond)->MinTime(2)->UseRealTime();
BENCHMARK_CAPTURE(opencv_dnn, resnet18, std::string("resnet18"))->Unit(benchmark::kMillisecond)->MinTime(2)->UseRealTime();
BENCHMARK_CAPTURE(libtorch, mobilenet_v2, std::string("mobilenet_v2"))->Unit(benchmark::kMillisecond)->MinTime(2)->UseRealTime();
BENCHMARK_CAPTURE(opencv_dnn, mobilenet_v2, std::string("mobilenet_v2"))->Unit(benchmark::kMillisecond)->MinTime(2)->UseRealTime();

BENCHMARK_MAIN();
