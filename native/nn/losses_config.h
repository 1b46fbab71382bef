// Loss weights, without LibTorch: the config reads and writes them.
#pragma once

#include <string>

namespace vestis::nn {

struct loss_config {
    double category_weight = 1.0;
    // The category target puts this much of its mass evenly on every class (Szegedy et al.,
    // 2016; PyTorch's CrossEntropyLoss(label_smoothing)): a fine-tuned head stops chasing
    // certainty on a few thousand photos.
    double label_smoothing = 0.0;
    double attribute_weight = 20.0;
    double landmark_weight = 10.0;
    double attribute_negative_weight = 0.1;  // w_neg
    double attribute_positive_weight = 1.0;  // w_pos
    // "auto": two_class for [B, 2, A] logits, bce for [B, A]; or "fbeta" (1 - soft F-beta).
    std::string attribute_loss = "auto";
    double fbeta = 1.0;
};

// Checks weights and names; throws std::invalid_argument naming the field.
void validate(const loss_config & config);

}  // namespace vestis::nn
