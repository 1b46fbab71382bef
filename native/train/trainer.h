// `vestis train`: the training loop with validation, checkpoints, resume and logs
// (metrics.jsonl, TensorBoard events).
#pragma once

#include "train/config.h"
#include "train/evaluation_report.h"

#include <ostream>
#include <string>

namespace vestis::train {

struct train_outcome {
    int epochs_done = 0;
    long long steps = 0;
    bool stopped_part_way = false;     // Ctrl-C or train.max_steps: last.pt was saved, --resume continues
    bool stopped_early = false;        // early stopping
    std::string last_validation_json;  // the metrics of the last validation, as JSON
};

// Trains into `run_dir` (created), or continues the run there when `resume`. Progress goes
// to `progress` (a terminal's stderr). Throws std::runtime_error with a readable message.
train_outcome run_training(const train_config & config, const std::string & run_dir, bool resume, std::ostream & progress);

}  // namespace vestis::train
