// Training losses, every weight from the config:
//   total = w_category * CE(category) + w_attribute * attribute loss + w_landmark * heatmap MSE
#pragma once

#include "nn/losses_config.h"
#include "nn/network.h"

namespace vestis::nn {

struct batch_targets {
    torch::Tensor category;          // [B] int64
    torch::Tensor attributes;        // [B, A] 0/1, or undefined
    torch::Tensor heatmaps;          // [B, L, H, W] targets, or undefined
    torch::Tensor landmark_visible;  // [B, L] 0/1 mask for the heatmap loss
};

struct loss_terms {
    torch::Tensor total, category, attribute, landmark;  // unweighted terms; undefined when absent
};

loss_terms compute_loss(const network_output & output, const batch_targets & targets, const loss_config & config);

// Per-attribute 2-class cross-entropy with class weights [w_neg, w_pos] (the reference):
// the weighted mean of -log p(true class) over every image and attribute.
torch::Tensor two_class_attribute_loss(const torch::Tensor & logits, const torch::Tensor & truth, double w_neg, double w_pos);
// Binary cross-entropy on independent logits, negatives weighted by w_neg, positives by w_pos.
torch::Tensor weighted_bce_loss(const torch::Tensor & logits, const torch::Tensor & truth, double w_neg, double w_pos);
// Asymmetric loss on independent logits, the mean over every image and tag of
//   positive: -(1 - p)^gamma_pos * log p
//   negative: -q^gamma_neg * log(1 - q),  q = max(p - clip, 0)
// With both exponents and the clip 0 it is binary cross-entropy.
torch::Tensor asymmetric_loss(const torch::Tensor & logits, const torch::Tensor & truth, double gamma_neg, double gamma_pos, double clip);
// 1 - F-beta over the batch from soft counts (probabilities instead of 0/1 decisions).
torch::Tensor soft_fbeta_loss(const torch::Tensor & probabilities, const torch::Tensor & truth, double beta);
// Mean over every heatmap pixel of (visible * (predicted - target))^2, as the reference.
torch::Tensor masked_heatmap_mse(const torch::Tensor & predicted, const torch::Tensor & target, const torch::Tensor & visible);

// Cross-entropy between each visible map's softmax over its pixels and its target heatmap
// normalised to sum to 1; the mean over visible maps (0 when none is visible).
torch::Tensor spatial_softmax_cross_entropy(const torch::Tensor & logits, const torch::Tensor & target, const torch::Tensor & visible);

}  // namespace vestis::nn
