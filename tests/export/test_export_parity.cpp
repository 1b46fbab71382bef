// Exported graphs against the trained modules: LibTorch's forward and OpenCV DNN on the same
// exported model and input give the same logits (1e-4), top-5, heatmaps and attention, for the
// full network and every simplified backbone, with BatchNorm statistics made non-trivial so
// that folding them is tested. Also the size of the full-width network in int8.
#include "nn/onnx_export.h"
#include "onnx/graph_builder.h"
#include "runtime/onnx_model.h"
#include "vestis/postprocess.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace vestis;

namespace {

struct parity_case {
    const char * name;
    nn::network_config config;
};

nn::network_config full_config(bool batch_norm) {
    nn::network_config c;
    c.kind = nn::network_kind::full;
    c.width = 0.125;
    c.vgg_batch_norm = batch_norm;
    c.categories = 12;
    c.attributes = 22;
    c.input_size = 64;
    return c;
}

nn::network_config simple_config(const char * backbone, bool landmarks) {
    nn::network_config c;
    c.kind = nn::network_kind::simple;
    c.backbone = backbone;
    c.landmark_branch = landmarks;
    c.categories = 12;
    c.attributes = 22;
    c.input_size = 64;
    return c;
}

// The CPU demo's landmark branch: BatchNorm folded in, spatial-softmax heatmaps.
nn::network_config full_softmax_heatmaps() {
    nn::network_config c = full_config(true);
    c.landmark_batch_norm = true;
    c.heatmap_softmax = true;
    return c;
}

nn::network_config small_resnet() {
    nn::network_config c = simple_config("resnet18", false);
    c.width = 0.5;
    c.small_input_stem = true;
    c.input_size = 32;
    return c;
}

// TensorFlow's SAME padding on the stride-2 convolutions: asymmetric pads in the ONNX graph.
nn::network_config mobilenet_tf_padding() {
    nn::network_config c = simple_config("mobilenet_v2", false);
    c.tf_padding = true;
    return c;
}

// CSRA's residual attention on the tag head: a 1x1 convolution and a global max pool beside the Gemm,
// weighted well above the mean's share (1) so that a wrong peak path cannot hide within 1e-4.
nn::network_config mobilenet_residual_attention() {
    nn::network_config c = simple_config("mobilenet_v2", false);
    c.residual_attention = 3.0;
    return c;
}

// A portrait input (model.input_height) with TensorFlow's padding and residual attention, the
// street tagger's layout: the graph's input and every pool must take height and width apart.
nn::network_config mobilenet_portrait() {
    nn::network_config c = mobilenet_residual_attention();
    c.tf_padding = true;
    c.input_height = 96;
    return c;
}

std::vector<parity_case> parity_cases() {
    return {{"full_batch_norm", full_config(true)},
            {"full_reference", full_config(false)},
            {"full_softmax_heatmaps", full_softmax_heatmaps()},
            {"resnet18", simple_config("resnet18", true)},
            {"resnet50", simple_config("resnet50", false)},
            {"mobilenet_v2", simple_config("mobilenet_v2", true)},
            {"mobilenet_v2_tf_padding", mobilenet_tf_padding()},
            {"mobilenet_v2_residual_attention", mobilenet_residual_attention()},
            {"mobilenet_v2_portrait", mobilenet_portrait()},
            {"vgg16", simple_config("vgg16", false)},
            {"resnet18_small_stem_half_width", small_resnet()}};
}

// Trained-looking BatchNorm: statistics and affine terms away from 0/1, so a wrong fold shows.
void randomise_batch_norms(torch::nn::Module & net) {
    torch::NoGradGuard no_grad;
    for (auto & module : net.modules()) {
        if (auto * bn = module->as<torch::nn::BatchNorm2d>()) {
            bn->running_mean.normal_(0.0, 0.2);
            bn->running_var.uniform_(0.5, 1.5);
            bn->weight.uniform_(0.5, 1.5);
            bn->bias.normal_(0.0, 0.2);
        }
    }
}

std::shared_ptr<nn::garment_network> make_case(const nn::network_config & config) {
    torch::manual_seed(7);
    auto net = nn::make_network(config);
    randomise_batch_norms(*net);
    net->eval();
    return net;
}

nn::onnx_export_result export_case(nn::garment_network & net, onnx_export::weight_storage storage) {
    std::vector<category_info> categories;
    for (int i = 0; i < net.config().categories; ++i) categories.push_back({"category " + std::to_string(i), "upper"});
    std::vector<attribute_info> attributes;
    for (int i = 0; i < net.config().attributes; ++i)
        attributes.push_back({"attribute " + std::to_string(i), deepfashion_attribute_types()[static_cast<std::size_t>(i % 5)]});
    preprocess_options preprocess;
    preprocess.input_width = net.config().input_size;
    preprocess.input_height = nn::input_height_of(net.config());
    return nn::export_onnx(net, preprocess, categories, attributes, storage, "parity");
}

// The largest difference, relative to the outputs' scale once that is above 1: float sums in
// another order differ by a few ulps of the largest values (ResNet-50's logits reach ~10).
double max_difference(const torch::Tensor & expected, const std::vector<float> & actual) {
    const torch::Tensor flat = expected.detach().contiguous().view({-1});
    EXPECT_EQ(flat.numel(), static_cast<int64_t>(actual.size()));
    if (flat.numel() != static_cast<int64_t>(actual.size())) return INFINITY;
    const torch::Tensor other = torch::from_blob(const_cast<float *>(actual.data()), {flat.numel()}).clone();
    const double scale = std::max(1.0, flat.abs().max().item<double>());
    return (flat - other).abs().max().item<double>() / scale;
}

std::vector<int> top5(const float * scores, int count) {
    std::vector<int> order;
    for (const scored_index & s : top_k(scores, count, 5)) order.push_back(s.index);
    return order;
}

class export_parity : public testing::TestWithParam<parity_case> {};

}  // namespace

