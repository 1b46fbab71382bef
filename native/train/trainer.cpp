#include "train/trainer.h"

#include "train/trained_model.h"

#include "data/loader.h"
#include "io/atomic_file.h"
#include "nn/losses.h"
#include "nn/network.h"
#include "nn/imagenet_import.h"
#include "train/distributed.h"
#include "train/evaluation_report.h"
#include "train/lr_schedule.h"
#include "train/mixed_precision.h"
#include "train/tensorboard.h"
#include "vestis/build_info.h"
#include "vestis/version.h"

#include <nlohmann/json.hpp>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace vestis::train {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::atomic<bool> stop_requested{false};
extern "C" void request_stop(int) { stop_requested = true; }

// Installs the Ctrl-C handler for the duration of a run and restores the old one after.
class interrupt_guard {
public:
    interrupt_guard() : previous_(std::signal(SIGINT, request_stop)) { stop_requested = false; }
    ~interrupt_guard() { std::signal(SIGINT, previous_); }

private:
    void (*previous_)(int);
};

torch::Device pick_device(const std::string & name) {
    if (name == "cpu") return torch::kCPU;
    if (!torch::cuda::is_available()) {
        throw config_error("train.device: '" + name + "' asked for, but this LibTorch has no CUDA or sees no GPU "
                           "(build against a CUDA LibTorch: see docs/gpu-servers.md)");
    }
    return torch::Device(name);
}

struct prepared_data {
    data::dataset_index index;
    nn::network_config model;
    data::loader_options loading;
};

prepared_data prepare(const train_config & config) {
    prepared_data p;
    p.index = data::load_dataset(config.data.root);
    if (p.index.categories.empty() && !p.index.has_attributes) throw config_error("data.root: " + config.data.root + " has no categories or tags to train on");
    if (p.index.categories.empty() && config.model.kind == "full") {
        throw config_error("model.kind: the full network needs categories, and " + config.data.root + " has tags only (use model.kind: simple)");
    }
    p.model = config.model;
    p.model.categories = static_cast<int>(p.index.categories.size());
    p.model.attributes = p.index.has_attributes ? static_cast<int>(p.index.attributes.size()) : 0;
    p.model.landmarks = data::landmark_slots;
    if (p.model.kind == "full" && !p.index.has_landmarks) {
        throw config_error("model.kind: the full network needs landmarks, and " + config.data.root + " has none (use model.kind: simple)");
    }
    if (!p.index.has_landmarks) p.model.landmark_branch = false;
    p.loading.preprocess.input_width = p.loading.preprocess.input_height = config.model.input_size;
    p.loading.preprocess.policy = config.data.crop == "letterbox" ? crop_policy::letterbox : crop_policy::stretch;
    p.loading.preprocess.crop_margin = static_cast<float>(config.data.crop_margin);
    p.loading.heatmap_radius = static_cast<float>(config.data.heatmap_radius);
    p.loading.heatmaps = p.index.has_landmarks && (p.model.kind == "full" || p.model.landmark_branch);
    return p;
}

struct batch_tensors {
    torch::Tensor images;
    nn::batch_targets targets;
    torch::Tensor landmarks;   // [B, 8, 2] normalised ground truth
    torch::Tensor content;     // [B, 4] where each crop lies in the input: x, y, width, height
};

