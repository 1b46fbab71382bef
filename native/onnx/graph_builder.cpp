#include "onnx/graph_builder.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace vestis::onnx_export {

attribute attribute::of(std::string name, std::int64_t value) {
    attribute a;
    a.name = std::move(name), a.type = kind::integer, a.integer = value;
    return a;
}
attribute attribute::of(std::string name, std::vector<std::int64_t> values) {
    attribute a;
    a.name = std::move(name), a.type = kind::integers, a.integers = std::move(values);
    return a;
}
attribute attribute::of(std::string name, float value) {
    attribute a;
    a.name = std::move(name), a.type = kind::real, a.real = value;
    return a;
}
attribute attribute::of(std::string name, std::string value) {
    attribute a;
    a.name = std::move(name), a.type = kind::text, a.text = std::move(value);
    return a;
}

struct graph_builder::impl {
    onnx::ModelProto model;
    onnx::GraphProto * graph = nullptr;
    weight_storage storage = weight_storage::fp32;
    std::unordered_set<std::string> names;
    graph_stats stats;
    int next_value = 0;

    std::string claim(const std::string & name) {
        if (!names.insert(name).second) throw std::logic_error("ONNX graph: the name '" + name + "' is used twice");
        return name;
    }
    std::string fresh(const std::string & op) {
        std::string name;
        do name = op + "_" + std::to_string(next_value++);
        while (names.count(name));
        return claim(name);
    }
    onnx::TensorProto * initializer(const std::string & name, int type, const std::vector<std::int64_t> & dims) {
        onnx::TensorProto * t = graph->add_initializer();
        t->set_name(claim(name));
        t->set_data_type(type);
        for (std::int64_t d : dims) t->add_dims(d);
        return t;
    }
};

namespace {

template <typename T>
void set_raw(onnx::TensorProto * tensor, const std::vector<T> & values) {
    tensor->set_raw_data(std::string(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(T)));
}

std::int64_t element_count(const std::vector<std::int64_t> & dims) {
    std::int64_t n = 1;
    for (std::int64_t d : dims) n *= d;
    return n;
}

}  // namespace

graph_builder::graph_builder(std::string graph_name, weight_storage storage) : impl_(std::make_unique<impl>()) {
    impl_->storage = storage;
    impl_->model.set_ir_version(onnx::IR_VERSION);
    onnx::OperatorSetIdProto * opset = impl_->model.add_opset_import();
    opset->set_domain("");
    opset->set_version(opset_version);
    impl_->graph = impl_->model.mutable_graph();
    impl_->graph->set_name(std::move(graph_name));
}

graph_builder::~graph_builder() = default;

void graph_builder::add_input(const std::string & name, const std::vector<std::int64_t> & dims) {
    onnx::ValueInfoProto * input = impl_->graph->add_input();
    input->set_name(impl_->claim(name));
    onnx::TypeProto_Tensor * tensor = input->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnx::TensorProto::FLOAT);
    for (std::int64_t d : dims) {
        onnx::TensorShapeProto_Dimension * dim = tensor->mutable_shape()->add_dim();
        if (d < 0) dim->set_dim_param("batch");
        else dim->set_dim_value(d);
    }
}

std::string graph_builder::add_weight(const std::string & name, const weight & w) {
    const std::int64_t count = element_count(w.dims);
    if (count != static_cast<std::int64_t>(w.values.size())) {
        throw std::logic_error("ONNX weight '" + name + "': " + std::to_string(w.values.size()) + " values for " + std::to_string(count) +
                               " elements");
    }
    impl_->stats.parameters += count;
    const weight_storage storage = count < min_compressed ? weight_storage::fp32 : impl_->storage;
    switch (storage) {
        case weight_storage::fp32: {
            set_raw(impl_->initializer(name, onnx::TensorProto::FLOAT, w.dims), w.values);
            impl_->stats.weight_bytes += count * 4;
            return name;
        }
        case weight_storage::fp16: {
            std::vector<std::uint16_t> halves(w.values.size());
            for (std::size_t k = 0; k < halves.size(); ++k) halves[k] = float_to_half(w.values[k]);
            set_raw(impl_->initializer(name + "_fp16", onnx::TensorProto::FLOAT16, w.dims), halves);
            impl_->stats.weight_bytes += count * 2;
            return add_node("Cast", {name + "_fp16"}, {attribute::of("to", std::int64_t{onnx::TensorProto::FLOAT})}, name);
        }
        case weight_storage::int8: {
            const int8_tensor q = quantize_per_channel(w.values, w.dims, w.channel_axis);
            const std::int64_t channels = static_cast<std::int64_t>(q.scales.size());
            set_raw(impl_->initializer(name + "_int8", onnx::TensorProto::INT8, w.dims), q.values);
            set_raw(impl_->initializer(name + "_scale", onnx::TensorProto::FLOAT, {channels}), q.scales);
            set_raw(impl_->initializer(name + "_zero_point", onnx::TensorProto::INT8, {channels}),
                    std::vector<std::int8_t>(q.scales.size(), 0));
            impl_->stats.weight_bytes += count + channels * 5;
            return add_node("DequantizeLinear", {name + "_int8", name + "_scale", name + "_zero_point"},
                            {attribute::of("axis", std::int64_t{w.channel_axis})}, name);
        }
    }
    return name;
}

