#include "train/trainer.h"

#include "data/loader.h"
#include "data/photo_sets.h"
#include "io/atomic_file.h"
#include "nn/losses.h"
#include "nn/network.h"
#include "nn/imagenet_import.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/evaluation_report.h"
#include "train/lr_schedule.h"
#include "train/mixed_precision.h"
#include "train/run_data.h"
#include "train/tensorboard.h"
#include "train/validation.h"
#include "vestis/build_info.h"
#include "vestis/version.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
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
        return std::make_unique<torch::optim::SGD>(
            parameter_groups(c, net),
            torch::optim::SGDOptions(c.optimizer.lr).momentum(c.optimizer.momentum).weight_decay(c.optimizer.weight_decay));
    }
    return std::make_unique<torch::optim::Adam>(parameter_groups(c, net),
                                                torch::optim::AdamOptions(c.optimizer.lr).weight_decay(c.optimizer.weight_decay));
}

std::uint64_t epoch_seed(std::uint64_t seed, int epoch) { return seed * 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(epoch) + 1; }

std::string duration_text(double seconds) {
    const long long s = static_cast<long long>(seconds);
    char text[32];
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    return text;
}

void write_environment(const fs::path & run, const train_config & config, torch::Device device, int ranks) {
    json env = {{"vestis_version", VESTIS_VERSION},
                {"git_commit", source_commit()},
                {"source_modified", source_modified()},
                {"libtorch_version", TORCH_VERSION},
                {"device", device.str()},
                {"cuda_available", torch::cuda::is_available()},
                {"threads", torch::get_num_threads()},
                {"hardware_threads", std::thread::hardware_concurrency()},
                {"ranks", ranks},
                {"config_hash", config_hash(config)}};
    write_file_atomically((run / "environment.json").string(), env.dump(2) + "\n");
}

// A resumed run starts again from its checkpoint's step: what metrics.jsonl logged after it
// (a run killed between checkpoints), and a last line cut short, would come twice or not parse.
// So would the record of an epoch the checkpoint has not finished: one saved at an epoch's
// last step comes before that epoch's validation.
void drop_records_after(const fs::path & log, long long global_step, int epochs_done) {
    std::ifstream in(log);
    if (!in) return;
    std::string kept;
    for (std::string line; std::getline(in, line);) {
        const json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (record.is_discarded() || !record.is_object() || !record.contains("step") || !record["step"].is_number()) continue;
        // Compared, not read with value(): a hand-edited record with a number for "kind" must not throw.
        const bool unfinished_epoch = record.contains("kind") && record["kind"] == "epoch" && record.contains("epoch") &&
                                      record["epoch"].is_number_integer() && record["epoch"].get<long long>() > epochs_done;
        if (record["step"].get<long long>() <= global_step && !unfinished_epoch) kept += line + "\n";
    }
    write_file_atomically(log.string(), kept);
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
    long long global_batch;  // images a step takes over all ranks
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
    order.erase(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(
                                                   std::min(order.size(), static_cast<std::size_t>(state.step_in_epoch) * global_batch)));
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
    double heads[3] = {0, 0, 0};  // category, attribute, landmark
    bool has_head[3] = {false, false, false};
};

// Forward and backward on this rank's share (none: it still joins the all-reduces), the
// summed gradients, the schedule's rate, the optimizer step. Nothing when no rank had a
// readable image.
std::optional<pooled_step> train_step(const training_context & c, run_state & state,
                                      const std::optional<std::vector<data::example>> & batch) {
    const bool have = batch && !batch->empty();
    c.optimizer.zero_grad();
    nn::loss_terms terms;
    c.reducer.begin_step(have ? static_cast<long long>(batch->size()) : 0);
    if (have) {
        const auto t = to_tensors(*batch, c.data.loading, c.data.model.attributes > 0, c.device);
        {
            autocast_region autocast(c.device, c.config.train.amp);
            terms = nn::compute_loss(c.net.forward(t.images), t.targets, c.config.loss);
        }
        c.scaler.scale(terms.total).backward();
    }
    const auto value = [](const torch::Tensor & v) { return v.defined() ? v.item<double>() : 0.0; };
    const auto defined = [](const torch::Tensor & v) { return v.defined() ? 1.0 : 0.0; };
    const double n = have ? static_cast<double>(batch->size()) : 0.0;
    c.reducer.launch_remaining();  // the last gradient buckets go out before the small sum below
    // One small all-reduce: images, the loss terms weighted by them, whether any rank was
    // interrupted, and which terms any rank had (a rank without a share has none).
    const std::vector<double> pooled =
        c.group.sum({n, n * value(terms.total), n * value(terms.category), n * value(terms.attribute), n * value(terms.landmark),
                     stop_requested ? 1.0 : 0.0, defined(terms.category), defined(terms.attribute), defined(terms.landmark)});
    c.reducer.finish(static_cast<long long>(pooled[0]));
    if (pooled[0] == 0) {  // every image of this step was unreadable: no step, but its batch is used up
        ++state.step_in_epoch;
        return std::nullopt;
    }
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
    for (std::size_t k = 0; k < 3; ++k) {
        out.heads[k] = pooled[k + 2] / pooled[0];
        out.has_head[k] = pooled[k + 6] > 0;
    }
    return out;
}

