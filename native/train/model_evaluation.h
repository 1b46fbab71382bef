// Scores an exported model (MODEL_DIR/model.onnx + card.json) through the native runtime,
// without LibTorch: `vestis eval --model` and the shipped-model checks.
#pragma once

#include "train/evaluation_report.h"

#include <string>

namespace vestis::train {

// On a split ("train", "val", "test") of a data set whose names must match the card's, at
// the card's threshold. Throws std::runtime_error naming the model or data set.
evaluation evaluate_model(const std::string & model_dir, const std::string & data_root, const std::string & split);

}  // namespace vestis::train
