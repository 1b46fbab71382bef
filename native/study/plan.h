// A study plan: experiments as config overrides on one base config (`vestis study --plan`).
//   name: Seed study on synthetic data
//   base: configs/synthetic-cpu.yaml      # relative to the plan's folder
//   set: [data.root=data/synth-study]     # applied to every experiment
//   prediction_images: 8                  # test images in each prediction grid
//   experiments:
//     - name: full
//     - name: simplified, ResNet-18
//       set: [model.kind=simple, model.backbone=resnet18]
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace vestis::study {

// A plan that cannot be read or does not say what a study needs; the message names the file
// and line.
struct plan_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct experiment {
    std::string name;
    std::vector<std::string> overrides;  // key=value, after the plan's own
};

struct study_plan {
    std::string source;  // the plan file
    std::string name;
    std::string base_config;  // path, resolved against the plan's folder
    std::vector<std::string> overrides;
    int prediction_images = 8;
    std::vector<experiment> experiments;
};

// Throws plan_error "<file>:<line>: <what was expected>".
study_plan load_plan(const std::string & path);

}  // namespace vestis::study
