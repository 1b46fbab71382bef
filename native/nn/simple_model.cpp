#include "nn/simple_model.h"

#include "nn/onnx_emitter.h"

namespace vestis::nn {

simple_network::simple_network(const network_config & config) : garment_network(config) {
    backbone_ = register_module(
        "backbone", make_backbone(config.backbone, config.vgg_batch_norm, config.width, config.tf_padding, config.small_input_stem));
    if (config.landmark_branch && config.landmarks > 0) {
        landmarks_ = register_module(
            "landmark_branch",
            std::make_shared<landmark_branch>(backbone_->stride8_channels(), config.landmarks, 1.0, config.landmark_batch_norm,
                                              config.heatmap_softmax ? heatmap_window_radius(config.input_size) : 0));
    }
    if (config.categories > 0) {
        category_head_ = register_module("category_head", torch::nn::Linear(backbone_->final_channels(), config.categories));
    }
    if (config.attributes > 0) {
        attribute_head_ = register_module("attribute_head", torch::nn::Linear(backbone_->final_channels(), config.attributes));
    }
}

network_output simple_network::forward(const torch::Tensor & images) {
    network_output out;
    const backbone_features features = backbone_->forward(images);
    if (landmarks_) {
        auto maps = landmarks_->forward(features.stride8);
        out.heatmaps = maps.heatmaps;
        out.heatmap_logits = maps.logits;
        record_stage("landmark_branch", out.heatmaps);
        out.landmarks = heatmap_argmax_positions(out.heatmaps);
    }
    const torch::Tensor pooled = features.final.mean({2, 3});
    record_stage("global_pool", pooled);
    if (category_head_) {
        out.category_logits = category_head_->forward(pooled);
        record_stage("category_logits", out.category_logits);
    }
    if (attribute_head_) {
        out.attribute_logits = attribute_head_->forward(pooled);
        if (config_.residual_attention > 0)
            out.attribute_logits = out.attribute_logits + config_.residual_attention * highest_attribute_scores(features.final);
        record_stage("attribute_logits", out.attribute_logits);
    }
    return out;
}

torch::Tensor simple_network::highest_attribute_scores(const torch::Tensor & final_features) const {
    // The head's weights as a 1x1 convolution: each attribute's score at every location, no bias.
    const torch::Tensor & weight = attribute_head_->weight;
    const torch::Tensor scores = torch::conv2d(final_features, weight.view({weight.size(0), weight.size(1), 1, 1}));
    return scores.amax({2, 3});
}

void simple_network::emit_onnx(onnx_emitter & e, const std::string & image) const {
    using names = onnx_output_names;
    const backbone_values features = backbone_->emit_onnx(e, image);
    if (landmarks_)
        e.identity(landmarks_->emit_onnx(e, features.stride8, config_.input_size, config_.input_size), names::landmark_heatmaps);
    const std::string pooled = e.global_average_pool_flat(features.final);
    if (category_head_) e.linear(category_head_, pooled, names::category_logits);
    if (attribute_head_ && config_.residual_attention > 0) {
        e.linear_with_peak(attribute_head_, pooled, features.final, static_cast<float>(config_.residual_attention),
                           names::attribute_logits);
    } else if (attribute_head_) {
        e.linear(attribute_head_, pooled, names::attribute_logits);
    }
}

}  // namespace vestis::nn