batch_tensors to_tensors(const std::vector<data::example> & batch, int size, bool attributes, bool heatmaps, torch::Device device) {
    const int64_t n = static_cast<int64_t>(batch.size());
    batch_tensors t;
    t.images = torch::empty({n, 3, size, size});
    t.targets.category = torch::empty({n}, torch::kLong);
    t.landmarks = torch::empty({n, data::landmark_slots, 2});
    t.content = torch::empty({n, 4});
    t.targets.landmark_visible = torch::empty({n, data::landmark_slots});
    const int64_t plane = static_cast<int64_t>(size) * size;
    if (attributes) t.targets.attributes = torch::empty({n, static_cast<int64_t>(batch[0].attributes.size())}, torch::kLong);
    if (heatmaps) t.targets.heatmaps = torch::empty({n, data::landmark_slots, size, size});
    auto category = t.targets.category.accessor<int64_t, 1>();
    auto landmarks = t.landmarks.accessor<float, 3>();
    auto content = t.content.accessor<float, 2>();
    auto visible = t.targets.landmark_visible.accessor<float, 2>();
    for (int64_t i = 0; i < n; ++i) {
        const data::example & ex = batch[static_cast<std::size_t>(i)];
        std::memcpy(t.images.data_ptr<float>() + i * 3 * plane, ex.image.data(), sizeof(float) * 3 * static_cast<std::size_t>(plane));
        category[i] = ex.category;
        content[i][0] = static_cast<float>(ex.content.x), content[i][1] = static_cast<float>(ex.content.y);
        content[i][2] = static_cast<float>(ex.content.width), content[i][3] = static_cast<float>(ex.content.height);
        for (int k = 0; k < data::landmark_slots; ++k) {
            landmarks[i][k][0] = ex.landmarks[k].x;
            landmarks[i][k][1] = ex.landmarks[k].y;
            visible[i][k] = static_cast<float>(ex.visible[k]);
        }
        if (attributes) {
            int64_t * row = t.targets.attributes.data_ptr<int64_t>() + i * t.targets.attributes.size(1);
            for (std::size_t a = 0; a < ex.attributes.size(); ++a) row[a] = ex.attributes[a];
        }
        if (heatmaps) {
            std::memcpy(t.targets.heatmaps.data_ptr<float>() + i * data::landmark_slots * plane, ex.heatmaps.data(),
                        sizeof(float) * data::landmark_slots * static_cast<std::size_t>(plane));
        }
    }
    t.images = t.images.contiguous(torch::MemoryFormat::ChannelsLast).to(device);
    t.targets.category = t.targets.category.to(device);
    t.targets.landmark_visible = t.targets.landmark_visible.to(device);
    if (attributes) t.targets.attributes = t.targets.attributes.to(device);
    if (heatmaps) t.targets.heatmaps = t.targets.heatmaps.to(device);
    return t;
}

struct validation {
    double loss = 0;
    metrics_report report;
};

// One validation image's outputs and truth as a row of floats, so ranks can pool them:
// category | C logits | A scores, A probabilities, A truth | 2L predicted, 2L true, L visible,
// the crop's place in the input (4).
struct validation_rows {
    int categories = 0, attributes = 0, landmarks = 0;
    int width() const { return 1 + categories + 3 * attributes + 5 * landmarks + (landmarks > 0 ? 4 : 0); }
};

