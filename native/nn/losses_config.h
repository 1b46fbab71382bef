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
    // "auto": two_class for [B, 2, A] logits, bce for [B, A]; "fbeta" (1 - soft F-beta); or
    // "asl", the asymmetric loss below.
    std::string attribute_loss = "auto";
    double fbeta = 1.0;
    // Asymmetric loss (Ridnik et al., ICCV 2021): a photo shows a few of the tags and lacks the
    // rest, so the many easy negatives would outweigh the few positives. Negatives are focused
    // harder (gamma_negative) and ignored below probability asl_clip; defaults are the paper's.
    double asl_gamma_negative = 4.0;
    double asl_gamma_positive = 0.0;
    double asl_clip = 0.05;
};

// Checks weights and names; throws std::invalid_argument naming the field.
void validate(const loss_config & config);

}  // namespace vestis::nn
