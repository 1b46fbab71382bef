#include "nn/losses.h"

namespace vestis::nn {

namespace F = torch::nn::functional;

torch::Tensor two_class_attribute_loss(const torch::Tensor & logits, const torch::Tensor & truth, double w_neg, double w_pos) {
    const auto weight = torch::tensor({w_neg, w_pos}, logits.options());
    return F::cross_entropy(logits, truth.to(torch::kLong), F::CrossEntropyFuncOptions().weight(weight));
}

torch::Tensor weighted_bce_loss(const torch::Tensor & logits, const torch::Tensor & truth, double w_neg, double w_pos) {
    const torch::Tensor y = truth.to(logits.scalar_type());
    const torch::Tensor weight = y * w_pos + (1 - y) * w_neg;
    return F::binary_cross_entropy_with_logits(logits, y, F::BinaryCrossEntropyWithLogitsFuncOptions().weight(weight));
}

torch::Tensor asymmetric_loss(const torch::Tensor & logits, const torch::Tensor & truth, double gamma_neg, double gamma_pos, double clip) {
    const torch::Tensor y = truth.to(logits.scalar_type());
    const torch::Tensor p = torch::sigmoid(logits);
    const torch::Tensor positive = (1 - p).pow(gamma_pos) * -F::logsigmoid(logits);
    // Unclipped, log(1 - p) comes from the logit: 1 - p rounds to 0 for a confident logit.
    const torch::Tensor q = clip > 0 ? (p - clip).clamp_min(0) : p;
    const torch::Tensor negative = q.pow(gamma_neg) * (clip > 0 ? -torch::log1p(-q) : -F::logsigmoid(-logits));
    return (y * positive + (1 - y) * negative).mean();
}

torch::Tensor soft_fbeta_loss(const torch::Tensor & probabilities, const torch::Tensor & truth, double beta) {
    const torch::Tensor y = truth.to(probabilities.scalar_type());
    const double b2 = beta * beta;
    const torch::Tensor tp = (probabilities * y).sum();
    const torch::Tensor fp = (probabilities * (1 - y)).sum();
    const torch::Tensor fn = ((1 - probabilities) * y).sum();
    return 1 - (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp + 1e-7);
}

torch::Tensor masked_heatmap_mse(const torch::Tensor & predicted, const torch::Tensor & target, const torch::Tensor & visible) {
    const torch::Tensor mask = visible.to(predicted.scalar_type()).unsqueeze(-1).unsqueeze(-1);
    return (mask * (predicted - target)).pow(2).mean();
}

torch::Tensor spatial_softmax_cross_entropy(const torch::Tensor & logits, const torch::Tensor & target, const torch::Tensor & visible) {
    const torch::Tensor log_p = torch::log_softmax(logits.flatten(2).to(torch::kFloat), 2);
    const torch::Tensor t = target.flatten(2).to(torch::kFloat);
    const torch::Tensor q = t / t.sum(2, /*keepdim=*/true).clamp_min(1e-12);
    const torch::Tensor per_map = -(q * log_p).sum(2);  // [B, L]
    const torch::Tensor mask = visible.to(torch::kFloat);
    return (per_map * mask).sum() / mask.sum().clamp_min(1.0);
}

loss_terms compute_loss(const network_output & output, const batch_targets & targets, const loss_config & config) {
    loss_terms terms;
    // A network without a category head (tags only) has no category term.
    const auto add = [&terms](const torch::Tensor & weighted) { terms.total = terms.total.defined() ? terms.total + weighted : weighted; };
    if (output.category_logits.defined()) {
        terms.category = F::cross_entropy(output.category_logits, targets.category,
                                          F::CrossEntropyFuncOptions().label_smoothing(config.label_smoothing));
        add(config.category_weight * terms.category);
    }
    if (output.attribute_logits.defined() && targets.attributes.defined()) {
        const bool two_class = output.attribute_logits.dim() == 3;
        const std::string kind = config.attribute_loss == "auto" ? (two_class ? "two_class" : "bce") : config.attribute_loss;
        // Two-class logits as one per attribute: the sigmoid of their difference is the softmax's p(present).
        const auto independent_logits = [&] {
            return two_class ? output.attribute_logits.select(1, 1) - output.attribute_logits.select(1, 0) : output.attribute_logits;
        };
        if (kind == "fbeta") {
            // softmax over two classes is the sigmoid of their difference
            terms.attribute = soft_fbeta_loss(torch::sigmoid(independent_logits()), targets.attributes, config.fbeta);
        } else if (kind == "asl") {
            terms.attribute = asymmetric_loss(independent_logits(), targets.attributes, config.asl_gamma_negative,
                                              config.asl_gamma_positive, config.asl_clip);
        } else if (kind == "two_class") {
            if (!two_class) throw std::invalid_argument("loss.attribute_loss: two_class needs [B, 2, A] logits (the full network)");
            terms.attribute = two_class_attribute_loss(output.attribute_logits, targets.attributes, config.attribute_negative_weight,
                                                       config.attribute_positive_weight);
        } else {
            terms.attribute = weighted_bce_loss(independent_logits(), targets.attributes, config.attribute_negative_weight,
                                                config.attribute_positive_weight);
        }
        add(config.attribute_weight * terms.attribute);
    }
    if (output.heatmaps.defined() && targets.heatmaps.defined()) {
        terms.landmark = output.heatmap_logits.defined()
                             ? spatial_softmax_cross_entropy(output.heatmap_logits, targets.heatmaps, targets.landmark_visible)
                             : masked_heatmap_mse(output.heatmaps, targets.heatmaps, targets.landmark_visible);
        add(config.landmark_weight * terms.landmark);
    }
    return terms;
}

}  // namespace vestis::nn