validation validate_model(nn::garment_network & net, const prepared_data & data, const std::vector<std::size_t> & ids,
                          const train_config & config, torch::Device device, process_group & group) {
    torch::NoGradGuard no_grad;
    net.eval();
    // Each rank scores its share; the rows of all ranks then feed one accumulator, so the
    // metrics are those of a single process scoring every image.
    const auto [begin, end] = rank_share(ids.size(), group.rank(), group.world());
    const std::vector<std::size_t> mine(ids.begin() + static_cast<std::ptrdiff_t>(begin), ids.begin() + static_cast<std::ptrdiff_t>(end));
    validation_rows layout{data.model.categories, data.model.attributes, data.loading.heatmaps || data.model.kind == "full" ? data::landmark_slots : 0};
    std::vector<torch::Tensor> local;
    data::batch_loader loader(data.index, mine, data.loading, config.train.val_batch_size, config.data.workers, 0, false);
    double loss_sum = 0, images = 0;
    while (auto batch = loader.next()) {
        if (batch->empty()) continue;
        const auto t = to_tensors(*batch, config.model.input_size, data.model.attributes > 0, data.loading.heatmaps, device);
        const auto out = net.forward(t.images);
        const int64_t n = t.images.size(0);
        loss_sum += nn::compute_loss(out, t.targets, config.loss).total.item<double>() * static_cast<double>(n);
        images += static_cast<double>(n);
        std::vector<torch::Tensor> columns;
        columns.reserve(8);
        columns.push_back(t.targets.category.to(torch::kCPU, torch::kFloat).view({n, 1}));
        if (layout.categories > 0) columns.push_back(out.category_logits.to(torch::kCPU));
        if (layout.attributes > 0) {
            const bool pairs = out.attribute_logits.dim() == 3;
            columns.push_back((pairs ? out.attribute_logits.select(1, 1) : out.attribute_logits).to(torch::kCPU));
            columns.push_back((pairs ? torch::softmax(out.attribute_logits, 1).select(1, 1) : torch::sigmoid(out.attribute_logits)).to(torch::kCPU));
            columns.push_back(t.targets.attributes.to(torch::kCPU, torch::kFloat));
        }
        if (layout.landmarks > 0) {
            columns.push_back(out.landmarks.to(torch::kCPU).reshape({n, -1}));
            columns.push_back(t.landmarks.reshape({n, -1}));
            columns.push_back(t.targets.landmark_visible.to(torch::kCPU));
            columns.push_back(t.content);
        }
        local.push_back(torch::cat(columns, 1).to(torch::kFloat));
    }
    const std::vector<double> totals = group.sum({loss_sum, images});
    const torch::Tensor rows = group.all_gather_rows(local.empty() ? torch::zeros({0, layout.width()}) : torch::cat(local)).contiguous();

    metrics_accumulator metrics(data.model.attributes > 0 ? data.index.attributes : std::vector<attribute_info>{}, data::landmark_slots, static_cast<float>(config.train.threshold));
    const int C = layout.categories, A = layout.attributes, L = layout.landmarks;
    std::vector<std::uint8_t> truth(static_cast<std::size_t>(A)), visible(static_cast<std::size_t>(L));
    for (int64_t i = 0; i < rows.size(0); ++i) {
        const float * r = rows[i].data_ptr<float>();
        if (C > 0) metrics.add_category(r + 1, C, static_cast<int>(r[0]));
        const float * attributes = r + 1 + C;
        if (A > 0) {
            for (int a = 0; a < A; ++a) truth[static_cast<std::size_t>(a)] = attributes[2 * A + a] > 0.5f;
            metrics.add_attributes(attributes, attributes + A, truth.data());
        }
        if (L > 0) {
            const float * p = attributes + 3 * A;
            const float * c = p + 5 * L;
            const pixel_rect content{static_cast<int>(c[0]), static_cast<int>(c[1]), static_cast<int>(c[2]), static_cast<int>(c[3])};
            const int side = config.model.input_size;
            // Both measured in the crop's frame, as the published error is (letterbox padding off).
            point predicted[data::landmark_slots], actual[data::landmark_slots];
            for (int k = 0; k < L; ++k) {
                predicted[k] = crop_fraction({p[2 * k], p[2 * k + 1]}, content, side, side);
                actual[k] = crop_fraction({p[2 * L + 2 * k], p[2 * L + 2 * k + 1]}, content, side, side);
                visible[static_cast<std::size_t>(k)] = p[4 * L + k] > 0.5f;
            }
            metrics.add_landmarks(predicted, actual, visible.data());
        }
    }
    net.train();
    return {totals[1] > 0 ? totals[0] / totals[1] : NAN, metrics.finish()};
}

// Everything a resumed run needs besides the weights, in one small tensor.
struct run_state {
    int epoch = 0;                 // the epoch in progress
    long long step_in_epoch = 0;   // batches of it already done
    long long global_step = 0;
    double lr = 0;
    double best_val_loss = INFINITY;
    int plateau_bad = 0, plateau_cooldown = 0, early_bad = 0;
    long long images_in_epoch = -1;   // images of the epoch done, whatever the number of ranks (-1: unknown, older checkpoint)
    double loss_scale = 0;            // mixed precision on CUDA (0: none saved)
    long long loss_scale_finite_steps = 0;
};

constexpr char previous_last_checkpoint[] = "last.previous.pt";

void save_checkpoint(const fs::path & path, nn::garment_network & net, torch::optim::Optimizer & optimizer, const run_state & s,
                     const std::string & hash) {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive model, optim;
    net.save(model);
    optimizer.save(optim);
    archive.write("model", model);
    archive.write("optimizer", optim);
    archive.write("state", torch::tensor({static_cast<double>(s.epoch), static_cast<double>(s.step_in_epoch), static_cast<double>(s.global_step),
                                          s.lr, s.best_val_loss, static_cast<double>(s.plateau_bad), static_cast<double>(s.plateau_cooldown),
                                          static_cast<double>(s.early_bad), static_cast<double>(s.images_in_epoch), s.loss_scale,
                                          static_cast<double>(s.loss_scale_finite_steps)}, torch::kDouble));
    archive.write("rng", at::detail::getDefaultCPUGenerator().get_state());   // unused by training today; kept for exact resumes
    archive.write("config_hash", c10::IValue(hash));
    const std::string temporary = path.string() + ".tmp";
    archive.save_to(temporary);   // then renamed: a crash never leaves half a checkpoint
    // The checkpoint it replaces stays as the one to fall back on (resume_from_last).
    if (path.filename() == "last.pt" && fs::exists(path)) fs::rename(path, fs::path(path).replace_filename(previous_last_checkpoint));
    fs::rename(temporary, path);
}

