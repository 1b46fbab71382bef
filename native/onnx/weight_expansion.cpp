// expand_stored_weights (graph_builder.h): fp16 and int8 storage back to fp32 initializers.
#include "onnx/graph_builder.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <stdexcept>
#include <unordered_map>

namespace vestis::onnx_export {

namespace {

std::int64_t element_count(const onnx::TensorProto & t) {
    std::int64_t n = 1;
    for (std::int64_t d : t.dims()) n *= d;
    return n;
}

// Integer-like elements (FLOAT16 bits, INT8, UINT8) from raw_data or the int32_data field.
std::vector<std::int32_t> integer_elements(const onnx::TensorProto & t, const std::string & source) {
    const std::int64_t n = element_count(t);
    std::vector<std::int32_t> out(static_cast<std::size_t>(n));
    const int type = t.data_type();
    if (!t.raw_data().empty()) {
        const std::string & raw = t.raw_data();
        const std::size_t width = type == onnx::TensorProto::FLOAT16 ? 2 : 1;
        if (raw.size() != static_cast<std::size_t>(n) * width)
            throw std::runtime_error(source + ": initializer '" + t.name() + "' has the wrong byte count");
        for (std::int64_t i = 0; i < n; ++i) {
            if (type == onnx::TensorProto::FLOAT16) {
                std::uint16_t bits;
                std::memcpy(&bits, raw.data() + 2 * i, 2);
                out[static_cast<std::size_t>(i)] = bits;
            } else if (type == onnx::TensorProto::INT8) {
                out[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(raw[static_cast<std::size_t>(i)]);
            } else {
                out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(raw[static_cast<std::size_t>(i)]);
            }
        }
        return out;
    }
    if (t.int32_data_size() != n) throw std::runtime_error(source + ": initializer '" + t.name() + "' has the wrong element count");
    for (std::int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = t.int32_data(static_cast<int>(i));
    return out;
}

std::vector<float> float_elements(const onnx::TensorProto & t, const std::string & source) {
    const std::int64_t n = element_count(t);
    std::vector<float> out(static_cast<std::size_t>(n));
    if (!t.raw_data().empty()) {
        if (t.raw_data().size() != static_cast<std::size_t>(n) * 4)
            throw std::runtime_error(source + ": initializer '" + t.name() + "' has the wrong byte count");
        std::memcpy(out.data(), t.raw_data().data(), out.size() * 4);
    } else {
        if (t.float_data_size() != n) throw std::runtime_error(source + ": initializer '" + t.name() + "' has the wrong element count");
        for (std::int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = t.float_data(static_cast<int>(i));
    }
    return out;
}

std::int64_t integer_attribute(const onnx::NodeProto & node, const char * name, std::int64_t fallback) {
    for (const auto & a : node.attribute()) {
        if (a.name() == name) return a.i();
    }
    return fallback;
}

// DequantizeLinear: y = (x - zero_point) * scale, per tensor or per index along `axis`.
std::vector<float> dequantize(const onnx::TensorProto & x, const onnx::TensorProto & scale, const onnx::TensorProto * zero_point,
                              std::int64_t axis, const std::string & source) {
    const std::vector<std::int32_t> q = integer_elements(x, source);
    const std::vector<float> scales = float_elements(scale, source);
    const std::vector<std::int32_t> zeros =
        zero_point ? integer_elements(*zero_point, source) : std::vector<std::int32_t>(scales.size(), 0);
    if (zeros.size() != scales.size())
        throw std::runtime_error(source + ": DequantizeLinear of '" + x.name() + "': scale and zero point differ in size");
    std::int64_t inner = 1, channels = 1;
    if (scales.size() > 1) {
        if (axis < 0) axis += x.dims_size();
        if (axis < 0 || axis >= x.dims_size() || x.dims(static_cast<int>(axis)) != static_cast<std::int64_t>(scales.size())) {
            throw std::runtime_error(source + ": DequantizeLinear of '" + x.name() + "': the scales do not match axis " +
                                     std::to_string(axis));
        }
        channels = static_cast<std::int64_t>(scales.size());
        for (int d = static_cast<int>(axis) + 1; d < x.dims_size(); ++d) inner *= x.dims(d);
    }
    std::vector<float> y(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) {
        const std::size_t c = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % channels);
        y[i] = static_cast<float>(q[i] - zeros[c]) * scales[c];
    }
    return y;
}

}  // namespace

std::string expand_stored_weights(const std::string & serialized, const std::string & source, int * expanded) {
    onnx::ModelProto model;
    if (!model.ParseFromString(serialized)) throw std::runtime_error(source + ": not an ONNX model (the protobuf does not parse)");
    onnx::GraphProto & graph = *model.mutable_graph();
    std::unordered_map<std::string, int> initializer_at;
    for (int i = 0; i < graph.initializer_size(); ++i) initializer_at[graph.initializer(i).name()] = i;
    const auto constant = [&](const std::string & name) -> const onnx::TensorProto * {
        const auto found = initializer_at.find(name);
        return found == initializer_at.end() ? nullptr : &graph.initializer(found->second);
    };

    std::vector<onnx::TensorProto> produced;
    google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
    int count = 0;
    for (const onnx::NodeProto & node : graph.node()) {
        const onnx::TensorProto * first = node.input_size() > 0 ? constant(node.input(0)) : nullptr;
        std::vector<float> values;
        if (node.op_type() == "Cast" && first && first->data_type() == onnx::TensorProto::FLOAT16 &&
            integer_attribute(node, "to", 0) == onnx::TensorProto::FLOAT) {
            for (std::int32_t bits : integer_elements(*first, source)) values.push_back(half_to_float(static_cast<std::uint16_t>(bits)));
        } else if (node.op_type() == "DequantizeLinear" && first && node.input_size() >= 2 && constant(node.input(1)) &&
                   (node.input_size() < 3 || node.input(2).empty() || constant(node.input(2)))) {
            const onnx::TensorProto * zero_point = node.input_size() >= 3 && !node.input(2).empty() ? constant(node.input(2)) : nullptr;
            values = dequantize(*first, *constant(node.input(1)), zero_point, integer_attribute(node, "axis", 1), source);
        } else {
            *kept.Add() = node;
            continue;
        }
        onnx::TensorProto t;
        t.set_name(node.output(0));
        t.set_data_type(onnx::TensorProto::FLOAT);
        *t.mutable_dims() = first->dims();
        t.set_raw_data(std::string(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(float)));
        produced.push_back(std::move(t));
        ++count;
    }
    graph.mutable_node()->Swap(&kept);

    // Drop the stored forms nothing reads any more.
    std::unordered_map<std::string, int> readers;
    for (const onnx::NodeProto & node : graph.node()) {
        for (const std::string & input : node.input()) ++readers[input];
    }
    for (const onnx::ValueInfoProto & output : graph.output()) ++readers[output.name()];
    google::protobuf::RepeatedPtrField<onnx::TensorProto> initializers;
    for (onnx::TensorProto & t : *graph.mutable_initializer()) {
        if (readers.count(t.name())) *initializers.Add() = std::move(t);
    }
    for (onnx::TensorProto & t : produced) *initializers.Add() = std::move(t);
    graph.mutable_initializer()->Swap(&initializers);
    if (expanded) *expanded = count;
    std::string out;
    model.SerializeToString(&out);
    return out;
}

}  // namespace vestis::onnx_export
