#include "runtime/onnx_model.h"

#include "io/atomic_file.h"
#include "onnx/graph_builder.h"

#include <filesystem>

namespace vestis::runtime {

namespace fs = std::filesystem;

namespace {

std::string read_model_file(const fs::path & path, const char * what) {
    if (!fs::exists(path)) throw model_error(path.string() + ": missing: a model folder holds " + what);
    file_contents file = read_file(path.string());
    if (!file.problem.empty()) throw model_error(path.string() + ": " + file.problem);
    return std::move(file.bytes);
}

std::string shape_text(const std::vector<std::int64_t> & dims) {
    std::string text = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) text += (i ? ", " : "") + (dims[i] < 0 ? std::string("batch") : std::to_string(dims[i]));
    return text + "]";
}

// The card's promises about the graph, checked against the graph's own shapes.
void check_card_against_graph(const model_card & card, const onnx_export::model_signature & graph, const std::string & card_path) {
    const auto fail = [&](const std::string & field, const std::string & message) {
        throw model_error(card_path + ": " + field + ": " + message + " (card and model.onnx disagree: were they exported together?)");
    };
    if (graph.inputs.size() != 1) fail("input", "the graph has " + std::to_string(graph.inputs.size()) + " inputs, expected 1");
    const onnx_export::value_shape & input = graph.inputs[0];
    if (input.name != card.input_name) fail("input.name", "'" + card.input_name + "', but the graph's input is '" + input.name + "'");
    const std::vector<std::int64_t> expected_input = {-1, 3, card.preprocess.input_height, card.preprocess.input_width};
    if (input.dims.size() != 4 || input.dims[1] != 3 || input.dims[2] != card.preprocess.input_height ||
        input.dims[3] != card.preprocess.input_width) {
        fail("input", "size " + std::to_string(card.preprocess.input_width) + "x" + std::to_string(card.preprocess.input_height) +
                          ", but the graph takes " + shape_text(input.dims));
    }
    const auto find = [&](const std::string & field, const std::string & name) -> const onnx_export::value_shape * {
        if (name.empty()) return nullptr;
        for (const auto & output : graph.outputs) {
            if (output.name == name) return &output;
        }
        fail(field, "names '" + name + "', which is not an output of the graph");
        return nullptr;
    };
    const auto expect = [&](const std::string & field, const onnx_export::value_shape * value, std::vector<std::int64_t> dims) {
        if (!value) return;
        bool same = value->dims.size() == dims.size();
        for (std::size_t i = 1; same && i < dims.size(); ++i) same = dims[i] < 0 || value->dims[i] == dims[i];
        if (!same) fail(field, "expected '" + value->name + "' to be " + shape_text(dims) + ", the graph gives " + shape_text(value->dims));
    };
    const auto categories = static_cast<std::int64_t>(card.categories.size());
    const auto attributes = static_cast<std::int64_t>(card.attributes.size());
    const auto landmarks = static_cast<std::int64_t>(card.landmarks.size());
    expect("outputs.category_logits", find("outputs.category_logits", card.outputs.category_logits), {-1, categories});
    const auto * attribute_output = find("outputs.attribute_logits", card.outputs.attribute_logits);
    if (card.outputs.attributes == attribute_encoding::two_class) expect("outputs.attribute_logits", attribute_output, {-1, 2, attributes});
    else expect("outputs.attribute_logits", attribute_output, {-1, attributes});
    expect("outputs.landmark_heatmaps", find("outputs.landmark_heatmaps", card.outputs.landmark_heatmaps), {-1, landmarks, -1, -1});
    expect("outputs.attention", find("outputs.attention", card.outputs.attention), {-1, 1, -1, -1});
}

output_maps to_maps(const cv::Mat & blob) {
    output_maps maps;
    maps.count = blob.size[1], maps.height = blob.size[2], maps.width = blob.size[3];
    maps.values.assign(blob.ptr<float>(), blob.ptr<float>() + blob.total());
    return maps;
}

}  // namespace

model_card read_model_card(const std::string & directory) {
    const fs::path card_path = fs::path(directory) / "card.json";
    if (!fs::is_directory(directory))
        throw model_error(directory + ": no such model folder (expected a folder with model.onnx and card.json)");
    const std::string text = read_model_file(card_path, "model.onnx and card.json");
    result<model_card> card = parse_model_card(text, card_path.string());
    if (!card) throw model_error(card.error().message());
    return std::move(card).value();
}

onnx_model::onnx_model(const std::string & directory) : directory_(directory) {
    card_ = read_model_card(directory);
    model_path_ = (fs::path(directory) / "model.onnx").string();
    load(read_model_file(model_path_, "model.onnx and card.json"), (fs::path(directory) / "card.json").string());
}

onnx_model::onnx_model(model_card card, const std::string & serialized, const std::string & source)
    : model_path_(source), card_(std::move(card)) {
    load(serialized, source + " (card)");
}

void onnx_model::load(const std::string & bytes, const std::string & card_source) {
    model_bytes_ = static_cast<long long>(bytes.size());
    const onnx_export::model_signature graph = onnx_export::check_model(bytes, model_path_);
    check_card_against_graph(card_, graph, card_source);
    try {
        // OpenCV 4.6 reads fp32 initializers only: fp16/int8 storage is expanded first.
        const std::string plain = onnx_export::expand_stored_weights(bytes, model_path_);
        net_ = cv::dnn::readNetFromONNX(plain.data(), plain.size());
    } catch (const cv::Exception & e) {
        throw model_error(model_path_ + ": OpenCV DNN cannot import it: " + e.msg);
    }
    net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    output_names_ = {card_.outputs.category_logits, card_.outputs.attribute_logits, card_.outputs.landmark_heatmaps,
                     card_.outputs.attention};
}

raw_outputs onnx_model::run(const float * chw) {
    const int dims[4] = {1, 3, card_.preprocess.input_height, card_.preprocess.input_width};
    // OpenCV reads the blob during forward() only; the const_cast does not let it write.
    cv::Mat blob(4, dims, CV_32F, const_cast<float *>(chw));
    net_.setInput(blob, card_.input_name);
    std::vector<std::string> wanted;
    for (const std::string & name : output_names_) {
        if (!name.empty()) wanted.push_back(name);
    }
    std::vector<cv::Mat> blobs;
    net_.forward(blobs, wanted);
    raw_outputs out;
    std::size_t next = 0;
    for (std::size_t k = 0; k < output_names_.size(); ++k) {
        if (output_names_[k].empty()) continue;
        const cv::Mat & b = blobs[next++];
        switch (k) {
            case 0: out.category_logits.assign(b.ptr<float>(), b.ptr<float>() + b.total()); break;
            case 1: out.attribute_logits.assign(b.ptr<float>(), b.ptr<float>() + b.total()); break;
            case 2: out.heatmaps = to_maps(b); break;
            default: out.attention = to_maps(b); break;
        }
    }
    return out;
}

}  // namespace vestis::runtime