std::string graph_builder::add_float_constant(const std::string & name, const std::vector<std::int64_t> & dims,
                                              const std::vector<float> & values) {
    if (element_count(dims) != static_cast<std::int64_t>(values.size())) {
        throw std::logic_error("ONNX constant '" + name + "': values do not fill its shape");
    }
    set_raw(impl_->initializer(name, onnx::TensorProto::FLOAT, dims), values);
    return name;
}

std::string graph_builder::add_int64_constant(const std::string & name, const std::vector<std::int64_t> & values) {
    set_raw(impl_->initializer(name, onnx::TensorProto::INT64, {static_cast<std::int64_t>(values.size())}), values);
    return name;
}

std::string graph_builder::add_node(const std::string & op, const std::vector<std::string> & inputs,
                                    const std::vector<attribute> & attributes, const std::string & output) {
    onnx::NodeProto * node = impl_->graph->add_node();
    const std::string result = output.empty() ? impl_->fresh(op) : impl_->claim(output);
    node->set_op_type(op);
    node->set_name(result);
    for (const std::string & input : inputs) node->add_input(input);
    node->add_output(result);
    for (const attribute & a : attributes) {
        onnx::AttributeProto * p = node->add_attribute();
        p->set_name(a.name);
        switch (a.type) {
            case attribute::kind::integer: p->set_type(onnx::AttributeProto::INT), p->set_i(a.integer); break;
            case attribute::kind::integers:
                p->set_type(onnx::AttributeProto::INTS);
                for (std::int64_t v : a.integers) p->add_ints(v);
                break;
            case attribute::kind::real: p->set_type(onnx::AttributeProto::FLOAT), p->set_f(a.real); break;
            case attribute::kind::text: p->set_type(onnx::AttributeProto::STRING), p->set_s(a.text); break;
        }
    }
    ++impl_->stats.nodes;
    return result;
}

void graph_builder::add_output(const std::string & name) {
    if (!impl_->names.count(name)) throw std::logic_error("ONNX output '" + name + "' is not a value of the graph");
    onnx::ValueInfoProto * output = impl_->graph->add_output();
    output->set_name(name);
    output->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
}

void graph_builder::set_metadata(const std::string & key, const std::string & value) {
    onnx::StringStringEntryProto * entry = impl_->model.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
}

void graph_builder::set_producer(const std::string & name, const std::string & version) {
    impl_->model.set_producer_name(name);
    impl_->model.set_producer_version(version);
}