// LibTorch's first line, without the C++ backtrace it appends.
std::string reason_of(const c10::Error & e) {
    const std::string text = e.what_without_backtrace();
    return text.substr(0, text.find('\n'));
}

run_state load_checkpoint(const fs::path & path, nn::garment_network & net, torch::optim::Optimizer * optimizer) {
    if (!fs::exists(path)) throw std::runtime_error(path.string() + ": no such checkpoint");
    torch::serialize::InputArchive archive;
    torch::Tensor state, rng;
    try {
        archive.load_from(path.string());
        torch::serialize::InputArchive model;
        archive.read("model", model);
        net.load(model);
        if (optimizer) {
            torch::serialize::InputArchive optim;
            archive.read("optimizer", optim);
            optimizer->load(optim);
        }
        archive.read("state", state);
        archive.read("rng", rng);
    } catch (const c10::Error & e) {
        throw std::runtime_error(path.string() + ": not a readable checkpoint of this run (truncated, or not written by vestis train?): " + reason_of(e));
    }
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(rng);
    const auto v = state.accessor<double, 1>();
    run_state s;
    s.epoch = static_cast<int>(v[0]);
    s.step_in_epoch = static_cast<long long>(v[1]);
    s.global_step = static_cast<long long>(v[2]);
    s.lr = v[3];
    s.best_val_loss = v[4];
    s.plateau_bad = static_cast<int>(v[5]);
    s.plateau_cooldown = static_cast<int>(v[6]);
    s.early_bad = static_cast<int>(v[7]);
    if (state.numel() > 8) s.images_in_epoch = static_cast<long long>(v[8]);
    if (state.numel() > 10) {
        s.loss_scale = v[9];
        s.loss_scale_finite_steps = static_cast<long long>(v[10]);
    }
    return s;
}

// Group 0 holds the parameters ImageNet weights fill, group 1 (when there is one) the rest,
// which learn at lr x optimizer.head_lr_scale.
// last.pt, or the checkpoint before it when last.pt cannot be read (a disk that filled up, a
// copy cut short): the run loses the steps between the two, not everything.
run_state resume_from_last(const fs::path & run, nn::garment_network & net, torch::optim::Optimizer & optimizer, std::ostream & progress) {
    const fs::path last = run / "last.pt", previous = run / previous_last_checkpoint;
    try {
        return load_checkpoint(last, net, &optimizer);
    } catch (const std::runtime_error & e) {
        if (!fs::exists(previous)) throw;
        progress << e.what() << "\nresuming from the checkpoint before it, " << previous.string() << "\n";
        try {
            return load_checkpoint(previous, net, &optimizer);
        } catch (const std::runtime_error & before) {
            throw std::runtime_error(std::string(e.what()) + "; and " + before.what());
        }
    }
}

void set_learning_rate(torch::optim::Optimizer & optimizer, double lr, double head_lr_scale) {
    auto & groups = optimizer.param_groups();
    for (std::size_t g = 0; g < groups.size(); ++g) groups[g].options().set_lr(g == 1 ? lr * head_lr_scale : lr);
}

std::vector<torch::optim::OptimizerParamGroup> parameter_groups(const train_config & c, nn::garment_network & net) {
    if (c.optimizer.head_lr_scale == 1.0) return {torch::optim::OptimizerParamGroup(net.parameters())};
    std::set<const void *> pretrained;
    for (const auto & [name, tensor] : net.imagenet_state()) pretrained.insert(tensor.unsafeGetTensorImpl());
    std::vector<torch::Tensor> backbone, heads;
    for (const torch::Tensor & p : net.parameters()) (pretrained.count(p.unsafeGetTensorImpl()) ? backbone : heads).push_back(p);
    return {torch::optim::OptimizerParamGroup(backbone), torch::optim::OptimizerParamGroup(heads)};
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const train_config & c, nn::garment_network & net) {
    if (c.optimizer.name == "sgd") {
        return std::make_unique<torch::optim::SGD>(parameter_groups(c, net), torch::optim::SGDOptions(c.optimizer.lr)
                                                                                   .momentum(c.optimizer.momentum)
                                                                                   .weight_decay(c.optimizer.weight_decay));
    }
    return std::make_unique<torch::optim::Adam>(parameter_groups(c, net), torch::optim::AdamOptions(c.optimizer.lr).weight_decay(c.optimizer.weight_decay));
}

