// ImageNet weight import against torchvision itself: state_dicts and forward passes written
// at test time by Debian's python3-torchvision (tests/nn/make_torch_fixtures.py).
#include "io/torch_save.h"
#include "torch_fixture.h"
#include "nn/imagenet_import.h"
#include "nn/landmark_attention.h"
#include "nn/simple_model.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace vestis::nn;

static torch::Tensor saved(const std::map<std::string, vestis::saved_tensor> & file, const char * key) {
    const auto & t = file.at(key);
    return torch::from_blob(const_cast<float *>(t.values.data()), t.shape, torch::kFloat).clone();
}

TEST(vgg_import, full_network_computes_what_torchvision_computes) {
    network_config c;  // faithful widths; the input size only matters for the FC heads
    auto net = std::dynamic_pointer_cast<landmark_attention_network>(make_network(c));
    EXPECT_EQ(import_imagenet_weights(*net, torch_fixture("vgg16.pth")), 26);
    const auto reference = vestis::read_torch_save(torch_fixture("vgg16_outputs.pth"));
    torch::NoGradGuard no_grad;
    const auto conv4_3 = net->vgg()->forward(saved(reference, "input")).stride8;
    EXPECT_LT((conv4_3 - saved(reference, "conv4_3")).abs().max().item<float>(), 1e-4);
    // conv5 came from features.24/26/28.
    EXPECT_TRUE(torch::equal(net->conv5()[2].second->bias,
                             saved(vestis::read_torch_save(torch_fixture("vgg16_features.pth")), "features.28.bias")));
}

TEST(vgg_import, simple_vgg16_backbone_computes_what_torchvision_computes) {
    network_config c;
    c.kind = network_kind::simple;
    c.backbone = "vgg16";
    auto net = std::dynamic_pointer_cast<simple_network>(make_network(c));
    import_imagenet_weights(*net, torch_fixture("vgg16_features.pth"));
    const auto reference = vestis::read_torch_save(torch_fixture("vgg16_outputs.pth"));
    torch::NoGradGuard no_grad;
    const auto pool5 = net->features()->forward(saved(reference, "input")).final;
    EXPECT_LT((pool5 - saved(reference, "pool5")).abs().max().item<float>(), 1e-4);
}

static std::string import_error(garment_network & net, const std::string & path) {
    try {
        import_imagenet_weights(net, path);
    } catch (const std::runtime_error & e) {
        return e.what();
    }
    return "";
}

TEST(vgg_import, names_the_missing_key_and_the_mismatched_shape) {
    network_config c;
    c.width = 0.5;
    auto narrow = make_network(c);
    const std::string mismatch = import_error(*narrow, torch_fixture("vgg16_features.pth"));
    EXPECT_NE(mismatch.find("features.0.weight has shape [64, 3, 3, 3] but the network needs [32, 3, 3, 3] (model.width 0.5"),
              std::string::npos)
        << mismatch;
    auto faithful = make_network(network_config{});
    const std::string missing = import_error(*faithful, torch_fixture("vgg16_missing.pth"));
    EXPECT_NE(missing.find("vgg16_missing.pth: key 'features.10.weight' is missing (model kind full takes torchvision's vgg16 weights)"),
              std::string::npos)
        << missing;
    c = network_config{};
    c.vgg_batch_norm = true;
    auto with_norms = make_network(c);
    EXPECT_NE(import_error(*with_norms, torch_fixture("vgg16_features.pth"))
                  .find("is not part of the network (model kind full, vgg_batch_norm takes torchvision's vgg16_bn weights)"),
              std::string::npos);
    c = network_config{};
    c.kind = network_kind::simple;
    c.backbone = "resnet18";
    auto resnet = make_network(c);
    EXPECT_NE(import_error(*resnet, torch_fixture("vgg16_features.pth"))
                  .find("key 'features.0.bias' is not part of the network (model backbone resnet18 takes torchvision's resnet18 weights)"),
              std::string::npos);
}

// Each backbone, with the file torchvision writes for it, computes torchvision's stride-8 and
// last feature maps. BatchNorm statistics are random in the fixtures, so they must load too.
struct backbone_case {
    const char * file;
    const char * backbone;
    double width;
    bool batch_norm;
    bool tf_padding = false;
};

class imagenet_backbones : public ::testing::TestWithParam<backbone_case> {};

