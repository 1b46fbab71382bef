// `vestis study`: trains what the model manager does not have yet, evaluates every experiment
// on its test split, draws prediction grids and writes the report (study/report.h).
#pragma once

#include "study/plan.h"

#include <ostream>
#include <string>

namespace vestis::train {

struct study_options {
    std::string runs_dir = "runs";  // the model manager's folder (runs/index.json)
    std::string report_dir = "report";
};

// Returns the path of the report's index.html. Throws std::runtime_error / config_error; a
// Ctrl-C during training stops the study with the run saved for the next invocation.
std::string run_study(const study::study_plan & plan, const study_options & options, std::ostream & progress);

}  // namespace vestis::train
