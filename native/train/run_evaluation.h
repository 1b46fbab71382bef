// `vestis eval --run`: a run's checkpoint scored on a split of its data set, by the same
// validation the trainer runs.
#pragma once

#include "train/evaluation_report.h"

#include <string>

namespace vestis::train {

// Evaluates a run's `best` (or `last`) checkpoint on a split of its data set.
// `input_size` > 0: at another input size than the run trained at (see load_trained_model).
evaluation evaluate_run(const std::string & run_dir, const std::string & split, const std::string & checkpoint, int input_size = 0);

}  // namespace vestis::train
