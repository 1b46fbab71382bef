#include "train/trainer.h"

#include "train/trained_model.h"

#include "data/loader.h"
#include "io/atomic_file.h"
#include "nn/losses.h"
#include "nn/network.h"
#include "nn/imagenet_import.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/evaluation_report.h"
#include "train/lr_schedule.h"
#include "train/mixed_precision.h"
#include "train/tensorboard.h"
#include "vestis/build_info.h"
#include "vestis/version.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
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

// Group 0 holds the parameters ImageNet weights fill, group 1 (when there is one) the rest,
// which learn at lr x optimizer.head_lr_scale.
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

// What every step of a run reads: the run's parts, set up once by run_training.
struct training_context {
    const train_config & config;
    const fs::path & run;
    const std::string & hash;
    torch::Device device;
    process_group & group;
    const prepared_data & data;
    nn::garment_network & net;
    torch::optim::Optimizer & optimizer;
    loss_scaler & scaler;
    gradient_reducer & reducer;
    std::ostream & progress;
    std::ofstream & metrics_log;
    event_writer & events;
    long long global_batch;           // images a step takes over all ranks
    std::size_t batches_per_epoch;
    std::size_t train_images;
};

// This rank's images for the rest of an epoch, in order, and its share of each global batch
// (0 where a short last batch leaves it none). The order depends on the seed and the epoch
// only, so a resumed run picks it up part-way.
struct epoch_share {
    std::vector<std::size_t> images;
    std::vector<long long> batch_sizes;
};

epoch_share share_of_epoch(const training_context & c, const std::vector<std::size_t> & train_ids, const run_state & state) {
    const auto global_batch = static_cast<std::size_t>(c.global_batch);
    auto order = data::batch_loader::shuffled(train_ids, epoch_seed(c.config.train.seed, state.epoch));
    order.erase(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), static_cast<std::size_t>(state.step_in_epoch) * global_batch)));
    epoch_share share;
    for (std::size_t start = 0; start < order.size(); start += global_batch) {
        const std::size_t count = std::min(order.size() - start, global_batch);
        const auto [begin, end] = rank_share(count, c.group.rank(), c.group.world());
        share.images.insert(share.images.end(), order.begin() + static_cast<std::ptrdiff_t>(start + begin),
                            order.begin() + static_cast<std::ptrdiff_t>(start + end));
        share.batch_sizes.push_back(static_cast<long long>(end - begin));
    }
    return share;
}

// One step pooled over the ranks: the images it took and the mean of each loss term.
struct pooled_step {
    double images = 0;
    double loss = 0;
    double heads[3] = {0, 0, 0};        // category, attribute, landmark
    bool has_head[3] = {false, false, false};
};

// Forward and backward on this rank's share (none: it still joins the all-reduces), the
// summed gradients, the schedule's rate, the optimizer step. Nothing when no rank had a
// readable image.
std::optional<pooled_step> train_step(const training_context & c, run_state & state, const std::optional<std::vector<data::example>> & batch) {
    const bool have = batch && !batch->empty();
    c.optimizer.zero_grad();
    nn::loss_terms terms;
    c.reducer.begin_step(have ? static_cast<long long>(batch->size()) : 0);
    if (have) {
        const auto t = to_tensors(*batch, c.config.model.input_size, c.data.model.attributes > 0, c.data.loading.heatmaps, c.device);
        {
            autocast_region autocast(c.device, c.config.train.amp);
            terms = nn::compute_loss(c.net.forward(t.images), t.targets, c.config.loss);
        }
        c.scaler.scale(terms.total).backward();
    }
    const auto value = [](const torch::Tensor & v) { return v.defined() ? v.item<double>() : 0.0; };
    const double n = have ? static_cast<double>(batch->size()) : 0.0;
    c.reducer.launch_remaining();   // the last gradient buckets go out before the small sum below
    // One small all-reduce: images, the loss terms weighted by them, and whether any rank was interrupted.
    const std::vector<double> pooled = c.group.sum({n, n * value(terms.total), n * value(terms.category), n * value(terms.attribute),
                                                    n * value(terms.landmark), stop_requested ? 1.0 : 0.0});
    c.reducer.finish(static_cast<long long>(pooled[0]));
    if (pooled[0] == 0) return std::nullopt;   // every image of this step was unreadable
    // Every rank holds the same summed gradients, so every rank skips the same steps.
    const bool finite = c.scaler.unscale_and_check(c.net.parameters());
    if (schedules_every_step(c.config.optimizer)) {
        const double epoch_fraction = static_cast<double>(state.step_in_epoch) / static_cast<double>(c.batches_per_epoch);
        state.lr = cosine_learning_rate(c.config.optimizer, {state.epoch, epoch_fraction}, c.config.train.epochs);
        set_learning_rate(c.optimizer, state.lr, c.config.optimizer.head_lr_scale);
    }
    if (finite) c.optimizer.step();
    c.scaler.update(finite);
    state.loss_scale = c.scaler.current_scale();
    state.loss_scale_finite_steps = c.scaler.finite_steps_in_a_row();
    ++state.step_in_epoch;
    ++state.global_step;
    if (pooled[5] > 0) stop_requested = true;
    pooled_step out;
    out.images = pooled[0];
    out.loss = pooled[1] / pooled[0];
    const torch::Tensor * heads[] = {&terms.category, &terms.attribute, &terms.landmark};
    for (int k = 0; k < 3; ++k) {
        out.heads[k] = pooled[static_cast<std::size_t>(k) + 2] / pooled[0];
        out.has_head[k] = heads[k]->defined();
    }
    return out;
}