TEST_P(export_parity, libtorch_and_opencv_dnn_agree) {
    const parity_case & c = GetParam();
    auto net = make_case(c.config);
    const nn::onnx_export_result exported = export_case(*net, onnx_export::weight_storage::fp32);
    runtime::onnx_model model(exported.card, exported.model, c.name);

    torch::manual_seed(11);
    const torch::Tensor images = torch::randn({2, 3, nn::input_height_of(c.config), c.config.input_size});
    torch::NoGradGuard no_grad;
    const nn::network_output expected = net->forward(images);
    for (int64_t i = 0; i < images.size(0); ++i) {
        SCOPED_TRACE("image " + std::to_string(i));
        const torch::Tensor image = images[i].contiguous();
        const runtime::raw_outputs got = model.run(image.data_ptr<float>());
        const torch::Tensor logits = expected.category_logits[i].contiguous();
        EXPECT_LT(max_difference(logits, got.category_logits), 1e-4);
        EXPECT_EQ(top5(logits.data_ptr<float>(), c.config.categories), top5(got.category_logits.data(), c.config.categories));
        EXPECT_LT(max_difference(expected.attribute_logits[i], got.attribute_logits), 1e-4);
        if (expected.heatmaps.defined()) {
            EXPECT_LT(max_difference(expected.heatmaps[i], got.heatmaps.values), 1e-4);
            // Landmarks: the argmax of each map lands on the same heatmap pixel (within one).
            const auto & h = got.heatmaps;
            for (int k = 0; k < h.count; ++k) {
                const float * map = h.values.data() + static_cast<std::ptrdiff_t>(k) * h.width * h.height;
                const int peak = top_k(map, h.width * h.height, 1)[0].index;
                const float x = expected.landmarks[i][k][0].item<float>() * static_cast<float>(h.width - 1);
                const float y = expected.landmarks[i][k][1].item<float>() * static_cast<float>(h.height - 1);
                EXPECT_LE(std::abs(static_cast<float>(peak % h.width) - x), 1.0f) << "landmark " << k;
                EXPECT_LE(std::abs(static_cast<float>(peak / h.width) - y), 1.0f) << "landmark " << k;
            }
        } else {
            EXPECT_TRUE(got.heatmaps.values.empty());
        }
        if (expected.attention.defined()) {
            EXPECT_EQ(got.attention.count, 1);
            EXPECT_LT(max_difference(expected.attention[i].mean(0), got.attention.values), 1e-4);
        }
    }
}

