// The model manager: RUNS/index.json maps each resolved configuration (its hash) to the run
// folder that trained it and the run's final metrics, so a study re-run skips what is done.
#pragma once

#include "train/config.h"

#include <optional>
#include <string>

namespace vestis::train {

struct indexed_run {
    std::string hash;
    std::string folder;
    std::string model;     // "full, width 0.25" / "simple, resnet18"
    std::string finished;  // UTC time
    int epochs = 0;
    std::string metrics_json;  // the last validation's metrics
};

// The finished run of this configuration, if the index has one whose folder still exists.
std::optional<indexed_run> find_run(const std::string & runs_dir, const std::string & hash);
// Adds or replaces the entry (read, change, write to a temporary file, rename).
void record_run(const std::string & runs_dir, const indexed_run & run);
// "full, width 0.25" / "simple, resnet18": the model column of the index.
std::string model_description(const train_config & config);

// Records a run that finished training now (UTC time), as `vestis train` and `vestis study` do.
void record_finished_run(const std::string & runs_dir, const std::string & hash, const std::string & folder, const train_config & config,
                         int epochs, const std::string & metrics_json);

// `vestis runs list`: one line a run.
std::string list_runs(const std::string & runs_dir);

}  // namespace vestis::train
