// `vestis train` and `vestis eval`: the training loop with validation, checkpoints, resume,
// logs (metrics.jsonl, TensorBoard events) and evaluation in the published layout.
#pragma once

#include "train/config.h"
#include "vestis/metrics.h"

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

struct evaluation {
    metrics_report report;
    double loss = 0;
    std::string split;
    std::vector<std::string> landmark_names;
    std::vector<std::string> category_names;   // names the confusion matrix's rows and columns
    std::vector<std::string> attribute_names;  // names the per-attribute figures
};

// Evaluates a run's `best` (or `last`) checkpoint on a split of its data set.
// `input_size` > 0: at another input size than the run trained at (see load_trained_model).
evaluation evaluate_run(const std::string & run_dir, const std::string & split, const std::string & checkpoint, int input_size = 0);
// Evaluates an exported model (MODEL_DIR/model.onnx + card.json) through the native runtime,
// on a split of a data set whose names must match the card's.
evaluation evaluate_model(const std::string & model_dir, const std::string & data_root, const std::string & split);
std::string format_evaluation(const evaluation & e);   // the published table layout
std::string evaluation_json(const evaluation & e);

}  // namespace vestis::train
