#include "nn/losses_config.h"

#include "vestis/number_text.h"

#include <stdexcept>
#include <string>

namespace vestis::nn {

void validate(const loss_config & c) {
    const auto non_negative = [](double v, const char * field) {
        if (!(v >= 0.0)) throw std::invalid_argument(std::string(field) + ": expected a weight >= 0, got " + shortest_text(v));
    };
    non_negative(c.category_weight, "loss.category_weight");
    non_negative(c.attribute_weight, "loss.attribute_weight");
    non_negative(c.landmark_weight, "loss.landmark_weight");
    non_negative(c.attribute_negative_weight, "loss.attribute_negative_weight");
    non_negative(c.attribute_positive_weight, "loss.attribute_positive_weight");
    if (!(c.label_smoothing >= 0.0 && c.label_smoothing < 1.0)) {
        throw std::invalid_argument("loss.label_smoothing: expected a fraction in [0, 1), got " + shortest_text(c.label_smoothing));
    }
    if (c.attribute_loss != "auto" && c.attribute_loss != "two_class" && c.attribute_loss != "bce" && c.attribute_loss != "fbeta" &&
        c.attribute_loss != "asl") {
        throw std::invalid_argument("loss.attribute_loss: expected auto, two_class, bce, fbeta or asl, got '" + c.attribute_loss + "'");
    }
    const auto exponent = [](double v, const char * field) {
        if (!(v >= 0.0 && v <= 10.0))
            throw std::invalid_argument(std::string(field) + ": expected an exponent in [0, 10], got " + shortest_text(v));
    };
    exponent(c.asl_gamma_negative, "loss.asl_gamma_negative");
    exponent(c.asl_gamma_positive, "loss.asl_gamma_positive");
    if (!(c.asl_clip >= 0.0 && c.asl_clip < 1.0)) {
        throw std::invalid_argument("loss.asl_clip: expected a probability in [0, 1), got " + shortest_text(c.asl_clip));
    }
    if (!(c.fbeta > 0.0)) throw std::invalid_argument("loss.fbeta: expected a number > 0, got " + shortest_text(c.fbeta));
}

}  // namespace vestis::nn
