// The evaluation as people and programs read it: the published table with the recall
// ceilings and the categories most confused, and the same figures as JSON. Torch-free.
#pragma once

#include "vestis/metrics.h"

#include <nlohmann/json.hpp>

namespace vestis::train {

// The figures of one validation or evaluation, as metrics.jsonl and `vestis eval --json` write them.
nlohmann::json report_json(const metrics_report & report);

}  // namespace vestis::train
