// Validation: every rank scores its share of the images, the rows are pooled, and one
// accumulator scores them all, so the metrics are those of a single process.
#pragma once

#include "train/distributed.h"
#include "train/run_data.h"
#include "nn/network.h"
#include "vestis/metrics.h"

#include <vector>

namespace vestis::train {

struct validation {
    double loss = 0;
    metrics_report report;
};

// Scores `ids` (indexes into data.index) with `net` in eval mode; leaves it in train mode.
validation validate_model(nn::garment_network & net, const prepared_data & data, const std::vector<std::size_t> & ids,
                          const train_config & config, torch::Device device, process_group & group);

}  // namespace vestis::train