// The progress line, and every train.log_every steps a metrics.jsonl record and TensorBoard scalars.
void report_step(const training_context & c, const run_state & state, const pooled_step & step, double images_per_second) {
    const char * head_names[] = {"category", "attribute", "landmark"};
    std::string terms_text;  // the loss terms of the heads this network has
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
    const auto term = [&](int k) { return step.has_head[k] ? json(step.heads[k]) : json(nullptr); };  // null: no such head
    const json record = {{"kind", "step"},           {"epoch", state.epoch + 1}, {"step", state.global_step},
                         {"loss", step.loss},        {"category_loss", term(0)}, {"attribute_loss", term(1)},
                         {"landmark_loss", term(2)}, {"lr", state.lr},           {"images_per_second", images_per_second}};
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
    c.progress << "\n"
               << (stop_requested ? "interrupted" : "reached train.max_steps") << ": saved " << (c.run / "last.pt").string()
               << "; continue with --resume " << c.run.string() << "\n";
    outcome.stopped_part_way = true;
    outcome.epochs_done = state.epoch;
    outcome.steps = state.global_step;
    return true;
}

// An epoch's validation and its records: a metrics.jsonl line, TensorBoard scalars, a progress
// line. No validation images: a NaN loss and an empty report.
validation validate_epoch(const training_context & c, const run_state & state, const std::vector<std::size_t> & val_ids,
                          long long skipped_images, train_outcome & outcome) {
    const validation v = val_ids.empty() ? validation{NAN, {}} : validate_model(c.net, c.data, val_ids, c.config, c.device, c.group);
    json epoch = {{"kind", "epoch"},
                  {"epoch", state.epoch + 1},
                  {"step", state.global_step},
                  {"lr", state.lr},
                  {"val_loss", std::isfinite(v.loss) ? json(v.loss) : json(nullptr)},
                  {"skipped_images", skipped_images}};
    epoch["val"] = report_json(v.report);
    outcome.last_validation_json = epoch["val"].dump();
    c.metrics_log << epoch.dump() << "\n" << std::flush;
    c.events.scalar("val/loss", v.loss, state.global_step);
    c.events.scalar("val/category_top1", v.report.category_top_k[0], state.global_step);
    c.events.scalar("val/attribute_top3_recall", v.report.attribute_all.top_k[0], state.global_step);
    c.events.scalar("val/landmark_error", v.report.mean_landmark_error, state.global_step);
    c.events.scalar("lr", state.lr, state.global_step);
    c.progress << "validation: loss " << v.loss << ", category top-1 " << v.report.category_top_k[0] << ", attribute top-3 (all) "
               << v.report.attribute_all.top_k[0] << ", landmark error " << v.report.mean_landmark_error;
    if (v.report.map_attributes > 0) c.progress << ", attribute mAP " << v.report.mean_average_precision;
    c.progress << "\n";
    return v;
}

// Both bests move on with this epoch's figures; best.pt takes its weights when it is the best
// by train.best_by, or always when there is nothing to choose by.
void keep_if_best(const training_context & c, run_state & state, const validation & v, bool no_validation) {
    const bool lowest_loss = std::isfinite(v.loss) && v.loss < state.best_val_loss;
    const double map = v.report.mean_average_precision;
    const bool highest_map = v.report.map_attributes > 0 && std::isfinite(map) && map > state.best_val_map;
    if (lowest_loss) state.best_val_loss = v.loss;
    if (highest_map) state.best_val_map = map;
    const bool best = no_validation || (c.config.train.best_by == "val_map" ? highest_map : lowest_loss);
    if (!best || !c.group.leader()) return;
    run_state saved;  // the next epoch's start, schedule counters cleared: export reads only the weights
    saved.epoch = state.epoch + 1;
    saved.global_step = state.global_step;
    saved.lr = state.lr;
    saved.best_val_loss = state.best_val_loss;
    saved.best_val_map = state.best_val_map;
    saved.images_in_epoch = 0;
    save_checkpoint(c.run / "best.pt", c.net, c.optimizer, saved, c.hash);
}

// The next epoch's rate: step decay, then the plateau's cut after `patience` epochs without
// an improvement of the validation loss.
void schedule_next_epoch(const train_config & config, run_state & state, bool loss_improved) {
    if (!schedules_every_step(config.optimizer)) state.lr *= config.optimizer.lr_decay;
    if (!config.plateau.enabled) return;
    if (state.plateau_cooldown > 0) --state.plateau_cooldown;
    state.plateau_bad = loss_improved ? 0 : state.plateau_bad + 1;
    if (state.plateau_bad > config.plateau.patience && state.plateau_cooldown == 0) {
        state.lr = std::max(state.lr * config.plateau.factor, config.plateau.min_lr);
        state.plateau_cooldown = config.plateau.cooldown;
        state.plateau_bad = 0;
    }
}

