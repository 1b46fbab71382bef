// A run's checkpoints: the weights, the optimizer's state and the run's progress, each under
// its name in one torch::serialize archive, written whole (temp file + rename). last.pt keeps
// the file it replaces as last.previous.pt, to fall back on when last.pt cannot be read.
#pragma once

#include "nn/network.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <ostream>
#include <string>

namespace vestis::train {

// Everything a resumed run needs besides the weights and the optimizer.
struct run_state {
    int epoch = 0;                // the epoch in progress
    long long step_in_epoch = 0;  // batches of it already done
    long long global_step = 0;
    double lr = 0;
    double best_val_loss = INFINITY;
    double best_val_map = -1;  // the best validation mAP so far (-1: none yet)
    int plateau_bad = 0, plateau_cooldown = 0, early_bad = 0;
    long long images_in_epoch = -1;  // images of the epoch done, whatever the number of ranks (-1: unknown, older checkpoint)
    double loss_scale = 0;           // mixed precision on CUDA (0: none saved)
    long long loss_scale_finite_steps = 0;
};

void save_checkpoint(const std::filesystem::path & path, nn::garment_network & net, torch::optim::Optimizer & optimizer,
                     const run_state & state, const std::string & config_hash);

// Loads the weights (and the optimizer's state when given) and returns the run's progress.
// Reads the checkpoints of earlier versions too. Throws std::runtime_error naming the file.
run_state load_checkpoint(const std::filesystem::path & path, nn::garment_network & net, torch::optim::Optimizer * optimizer);

// RUN/last.pt, or the checkpoint before it when last.pt cannot be read (a disk that filled up,
// a copy cut short): the run loses the steps between the two, not everything. Says so.
run_state resume_from_last(const std::filesystem::path & run, nn::garment_network & net, torch::optim::Optimizer & optimizer,
                           std::ostream & progress);

}  // namespace vestis::train
