// Networks: parameter counts against the reference and torchvision, output shapes, and that
// training reaches every parameter.
#include "nn/backbones.h"
#include "nn/landmark_attention.h"
#include "nn/network.h"
#include "nn/simple_model.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

using namespace vestis::nn;

namespace {

network_config small_full(double width = 0.25) {
    network_config c;
    c.kind = network_kind::full;
    c.width = width;
    c.categories = 5;
    c.attributes = 7;
    c.input_size = 64;
    return c;
}

// Forward, a loss over every output, backward: every parameter must receive a gradient.
void expect_every_parameter_learns(garment_network & net, int input_size) {
    net.train();
    const auto out = net.forward(torch::randn({2, 3, input_size, input_size}));
    torch::Tensor loss = out.category_logits.sum();
    if (out.attribute_logits.defined()) loss = loss + out.attribute_logits.sum();
    if (out.heatmaps.defined()) loss = loss + out.heatmaps.pow(2).mean();
    loss.backward();
    for (const auto & p : net.named_parameters()) {
        ASSERT_TRUE(p.value().grad().defined()) << p.key() << " got no gradient";
        EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
        EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key() << " has an all-zero gradient";
    }
}

}  // namespace

TEST(full_network, has_the_published_parameter_count) {
    network_config c;  // faithful: VGG16, C = 48, A = 1000
    auto net = make_network(c);
    EXPECT_EQ(count_parameters(*net), 69218600);
}

TEST(full_network, batch_norm_is_an_option_with_its_own_parameters) {
    network_config c;
    c.vgg_batch_norm = true;  // weight and bias for each of the 13 VGG convolutions' channels
    EXPECT_EQ(count_parameters(*make_network(c)), 69218600 + 2 * (2 * 64 + 2 * 128 + 3 * 256 + 3 * 512 + 3 * 512));
    c.width = 0.25;
    c.input_size = 64;
    c.categories = 5;
    c.attributes = 7;
    auto net = make_network(c);
    expect_every_parameter_learns(*net, 64);
}

TEST(full_network, width_multiplier_scales_channels_and_fc) {
    auto net = std::dynamic_pointer_cast<landmark_attention_network>(make_network(small_full(0.5)));
    ASSERT_TRUE(net);
    EXPECT_EQ(net->vgg()->convolutions()[0].second->weight.size(0), 32);  // conv1_1: 64 x 0.5
    EXPECT_LT(count_parameters(*net), count_parameters(*make_network(small_full(1.0))) / 3);
}

TEST(full_network, gives_every_output_in_its_shape) {
    auto net = make_network(small_full());
    net->eval();
    torch::NoGradGuard no_grad;
    const auto out = net->forward(torch::randn({3, 3, 64, 64}));
    EXPECT_EQ(out.category_logits.sizes().vec(), (std::vector<int64_t>{3, 5}));
    EXPECT_EQ(out.attribute_logits.sizes().vec(), (std::vector<int64_t>{3, 2, 7}));
    EXPECT_EQ(out.heatmaps.sizes().vec(), (std::vector<int64_t>{3, 8, 64, 64}));
    EXPECT_EQ(out.landmarks.sizes().vec(), (std::vector<int64_t>{3, 8, 2}));
    EXPECT_EQ(out.attention.sizes().vec(), (std::vector<int64_t>{3, 128, 8, 8}));  // conv4_3 of width 0.25
    EXPECT_LE(out.attention.abs().max().item<float>(), 1.0f);                      // tanh
    EXPECT_TRUE(net->two_class_attributes());
}