namespace {

// The declared dims of `name`: an initializer's, or a graph input's or value_info's with every
// dim known; empty when the graph does not declare them.
std::vector<std::int64_t> declared_dims(const onnx::GraphProto & graph, const std::string & name) {
    for (const onnx::TensorProto & t : graph.initializer()) {
        if (t.name() == name) return {t.dims().begin(), t.dims().end()};
    }
    for (const auto * values : {&graph.input(), &graph.value_info()}) {
        for (const onnx::ValueInfoProto & v : *values) {
            if (v.name() != name || !v.type().tensor_type().has_shape()) continue;
            std::vector<std::int64_t> dims;
            for (const auto & d : v.type().tensor_type().shape().dim()) {
                if (!d.has_dim_value()) return {};
                dims.push_back(d.dim_value());
            }
            return dims;
        }
    }
    return {};
}

// A convolution without kernel_shape takes it from its weight's dims, and libonnx 1.13 then
// indexes the input's axes and the strides by the weight's rank unchecked (a fuzzed weight of
// another rank than the input: SIGSEGV in convPoolShapeInference). So the kernel_shape the weight
// implies is written into the node, where libonnx does check it against the input's rank.
void state_kernel_shape(onnx::GraphProto & graph, onnx::NodeProto & node, const std::string & source) {
    static const std::unordered_map<std::string, int> weight_input = {{"Conv", 1}, {"ConvInteger", 1}, {"QLinearConv", 3}};
    const auto weight = weight_input.find(node.op_type());
    if (weight == weight_input.end()) return;
    for (const onnx::AttributeProto & a : node.attribute()) {
        if (a.name() == "kernel_shape") return;
    }
    const auto where = [&] { return source + ": node '" + node.name() + "' (" + node.op_type() + "): "; };
    if (node.input_size() <= weight->second) {
        throw std::runtime_error(where() + "has " + std::to_string(node.input_size()) + " inputs, too few for a weight");
    }
    const std::vector<std::int64_t> dims = declared_dims(graph, node.input(weight->second));
    if (dims.size() < 3) {
        throw std::runtime_error(where() + "no kernel_shape, and its weight '" + node.input(weight->second) +
                                 "' has no declared shape of 3 or more dims to take it from");
    }
    onnx::AttributeProto & kernel = *node.add_attribute();
    kernel.set_name("kernel_shape");
    kernel.set_type(onnx::AttributeProto::INTS);
    for (std::size_t d = 2; d < dims.size(); ++d) kernel.add_ints(dims[d]);
}

// Strict shape inference, then the checker; the outputs' inferred shapes are merged into `model`.
// Window attributes ONNX's own shape inference divides by without checking them (libonnx
// 1.13 dies of SIGFPE on a stride of 0: found by tests/fuzz), so they are checked first.
void check_window_attributes(onnx::GraphProto & graph, const std::string & source) {
    static const std::unordered_set<std::string> windowed = {"Conv",        "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool",
                                                             "AveragePool", "LpPool",        "MaxUnpool",   "MaxRoiPool"};
    for (onnx::NodeProto & node : *graph.mutable_node()) {
        if (!windowed.count(node.op_type())) continue;
        state_kernel_shape(graph, node, source);
        // One value per spatial axis (pads: two), the same axes for every attribute: libonnx's
        // shape inference reads them by index without checking (a fuzzed 3-value pads: SIGSEGV).
        std::int64_t axes = -1;
        for (const char * name : {"kernel_shape", "strides", "dilations", "pads"}) {
            for (const onnx::AttributeProto & a : node.attribute()) {
                if (a.name() != name) continue;
                const bool pads = a.name() == "pads";
                const std::int64_t count = a.ints_size();
                if (pads && count % 2 != 0) {
                    throw std::runtime_error(source + ": node '" + node.name() + "' (" + node.op_type() +
                                             "): pads needs a begin and an end per axis, got " + std::to_string(count) + " values");
                }
                const std::int64_t these = pads ? count / 2 : count;
                if (axes >= 0 && these != axes) {
                    throw std::runtime_error(source + ": node '" + node.name() + "' (" + node.op_type() + "): " + a.name() + " gives " +
                                             std::to_string(these) + " axes where the node's other attributes give " +
                                             std::to_string(axes));
                }
                axes = these;
            }
        }
        for (const onnx::AttributeProto & a : node.attribute()) {
            const bool positive = a.name() == "strides" || a.name() == "dilations" || a.name() == "kernel_shape";
            if (!positive && a.name() != "pads") continue;
            for (const std::int64_t v : a.ints()) {
                if (positive ? v <= 0 : v < 0) {
                    throw std::runtime_error(source + ": node '" + node.name() + "' (" + node.op_type() + "): " + a.name() +
                                             (positive ? " must be positive" : " must not be negative") + ", got " + std::to_string(v));
                }
            }
        }
    }
}

void check_and_infer(onnx::ModelProto & model, const std::string & source) {
    check_window_attributes(*model.mutable_graph(), source);
    try {
        // Inference first: it gives the graph outputs the shapes the checker requires of them.
        onnx::ShapeInferenceOptions options(/*check_type=*/true, /*strict_mode=*/1, /*data_prop=*/true);
        onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
        onnx::checker::check_model(model);
    } catch (const std::exception & e) {
        throw std::runtime_error(source + ": the ONNX checker rejects the model: " + e.what());
    }
    for (const onnx::ValueInfoProto & output : model.graph().output()) {
        if (!output.type().tensor_type().has_shape()) {
            throw std::runtime_error(source + ": shape inference leaves output '" + output.name() + "' without a shape");
        }
    }
}

std::vector<value_shape> shapes_of(const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> & values) {
    std::vector<value_shape> shapes;
    for (const onnx::ValueInfoProto & value : values) {
        value_shape s{value.name(), {}};
        for (const auto & dim : value.type().tensor_type().shape().dim()) s.dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
        shapes.push_back(std::move(s));
    }
    return shapes;
}

}  // namespace

std::string graph_builder::finish() {
    check_and_infer(impl_->model, "exported graph '" + impl_->graph->name() + "'");
    std::string bytes;
    if (!impl_->model.SerializeToString(&bytes)) throw std::runtime_error("ONNX: the model does not serialize (over 2 GB?)");
    return bytes;
}

graph_stats graph_builder::stats() const { return impl_->stats; }

model_signature check_model(const std::string & serialized, const std::string & source) {
    onnx::ModelProto model;
    if (!model.ParseFromString(serialized)) throw std::runtime_error(source + ": not an ONNX model (the protobuf does not parse)");
    check_and_infer(model, source);
    model_signature signature{{}, shapes_of(model.graph().output())};
    std::unordered_set<std::string> initializers;
    for (const onnx::TensorProto & t : model.graph().initializer()) initializers.insert(t.name());
    for (const value_shape & input : shapes_of(model.graph().input())) {
        if (!initializers.count(input.name)) signature.inputs.push_back(input);
    }
    return signature;
}

}  // namespace vestis::onnx_export
