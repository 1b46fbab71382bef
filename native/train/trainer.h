// `vestis train` and `vestis eval`: the training loop with validation, checkpoints, resume,
// logs (metrics.jsonl, TensorBoard events) and evaluation in the published layout.
#pragma once

#include "train/config.h"
#include "train/evaluation_report.h"

#include <ostream>
#include <string>

namespace vestis::train {

struct train_outcome {
    int epochs_done = 0;
    long long steps = 0;
    bool interrupted = false;     // Ctrl-C: `last` was saved, --resume continues
    bool stopped_early = false;   // early stopping
    double best_val_loss = 0;
    std::string last_validation_json;   // the metrics of the last validation, as JSON
};

// Trains into `run_dir` (created), or continues the run there when `resume`. Progress goes
// to `progress` (a terminal's stderr). Throws std::runtime_error with a readable message.
train_outcome run_training(const train_config & config, const std::string & run_dir, bool resume, std::ostream & progress);

// Evaluates a run's `best` (or `last`) checkpoint on a split of its data set.
// `input_size` > 0: at another input size than the run trained at (see load_trained_model).
evaluation evaluate_run(const std::string & run_dir, const std::string & split, const std::string & checkpoint, int input_size = 0);

}  // namespace vestis::train
