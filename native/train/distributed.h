// One rank of a data-parallel process group (c10d: TCPStore rendezvous, Gloo on CPU, NCCL on
// CUDA), configured by the launcher environment torchrun and
// `vestis launch` set: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK. Without it the
// group is a single process and every collective is a no-op; WORLD_SIZE=1 makes a real group.
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
    // CPU ranks use Gloo; CUDA ranks use NCCL, each on the GPU its LOCAL_RANK names.
    static process_group from_environment(torch::Device requested);
    static process_group single() { return process_group(); }

    int rank() const { return rank_; }
    int world() const { return world_; }
    int local_rank() const { return local_rank_; }
    // Where this rank trains: the requested device, or for a CUDA rank its LOCAL_RANK's GPU.
    torch::Device device() const { return device_; }
    // Whether a process group runs the collectives (world size 1 included).
    bool distributed() const { return state_ != nullptr; }
    bool leader() const { return rank_ == 0; }

    // Rank 0's parameters and buffers to every rank.
    void broadcast_state(torch::nn::Module & module);
    // Element-wise sum of a small vector over ranks (losses, counts, stop flags).
    std::vector<double> sum(std::vector<double> values);
    // Every rank's rows [n_r, width], concatenated in rank order, on every rank.
    torch::Tensor all_gather_rows(const torch::Tensor & rows);

private:
    friend class gradient_reducer;
    process_group() = default;
    template <typename F>
    void collective(const char * what, F && run);

    struct state;
    std::shared_ptr<state> state_;
    int rank_ = 0, world_ = 1, local_rank_ = 0;
    torch::Device device_ = torch::kCPU;
    std::chrono::seconds timeout_{300};
};

// Gradients averaged over the combined batch, all-reduced while backward still runs, as
// PyTorch's DDP reducer does: parameters go into ~25 MB buckets in reverse registration order
// (about the order backward reaches them); a hook on each copies its gradient into its bucket,
// and each full bucket starts an asynchronous all-reduce. Buckets start in index order on every
// rank, so Gloo pairs the same buckets. A step: begin_step(images of this rank's batch), then
// backward (or none when the rank has no images this step), then launch_remaining() before
// any other collective, then finish(images of all ranks), which writes the averages to .grad.
// A single process skips all of it.
class gradient_reducer {
public:
    gradient_reducer(process_group & group, torch::nn::Module & module, std::int64_t bucket_bytes = 25 * 1024 * 1024);
    ~gradient_reducer();
    gradient_reducer(const gradient_reducer &) = delete;
    gradient_reducer & operator=(const gradient_reducer &) = delete;

    void begin_step(long long local_images);
    void launch_remaining();
    void finish(long long total_images);

private:
    struct bucket;
    void on_gradient(std::size_t parameter, const torch::Tensor & gradient);
    void launch(std::size_t bucket_index);

    process_group & group_;
    std::vector<torch::Tensor> parameters_;                    // reverse registration order
    std::vector<std::pair<std::size_t, std::int64_t>> slots_;  // parameter -> (bucket, offset)
    std::vector<bucket> buckets_;
    std::vector<bool> written_;  // this step, per parameter
    std::vector<unsigned> hooks_;
    std::size_t next_launch_ = 0;
    double local_weight_ = 0;
};

// This rank's share of `ids` for a step of a global batch: contiguous, as even as possible,
// lower ranks taking the remainder. The shares of all ranks cover `ids` once, in order.
std::pair<std::size_t, std::size_t> rank_share(std::size_t count, int rank, int world);

}  // namespace vestis::train