std::uint64_t epoch_seed(std::uint64_t seed, int epoch) { return seed * 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(epoch) + 1; }

std::string duration_text(double seconds) {
    const long long s = static_cast<long long>(seconds);
    char text[32];
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    return text;
}

void write_environment(const fs::path & run, const train_config & config, torch::Device device, int ranks) {
    json env = {{"vestis_version", VESTIS_VERSION}, {"git_commit", source_commit()}, {"source_modified", source_modified()}, {"libtorch_version", TORCH_VERSION},
                {"device", device.str()}, {"cuda_available", torch::cuda::is_available()}, {"threads", torch::get_num_threads()},
                {"hardware_threads", std::thread::hardware_concurrency()}, {"ranks", ranks}, {"config_hash", config_hash(config)}};
    write_file_atomically((run / "environment.json").string(), env.dump(2) + "\n");
}

}  // namespace

train_outcome run_training(const train_config & config, const std::string & run_dir, bool resume, std::ostream & terminal) {
    const fs::path run(run_dir);
    if (!resume && fs::exists(run / "last.pt")) {
        throw std::runtime_error(run_dir + ": holds a run already; continue it with --resume, or give another --out");
    }
    const torch::Device device = pick_device(config.train.device);
    // Data-parallel when launched as one of several ranks; rank 0 alone talks and writes.
    process_group group = process_group::from_environment(device);
    std::ostream quiet(nullptr);
    std::ostream & progress = group.leader() ? terminal : quiet;
    if (group.leader()) fs::create_directories(run);
    if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);   // let cuDNN pick the fastest convolutions
    torch::set_num_threads(config.train.threads > 0 ? config.train.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    torch::manual_seed(config.train.seed);

    const prepared_data data = prepare(config);
    auto net = nn::make_network(data.model);
    if (!config.imagenet_weights.empty()) nn::import_imagenet_weights(*net, config.imagenet_weights);
    nn::use_channels_last(*net);
    net->to(device);
    net->train();
    auto optimizer = make_optimizer(config, *net);
    const std::string hash = config_hash(config);

    run_state state;
    state.lr = config.optimizer.lr;
    const long long global_batch = static_cast<long long>(config.train.batch_size) * group.world();
    if (resume) {
        // Every rank reads the checkpoint (the run folder is shared), so optimizer states agree.
        state = resume_from_last(run, *net, *optimizer, progress);
        // Saved by another number of ranks: continue at the same image of the epoch, or just before it.
        if (state.images_in_epoch >= 0) state.step_in_epoch = state.images_in_epoch / global_batch;
        progress << "resuming " << run_dir << " at epoch " << state.epoch + 1 << ", step " << state.global_step << "\n";
        // Extended epochs or steps are part of how the run was trained: export reads them here.
        if (group.leader()) write_file_atomically((run / "config.yaml").string(), to_yaml(config));
    } else if (group.leader()) {
        write_file_atomically((run / "config.yaml").string(), to_yaml(config));
        write_environment(run, config, device, group.world());
    }
    group.broadcast_state(*net);
    set_learning_rate(*optimizer, state.lr, config.optimizer.head_lr_scale);
    // Mixed precision: float16 on CUDA needs the loss scaled; bfloat16 on the CPU does not.
    loss_scaler scaler(config.train.amp && device.is_cuda());
    scaler.restore(state.loss_scale, state.loss_scale_finite_steps);
    gradient_reducer reducer(group, *net);

    const auto train_ids = data::subset(data.index, data::split::train, config.data.train_images, config.train.seed);
    const auto val_ids = data::subset(data.index, data::split::val, config.data.val_images, config.train.seed);
    if (train_ids.empty()) throw config_error("data.root: " + config.data.root + " has no training images");
    data::loader_options train_loading = data.loading;
    train_loading.augment.enabled = config.data.augment;
    train_loading.augment.random_resized_crop = config.data.augment_crop == "random_resized";
    train_loading.augment.min_crop_area = static_cast<float>(config.data.min_crop_area);

    std::ofstream metrics_log;
    if (group.leader()) metrics_log.open(run / "metrics.jsonl", std::ios::app);
    event_writer events(group.leader() ? run_dir : std::string());
    interrupt_guard interrupts;
    train_outcome outcome;
    outcome.best_val_loss = state.best_val_loss;
    const std::size_t batches_per_epoch = (train_ids.size() + static_cast<std::size_t>(global_batch) - 1) / static_cast<std::size_t>(global_batch);
    const auto started = std::chrono::steady_clock::now();
    long long images_this_session = 0;

    for (; state.epoch < config.train.epochs; ++state.epoch, state.step_in_epoch = 0) {
        // The epoch's order depends on the seed and the epoch only: a resumed run picks it up part-way.
        auto order = data::batch_loader::shuffled(train_ids, epoch_seed(config.train.seed, state.epoch));
        order.erase(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), static_cast<std::size_t>(state.step_in_epoch * global_batch))));
        // Each global batch is split among the ranks; this rank loads its shares in order.
        std::vector<std::size_t> mine;
        std::vector<long long> my_batch_sizes;
        for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(global_batch)) {
            const std::size_t count = std::min(order.size() - start, static_cast<std::size_t>(global_batch));
            const auto [begin, end] = rank_share(count, group.rank(), group.world());
            mine.insert(mine.end(), order.begin() + static_cast<std::ptrdiff_t>(start + begin), order.begin() + static_cast<std::ptrdiff_t>(start + end));
            my_batch_sizes.push_back(static_cast<long long>(end - begin));
        }
        data::batch_loader loader(data.index, mine, train_loading, config.train.batch_size, config.data.workers,
                                  epoch_seed(config.train.seed, state.epoch), /*shuffle=*/false);
        for (long long my_images : my_batch_sizes) {
            std::optional<std::vector<data::example>> batch;
            if (my_images > 0) batch = loader.next();   // a rank may have no share of the last global batch
            const bool have = batch && !batch->empty();
            optimizer->zero_grad();
            nn::loss_terms terms;
            reducer.begin_step(have ? static_cast<long long>(batch->size()) : 0);
            if (have) {
                const auto t = to_tensors(*batch, config.model.input_size, data.model.attributes > 0, data.loading.heatmaps, device);
                {
                    autocast_region autocast(device, config.train.amp);
                    terms = nn::compute_loss(net->forward(t.images), t.targets, config.loss);
                }
                scaler.scale(terms.total).backward();
            }
            const auto value = [](const torch::Tensor & v) { return v.defined() ? v.item<double>() : 0.0; };
            const double n = have ? static_cast<double>(batch->size()) : 0.0;
            reducer.launch_remaining();   // the last gradient buckets go out before the small sum below
            // One small all-reduce: images, the loss terms weighted by them, and whether any rank was interrupted.
            const std::vector<double> pooled = group.sum({n, n * value(terms.total), n * value(terms.category), n * value(terms.attribute),
                                                         n * value(terms.landmark), stop_requested ? 1.0 : 0.0});
            reducer.finish(static_cast<long long>(pooled[0]));
            if (pooled[0] == 0) continue;   // every image of this step was unreadable
            // Every rank holds the same summed gradients, so every rank skips the same steps.
            const bool finite = scaler.unscale_and_check(net->parameters());
            if (schedules_every_step(config.optimizer)) {
                state.lr = cosine_learning_rate(config.optimizer, {state.epoch, static_cast<double>(state.step_in_epoch) / static_cast<double>(batches_per_epoch)},
                                                config.train.epochs);
                set_learning_rate(*optimizer, state.lr, config.optimizer.head_lr_scale);
            }
            if (finite) optimizer->step();
            scaler.update(finite);
            state.loss_scale = scaler.current_scale();
            state.loss_scale_finite_steps = scaler.finite_steps_in_a_row();
            ++state.step_in_epoch;
            ++state.global_step;
            images_this_session += static_cast<long long>(pooled[0]);
            if (pooled[5] > 0) stop_requested = true;
            const auto mean = [&](int k) { return pooled[static_cast<std::size_t>(k)] / pooled[0]; };

            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            const double rate = static_cast<double>(images_this_session) / std::max(seconds, 1e-9);
            const double remaining_images = static_cast<double>((config.train.epochs - state.epoch) * static_cast<long long>(train_ids.size())) -
                                            static_cast<double>(state.step_in_epoch * global_batch);
            // The loss terms of the heads this network has.
            std::string terms_text;
            const std::pair<const char *, const torch::Tensor *> heads[] = {{"category", &terms.category}, {"attribute", &terms.attribute}, {"landmark", &terms.landmark}};
            for (int k = 0; k < 3; ++k) {
                char term_text[48];
                std::snprintf(term_text, sizeof term_text, "%s%s %.4g", terms_text.empty() ? "" : " ", heads[k].first, mean(k + 2));
                if (heads[k].second->defined()) terms_text += term_text;
            }
            char line[320];
            std::snprintf(line, sizeof line, "\repoch %d/%d  step %lld/%zu  loss %.4f (%s)  %.1f img/s  ETA %s ", state.epoch + 1,
                          config.train.epochs, state.step_in_epoch, batches_per_epoch, mean(1), terms_text.c_str(), rate,
                          duration_text(std::max(remaining_images, 0.0) / std::max(rate, 1e-9)).c_str());
            progress << line << std::flush;
            if (state.global_step % config.train.log_every == 0) {
                const auto term = [&](const torch::Tensor & v, int k) { return v.defined() ? json(mean(k)) : json(nullptr); };   // null: no such head
                const json step = {{"kind", "step"}, {"epoch", state.epoch + 1}, {"step", state.global_step}, {"loss", mean(1)},
                                   {"category_loss", term(terms.category, 2)}, {"attribute_loss", term(terms.attribute, 3)},
                                   {"landmark_loss", term(terms.landmark, 4)}, {"lr", state.lr}, {"images_per_second", rate}};
                metrics_log << step.dump() << "\n" << std::flush;
                events.scalar("train/loss", mean(1), state.global_step);
                events.scalar("train/images_per_second", rate, state.global_step);
            }
            const bool step_limit = config.train.max_steps > 0 && state.global_step >= config.train.max_steps;
            if (stop_requested || step_limit || (config.train.checkpoint_every > 0 && state.global_step % config.train.checkpoint_every == 0)) {
                state.images_in_epoch = state.step_in_epoch * global_batch;
                if (group.leader()) save_checkpoint(run / "last.pt", *net, *optimizer, state, hash);
            }
            if (stop_requested || step_limit) {
                progress << "\n" << (stop_requested ? "interrupted" : "reached train.max_steps") << ": saved " << (run / "last.pt").string()
                         << "; continue with --resume " << run_dir << "\n";
                outcome.interrupted = true;
                outcome.epochs_done = state.epoch;
                outcome.steps = state.global_step;
                events.flush();
                return outcome;
            }
        }
        progress << "\n";
        const long long skipped = static_cast<long long>(group.sum({static_cast<double>(loader.skipped())})[0]);
        if (skipped > 0) progress << "skipped " << skipped << " unreadable images this epoch\n";

        // Validation, the schedule, the best checkpoint.
        const validation v = val_ids.empty() ? validation{NAN, {}} : validate_model(*net, data, val_ids, config, device, group);
        json epoch = {{"kind", "epoch"}, {"epoch", state.epoch + 1}, {"step", state.global_step}, {"lr", state.lr},
                      {"val_loss", std::isfinite(v.loss) ? json(v.loss) : json(nullptr)}, {"skipped_images", skipped}};
        epoch["val"] = report_json(v.report);
        outcome.last_validation_json = epoch["val"].dump();
        metrics_log << epoch.dump() << "\n" << std::flush;
        events.scalar("val/loss", v.loss, state.global_step);
        events.scalar("val/category_top1", v.report.category_top_k[0], state.global_step);
        events.scalar("val/attribute_top3_recall", v.report.attribute_all.top_k[0], state.global_step);
        events.scalar("val/landmark_error", v.report.mean_landmark_error, state.global_step);
        events.scalar("lr", state.lr, state.global_step);
        progress << "validation: loss " << v.loss << ", category top-1 " << v.report.category_top_k[0] << ", attribute top-3 (all) "
                 << v.report.attribute_all.top_k[0] << ", landmark error " << v.report.mean_landmark_error << "\n";

        const bool improved = std::isfinite(v.loss) && v.loss < state.best_val_loss - config.plateau.min_delta;
        const bool improved_for_stopping = std::isfinite(v.loss) && v.loss < state.best_val_loss - config.early_stopping.min_delta;
        state.early_bad = improved_for_stopping ? 0 : state.early_bad + 1;
        if (std::isfinite(v.loss) && v.loss < state.best_val_loss) {
            state.best_val_loss = v.loss;
            if (group.leader()) save_checkpoint(run / "best.pt", *net, *optimizer, {state.epoch + 1, 0, state.global_step, state.lr, state.best_val_loss, 0, 0, 0, 0}, hash);
        }
        if (!schedules_every_step(config.optimizer)) state.lr *= config.optimizer.lr_decay;
        if (config.plateau.enabled) {
            if (state.plateau_cooldown > 0) --state.plateau_cooldown;
            state.plateau_bad = improved ? 0 : state.plateau_bad + 1;
            if (state.plateau_bad > config.plateau.patience && state.plateau_cooldown == 0) {
                state.lr = std::max(state.lr * config.plateau.factor, config.plateau.min_lr);
                state.plateau_cooldown = config.plateau.cooldown;
                state.plateau_bad = 0;
            }
        }
        set_learning_rate(*optimizer, state.lr, config.optimizer.head_lr_scale);
        run_state next = state;
        ++next.epoch;
        next.step_in_epoch = 0;
        next.images_in_epoch = 0;
        if (group.leader()) save_checkpoint(run / "last.pt", *net, *optimizer, next, hash);
        if (config.early_stopping.enabled && state.early_bad > config.early_stopping.patience) {
            progress << "early stopping: no improvement of the validation loss for " << state.early_bad << " epochs\n";
            outcome.stopped_early = true;
            ++state.epoch;
            break;
        }
    }
    events.flush();
    outcome.epochs_done = std::min(state.epoch, config.train.epochs);
    outcome.steps = state.global_step;
    outcome.best_val_loss = state.best_val_loss;
    return outcome;
}