// The progress line, and every train.log_every steps a metrics.jsonl record and TensorBoard scalars.
void report_step(const training_context & c, const run_state & state, const pooled_step & step, double images_per_second) {
    const char * head_names[] = {"category", "attribute", "landmark"};
    std::string terms_text;   // the loss terms of the heads this network has
    for (int k = 0; k < 3; ++k) {
        char term_text[48];
        std::snprintf(term_text, sizeof term_text, "%s%s %.4g", terms_text.empty() ? "" : " ", head_names[k], step.heads[k]);
        if (step.has_head[k]) terms_text += term_text;
    }
    const double remaining_images = static_cast<double>((c.config.train.epochs - state.epoch) * static_cast<long long>(c.train_images)) -
                                    static_cast<double>(state.step_in_epoch * c.global_batch);
    char line[320];
    std::snprintf(line, sizeof line, "\repoch %d/%d  step %lld/%zu  loss %.4f (%s)  %.1f img/s  ETA %s ", state.epoch + 1,
                  c.config.train.epochs, state.step_in_epoch, c.batches_per_epoch, step.loss, terms_text.c_str(), images_per_second,
                  duration_text(std::max(remaining_images, 0.0) / std::max(images_per_second, 1e-9)).c_str());
    c.progress << line << std::flush;
    if (state.global_step % c.config.train.log_every != 0) return;
    const auto term = [&](int k) { return step.has_head[k] ? json(step.heads[k]) : json(nullptr); };   // null: no such head
    const json record = {{"kind", "step"}, {"epoch", state.epoch + 1}, {"step", state.global_step}, {"loss", step.loss},
                         {"category_loss", term(0)}, {"attribute_loss", term(1)}, {"landmark_loss", term(2)}, {"lr", state.lr},
                         {"images_per_second", images_per_second}};
    c.metrics_log << record.dump() << "\n" << std::flush;
    c.events.scalar("train/loss", step.loss, state.global_step);
    c.events.scalar("train/images_per_second", images_per_second, state.global_step);
}

// After each step: last.pt every train.checkpoint_every steps, and on Ctrl-C or
// train.max_steps, which end the run (true).
bool checkpoint_or_stop(const training_context & c, run_state & state, train_outcome & outcome) {
    const bool step_limit = c.config.train.max_steps > 0 && state.global_step >= c.config.train.max_steps;
    const bool periodic = c.config.train.checkpoint_every > 0 && state.global_step % c.config.train.checkpoint_every == 0;
    if (stop_requested || step_limit || periodic) {
        state.images_in_epoch = state.step_in_epoch * c.global_batch;
        if (c.group.leader()) save_checkpoint(c.run / "last.pt", c.net, c.optimizer, state, c.hash);
    }
    if (!stop_requested && !step_limit) return false;
    c.progress << "\n" << (stop_requested ? "interrupted" : "reached train.max_steps") << ": saved " << (c.run / "last.pt").string()
               << "; continue with --resume " << c.run.string() << "\n";
    outcome.interrupted = true;
    outcome.epochs_done = state.epoch;
    outcome.steps = state.global_step;
    return true;
}

