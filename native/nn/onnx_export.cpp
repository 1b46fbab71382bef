#include "nn/onnx_export.h"

#include "nn/onnx_emitter.h"
#include "vestis/version.h"

#include <stdexcept>

namespace vestis::nn {

onnx_export_result export_onnx(garment_network & net, const preprocess_options & preprocess, std::vector<category_info> categories,
                               std::vector<attribute_info> attributes, onnx_export::weight_storage storage, const std::string & name) {
    const network_config & config = net.config();
    if (static_cast<int>(categories.size()) != config.categories || static_cast<int>(attributes.size()) != config.attributes) {
        throw std::invalid_argument("export: " + std::to_string(categories.size()) + " category and " + std::to_string(attributes.size()) +
                                    " attribute names for a network with " + std::to_string(config.categories) + " and " +
                                    std::to_string(config.attributes));
    }
    const int height = input_height_of(config);
    if (preprocess.input_width != config.input_size || preprocess.input_height != height) {
        throw std::invalid_argument("export: the card's input size differs from the network's " + std::to_string(config.input_size) + "x" +
                                    std::to_string(height));
    }
    torch::NoGradGuard no_grad;
    net.eval();  // BatchNorm folds its running statistics, as eval mode uses them

    using names = onnx_output_names;
    const bool heatmaps = has_landmark_head(config);
    onnx_export::graph_builder graph(name, storage);
    graph.set_producer("vestis", VESTIS_VERSION);
    graph.add_input("image", {-1, 3, height, config.input_size});
    onnx_emitter emitter(graph, net);
    net.emit_onnx(emitter, "image");
    if (config.categories > 0) graph.add_output(names::category_logits);
    if (config.attributes > 0) graph.add_output(names::attribute_logits);
    if (heatmaps) graph.add_output(names::landmark_heatmaps);
    if (config.kind == network_kind::full) graph.add_output(names::attention);

    onnx_export_result out;
    out.model = graph.finish();
    out.parameters = graph.stats().parameters;
    model_card & card = out.card;
    card.name = name;
    card.input_name = "image";
    card.preprocess = preprocess;
    if (config.categories > 0) card.outputs.category_logits = names::category_logits;
    if (config.attributes > 0) card.outputs.attribute_logits = names::attribute_logits;
    card.outputs.attributes = net.two_class_attributes() ? attribute_encoding::two_class : attribute_encoding::sigmoid;
    if (heatmaps) {
        card.outputs.landmark_heatmaps = names::landmark_heatmaps;
        card.landmarks = deepfashion_landmark_names();
        card.landmarks.resize(static_cast<std::size_t>(config.landmarks));
    }
    if (config.kind == network_kind::full) card.outputs.attention = names::attention;
    card.categories = std::move(categories);
    card.attributes = std::move(attributes);
    return out;
}

}  // namespace vestis::nn
