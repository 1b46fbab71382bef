#include "train/distributed.h"

#include "train/config.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <stdexcept>

namespace vestis::train {

struct process_group::state {
    c10::intrusive_ptr<c10d::ProcessGroup> group;
};

namespace {

int environment_int(const char * name, int fallback, int low, int high) {
    const char * text = std::getenv(name);
    if (!text || !*text) return fallback;
    char * end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < low || value > high) {
        throw config_error(std::string(name) + "='" + text + "': expected an integer in " + std::to_string(low) + ".." + std::to_string(high));
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

process_group process_group::from_environment(torch::Device device) {
    process_group g;
    g.world_ = environment_int("WORLD_SIZE", 1, 1, 65536);
    if (g.world_ == 1) return g;
    g.rank_ = environment_int("RANK", -1, 0, g.world_ - 1);
    if (g.rank_ < 0) throw config_error("WORLD_SIZE is set but RANK is not: start ranks with vestis launch or torchrun");
    g.local_rank_ = environment_int("LOCAL_RANK", 0, 0, 65535);
    g.timeout_ = std::chrono::seconds(environment_int("VESTIS_DIST_TIMEOUT", 300, 1, 86400));
    const char * address = std::getenv("MASTER_ADDR");
    const int port = environment_int("MASTER_PORT", -1, 1, 65535);
    if (!address || !*address || port < 0) throw config_error("WORLD_SIZE > 1 needs MASTER_ADDR and MASTER_PORT (the rank-0 host and a free port)");
    if (device.is_cuda()) {
        throw config_error("train.device: distributed CUDA training needs a LibTorch built with NCCL, which this build does not use yet");
    }
    try {
        c10d::TCPStoreOptions options;
        options.port = static_cast<std::uint16_t>(port);
        options.isServer = g.rank_ == 0;
        options.numWorkers = g.world_;
        options.waitWorkers = true;
        options.timeout = g.timeout_;
        auto store = c10::make_intrusive<c10d::TCPStore>(address, options);
        auto gloo = c10d::ProcessGroupGloo::Options::create();
        gloo->timeout = g.timeout_;
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        g.state_ = std::make_shared<state>();
        g.state_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, g.rank_, g.world_, gloo);
    } catch (const std::exception & e) {
        throw std::runtime_error("rank " + std::to_string(g.rank_) + " of " + std::to_string(g.world_) + ": no rendezvous at " + address +
                                 ":" + std::to_string(port) + " within " + std::to_string(g.timeout_.count()) + " s: " + e.what());
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
        std::vector<torch::Tensor> one = {t.contiguous()};   // a copy when t is channels-last
        collective("broadcasting the weights", [&](c10d::ProcessGroup & g) { g.broadcast(one)->wait(); });
        if (one[0].data_ptr() != t.data_ptr()) t.copy_(one[0]);
    }
}

void process_group::average_gradients(torch::nn::Module & module, long long local_images, long long total_images) {
    if (!distributed()) return;
    torch::NoGradGuard no_grad;
    constexpr std::int64_t bucket_elements = 25 * 1024 * 1024 / 4;
    const double weight = static_cast<double>(local_images) / static_cast<double>(std::max(total_images, 1LL));
    std::vector<torch::Tensor> params;
    for (auto & p : module.parameters()) {
        if (!p.requires_grad()) continue;
        if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
        params.push_back(p);
    }
    for (std::size_t start = 0; start < params.size();) {
        std::size_t end = start;
        std::int64_t elements = 0;
        while (end < params.size() && (end == start || elements + params[end].numel() <= bucket_elements)) elements += params[end++].numel();
        std::vector<torch::Tensor> grads;
        for (std::size_t i = start; i < end; ++i) grads.push_back(params[i].grad().contiguous().view({-1}));
        std::vector<torch::Tensor> flat = {torch::cat(grads).mul_(weight)};
        collective("averaging gradients", [&](c10d::ProcessGroup & g) { g.allreduce(flat)->wait(); });
        std::int64_t offset = 0;
        for (std::size_t i = start; i < end; ++i) {
            const std::int64_t n = params[i].numel();
            params[i].mutable_grad().copy_(flat[0].slice(0, offset, offset + n).view_as(params[i].grad()));
            offset += n;
        }
        start = end;
    }
}

std::vector<double> process_group::sum(std::vector<double> values) {
    if (!distributed()) return values;
    std::vector<torch::Tensor> t = {torch::tensor(values, torch::kDouble)};
    collective("summing over ranks", [&](c10d::ProcessGroup & g) { g.allreduce(t)->wait(); });
    return std::vector<double>(t[0].data_ptr<double>(), t[0].data_ptr<double>() + t[0].numel());
}

torch::Tensor process_group::all_gather_rows(const torch::Tensor & rows) {
    if (!distributed()) return rows;
    // Gloo gathers equal sizes: pad to the largest count, then cut each rank's rows back out.
    const std::vector<double> counts_local = [&] {
        std::vector<double> c(static_cast<std::size_t>(world_), 0.0);
        c[static_cast<std::size_t>(rank_)] = static_cast<double>(rows.size(0));
        return c;
    }();
    const std::vector<double> counts = sum(counts_local);
    std::int64_t most = 0;
    for (double c : counts) most = std::max(most, static_cast<std::int64_t>(c));
    torch::Tensor padded = torch::zeros({most, rows.size(1)}, rows.options());
    if (rows.size(0) > 0) padded.slice(0, 0, rows.size(0)).copy_(rows);
    std::vector<std::vector<torch::Tensor>> outputs(1);
    for (int r = 0; r < world_; ++r) outputs[0].push_back(torch::empty_like(padded));
    std::vector<torch::Tensor> inputs = {padded};
    collective("gathering validation outputs", [&](c10d::ProcessGroup & g) { g.allgather(outputs, inputs)->wait(); });
    std::vector<torch::Tensor> parts;
    for (int r = 0; r < world_; ++r) parts.push_back(outputs[0][static_cast<std::size_t>(r)].slice(0, 0, static_cast<std::int64_t>(counts[static_cast<std::size_t>(r)])));
    return torch::cat(parts);
}

}  // namespace vestis::train
