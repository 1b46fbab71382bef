// A run's trained network with everything that shaped it, for the exporter (LibTorch).
#pragma once

#include "data/dataset.h"
#include "data/loader.h"
#include "nn/network.h"
#include "train/config.h"

#include <filesystem>
#include <memory>
#include <string>

namespace vestis::train {

struct trained_model {
    train_config config;                       // the run's config.yaml
    data::dataset_index index;                 // its data set (names, types, splits)
    nn::network_config network;                // sizes resolved against the data set
    data::loader_options loading;              // the input pipeline it was trained with
    std::shared_ptr<nn::garment_network> net;  // eval mode, on the CPU
};

// Loads RUN_DIR/config.yaml, its data set and RUN_DIR/<checkpoint>.pt. Throws std::runtime_error
// naming the missing or unreadable file. `input_size` > 0 serves the network at another input
// size than it was trained at (`config` keeps the trained one): a convolutional backbone with
// global pooling takes any size, and one trained on random resized crops sees garments larger
// than whole photos show them, so a larger test size can score better ("FixRes", Touvron et
// al., NeurIPS 2019).
trained_model load_trained_model(const std::string & run_dir, const std::string & checkpoint, int input_size = 0);

// `config` set to serve at `input_size` (> 0; 0 leaves it as trained). A run trained on a
// non-square input is refused: its shape is the photos', not a size to scale.
void serve_at_input_size(train_config & config, int input_size);

// RUN_DIR/config.yaml, read as the run wrote it.
train_config read_run_config(const std::filesystem::path & run_dir);
// RUN_DIR/<checkpoint>.pt (best or last) into `net`; names the file when it is missing or unreadable.
void load_run_weights(const std::filesystem::path & run_dir, const std::string & checkpoint, nn::garment_network & net);

}  // namespace vestis::train
