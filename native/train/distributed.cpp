#include "train/distributed.h"

#include "train/config.h"

#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>
#ifdef USE_C10D_NCCL  // set by CMake when LibTorch has CUDA and nccl.h is found (VESTIS_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace vestis::train {

// What a collective runs on. LibTorch 2.0 split c10d::ProcessGroup into a front and the
// per-device Backends (Gloo, NCCL) it dispatches to; a single-backend group needs only the latter.
#if TORCH_VERSION_MAJOR >= 2
using collective_backend = c10d::Backend;
#else
using collective_backend = c10d::ProcessGroup;
#endif

struct process_group::state {
    c10::intrusive_ptr<collective_backend> group;
};

namespace {

int environment_int(const char * name, int fallback, int low, int high) {
    const char * text = std::getenv(name);
    if (!text || !*text) return fallback;
    char * end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < low || value > high) {
        throw config_error(std::string(name) + "='" + text + "': expected an integer in " + std::to_string(low) + ".." +
                           std::to_string(high));
    }
    return static_cast<int>(value);
}

}  // namespace

std::pair<std::size_t, std::size_t> rank_share(std::size_t count, int rank, int world) {
    const std::size_t w = static_cast<std::size_t>(world), r = static_cast<std::size_t>(rank);
    const std::size_t base = count / w, extra = count % w;
    const std::size_t begin = r * base + std::min(r, extra);
    return {begin, begin + base + (r < extra ? 1 : 0)};
}

namespace {

// One rank per GPU, the one its LOCAL_RANK names, as torchrun's scripts do.
torch::Device rank_gpu(int local_rank, torch::Device requested) {
    if (requested.has_index() && requested.index() != local_rank) {
        throw config_error("train.device: '" + requested.str() + "' names one GPU, but each rank takes the GPU of its LOCAL_RANK (" +
                           std::to_string(local_rank) + "): write train.device: cuda");
    }
    const auto gpus = static_cast<int>(torch::cuda::device_count());
    if (local_rank >= gpus) {
        throw config_error("LOCAL_RANK=" + std::to_string(local_rank) + ", but this machine has " + std::to_string(gpus) +
                           " GPUs: start at most one rank per GPU (vestis launch --nproc " + std::to_string(gpus) + ")");
    }
    const torch::Device device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank));
    // NCCL and cuDNN work on the current device; this sets it without CUDA's own headers.
    c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA)->setDevice(device);
    return device;
}

c10::intrusive_ptr<collective_backend> gloo_backend(const c10::intrusive_ptr<c10d::Store> & store, int rank, int world,
                                                    std::chrono::seconds timeout) {
    auto options = c10d::ProcessGroupGloo::Options::create();
    options->timeout = timeout;
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);
}

c10::intrusive_ptr<collective_backend> nccl_backend(const c10::intrusive_ptr<c10d::Store> & store, int rank, int world,
                                                    std::chrono::seconds timeout) {
#ifdef USE_C10D_NCCL
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world, options);
#else
    (void)store, (void)rank, (void)world, (void)timeout;
    throw config_error(
        "train.device: CUDA ranks talk over NCCL, and this build has none: build against a CUDA LibTorch "
        "with nccl.h where CMake finds it (VESTIS_NCCL; see docs/gpu-servers.md)");
#endif
}

}  // namespace

