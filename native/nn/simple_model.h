// The simplified multi-label model: a backbone chosen by name, global average pooling, a
// category head (softmax; none for a tags-only set) and an attribute head (independent
// sigmoids; none for a set without attributes; with model.residual_attention, each attribute's
// peak score over the final map added), optionally the landmark heatmap branch on the backbone's
// stride-8 features. Any input size the backbone can take (at least 32 pixels).
#pragma once

#include "nn/backbones.h"
#include "nn/landmark_attention.h"

namespace vestis::nn {

class simple_network : public garment_network {
public:
    explicit simple_network(const network_config & config);
    network_output forward(const torch::Tensor & images) override;
    bool two_class_attributes() const override { return false; }
    void emit_onnx(onnx_emitter & e, const std::string & image) const override;
    named_tensors imagenet_state() const override { return backbone_->torchvision_state(); }
    std::shared_ptr<backbone> features() const { return backbone_; }

private:
    // [B, C, H, W] -> [B, attributes]: each attribute's highest score at any location.
    torch::Tensor highest_attribute_scores(const torch::Tensor & final_features) const;

    std::shared_ptr<backbone> backbone_;
    std::shared_ptr<landmark_branch> landmarks_;
    torch::nn::Linear category_head_{nullptr}, attribute_head_{nullptr};
};

}  // namespace vestis::nn
