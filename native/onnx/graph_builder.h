// Builds an ONNX graph node by node, with weights stored as `weight_storage` says, then checks
// it (the ONNX checker and strict shape inference) and returns its bytes (the exporter writes them atomically). Torch-free: the
// networks feed it plain float arrays (see nn/onnx_emitter.h).
#pragma once

#include "onnx/weight_storage.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vestis::onnx_export {

constexpr int opset_version = 17;  // the highest Debian's libonnx checks, and what OpenCV 4.6 reads

// One node attribute: an integer, a list of integers, a float or a string.
struct attribute {
    enum class kind { integer, integers, real, text };
    std::string name;
    kind type = kind::integer;
    std::int64_t integer = 0;
    std::vector<std::int64_t> integers;
    float real = 0.0f;
    std::string text;

    static attribute of(std::string name, std::int64_t value);
    static attribute of(std::string name, std::vector<std::int64_t> values);
    static attribute of(std::string name, float value);
    static attribute of(std::string name, std::string value);
};

struct weight {
    std::vector<std::int64_t> dims;
    std::vector<float> values;
    int channel_axis = 0;  // the output-channel axis: int8 keeps one scale per index along it
};

struct graph_stats {
    std::int64_t nodes = 0;
    std::int64_t parameters = 0;    // float weights, before storage compression
    std::int64_t weight_bytes = 0;  // as stored
};

class graph_builder {
public:
    graph_builder(std::string graph_name, weight_storage storage);
    ~graph_builder();
    graph_builder(const graph_builder &) = delete;
    graph_builder & operator=(const graph_builder &) = delete;

    // A float input; a negative size is the symbolic batch dimension.
    void add_input(const std::string & name, const std::vector<std::int64_t> & dims);
    // A weight under `name`; returns the fp32 value a node reads (after Cast or DequantizeLinear).
    // Tensors with fewer than `min_compressed` elements (biases, BatchNorm folds) stay fp32.
    std::string add_weight(const std::string & name, const weight & w);
    std::string add_float_constant(const std::string & name, const std::vector<std::int64_t> & dims, const std::vector<float> & values);
    std::string add_int64_constant(const std::string & name, const std::vector<std::int64_t> & values);
    // Appends a node; its single output gets `output` when given, a fresh name otherwise.
    std::string add_node(const std::string & op, const std::vector<std::string> & inputs, const std::vector<attribute> & attributes = {},
                         const std::string & output = {});
    void add_output(const std::string & name);
    void set_metadata(const std::string & key, const std::string & value);
    void set_producer(const std::string & name, const std::string & version);

    // Runs the checker and strict shape inference (throws std::runtime_error with ONNX's
    // message), fills the outputs' shapes, and returns the serialized model.
    std::string finish();
    graph_stats stats() const;

    static constexpr std::int64_t min_compressed = 1024;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// A model's graph inputs and outputs with their inferred shapes ("batch" dimensions as -1).
struct value_shape {
    std::string name;
    std::vector<std::int64_t> dims;
};
struct model_signature {
    std::vector<value_shape> inputs, outputs;  // inputs without initializers
};
// Parses a serialized model and checks it the same way. Throws std::runtime_error naming `source`.
model_signature check_model(const std::string & serialized, const std::string & source);

// Rewrites each Cast-to-float of a FLOAT16 initializer and each DequantizeLinear of
// initializers into a plain fp32 initializer: the weights a runtime that reads only fp32
// (OpenCV DNN 4.6) computes with. Returns the serialized model; `expanded` counts the rewrites.
std::string expand_stored_weights(const std::string & serialized, const std::string & source, int * expanded = nullptr);

}  // namespace vestis::onnx_export