process_group process_group::from_environment(torch::Device requested) {
    process_group g;
    g.device_ = requested;
    // No launcher, no group. A launcher's WORLD_SIZE=1 gets a real group of one rank, as
    // torchrun's does: its collectives run (tools/gpu-check proves NCCL on one GPU that way).
    const char * world = std::getenv("WORLD_SIZE");
    if (!world || !*world) return g;
    g.world_ = environment_int("WORLD_SIZE", 1, 1, 65536);
    g.rank_ = environment_int("RANK", -1, 0, g.world_ - 1);
    if (g.rank_ < 0) throw config_error("WORLD_SIZE is set but RANK is not: start ranks with vestis launch or torchrun");
    g.local_rank_ = environment_int("LOCAL_RANK", 0, 0, 65535);
    g.timeout_ = std::chrono::seconds(environment_int("VESTIS_DIST_TIMEOUT", 300, 1, 86400));
    const char * address = std::getenv("MASTER_ADDR");
    const int port = environment_int("MASTER_PORT", -1, 1, 65535);
    if (!address || !*address || port < 0)
        throw config_error("WORLD_SIZE > 1 needs MASTER_ADDR and MASTER_PORT (the rank-0 host and a free port)");
    if (requested.is_cuda()) g.device_ = rank_gpu(g.local_rank_, requested);

    const std::string who = "rank " + std::to_string(g.rank_) + " of " + std::to_string(g.world_);
    const auto started = std::chrono::steady_clock::now();
    try {
        c10d::TCPStoreOptions options;
        options.port = static_cast<std::uint16_t>(port);
        options.isServer = g.rank_ == 0;
        options.numWorkers = g.world_;
        options.waitWorkers = true;
        options.timeout = g.timeout_;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
        // 2.4 made libuv the default, and a LibTorch built without it (Debian's) refuses the
        // default; the classic store serves the few ranks of a training machine as well.
        options.useLibUV = false;
#endif
        auto store = c10::make_intrusive<c10d::TCPStore>(address, options);
        g.state_ = std::make_shared<state>();
        g.state_->group =
            g.device_.is_cuda() ? nccl_backend(store, g.rank_, g.world_, g.timeout_) : gloo_backend(store, g.rank_, g.world_, g.timeout_);
    } catch (const config_error &) {
        throw;
    } catch (const std::exception & e) {
        const auto waited = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
        // A failure well inside the timeout is not a missing peer: say what it is, not "no answer".
        if (waited < g.timeout_ / 2) {
            throw std::runtime_error(who + ": starting the process group at " + address + ":" + std::to_string(port) +
                                     " failed: " + e.what());
        }
        throw std::runtime_error(who + ": no rendezvous at " + address + ":" + std::to_string(port) + " within " +
                                 std::to_string(g.timeout_.count()) + " s: " + e.what());
    }
    return g;
}

template <typename F>
void process_group::collective(const char * what, F && run) {
    try {
        run(*state_->group);
    } catch (const std::exception & e) {
        // Gloo reports a dead peer as a closed connection and a hung one as a timeout.
        throw std::runtime_error("rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ": " + what +
                                 " failed: another rank exited or did not answer within " + std::to_string(timeout_.count()) +
                                 " s (VESTIS_DIST_TIMEOUT): " + e.what());
    }
}

void process_group::broadcast_state(torch::nn::Module & module) {
    if (!distributed()) return;
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> tensors;
    for (auto & p : module.parameters()) tensors.push_back(p);
    for (auto & b : module.buffers()) tensors.push_back(b);
    for (torch::Tensor & t : tensors) {
        std::vector<torch::Tensor> one = {t.contiguous()};  // a copy when t is channels-last
        collective("broadcasting the weights", [&](collective_backend & g) { g.broadcast(one)->wait(); });
        if (one[0].data_ptr() != t.data_ptr()) t.copy_(one[0]);
    }
}

struct gradient_reducer::bucket {
    torch::Tensor flat;          // this rank's weighted gradients, then their sum over ranks
    std::size_t parameters = 0;  // how many it holds
    std::size_t written = 0;     // ... and how many of them this step has filled
    bool launched = false;
    c10::intrusive_ptr<c10d::Work> work;
};

gradient_reducer::gradient_reducer(process_group & group, torch::nn::Module & module, std::int64_t bucket_bytes) : group_(group) {
    if (!group.distributed()) return;
    for (auto & p : module.parameters()) {
        if (p.requires_grad()) parameters_.push_back(p);
    }
    std::reverse(parameters_.begin(), parameters_.end());
    const std::int64_t bucket_elements = std::max<std::int64_t>(1, bucket_bytes / 4);
    std::int64_t filled = bucket_elements;  // start a new bucket on the first parameter
    std::vector<std::int64_t> sizes;
    for (const auto & p : parameters_) {
        if (filled > 0 && filled + p.numel() > bucket_elements) {
            buckets_.emplace_back();
            sizes.push_back(0);
            filled = 0;
        }
        slots_.emplace_back(buckets_.size() - 1, sizes.back());
        sizes.back() += p.numel();
        filled += p.numel();
        ++buckets_.back().parameters;
    }
    for (std::size_t b = 0; b < buckets_.size(); ++b) buckets_[b].flat = torch::zeros({sizes[b]}, parameters_.front().options());
    written_.assign(parameters_.size(), false);
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
        hooks_.push_back(parameters_[i].register_hook([this, i](const torch::Tensor & gradient) { on_gradient(i, gradient); }));
    }
}

gradient_reducer::~gradient_reducer() {
    for (std::size_t i = 0; i < hooks_.size(); ++i) parameters_[i].remove_hook(hooks_[i]);
}

