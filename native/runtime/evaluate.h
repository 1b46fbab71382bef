// The published metrics of an exported model on a data set split, computed through the same
// runtime and shared/ decoding as `vestis predict`: what the shipped file really scores.
#pragma once

#include "data/dataset.h"
#include "data/loader.h"
#include "runtime/onnx_model.h"
#include "vestis/metrics.h"

#include <functional>
#include <vector>

namespace vestis::runtime {

// `progress(done, total)` is called after each image. Unreadable images are skipped and counted.
struct onnx_evaluation {
    metrics_report report;
    long long skipped = 0;
    float best_micro_f1_threshold = 0.5f;  // where these images' micro F1 peaks (metrics_accumulator)
};
onnx_evaluation evaluate_onnx(onnx_model & model, const data::dataset_index & index, const std::vector<std::size_t> & samples,
                              float threshold, const std::function<void(std::size_t, std::size_t)> & progress = {});

// The tag-frequency baseline ("the prior") of a model with attributes, measured as a model is:
// every image gives each attribute the fraction of `reference` samples (the training split)
// that have it. Its AP is that attribute's positive rate; no photo is looked at.
onnx_evaluation evaluate_prior(const data::dataset_index & index, const std::vector<std::size_t> & reference,
                               const std::vector<std::size_t> & samples, float threshold);

}  // namespace vestis::runtime