TEST(full_network, channels_last_computes_the_same) {
    torch::manual_seed(1);
    auto net = make_network(small_full());
    net->eval();
    torch::NoGradGuard no_grad;
    const auto images = torch::randn({2, 3, 64, 64});
    const auto reference = net->forward(images);
    use_channels_last(*net);
    const auto nhwc = net->forward(images.contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_LT((nhwc.category_logits - reference.category_logits).abs().max().item<float>(), 1e-4);
    EXPECT_LT((nhwc.attribute_logits - reference.attribute_logits).abs().max().item<float>(), 1e-4);
    EXPECT_LT((nhwc.heatmaps - reference.heatmaps).abs().max().item<float>(), 1e-4);
}

TEST(full_network, every_parameter_learns) {
    auto net = make_network(small_full());
    expect_every_parameter_learns(*net, 64);
}

TEST(full_network, a_thin_landmark_branch_keeps_two_channels_per_landmark) {
    auto net = make_network(small_full(0.125));
    // The 1x1 convolution to the 8 heatmaps reads 16 maps, not 16 x 0.125 = 2.
    EXPECT_EQ(net->named_parameters()["landmark_branch.layer13.weight"].sizes().vec(), (std::vector<int64_t>{8, 16, 1, 1}));
    EXPECT_EQ(make_network(small_full(1.0))->named_parameters()["landmark_branch.layer13.weight"].size(1), 16);
}

TEST(full_network, softmax_heatmaps_are_window_probabilities_of_the_logits) {
    torch::manual_seed(3);
    network_config c = small_full(0.125);
    c.landmark_batch_norm = true;
    c.heatmap_softmax = true;
    auto net = make_network(c);
    expect_every_parameter_learns(*net, 64);
    net->eval();
    torch::NoGradGuard no_grad;
    const auto out = net->forward(torch::randn({1, 3, 64, 64}));
    ASSERT_TRUE(out.heatmap_logits.defined());
    EXPECT_GE(out.heatmaps.min().item<float>(), 0.0f);
    EXPECT_LE(out.heatmaps.max().item<float>(), 1.0f + 1e-5f);
    // By hand at pixel (x 10, y 20) of map 3: the softmax over the map's 64 x 64 logits, summed
    // over the 5 x 5 window (radius 64 / 32 = 2) around it.
    const auto p = torch::softmax(out.heatmap_logits[0][3].flatten().to(torch::kDouble), 0).view({64, 64});
    const double expected = p.slice(0, 18, 23).slice(1, 8, 13).sum().item<double>();
    EXPECT_NEAR(out.heatmaps[0][3][20][10].item<double>(), expected, 1e-6);
    // At a corner the window is clipped, not wrapped.
    EXPECT_NEAR(out.heatmaps[0][3][0][0].item<double>(), p.slice(0, 0, 3).slice(1, 0, 3).sum().item<double>(), 1e-6);
    c.input_size = 60;
    c.kind = network_kind::simple;
    EXPECT_THROW(make_network(c), std::invalid_argument);
}

// VESTIS_ONEDNN is read once per process, at the first network: each case runs in a child.
TEST(onednn_switch, zero_turns_onednn_off_and_nonsense_is_refused_by_name) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const auto onednn_after = [](const char * value) {
        setenv("VESTIS_ONEDNN", value, 1);
        try {
            make_network(small_full(0.125));
        } catch (const std::invalid_argument & e) {
            std::fprintf(stderr, "%s\n", e.what());
            std::exit(2);
        }
        std::exit(at::globalContext().userEnabledMkldnn() ? 1 : 0);
    };
    EXPECT_EXIT(onednn_after("0"), ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(onednn_after("off"), ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(onednn_after("1"), ::testing::ExitedWithCode(1), "");
    EXPECT_EXIT(onednn_after(""), ::testing::ExitedWithCode(1), "");
    EXPECT_EXIT(onednn_after("maybe"), ::testing::ExitedWithCode(2), "VESTIS_ONEDNN='maybe': expected 0 or off");
}

TEST(backbones, match_torchvision_parameter_counts) {
    // torchvision's models without their classifiers (e.g. resnet18: 11,689,512 - fc 513,000).
    EXPECT_EQ(count_parameters(*make_backbone("vgg16")), 14714688);
    EXPECT_EQ(count_parameters(*make_backbone("resnet18")), 11176512);
    EXPECT_EQ(count_parameters(*make_backbone("resnet50")), 23508032);
    EXPECT_EQ(count_parameters(*make_backbone("mobilenet_v2")), 2223872);
    EXPECT_THROW(make_backbone("alexnet"), std::invalid_argument);
}

class simple_network_test : public ::testing::TestWithParam<std::string> {};

TEST_P(simple_network_test, gives_outputs_and_every_parameter_learns) {
    network_config c;
    c.kind = network_kind::simple;
    c.backbone = GetParam();
    c.categories = 10;
    c.attributes = 6;
    c.input_size = 64;
    auto net = make_network(c);
    {
        torch::NoGradGuard no_grad;
        net->eval();
        const auto out = net->forward(torch::randn({2, 3, 64, 64}));
        EXPECT_EQ(out.category_logits.sizes().vec(), (std::vector<int64_t>{2, 10}));
        EXPECT_EQ(out.attribute_logits.sizes().vec(), (std::vector<int64_t>{2, 6}));
        EXPECT_EQ(out.heatmaps.sizes().vec(), (std::vector<int64_t>{2, 8, 64, 64}));
        EXPECT_FALSE(out.attention.defined());
    }
    expect_every_parameter_learns(*net, 64);
}

INSTANTIATE_TEST_SUITE_P(backbones, simple_network_test, ::testing::Values("vgg16", "resnet18", "resnet50", "mobilenet_v2"));

TEST(simple_network, small_input_stem_and_width_for_small_images) {
    network_config c;
    c.kind = network_kind::simple;
    c.backbone = "resnet18";
    c.landmark_branch = false;
    c.small_input_stem = true;
    c.width = 0.25;
    c.categories = 10;
    c.attributes = 0;
    c.input_size = 32;
    auto net = make_network(c);
    // Channels 16/32/64/128: the stem keeps 32x32, so the last stage is 4x4 instead of 1x1.
    std::vector<stage_shape> stages;
    record_stage_shapes(&stages);
    net->eval();
    const auto out = net->forward(torch::randn({2, 3, 32, 32}));
    record_stage_shapes(nullptr);
    EXPECT_EQ(out.category_logits.sizes(), (std::vector<int64_t>{2, 10}));
    ASSERT_GE(stages.size(), 5u);
    EXPECT_EQ(stages[0].shape, (std::vector<int64_t>{2, 16, 32, 32}));  // stem
    EXPECT_EQ(stages[4].shape, (std::vector<int64_t>{2, 128, 4, 4}));   // layer4
    // A quarter of the channels: about a sixteenth of ResNet-18's 11.2 M parameters.
    EXPECT_LT(count_parameters(*net), 11176512 / 12);
    expect_every_parameter_learns(*net, 32);

    c.width = 0.125;
    EXPECT_THROW(make_network(c), std::invalid_argument);  // 8-channel blocks crash LibTorch's CPU backward
    c.width = 0.25;
    c.landmark_branch = true;
    c.landmarks = 8;
    EXPECT_THROW(make_network(c), std::invalid_argument);  // no stride-8 map for the branch
    c.landmark_branch = false;
    c.backbone = "mobilenet_v2";
    EXPECT_THROW(make_network(c), std::invalid_argument);  // width and stem are ResNet options
}

TEST(simple_network, runs_small_inputs_without_the_landmark_branch) {
    network_config c;
    c.kind = network_kind::simple;
    c.backbone = "resnet18";
    c.categories = 10;
    c.attributes = 0;
    c.landmark_branch = false;
    c.input_size = 32;
    auto net = make_network(c);
    const auto out = net->forward(torch::randn({4, 3, 32, 32}));
    EXPECT_EQ(out.category_logits.sizes().vec(), (std::vector<int64_t>{4, 10}));
    EXPECT_FALSE(out.attribute_logits.defined());
    EXPECT_FALSE(out.heatmaps.defined());
}

namespace {

// A MobileNetV2 tagger without landmarks, as the street-photo model is.
network_config mobilenet_tagger(int input_size) {
    network_config c;
    c.kind = network_kind::simple;
    c.backbone = "mobilenet_v2";
    c.landmark_branch = false;
    c.categories = 2;
    c.attributes = 5;
    c.input_size = input_size;
    return c;
}

}  // namespace

// CSRA's residual attention: the logits gain lambda times each attribute's highest score over
// the final map's locations, computed here by applying the head to every location's features.
TEST(simple_network, residual_attention_adds_each_attributes_peak_location_score) {
    network_config c = mobilenet_tagger(96);
    torch::manual_seed(3);
    auto plain = make_network(c);
    c.residual_attention = 0.4;
    torch::manual_seed(3);
    auto with_peak = make_network(c);
    {
        torch::NoGradGuard no_grad;
        // Trained-looking BatchNorms in both (the same draws): fresh ones in eval mode pass almost nothing on.
        for (auto * net : {plain.get(), with_peak.get()}) {
            torch::manual_seed(5);
            for (auto & module : net->modules()) {
                if (auto * bn = module->as<torch::nn::BatchNorm2d>()) {
                    bn->running_var.uniform_(0.05, 0.2);
                    bn->bias.normal_(0.5, 0.2);
                }
            }
            net->eval();
        }
        const torch::Tensor images = torch::randn({3, 3, 96, 96});
        const torch::Tensor gain = with_peak->forward(images).attribute_logits - plain->forward(images).attribute_logits;

        const auto & simple = dynamic_cast<simple_network &>(*with_peak);
        const torch::Tensor final_map = simple.features()->forward(images).final;  // [3, 1280, 3, 3]
        const torch::Tensor head_weight = with_peak->named_parameters()["attribute_head.weight"];
        const torch::Tensor per_location = final_map.permute({0, 2, 3, 1}).matmul(head_weight.t());  // [3, 3, 3, 5]
        const torch::Tensor peak = std::get<0>(per_location.flatten(1, 2).max(1));
        ASSERT_EQ(gain.sizes(), peak.sizes());
        EXPECT_GT(peak.abs().max().item<double>(), 1e-2);  // the term is not vanishing, so the check means something
        // float sums of 1280 products in another order: a few ulps of the scores' scale
        const double scale = std::max(1.0, peak.abs().max().item<double>());
        EXPECT_LT((gain - 0.4 * peak).abs().max().item<double>(), 1e-5 * scale);
    }
    expect_every_parameter_learns(*with_peak, 96);

    const auto refusal = [](const network_config & config) {
        try {
            make_network(config);
        } catch (const std::invalid_argument & e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    c.residual_attention = -0.1;
    EXPECT_EQ(refusal(c), "model.residual_attention: expected a weight in [0, 10], got -0.1");
    c.residual_attention = 0.4;
    c.attributes = 0;
    c.categories = 4;
    EXPECT_EQ(refusal(c), "model.residual_attention: only the simple network's attribute head has it");  // none to weigh
}

TEST(heatmap_argmax_positions, divides_the_peak_by_size_minus_one) {
    auto maps = torch::zeros({1, 2, 5, 9});
    maps[0][0][4][8] = 1;  // bottom-right corner -> (1, 1)
    maps[0][1][1][2] = 3;  // (2 / 8, 1 / 4)
    const auto p = heatmap_argmax_positions(maps);
    EXPECT_FLOAT_EQ(p[0][0][0].item<float>(), 1.0f);
    EXPECT_FLOAT_EQ(p[0][0][1].item<float>(), 1.0f);
    EXPECT_FLOAT_EQ(p[0][1][0].item<float>(), 0.25f);
    EXPECT_FLOAT_EQ(p[0][1][1].item<float>(), 0.25f);
}

TEST(network_config, rejects_bad_values_naming_the_field) {
    EXPECT_EQ(parse_network_kind("simple"), network_kind::simple);
    EXPECT_EQ(parse_network_kind("full"), network_kind::full);
    EXPECT_FALSE(parse_network_kind("huge").has_value());
    EXPECT_FALSE(parse_network_kind("Full").has_value());
    network_config c;
    c.input_size = 100;  // not a multiple of 32
    EXPECT_THROW(make_network(c), std::invalid_argument);
    c = network_config{};
    c.kind = network_kind::simple;
    c.backbone = "resnet34";
    EXPECT_THROW(make_network(c), std::invalid_argument);
}

// A non-square input: the portrait photos of a street set keep their 2:3. Only a network without
// landmarks takes one (heatmaps are laid out square), and TensorFlow's padding needs both sides
// even at every stride-2 layer.
TEST(network_config, a_non_square_input_is_for_networks_without_landmarks) {
    network_config c = mobilenet_tagger(64);
    c.input_height = 96;
    EXPECT_EQ(input_height_of(c), 96);
    EXPECT_NO_THROW(validate(c));
    const auto message = [](const network_config & bad) {
        try {
            validate(bad);
        } catch (const std::invalid_argument & e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    network_config with_landmarks = c;
    with_landmarks.landmark_branch = true;
    EXPECT_EQ(message(with_landmarks),
              "model.input_height: only a network without landmarks takes a non-square input (set model.landmark_branch: false)");
    network_config full;
    full.input_height = 320;
    EXPECT_EQ(message(full), message(with_landmarks));  // the full network always has landmarks
    network_config tiny = c;
    tiny.input_height = 8;
    EXPECT_EQ(message(tiny), "model.input_height: expected 0 (square) or a height in 32..2048, got 8");
    network_config odd = c;
    odd.tf_padding = true;
    odd.input_height = 80;
    EXPECT_EQ(message(odd), "model.tf_padding: needs model.input_height a multiple of 32, got 80");
    c.input_height = 0;
    EXPECT_EQ(input_height_of(c), 64);
}