void gradient_reducer::begin_step(long long local_images) {
    local_weight_ = static_cast<double>(local_images);
    next_launch_ = 0;
    std::fill(written_.begin(), written_.end(), false);
    for (auto & b : buckets_) {
        b.written = 0;
        b.launched = false;
        b.work.reset();
    }
}

// Backward hands each parameter's whole gradient here once, before it reaches .grad.
void gradient_reducer::on_gradient(std::size_t parameter, const torch::Tensor & gradient) {
    torch::NoGradGuard no_grad;
    const auto [b, offset] = slots_[parameter];
    bucket & into = buckets_[b];
    // Weighted by this rank's images: the sum over ranks divided by all images is the average.
    into.flat.slice(0, offset, offset + gradient.numel()).view(gradient.sizes()).copy_(gradient).mul_(local_weight_);
    if (!written_[parameter]) {
        written_[parameter] = true;
        ++into.written;
    }
    while (next_launch_ < buckets_.size() && buckets_[next_launch_].written == buckets_[next_launch_].parameters) launch(next_launch_++);
}

void gradient_reducer::launch(std::size_t bucket_index) {
    bucket & b = buckets_[bucket_index];
    std::vector<torch::Tensor> tensors = {b.flat};
    group_.collective("averaging gradients", [&](collective_backend & g) { b.work = g.allreduce(tensors); });
    b.launched = true;
}

void gradient_reducer::launch_remaining() {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
        if (written_[i]) continue;  // no gradient this step (no images, or an unused head): zeros
        const auto [b, offset] = slots_[i];
        buckets_[b].flat.slice(0, offset, offset + parameters_[i].numel()).zero_();
        written_[i] = true;
        ++buckets_[b].written;
    }
    while (next_launch_ < buckets_.size()) launch(next_launch_++);
}

void gradient_reducer::finish(long long total_images) {
    if (!group_.distributed()) return;
    launch_remaining();
    torch::NoGradGuard no_grad;
    for (auto & b : buckets_) group_.collective("averaging gradients", [&](collective_backend &) { b.work->wait(); });
    const double scale = 1.0 / static_cast<double>(std::max(total_images, 1LL));
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
        torch::Tensor & p = parameters_[i];
        const auto [b, offset] = slots_[i];
        const torch::Tensor average = buckets_[b].flat.slice(0, offset, offset + p.numel()).view(p.sizes());
        if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
        p.mutable_grad().copy_(average).mul_(scale);
    }
}

std::vector<double> process_group::sum(std::vector<double> values) {
    if (!distributed()) return values;
    // On the group's device: NCCL reduces only CUDA tensors.
    std::vector<torch::Tensor> t = {torch::tensor(values, torch::kDouble).to(device_)};
    collective("summing over ranks", [&](collective_backend & g) { g.allreduce(t)->wait(); });
    const torch::Tensor sums = t[0].cpu();
    return std::vector<double>(sums.data_ptr<double>(), sums.data_ptr<double>() + sums.numel());
}

torch::Tensor process_group::all_gather_rows(const torch::Tensor & rows) {
    if (!distributed()) return rows;
    // Gloo and NCCL gather equal sizes: pad to the largest count, then cut each rank's rows back
    // out. On the group's device, back on the rows' own at the end.
    const std::vector<double> counts_local = [&] {
        std::vector<double> c(static_cast<std::size_t>(world_), 0.0);
        c[static_cast<std::size_t>(rank_)] = static_cast<double>(rows.size(0));
        return c;
    }();
    const std::vector<double> counts = sum(counts_local);
    std::int64_t most = 0;
    for (double c : counts) most = std::max(most, static_cast<std::int64_t>(c));
    torch::Tensor padded = torch::zeros({most, rows.size(1)}, rows.options().device(device_));
    if (rows.size(0) > 0) padded.slice(0, 0, rows.size(0)).copy_(rows);
    std::vector<std::vector<torch::Tensor>> outputs(1);
    for (int r = 0; r < world_; ++r) outputs[0].push_back(torch::empty_like(padded));
    std::vector<torch::Tensor> inputs = {padded};
    collective("gathering validation outputs", [&](collective_backend & g) { g.allgather(outputs, inputs)->wait(); });
    std::vector<torch::Tensor> parts;
    for (int r = 0; r < world_; ++r)
        parts.push_back(
            outputs[0][static_cast<std::size_t>(r)].slice(0, 0, static_cast<std::int64_t>(counts[static_cast<std::size_t>(r)])));
    return torch::cat(parts).to(rows.device());
}

}  // namespace vestis::train