TEST_P(imagenet_backbones, compute_what_torchvision_computes) {
    const backbone_case & p = GetParam();
    network_config c;
    c.kind = network_kind::simple;
    c.backbone = p.backbone;
    c.width = p.width;
    c.vgg_batch_norm = p.batch_norm;
    c.tf_padding = p.tf_padding;
    c.landmark_branch = false;
    c.input_size = 96;  // the fixtures' input
    auto net = std::dynamic_pointer_cast<simple_network>(make_network(c));
    EXPECT_GT(import_imagenet_weights(*net, torch_fixture((std::string(p.file) + ".pth").c_str())), 0);
    const auto reference = vestis::read_torch_save(torch_fixture((std::string(p.file) + "_outputs.pth").c_str()));
    net->eval();
    torch::NoGradGuard no_grad;
    const auto maps = net->features()->forward(saved(reference, "input"));
    const torch::Tensor stride8 = saved(reference, "stride8"), final = saved(reference, "final");
    ASSERT_EQ(maps.stride8.sizes(), stride8.sizes());
    ASSERT_EQ(maps.final.sizes(), final.sizes());
    // float32 sums over up to 4,608 products per output, through up to 50 layers: relative
    // error of a few 1e-6 per layer against values of order 1-10.
    EXPECT_LT((maps.stride8 - stride8).abs().max().item<float>(), 1e-3 * std::max(1.0f, stride8.abs().max().item<float>()));
    EXPECT_LT((maps.final - final).abs().max().item<float>(), 1e-3 * std::max(1.0f, final.abs().max().item<float>()));
}

INSTANTIATE_TEST_SUITE_P(torchvision, imagenet_backbones,
                         ::testing::Values(backbone_case{"vgg16_bn", "vgg16", 1.0, true}, backbone_case{"resnet18", "resnet18", 1.0, false},
                                           backbone_case{"resnet50", "resnet50", 1.0, false},
                                           backbone_case{"mobilenet_v2", "mobilenet_v2", 1.0, false},
                                           backbone_case{"mobilenet_v2_035", "mobilenet_v2", 0.35, false},
                                           backbone_case{"mobilenet_v2_tf_padding", "mobilenet_v2", 1.0, false, true}),
                         [](const auto & info) { return std::string(info.param.file); });

TEST(imagenet_import, mobilenet_width_must_match_the_file) {
    network_config c;
    c.kind = network_kind::simple;
    c.backbone = "mobilenet_v2";
    c.landmark_branch = false;
    auto full_width = make_network(c);
    const std::string error = import_error(*full_width, torch_fixture("mobilenet_v2_035.pth"));
    EXPECT_NE(error.find("features.0.0.weight has shape [16, 3, 3, 3] but the network needs [32, 3, 3, 3]"), std::string::npos) << error;
}

TEST(imagenet_import, frozen_batch_norms_keep_their_statistics_in_training) {
    network_config c;
    c.kind = network_kind::simple;
    c.backbone = "mobilenet_v2";
    c.width = 0.35;
    c.landmark_branch = false;
    c.freeze_batch_norm = true;
    c.categories = 3;
    c.attributes = 0;
    auto net = std::dynamic_pointer_cast<simple_network>(make_network(c));
    import_imagenet_weights(*net, torch_fixture("mobilenet_v2_035.pth"));
    const auto file = vestis::read_torch_save(torch_fixture("mobilenet_v2_035.pth"));
    net->train();
    const auto norms = net->imagenet_batch_norms();
    ASSERT_EQ(norms.size(), 52u);  // 1 stem + 17 blocks of 2 or 3 + the last 1x1
    for (auto * norm : norms) {
        EXPECT_FALSE(norm->is_training());
        EXPECT_FALSE(norm->weight.requires_grad());
    }
    auto out = net->forward(torch::randn({4, 3, 64, 64}));
    out.category_logits.sum().backward();
    // Training mode, one forward and backward: the statistics are the file's still.
    EXPECT_TRUE(torch::equal(net->features()->torchvision_state()[1].second, saved(file, "features.0.1.weight")));
    for (const auto & [key, tensor] : net->features()->torchvision_state()) {
        if (key == "features.0.1.running_mean") {
            EXPECT_TRUE(torch::allclose(tensor, saved(file, key.c_str())));
        }
    }
    EXPECT_TRUE(net->is_training());
}