// The end of an epoch: validation, the best checkpoint, the schedule, last.pt at the next
// epoch's start. True when early stopping ends the run.
bool finish_epoch(const training_context & c, run_state & state, const std::vector<std::size_t> & val_ids, long long skipped_images,
                  train_outcome & outcome) {
    const train_config & config = c.config;
    const validation v = validate_epoch(c, state, val_ids, skipped_images, outcome);
    // Both improvements are measured against the best loss before this epoch.
    const bool plateau_improved = std::isfinite(v.loss) && v.loss < state.best_val_loss - config.plateau.min_delta;
    const bool stopping_improved = std::isfinite(v.loss) && v.loss < state.best_val_loss - config.early_stopping.min_delta;
    state.early_bad = stopping_improved ? 0 : state.early_bad + 1;
    keep_if_best(c, state, v, val_ids.empty());
    schedule_next_epoch(config, state, plateau_improved);
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

// What the config asks of the data that the data cannot give is refused by name, before a run
// writes anything; a set without validation images trains, with its last epoch as best.pt.
void check_the_data_suits_the_config(const train_config & config, const data::dataset_index & index,
                                     const std::vector<std::size_t> & train_ids, const std::vector<std::size_t> & val_ids,
                                     std::ostream & progress) {
    if (train_ids.empty()) throw config_error("data.root: " + config.data.root + " has no training images");
    if (config.train.best_by == "val_map" && !index.has_attributes)
        throw config_error("train.best_by: val_map needs attributes or tags, and " + config.data.root + " has none");
    if (val_ids.empty() && (config.plateau.enabled || config.early_stopping.enabled || config.train.best_by == "val_map")) {
        throw config_error("data.root: " + config.data.root +
                           " has no validation images, which plateau, early_stopping and train.best_by: val_map go by");
    }
    if (val_ids.empty()) progress << "no validation images in " << config.data.root << ": best.pt is the last epoch\n";
    const auto boxed = [&](std::size_t i) { return !index.samples[i].items.empty(); };
    if (config.data.item_crops > 0 && std::none_of(train_ids.begin(), train_ids.end(), boxed)) {
        throw config_error("data.item_crops: no training photo of " + config.data.root + " has item boxes (" + data::item_boxes_file +
                           " beside a tags CSV)");
    }
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
    if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);  // let cuDNN pick the fastest convolutions
    torch::set_num_threads(config.train.threads > 0 ? config.train.threads
                                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    torch::manual_seed(config.train.seed);

    const prepared_data data = prepare(config);
    const auto train_ids = data::subset(data.index, data::split::train, config.data.train_images, config.train.seed);
    const auto val_ids = data::subset(data.index, data::split::val, config.data.val_images, config.train.seed);
    check_the_data_suits_the_config(config, data.index, train_ids, val_ids, progress);
    if (group.leader()) fs::create_directories(run);
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

    data::loader_options train_loading = data.loading;
    train_loading.augment.enabled = config.data.augment;
    train_loading.augment.random_resized_crop = config.data.augment_crop == "random_resized";
    train_loading.augment.min_crop_area = static_cast<float>(config.data.min_crop_area);
    train_loading.augment.item_crop_probability = static_cast<float>(config.data.item_crops);

    std::ofstream metrics_log;
    if (group.leader()) {
        if (resume) drop_records_after(run / "metrics.jsonl", state.global_step, state.epoch);
        metrics_log.open(run / "metrics.jsonl", std::ios::app);
        if (!metrics_log) throw std::runtime_error((run / "metrics.jsonl").string() + ": cannot be opened for appending");
    }
    event_writer events(group.leader() ? run_dir : std::string());
    interrupt_guard interrupts;
    const std::size_t batches_per_epoch =
        (train_ids.size() + static_cast<std::size_t>(global_batch) - 1) / static_cast<std::size_t>(global_batch);
    const training_context context{config,
                                   run,
                                   hash,
                                   device,
                                   group,
                                   data,
                                   *net,
                                   *optimizer,
                                   scaler,
                                   reducer,
                                   progress,
                                   metrics_log,
                                   events,
                                   global_batch,
                                   batches_per_epoch,
                                   train_ids.size()};
    train_outcome outcome;
    const auto started = std::chrono::steady_clock::now();
    double images_this_session = 0;

    for (; state.epoch < config.train.epochs; ++state.epoch, state.step_in_epoch = 0) {
        const epoch_share share = share_of_epoch(context, train_ids, state);
        data::batch_loader loader(data.index, share.images, train_loading, config.train.batch_size, config.data.workers,
                                  epoch_seed(config.train.seed, state.epoch), /*shuffle=*/false);
        for (long long my_images : share.batch_sizes) {
            std::optional<std::vector<data::example>> batch;
            if (my_images > 0) batch = loader.next();  // a rank may have no share of the last global batch
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
    return outcome;
}

}  // namespace vestis::train
