// What a run trains on, resolved once for training, validation and evaluation alike: the data
// set, the network's sizes against it, the input pipeline; and batches of examples as tensors.
#pragma once

#include "data/dataset.h"
#include "data/loader.h"
#include "nn/losses.h"
#include "nn/network_config.h"
#include "train/config.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace vestis::train {

// cpu, cuda or cuda:N; throws config_error when CUDA is asked for and absent.
torch::Device pick_device(const std::string & name);

struct prepared_data {
    data::dataset_index index;
    nn::network_config model;
    data::loader_options loading;
};

// Reads the data set and fits the network to it (categories, attributes, landmarks); throws
// config_error when the network cannot learn from it.
prepared_data prepare(const train_config & config);

struct batch_tensors {
    torch::Tensor images;
    nn::batch_targets targets;
    torch::Tensor landmarks;  // [B, 8, 2] normalised ground truth
    torch::Tensor content;    // [B, 4] where each crop lies in the input: x, y, width, height
};

// Batch -> tensors on `device` (images channels-last, at the loading's input size, with heatmaps
// if it draws them); targets for the loss.
batch_tensors to_tensors(const std::vector<data::example> & batch, const data::loader_options & loading, bool attributes,
                         torch::Device device);

}  // namespace vestis::train