namespace {

train_config read_run_config(const fs::path & run) {
    const fs::path config = run / "config.yaml";
    if (!fs::exists(config)) throw std::runtime_error(run.string() + ": no config.yaml: is it a run folder written by vestis train?");
    return load_config(read_whole_file(config.string()), config.string(), {});
}

void load_weights(const fs::path & run, const std::string & checkpoint, nn::garment_network & net) {
    if (checkpoint != "best" && checkpoint != "last") throw config_error("--checkpoint: expected best or last, got '" + checkpoint + "'");
    if (!fs::exists(run / (checkpoint + ".pt"))) {
        throw std::runtime_error((run / (checkpoint + ".pt")).string() + ": no such checkpoint (a run stopped before its first " +
                                 "validation has only last.pt: use --checkpoint last)");
    }
    load_checkpoint(run / (checkpoint + ".pt"), net, nullptr);
}

}  // namespace

trained_model load_trained_model(const std::string & run_dir, const std::string & checkpoint, int input_size) {
    trained_model t;
    t.config = read_run_config(run_dir);
    train_config served = t.config;
    if (input_size > 0) served.model.input_size = input_size;
    prepared_data data = prepare(served);
    t.index = std::move(data.index);
    t.network = data.model;
    t.loading = data.loading;
    t.net = nn::make_network(t.network);
    load_weights(run_dir, checkpoint, *t.net);
    t.net->eval();
    return t;
}

