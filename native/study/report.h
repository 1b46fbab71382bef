// The study report: report/index.html with validation-loss plots (all experiments together,
// then each with its training loss), the metrics in the published layout, the error-rate
// table, and prediction grids. One self-contained page plus the grid images beside it.
#pragma once

#include "study/plan.h"
#include "vestis/metrics.h"

#include <string>
#include <vector>

namespace vestis::study {

struct epoch_point {
    int epoch = 0;
    double train_loss = 0;  // mean of the logged steps of the epoch (NaN: none logged)
    double val_loss = 0;
};

// The epoch lines of a run's metrics.jsonl. Throws std::runtime_error naming the file and line.
std::vector<epoch_point> read_learning_curve(const std::string & metrics_jsonl);

struct tag_mark {
    std::string name;
    float probability = 0;
    bool hit = false;  // predicted and truly present (for the category: the true one)
};

struct prediction_tile {
    std::string image;  // relative to the report folder
    std::string true_category;
    tag_mark category;                 // the top prediction
    std::vector<tag_mark> attributes;  // the top predictions over all types
    std::vector<std::string> missed;   // true attributes not among them
    double landmark_error = 0;         // mean normalised error over visible landmarks (NaN: none)
};

struct experiment_result {
    std::string name;
    std::string run_folder, model, config_hash;
    bool reused = false;  // the model manager already had this run
    std::vector<epoch_point> curve;
    metrics_report test;
    std::vector<std::string> landmark_names;
    std::vector<prediction_tile> predictions;
};

std::string render_report(const study_plan & plan, const std::vector<experiment_result> & results);

}  // namespace vestis::study