TEST_P(export_parity, smaller_weights_keep_the_top_category) {
    const parity_case & c = GetParam();
    auto net = make_case(c.config);
    {
        // Spread the category logits so that the ranking means something (random weights give
        // near-ties, which any rounding may swap).
        torch::NoGradGuard no_grad;
        for (auto & p : net->named_parameters()) {
            if (p.key().find("category") != std::string::npos && p.key().find("weight") != std::string::npos) p.value().mul_(50.0);
        }
    }
    torch::manual_seed(13);
    const torch::Tensor images = torch::randn({4, 3, nn::input_height_of(c.config), c.config.input_size});
    runtime::onnx_model full(export_case(*net, onnx_export::weight_storage::fp32).card,
                             export_case(*net, onnx_export::weight_storage::fp32).model, "fp32");
    for (auto storage : {onnx_export::weight_storage::fp16, onnx_export::weight_storage::int8}) {
        SCOPED_TRACE(onnx_export::storage_name(storage));
        const nn::onnx_export_result smaller = export_case(*net, storage);
        runtime::onnx_model model(smaller.card, smaller.model, onnx_export::storage_name(storage));
        for (int64_t i = 0; i < images.size(0); ++i) {
            const torch::Tensor image = images[i].contiguous();
            const auto expected = full.run(image.data_ptr<float>()).category_logits;
            const auto got = model.run(image.data_ptr<float>()).category_logits;
            EXPECT_EQ(top5(expected.data(), c.config.categories)[0], top5(got.data(), c.config.categories)[0]) << "image " << i;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(networks, export_parity, testing::ValuesIn(parity_cases()),
                         [](const testing::TestParamInfo<parity_case> & info) { return std::string(info.param.name); });

TEST(export_size, full_width_network_in_int8_fits_75_megabytes) {
    nn::network_config config;  // the faithful network: VGG16 conv1-4, 1000 attributes, 224 px
    auto net = nn::make_network(config);
    net->eval();
    std::vector<category_info> categories(48, {"c", "upper"});
    std::vector<attribute_info> attributes(1000, {"a", "texture"});
    const nn::onnx_export_result int8 =
        nn::export_onnx(*net, preprocess_options{}, categories, attributes, onnx_export::weight_storage::int8, "full-int8");
    // Every weight is exported; folding the U-Net's BatchNorms changes the count by a few hundred.
    EXPECT_NEAR(static_cast<double>(int8.parameters), static_cast<double>(nn::count_parameters(*net)), 1000.0);
    EXPECT_LE(int8.model.size(), 75u * 1000 * 1000);
    std::cout << "full network: " << int8.parameters << " parameters, int8 model " << int8.model.size() / 1e6 << " MB\n";
}

// For tests/export/ort_parity.test.mjs: the parity models, inputs and LibTorch outputs as files
// (run with VESTIS_PARITY_OUT=DIR; skipped otherwise).
TEST(parity_files, write_for_onnxruntime) {
    const char * out = std::getenv("VESTIS_PARITY_OUT");
    if (!out) GTEST_SKIP() << "VESTIS_PARITY_OUT not set";
    namespace fs = std::filesystem;
    const auto write = [](const fs::path & path, const void * data, std::size_t bytes) {
        std::ofstream(path, std::ios::binary).write(static_cast<const char *>(data), static_cast<std::streamsize>(bytes));
    };
    for (const parity_case & c : parity_cases()) {
        auto net = make_case(c.config);
        const fs::path dir = fs::path(out) / c.name;
        fs::create_directories(dir);
        const nn::onnx_export_result exported = export_case(*net, onnx_export::weight_storage::fp32);
        write(dir / "model.onnx", exported.model.data(), exported.model.size());
        const std::string card = to_json(exported.card);
        write(dir / "card.json", card.data(), card.size());
        torch::manual_seed(11);
        const torch::Tensor images = torch::randn({2, 3, nn::input_height_of(c.config), c.config.input_size});
        torch::NoGradGuard no_grad;
        const nn::network_output o = net->forward(images);
        const auto save = [&](const char * name, const torch::Tensor & t) {
            const torch::Tensor flat = t.contiguous();
            write(dir / name, flat.data_ptr<float>(), static_cast<std::size_t>(flat.numel()) * sizeof(float));
        };
        save("image.bin", images);
        save("category_logits.bin", o.category_logits);
        save("attribute_logits.bin", o.attribute_logits);
        if (o.heatmaps.defined()) save("landmark_heatmaps.bin", o.heatmaps);
        if (o.attention.defined()) save("attention.bin", o.attention.mean(1, /*keepdim=*/true));
    }
}
