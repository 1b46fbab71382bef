// Weight storage: fp16 conversion and int8 dequantization against the ONNX reference test
// vectors (libonnx-testdata), per-channel quantization against hand-computed values.
#include "onnx/graph_builder.h"
#include "onnx/weight_storage.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

using namespace vestis::onnx_export;

namespace {

std::string testdata(const std::string & relative) {
    const char * root = std::getenv("VESTIS_ONNX_TESTDATA");
    return std::string(root ? root : "/usr/share/libonnx-testdata/data/node") + "/" + relative;
}

std::string read_bytes(const std::string & path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << path << " is missing (tools/bootstrap installs libonnx-testdata)";
    return std::string(std::istreambuf_iterator<char>(in), {});
}

onnx::TensorProto read_tensor(const std::string & path) {
    onnx::TensorProto t;
    EXPECT_TRUE(t.ParseFromString(read_bytes(path))) << path;
    return t;
}

template <typename T>
std::vector<T> raw_values(const onnx::TensorProto & t) {
    std::vector<T> v(t.raw_data().size() / sizeof(T));
    std::memcpy(v.data(), t.raw_data().data(), v.size() * sizeof(T));
    return v;
}

// A reference test's model with its inputs turned into initializers: the shape of the
// weights an export stores.
std::string model_with_constant_inputs(const std::string & test) {
    onnx::ModelProto model;
    EXPECT_TRUE(model.ParseFromString(read_bytes(testdata(test + "/model.onnx"))));
    onnx::GraphProto & graph = *model.mutable_graph();
    for (int i = 0; i < graph.input_size(); ++i) {
        onnx::TensorProto t = read_tensor(testdata(test + "/test_data_set_0/input_" + std::to_string(i) + ".pb"));
        t.set_name(graph.input(i).name());
        *graph.add_initializer() = t;
    }
    graph.clear_input();
    std::string bytes;
    model.SerializeToString(&bytes);
    return bytes;
}

std::vector<float> expanded_output(const std::string & test) {
    int rewrites = 0;
    const std::string expanded = expand_stored_weights(model_with_constant_inputs(test), test, &rewrites);
    EXPECT_EQ(rewrites, 1);
    onnx::ModelProto model;
    EXPECT_TRUE(model.ParseFromString(expanded));
    EXPECT_EQ(model.graph().node_size(), 0);
    for (const onnx::TensorProto & t : model.graph().initializer()) {
        if (t.name() == model.graph().output(0).name()) return raw_values<float>(t);
    }
    ADD_FAILURE() << "no initializer for the output";
    return {};
}

}  // namespace

TEST(float16, hand_computed_values) {
    EXPECT_EQ(float_to_half(1.0f), 0x3c00);
    EXPECT_EQ(float_to_half(-2.0f), 0xc000);
    EXPECT_EQ(float_to_half(0.1f), 0x2e66);
    EXPECT_EQ(float_to_half(65504.0f), 0x7bff);                          // the largest half
    EXPECT_EQ(float_to_half(65520.0f), 0x7c00);                          // rounds past it: infinity
    EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);             // the smallest subnormal
    EXPECT_EQ(float_to_half(1e-8f), 0x0000);                             // below half of it: zero
    EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // a tie goes to even
    EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // ... also upwards
    EXPECT_EQ(half_to_float(0x3555), 0.333251953125f);
    EXPECT_TRUE(std::isnan(half_to_float(float_to_half(NAN))));
}

TEST(float16, matches_the_onnx_cast_reference_vectors) {
    const std::string test = "test_cast_FLOAT_to_FLOAT16/test_data_set_0/";
    const onnx::TensorProto input = read_tensor(testdata(test + "input_0.pb"));
    const onnx::TensorProto output = read_tensor(testdata(test + "output_0.pb"));
    const auto floats = raw_values<float>(input);
    const auto halves = raw_values<std::uint16_t>(output);
    ASSERT_EQ(floats.size(), halves.size());
    ASSERT_FALSE(floats.empty());
    for (std::size_t i = 0; i < floats.size(); ++i) {
        if (std::isnan(floats[i])) EXPECT_TRUE(std::isnan(half_to_float(float_to_half(floats[i]))));
        else EXPECT_EQ(float_to_half(floats[i]), halves[i]) << "element " << i << " = " << floats[i];
    }
    const std::string back = "test_cast_FLOAT16_to_FLOAT/test_data_set_0/";
    const auto stored = raw_values<std::uint16_t>(read_tensor(testdata(back + "input_0.pb")));
    const auto expected = raw_values<float>(read_tensor(testdata(back + "output_0.pb")));
    ASSERT_EQ(stored.size(), expected.size());
    for (std::size_t i = 0; i < stored.size(); ++i) {
        if (std::isnan(expected[i])) EXPECT_TRUE(std::isnan(half_to_float(stored[i])));
        else EXPECT_EQ(half_to_float(stored[i]), expected[i]) << "element " << i;
    }
}

