#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace vestis::train {

double cosine_learning_rate(const optimizer_config & optimizer, schedule_position position, int total_epochs) {
    const double t = position.epochs(), warmup = std::min(optimizer.warmup_epochs, static_cast<double>(total_epochs));
    // The warm-up never starts at zero: a step at rate 0 would be wasted.
    if (t < warmup) return optimizer.lr * std::max(t / warmup, 1e-3);
    const double span = static_cast<double>(total_epochs) - warmup;
    if (span <= 0) return optimizer.lr;
    const double progress = std::clamp((t - warmup) / span, 0.0, 1.0);
    return optimizer.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace vestis::train
