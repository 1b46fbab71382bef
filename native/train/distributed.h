// One rank of a data-parallel process group (c10d: TCPStore rendezvous, Gloo on CPU, NCCL on
// CUDA when LibTorch has it), configured by the launcher environment torchrun and
// `vestis launch` set: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK. Without it the
// group is a single process and every collective is a no-op.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>

namespace vestis::train {

class process_group {
public:
    // Reads the environment; throws config_error for malformed values and std::runtime_error
    // when the rendezvous fails. VESTIS_DIST_TIMEOUT (seconds, default 300) bounds every wait.
    static process_group from_environment(torch::Device device);
    static process_group single() { return process_group(); }

    int rank() const { return rank_; }
    int world() const { return world_; }
    int local_rank() const { return local_rank_; }
    bool distributed() const { return world_ > 1; }
    bool leader() const { return rank_ == 0; }

    // Rank 0's parameters and buffers to every rank.
    void broadcast_state(torch::nn::Module & module);
    // Gradients averaged over the combined batch: each rank's gradient (of its batch's mean
    // loss over `local_images` images) weighs by its share. All-reduced in buckets of ~25 MB.
    void average_gradients(torch::nn::Module & module, long long local_images, long long total_images);
    // Element-wise sum of a small vector over ranks (losses, counts, stop flags).
    std::vector<double> sum(std::vector<double> values);
    // Every rank's rows [n_r, width], concatenated in rank order, on every rank.
    torch::Tensor all_gather_rows(const torch::Tensor & rows);

private:
    process_group() = default;
    template <typename F>
    void collective(const char * what, F && run);

    struct state;
    std::shared_ptr<state> state_;
    int rank_ = 0, world_ = 1, local_rank_ = 0;
    std::chrono::seconds timeout_{300};
};

// This rank's share of `ids` for a step of a global batch: contiguous, as even as possible,
// lower ranks taking the remainder. The shares of all ranks cover `ids` once, in order.
std::pair<std::size_t, std::size_t> rank_share(std::size_t count, int rank, int world);

}  // namespace vestis::train
