// A run's trained network with everything that shaped it, for the exporter (LibTorch).
#pragma once

#include "data/dataset.h"
#include "data/loader.h"
#include "nn/network.h"
#include "train/config.h"

#include <memory>
#include <string>

namespace vestis::train {

struct trained_model {
    train_config config;                         // the run's config.yaml
    data::dataset_index index;                   // its data set (names, types, splits)
    nn::network_config network;                  // sizes resolved against the data set
    data::loader_options loading;                // the input pipeline it was trained with
    std::shared_ptr<nn::garment_network> net;    // eval mode, on the CPU
};

// Loads RUN_DIR/config.yaml, its data set and RUN_DIR/<checkpoint>.pt. Throws std::runtime_error
// naming the missing or unreadable file.
trained_model load_trained_model(const std::string & run_dir, const std::string & checkpoint);

}  // namespace vestis::train
