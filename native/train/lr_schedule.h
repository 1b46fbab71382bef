// The learning rate as training goes: the reference's per-epoch decay, or a cosine curve
// with an optional linear warm-up (a fixed budget of epochs spent well: the rate is high
// while the network finds its way and falls to zero as the budget ends).
#pragma once

#include "train/config.h"

namespace vestis::train {

// Where a run stands, in epochs: 2.5 is half-way through the third epoch. Measured in
// epochs rather than steps so that a run resumed on another number of ranks (another
// number of steps an epoch) picks the curve up at the same point.
struct schedule_position {
    int epoch = 0;
    double fraction_of_epoch = 0;  // [0, 1)
    double epochs() const { return epoch + fraction_of_epoch; }
};

// The cosine schedule's rate at `position` of a run of `total_epochs`: during the first
// optimizer.warmup_epochs it rises linearly from lr / warm-up steps to lr, then follows
// lr * (1 + cos(pi * t)) / 2, t going from 0 to 1 over the remaining epochs.
double cosine_learning_rate(const optimizer_config & optimizer, schedule_position position, int total_epochs);

// True when the rate changes every step (cosine) rather than at epoch ends (epoch_decay).
inline bool schedules_every_step(const optimizer_config & optimizer) { return optimizer.schedule == "cosine"; }

}  // namespace vestis::train
