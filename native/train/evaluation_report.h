// The evaluation as people and programs read it: the published table with the recall
// ceilings and the categories most confused, and the same figures as JSON. Torch-free.
#pragma once

#include "vestis/metrics.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace vestis::train {

struct evaluation {
    metrics_report report;
    double loss = 0;
    std::string split;
    std::vector<std::string> landmark_names;
    std::vector<std::string> category_names;   // names the confusion matrix's rows and columns
    std::vector<std::string> attribute_names;  // names the per-attribute figures
};

std::string format_evaluation(const evaluation & e);  // the published table layout
std::string evaluation_json(const evaluation & e);

// The figures of one validation or evaluation, as metrics.jsonl and `vestis eval --json` write them.
nlohmann::json report_json(const metrics_report & report);

}  // namespace vestis::train