// The end of an epoch: validation and its records, the best checkpoint, the schedule
// (step decay, plateau), last.pt at the next epoch's start. True when early stopping ends the run.
bool finish_epoch(const training_context & c, run_state & state, const std::vector<std::size_t> & val_ids, long long skipped_images,
                  train_outcome & outcome) {
    const validation v = val_ids.empty() ? validation{NAN, {}} : validate_model(c.net, c.data, val_ids, c.config, c.device, c.group);
    json epoch = {{"kind", "epoch"}, {"epoch", state.epoch + 1}, {"step", state.global_step}, {"lr", state.lr},
                  {"val_loss", std::isfinite(v.loss) ? json(v.loss) : json(nullptr)}, {"skipped_images", skipped_images}};
    epoch["val"] = report_json(v.report);
    outcome.last_validation_json = epoch["val"].dump();
    c.metrics_log << epoch.dump() << "\n" << std::flush;
    c.events.scalar("val/loss", v.loss, state.global_step);
    c.events.scalar("val/category_top1", v.report.category_top_k[0], state.global_step);
    c.events.scalar("val/attribute_top3_recall", v.report.attribute_all.top_k[0], state.global_step);
    c.events.scalar("val/landmark_error", v.report.mean_landmark_error, state.global_step);
    c.events.scalar("lr", state.lr, state.global_step);
    c.progress << "validation: loss " << v.loss << ", category top-1 " << v.report.category_top_k[0] << ", attribute top-3 (all) "
               << v.report.attribute_all.top_k[0] << ", landmark error " << v.report.mean_landmark_error << "\n";

    const train_config & config = c.config;
    const bool improved = std::isfinite(v.loss) && v.loss < state.best_val_loss - config.plateau.min_delta;
    const bool improved_for_stopping = std::isfinite(v.loss) && v.loss < state.best_val_loss - config.early_stopping.min_delta;
    state.early_bad = improved_for_stopping ? 0 : state.early_bad + 1;
    if (std::isfinite(v.loss) && v.loss < state.best_val_loss) {
        state.best_val_loss = v.loss;
        if (c.group.leader()) {
            run_state best;   // the next epoch's start, schedule counters cleared: export reads only the weights
            best.epoch = state.epoch + 1;
            best.global_step = state.global_step;
            best.lr = state.lr;
            best.best_val_loss = state.best_val_loss;
            best.images_in_epoch = 0;
            save_checkpoint(c.run / "best.pt", c.net, c.optimizer, best, c.hash);
        }
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
    set_learning_rate(c.optimizer, state.lr, config.optimizer.head_lr_scale);
    run_state next = state;
    ++next.epoch;
    next.step_in_epoch = 0;
    next.images_in_epoch = 0;
    if (c.group.leader()) save_checkpoint(c.run / "last.pt", c.net, c.optimizer, next, c.hash);
    if (!config.early_stopping.enabled || state.early_bad <= config.early_stopping.patience) return false;
    c.progress << "early stopping: no improvement of the validation loss for " << state.early_bad << " epochs\n";
    outcome.stopped_early = true;
    return true;
}

}  // namespace

train_outcome run_training(const train_config & config, const std::string & run_dir, bool resume, std::ostream & terminal) {
    const fs::path run(run_dir);
    if (!resume && fs::exists(run / "last.pt")) {
        throw std::runtime_error(run_dir + ": holds a run already; continue it with --resume, or give another --out");
    }
    // Data-parallel when launched as one of several ranks; rank 0 alone talks and writes.
    process_group group = process_group::from_environment(pick_device(config.train.device));
    const torch::Device device = group.device();
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
    const std::size_t batches_per_epoch = (train_ids.size() + static_cast<std::size_t>(global_batch) - 1) / static_cast<std::size_t>(global_batch);
    const training_context context{config, run, hash, device, group, data, *net, *optimizer, scaler, reducer, progress, metrics_log, events,
                                   global_batch, batches_per_epoch, train_ids.size()};
    train_outcome outcome;
    outcome.best_val_loss = state.best_val_loss;
    const auto started = std::chrono::steady_clock::now();
    double images_this_session = 0;

    for (; state.epoch < config.train.epochs; ++state.epoch, state.step_in_epoch = 0) {
        const epoch_share share = share_of_epoch(context, train_ids, state);
        data::batch_loader loader(data.index, share.images, train_loading, config.train.batch_size, config.data.workers,
                                  epoch_seed(config.train.seed, state.epoch), /*shuffle=*/false);
        for (long long my_images : share.batch_sizes) {
            std::optional<std::vector<data::example>> batch;
            if (my_images > 0) batch = loader.next();   // a rank may have no share of the last global batch
            const std::optional<pooled_step> step = train_step(context, state, batch);
            if (!step) continue;
            images_this_session += step->images;
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            report_step(context, state, *step, images_this_session / std::max(seconds, 1e-9));
            if (checkpoint_or_stop(context, state, outcome)) {
                events.flush();
                return outcome;
            }
        }
        progress << "\n";
        const long long skipped = static_cast<long long>(group.sum({static_cast<double>(loader.skipped())})[0]);
        if (skipped > 0) progress << "skipped " << skipped << " unreadable images this epoch\n";
        if (finish_epoch(context, state, val_ids, skipped, outcome)) {
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
    const data::split part = data::parse_split(split_name);
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