TEST(dequantize, expansion_matches_the_onnx_reference_vectors) {
    for (const char * test : {"test_dequantizelinear", "test_dequantizelinear_axis"}) {
        SCOPED_TRACE(test);
        const std::vector<float> got = expanded_output(test);
        const onnx::TensorProto expected = read_tensor(testdata(std::string(test) + "/test_data_set_0/output_0.pb"));
        const auto want = raw_values<float>(expected);
        ASSERT_EQ(got.size(), want.size());
        ASSERT_FALSE(got.empty());
        for (std::size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << "element " << i;
    }
}

TEST(quantize, per_channel_hand_computed) {
    // Channel 0 spans [-2, 1]: scale 2/127; channel 1 is all zero: scale 1, values 0.
    const int8_tensor q = quantize_per_channel({1.0f, -2.0f, 0.5f, 0.0f, 0.0f, 0.0f}, {2, 3}, 0);
    ASSERT_EQ(q.scales.size(), 2u);
    EXPECT_FLOAT_EQ(q.scales[0], 2.0f / 127.0f);
    EXPECT_FLOAT_EQ(q.scales[1], 1.0f);
    // 1 / (2/127) = 63.5 rounds to even 64; 0.5 / (2/127) = 31.75 -> 32.
    EXPECT_EQ(std::vector<int>(q.values.begin(), q.values.end()), (std::vector<int>{64, -127, 32, 0, 0, 0}));
}

TEST(quantize, axis_one_scales_columns_and_round_trip_error_is_bounded) {
    // A transposed-convolution layout [in, out, k, k]: one scale per index along axis 1.
    std::vector<float> values(2 * 3 * 2 * 2);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::sin(static_cast<float>(i)) * static_cast<float>(1 + (i / 4) % 3);
    const std::vector<std::int64_t> dims = {2, 3, 2, 2};
    const int8_tensor q = quantize_per_channel(values, dims, 1);
    ASSERT_EQ(q.scales.size(), 3u);
    const std::vector<float> back = storage_round_trip(values, dims, 1, weight_storage::int8);
    for (std::size_t i = 0; i < values.size(); ++i) {
        const float scale = q.scales[(i / 4) % 3];
        EXPECT_LE(std::abs(back[i] - values[i]), scale / 2 + 1e-7f) << "element " << i;
    }
    EXPECT_THROW(quantize_per_channel(values, dims, 4), std::invalid_argument);
}

TEST(graph_builder, stores_weights_compressed_and_expands_them_back) {
    weight w;
    w.dims = {4, 300};
    for (int i = 0; i < 1200; ++i) w.values.push_back(std::cos(static_cast<float>(i)) * 0.1f);
    for (auto storage : {weight_storage::fp32, weight_storage::fp16, weight_storage::int8}) {
        SCOPED_TRACE(storage_name(storage));
        graph_builder graph("one_gemm", storage);
        graph.add_input("x", {-1, 300});
        const std::string weight_name = graph.add_weight("fc.weight", w);
        graph.add_node("Gemm", {"x", weight_name}, {attribute::of("transB", std::int64_t{1})}, "y");
        graph.add_output("y");
        const std::string bytes = graph.finish();
        const model_signature signature = check_model(bytes, "one_gemm");
        ASSERT_EQ(signature.outputs.size(), 1u);
        EXPECT_EQ(signature.outputs[0].dims, (std::vector<std::int64_t>{-1, 4}));
        const auto expected_bytes = storage == weight_storage::fp32 ? 4800 : storage == weight_storage::fp16 ? 2400 : 1200 + 4 * 5;
        EXPECT_EQ(graph.stats().weight_bytes, expected_bytes);

        int rewrites = -1;
        onnx::ModelProto plain;
        ASSERT_TRUE(plain.ParseFromString(expand_stored_weights(bytes, "one_gemm", &rewrites)));
        EXPECT_EQ(rewrites, storage == weight_storage::fp32 ? 0 : 1);
        ASSERT_EQ(plain.graph().initializer_size(), 1);
        const auto values = raw_values<float>(plain.graph().initializer(0));
        EXPECT_EQ(values, storage_round_trip(w.values, w.dims, 0, storage));
    }
}

TEST(graph_builder, rejects_an_ill_typed_graph_naming_it) {
    graph_builder graph("broken", weight_storage::fp32);
    graph.add_input("x", {1, 3});
    graph.add_node("MatMul", {"x", "x"}, {}, "y");  // [1, 3] x [1, 3]: inner sizes differ
    graph.add_output("y");
    try {
        graph.finish();
        FAIL() << "expected the checker to refuse";
    } catch (const std::runtime_error & e) {
        EXPECT_NE(std::string(e.what()).find("broken"), std::string::npos) << e.what();
    }
}

// ... and reads pads by index: a fuzzed model with three pads for a 2-D Conv crashed it (SIGSEGV).
TEST(check_model, refuses_window_attributes_that_disagree_on_the_axes) {
    onnx::ModelProto model;
    ASSERT_TRUE(model.ParseFromString(read_bytes(testdata("test_conv_with_strides_padding/model.onnx"))));
    onnx::NodeProto & conv = *model.mutable_graph()->mutable_node(0);
    conv.set_name("conv1");
    const auto error_with = [&](const char * name, std::vector<std::int64_t> values) {
        onnx::ModelProto changed = model;
        for (onnx::AttributeProto & a : *changed.mutable_graph()->mutable_node(0)->mutable_attribute()) {
            if (a.name() != name) continue;
            a.clear_ints();
            for (const std::int64_t v : values) a.add_ints(v);
        }
        try {
            check_model(changed.SerializeAsString(), "conv.onnx");
        } catch (const std::runtime_error & e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_EQ(error_with("pads", {1, 1, 1}), "conv.onnx: node 'conv1' (Conv): pads needs a begin and an end per axis, got 3 values");
    EXPECT_EQ(error_with("pads", {1, 1}), "conv.onnx: node 'conv1' (Conv): pads gives 1 axes where the node's other attributes give 2");
    EXPECT_EQ(error_with("strides", {2, 2, 2}),
              "conv.onnx: node 'conv1' (Conv): strides gives 3 axes where the node's other attributes give 2");
}

// ONNX 1.13's shape inference divides by a Conv's strides unchecked: a model file with a zero
// stride killed the process with SIGFPE (found by tests/fuzz). check_model names it instead.
TEST(check_model, refuses_a_zero_stride_before_onnx_divides_by_it) {
    onnx::ModelProto model;
    ASSERT_TRUE(model.ParseFromString(read_bytes(testdata("test_conv_with_strides_padding/model.onnx"))));
    EXPECT_NO_THROW(check_model(model.SerializeAsString(), "conv.onnx"));  // as the ONNX suite has it
    onnx::NodeProto & conv = *model.mutable_graph()->mutable_node(0);
    conv.set_name("conv1");
    for (onnx::AttributeProto & a : *conv.mutable_attribute()) {
        if (a.name() == "strides") a.set_ints(1, 0);
    }
    try {
        check_model(model.SerializeAsString(), "conv.onnx");
        ADD_FAILURE() << "a zero stride was accepted";
    } catch (const std::runtime_error & e) {
        EXPECT_STREQ(e.what(), "conv.onnx: node 'conv1' (Conv): strides must be positive, got 0");
    }
}

// Without kernel_shape, libonnx 1.13 takes the kernel from the weight's dims and then indexes the
// input's axes by the weight's rank unchecked: a fuzzed weight of rank 5 beside a 4-D input
// crashed it (SIGSEGV in convPoolShapeInference). check_model states the kernel the weight implies.
TEST(check_model, takes_a_missing_kernel_shape_from_the_weight_and_checks_it) {
    onnx::ModelProto model;
    ASSERT_TRUE(model.ParseFromString(read_bytes(testdata("test_conv_with_strides_padding/model.onnx"))));
    onnx::NodeProto & conv = *model.mutable_graph()->mutable_node(0);
    conv.set_name("conv1");
    auto & attributes = *conv.mutable_attribute();
    for (int i = 0; i < attributes.size(); ++i) {
        if (attributes.Get(i).name() == "kernel_shape") attributes.DeleteSubrange(i--, 1);
    }
    ASSERT_EQ(conv.input(1), "W");
    onnx::ValueInfoProto * weight = nullptr;
    for (onnx::ValueInfoProto & input : *model.mutable_graph()->mutable_input()) {
        if (input.name() == "W") weight = &input;
    }
    ASSERT_NE(weight, nullptr);
    const auto error_of = [](const onnx::ModelProto & m) {
        try {
            check_model(m.SerializeAsString(), "conv.onnx");
        } catch (const std::runtime_error & e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_EQ(error_of(model), "accepted");  // the 3x3 kernel of W [1, 1, 3, 3]: as ONNX reads it

    onnx::ModelProto five = model;  // W [1, 1, 3, 3, 1] beside the 4-D input x
    for (onnx::ValueInfoProto & input : *five.mutable_graph()->mutable_input()) {
        if (input.name() == "W") input.mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(1);
    }
    EXPECT_EQ(error_of(five), "conv.onnx: node 'conv1' (Conv): strides gives 2 axes where the node's other attributes give 3");

    onnx::ModelProto unknown = model;  // W without a shape: nothing to take the kernel from
    for (onnx::ValueInfoProto & input : *unknown.mutable_graph()->mutable_input()) {
        if (input.name() == "W") input.mutable_type()->mutable_tensor_type()->clear_shape();
    }
    EXPECT_EQ(
        error_of(unknown),
        "conv.onnx: node 'conv1' (Conv): no kernel_shape, and its weight 'W' has no declared shape of 3 or more dims to take it from");
}