evaluation evaluate_run(const std::string & run_dir, const std::string & split_name, const std::string & checkpoint, int input_size) {
    const fs::path run(run_dir);
    train_config config = read_run_config(run);
    if (input_size > 0) config.model.input_size = input_size;
    data::split part;
    if (split_name == "train") part = data::split::train;
    else if (split_name == "val") part = data::split::val;
    else if (split_name == "test") part = data::split::test;
    else throw config_error("--split: expected train, val or test, got '" + split_name + "'");
    const torch::Device device = pick_device(config.train.device == "cpu" || torch::cuda::is_available() ? config.train.device : "cpu");
    const prepared_data data = prepare(config);
    auto net = nn::make_network(data.model);
    nn::use_channels_last(*net);
    load_weights(run, checkpoint, *net);
    net->to(device);
    const long long limit = part == data::split::train ? config.data.train_images : part == data::split::val ? config.data.val_images : config.data.test_images;
    const auto ids = data::subset(data.index, part, limit, config.train.seed);
    if (ids.empty()) throw std::runtime_error(run_dir + ": the " + split_name + " split of " + config.data.root + " is empty");
    process_group single = process_group::single();
    const validation v = validate_model(*net, data, ids, config, device, single);
    std::vector<std::string> category_names;
    for (const auto & c : data.index.categories) category_names.push_back(c.name);
    std::vector<std::string> attribute_names;
    for (const auto & a : data.index.attributes) attribute_names.push_back(a.name);
    return {v.report, v.loss, split_name, deepfashion_landmark_names(), category_names, attribute_names};
}

}  // namespace vestis::train
