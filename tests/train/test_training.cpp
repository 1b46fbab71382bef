// The trainer end to end on a small synthetic set, on the CPU: learning, resume equivalence,
// Ctrl-C, evaluation.
#include "data/photo_sets.h"
#include "data/synth.h"
#include "nn/network.h"
#include "train/checkpoint.h"
#include "train/run_data.h"
#include "train/run_evaluation.h"
#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <tuple>
#include <unistd.h>

using namespace vestis;
using namespace vestis::train;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string & name) {
    const auto folder = fs::temp_directory_path() / ("vestis-train-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(folder);
    fs::create_directories(folder);
    return folder;
}

std::string read_text(const fs::path & file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), {}};
}

const fs::path & synthetic_set() {
    static const fs::path root = [] {
        const auto folder = scratch("data") / "synth";
        data::synth_options o;
        o.out = folder.string();
        o.images = 400;
        o.seed = 5;
        data::write_synthetic_dataset(o, nullptr);
        return folder;
    }();
    return root;
}

// A small, quick configuration of the full network.
train_config tiny_config() {
    return load_config("data:\n  root: " + synthetic_set().string() + "\n", "test",
                       {"model.kind=full", "model.width=0.125", "model.input_size=32", "data.train_images=48", "data.val_images=16",
                        "train.batch_size=8", "train.epochs=2", "train.checkpoint_every=0", "data.workers=2", "train.threads=1"});
}

std::vector<torch::Tensor> weights_of(const fs::path & run) {
    auto net = nn::make_network([&] {
        auto config = tiny_config().model;
        config.categories = 12;
        config.attributes = 22;
        return config;
    }());
    torch::serialize::InputArchive archive, model;
    archive.load_from((run / "last.pt").string());
    archive.read("model", model);
    net->load(model);
    std::vector<torch::Tensor> weights;
    for (const auto & p : net->parameters()) weights.push_back(p.detach().clone());
    for (const auto & b : net->buffers()) weights.push_back(b.detach().clone());
    return weights;
}

double largest_difference(const std::vector<torch::Tensor> & a, const std::vector<torch::Tensor> & b) {
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, (a[i].to(torch::kDouble) - b[i].to(torch::kDouble)).abs().max().item<double>());
    return worst;
}

// Progress output that presses Ctrl-C once it shows the given step.
class interrupting_stream : public std::stringbuf {
public:
    explicit interrupting_stream(std::string trigger) : trigger_(std::move(trigger)) {}

protected:
    int sync() override {
        if (!fired_ && str().find(trigger_) != std::string::npos) {
            fired_ = true;
            std::raise(SIGINT);
        }
        return 0;
    }

private:
    std::string trigger_;
    bool fired_ = false;
};

}  // namespace

TEST(checkpoints, keep_each_field_by_name_and_read_the_positional_state_of_older_versions) {
    const auto folder = scratch("checkpoint");
    auto config = tiny_config().model;
    config.categories = 12;
    config.attributes = 22;
    auto net = nn::make_network(config);
    torch::optim::SGD optimizer(net->parameters(), 0.1);
    run_state s;
    s.epoch = 3;
    s.step_in_epoch = 7;
    s.global_step = 55;
    s.lr = 0.00125;
    s.best_val_loss = 0.5;
    s.plateau_bad = 2;
    s.plateau_cooldown = 1;
    s.early_bad = 4;
    s.images_in_epoch = 112;
    s.loss_scale = 32768;
    s.loss_scale_finite_steps = 9;
    s.best_val_map = 0.25;
    save_checkpoint(folder / "named.pt", *net, optimizer, s, "hash");
    // Every field, in one comparison.
    const auto fields = [](const run_state & r) {
        return std::make_tuple(r.epoch, r.step_in_epoch, r.global_step, r.lr, r.best_val_loss, r.plateau_bad, r.plateau_cooldown,
                               r.early_bad, r.images_in_epoch, r.loss_scale, r.loss_scale_finite_steps, r.best_val_map);
    };
    EXPECT_EQ(fields(load_checkpoint(folder / "named.pt", *net, &optimizer)), fields(s));

    // As the first versions wrote it: the progress as 8 doubles by position, nothing after early_bad.
    torch::serialize::OutputArchive old, model, optim;
    net->save(model);
    optimizer.save(optim);
    old.write("model", model);
    old.write("optimizer", optim);
    old.write("state", torch::tensor({2.0, 5.0, 40.0, 0.01, 0.75, 1.0, 0.0, 3.0}, torch::kDouble));
    old.write("rng", at::detail::getDefaultCPUGenerator().get_state());
    old.save_to((folder / "positional.pt").string());
    run_state older;  // images_in_epoch stays unknown (-1): the resume counts steps instead
    older.epoch = 2;
    older.step_in_epoch = 5;
    older.global_step = 40;
    older.lr = 0.01;
    older.best_val_loss = 0.75;
    older.plateau_bad = 1;
    older.early_bad = 3;
    EXPECT_EQ(fields(load_checkpoint(folder / "positional.pt", *net, &optimizer)), fields(older));
    fs::remove_all(folder);
}

TEST(training, best_by_val_map_keeps_the_epoch_of_the_highest_validation_map) {
    const auto folder = scratch("best-by");
    std::ostringstream quiet;
    for (const std::string best_by : {"val_map", "val_loss"}) {
        train_config config = tiny_config();
        config.train.epochs = 4;
        config.data.val_images = 40;
        config.train.best_by = best_by;
        const fs::path run = folder / best_by;
        run_training(config, run.string(), false, quiet);
        // The epochs' records, read back: the best of the chosen figure and its epoch.
        std::ifstream log(run / "metrics.jsonl");
        std::vector<double> maps, losses;  // by epoch
        for (std::string line; std::getline(log, line);) {
            const auto record = nlohmann::json::parse(line);
            if (record["kind"] != "epoch") continue;
            maps.push_back(record["val"]["attribute_map"]);
            losses.push_back(record["val_loss"]);
        }
        ASSERT_EQ(maps.size(), 4u);
        const auto chosen = best_by == "val_map" ? std::max_element(maps.begin(), maps.end()) - maps.begin()
                                                 : std::min_element(losses.begin(), losses.end()) - losses.begin();
        // best.pt also holds the other figure's best up to its epoch.
        const double map_then = *std::max_element(maps.begin(), maps.begin() + chosen + 1);
        const double loss_then = *std::min_element(losses.begin(), losses.begin() + chosen + 1);
        auto model = tiny_config().model;
        model.categories = 12;
        model.attributes = 22;
        auto net = nn::make_network(model);
        const run_state best = load_checkpoint(run / "best.pt", *net, nullptr);
        EXPECT_EQ(best.epoch, chosen + 1) << best_by;
        EXPECT_NEAR(best.best_val_map, map_then, 1e-9) << best_by;
        EXPECT_NEAR(best.best_val_loss, loss_then, 1e-9) << best_by;
    }
    // Item crops need item boxes: a set without them is refused by name, not trained silently without.
    train_config cropping = tiny_config();
    cropping.data.item_crops = 0.5;
    try {
        run_training(cropping, (folder / "crops").string(), false, quiet);
        ADD_FAILURE() << "trained item crops without item boxes";
    } catch (const config_error & e) {
        EXPECT_NE(std::string(e.what()).find("data.item_crops: no training photo of " + synthetic_set().string() + " has item boxes"),
                  std::string::npos)
            << e.what();
    }
    fs::remove_all(folder);
}

TEST(training, best_by_val_map_is_refused_by_name_for_a_set_without_tags) {
    // Class folders only (as clothing-dataset-small): categories, no tags to rank.
    const auto root = scratch("no-tags");
    for (const char * part : {"train", "validation"})
        for (const char * garment : {"dress", "hat"})
            for (const char * photo : {"1.png", "2.png"}) {
                const fs::path path = root / part / garment / photo;
                fs::create_directories(path.parent_path());
                ASSERT_TRUE(cv::imwrite(path.string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(10, 120, 200))));
            }
    train_config config = tiny_config();
    config.data.root = root.string();
    config.model.kind = nn::network_kind::simple;
    config.model.backbone = "mobilenet_v2";
    config.train.best_by = "val_map";
    std::ostringstream quiet;
    try {
        run_training(config, (root / "run").string(), false, quiet);
        ADD_FAILURE() << "chose checkpoints by the mAP of a set without tags";
    } catch (const config_error & e) {
        EXPECT_EQ(std::string(e.what()), "train.best_by: val_map needs attributes or tags, and " + root.string() + " has none");
    }
    EXPECT_FALSE(fs::exists(root / "run" / "last.pt"));
    fs::remove_all(root);
}

TEST(training, a_set_without_validation_images_keeps_its_last_epoch_as_best) {
    // train/ and test/ class folders, named so that the hashed tenth of train/ that would
    // become validation holds none of them: no validation images at all.
    const auto root = scratch("no-validation");
    for (const char * part : {"train", "test"})
        for (const char * garment : {"dress", "hat"})
            for (int i = 0, written = 0; written < 2; ++i) {
                const std::string relative = std::string(part) + "/" + garment + "/" + std::to_string(i) + ".png";
                if (data::hashed_split(relative) == data::split::val) continue;
                fs::create_directories((root / relative).parent_path());
                ASSERT_TRUE(cv::imwrite((root / relative).string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(10, 120, 200))));
                ++written;
            }
    train_config config = tiny_config();
    config.data.root = root.string();
    config.model.kind = nn::network_kind::simple;
    config.model.backbone = "mobilenet_v2";
    std::ostringstream said;
    run_training(config, (root / "run").string(), false, said);
    EXPECT_NE(said.str().find("no validation images in " + root.string() + ": best.pt is the last epoch"), std::string::npos) << said.str();
    auto net = nn::make_network(prepare(config).model);  // the network the run trained
    EXPECT_EQ(load_checkpoint(root / "run" / "best.pt", *net, nullptr).epoch, config.train.epochs);
    // What needs validation figures is refused by name, before anything is written.
    config.early_stopping.enabled = true;
    try {
        run_training(config, (root / "stopping").string(), false, said);
        ADD_FAILURE() << "stopped early by a validation loss there is none of";
    } catch (const config_error & e) {
        EXPECT_EQ(std::string(e.what()), "data.root: " + root.string() +
                                             " has no validation images, which plateau, early_stopping and train.best_by: val_map go by");
    }
    EXPECT_FALSE(fs::exists(root / "stopping"));  // refused before it wrote anything
    fs::remove_all(root);
}

TEST(training, an_interrupted_and_resumed_run_ends_with_the_same_weights) {
    const auto folder = scratch("resume");
    std::ostringstream quiet;
    const train_config config = tiny_config();
    run_training(config, (folder / "straight").string(), false, quiet);

    train_config stopping = config;
    stopping.train.max_steps = 5;  // stops mid-epoch 1 (6 batches an epoch)
    const auto first = run_training(stopping, (folder / "resumed").string(), false, quiet);
    EXPECT_TRUE(first.stopped_part_way);
    EXPECT_EQ(first.steps, 5);
    const auto second = run_training(config, (folder / "resumed").string(), true, quiet);
    EXPECT_FALSE(second.stopped_part_way);
    EXPECT_EQ(second.steps, 12);
    EXPECT_LT(largest_difference(weights_of(folder / "straight"), weights_of(folder / "resumed")), 1e-6);
    // The resumed run's config.yaml says how it ran to the end (max_steps lifted), as the
    // straight run's does: export and the model manager read it.
    EXPECT_EQ(read_text(folder / "resumed" / "config.yaml"), read_text(folder / "straight" / "config.yaml"));
}

TEST(training, a_cosine_schedule_sets_every_step_on_its_curve_and_resumes_on_it) {
    const auto folder = scratch("cosine");
    std::ostringstream quiet;
    train_config config = tiny_config();
    config.optimizer.schedule = "cosine";
    config.optimizer.lr = 1e-3;
    config.train.log_every = 1;
    run_training(config, (folder / "straight").string(), false, quiet);
    // 6 steps an epoch, 2 epochs, no warm-up: step k (1-based) runs at 5e-4 * (1 + cos(pi * (k - 1) / 12)).
    std::ifstream log(folder / "straight" / "metrics.jsonl");
    int steps = 0;
    for (std::string line; std::getline(log, line);) {
        const auto step = nlohmann::json::parse(line);
        if (step["kind"] != "step") continue;
        const int k = step["step"].get<int>();
        EXPECT_NEAR(step["lr"].get<double>(), 5e-4 * (1 + std::cos(M_PI * (k - 1) / 12.0)), 1e-12) << "step " << k;
        ++steps;
    }
    EXPECT_EQ(steps, 12);

    train_config stopping = config;
    stopping.train.max_steps = 8;  // part-way through epoch 2
    run_training(stopping, (folder / "resumed").string(), false, quiet);
    // As a run killed after its checkpoint leaves the log: the record of the epoch the
    // checkpoint is part-way through (as one saved at its last step leaves), a step the resume
    // does again, a hand-edited record with a number for its kind, and a line cut short. The
    // resumed log holds each step and epoch once, at the straight run's rates.
    std::ofstream(folder / "resumed" / "metrics.jsonl", std::ios::app)
        << "{\"kind\":\"epoch\",\"epoch\":2,\"step\":8,\"lr\":1}\n{\"kind\":\"step\",\"step\":9,\"lr\":1}\n"
        << "{\"kind\":7,\"epoch\":\"two\",\"step\":10}\n{\"kind\":\"st";
    run_training(config, (folder / "resumed").string(), true, quiet);
    EXPECT_LT(largest_difference(weights_of(folder / "straight"), weights_of(folder / "resumed")), 1e-6);
    const auto logged_rates = [](const fs::path & log_file) {  // (kind, step or epoch, rate)
        std::ifstream log(log_file);
        std::vector<std::tuple<std::string, int, double>> rates;
        for (std::string line; std::getline(log, line);) {
            const auto record = nlohmann::json::parse(line);
            const std::string kind = record["kind"];
            rates.emplace_back(kind, record[kind == "step" ? "step" : "epoch"].get<int>(), record["lr"].get<double>());
        }
        return rates;
    };
    EXPECT_EQ(logged_rates(folder / "resumed" / "metrics.jsonl"), logged_rates(folder / "straight" / "metrics.jsonl"));
    // The same data at a constant rate ends elsewhere: the schedule was applied.
    config.optimizer.schedule = "epoch_decay";
    config.optimizer.lr_decay = 1;
    run_training(config, (folder / "constant").string(), false, quiet);
    EXPECT_GT(largest_difference(weights_of(folder / "straight"), weights_of(folder / "constant")), 1e-5);
}

TEST(training, mixed_precision_on_the_cpu_trains_in_bfloat16_and_resumes) {
    const auto folder = scratch("amp");
    std::ostringstream quiet;
    run_training(tiny_config(), (folder / "float").string(), false, quiet);
    train_config amp = tiny_config();
    amp.train.amp = true;
    EXPECT_EQ(run_training(amp, (folder / "bfloat16").string(), false, quiet).steps, 12);
    const auto low = weights_of(folder / "bfloat16");
    for (const auto & w : low) ASSERT_TRUE(torch::isfinite(w).all().item<bool>());
    // Same data, same start: bfloat16 products move the weights elsewhere than float32 does.
    EXPECT_GT(largest_difference(weights_of(folder / "float"), low), 1e-4);
    train_config stopping = amp;
    stopping.train.max_steps = 5;
    run_training(stopping, (folder / "resumed").string(), false, quiet);
    run_training(amp, (folder / "resumed").string(), true, quiet);
    EXPECT_LT(largest_difference(low, weights_of(folder / "resumed")), 1e-6);
}

TEST(training, ctrl_c_saves_a_checkpoint_that_resumes) {
    const auto folder = scratch("interrupt");
    interrupting_stream buffer("step 3/");
    std::ostream progress(&buffer);
    const auto stopped = run_training(tiny_config(), (folder / "run").string(), false, progress);
    EXPECT_TRUE(stopped.stopped_part_way);
    EXPECT_EQ(stopped.steps, 3);
    EXPECT_TRUE(fs::exists(folder / "run" / "last.pt"));
    EXPECT_FALSE(fs::exists(folder / "run" / "last.pt.tmp"));
    try {  // stopped before any validation: no best.pt yet, and the error says what to use
        evaluate_run((folder / "run").string(), "val", "best");
        ADD_FAILURE() << "evaluated a checkpoint that does not exist";
    } catch (const std::runtime_error & e) {
        EXPECT_NE(std::string(e.what()).find("use --checkpoint last"), std::string::npos) << e.what();
    }
    std::ostringstream quiet;
    EXPECT_EQ(run_training(tiny_config(), (folder / "run").string(), true, quiet).steps, 12);
    // A finished run is not overwritten by a new one.
    EXPECT_THROW(run_training(tiny_config(), (folder / "run").string(), false, quiet), std::runtime_error);
    EXPECT_THROW(run_training(tiny_config(), (folder / "empty").string(), true, quiet), std::runtime_error);
}

// Cuts a file to half its size, as a full disk or an interrupted copy leaves it.
void truncate_to_half(const fs::path & file) { fs::resize_file(file, fs::file_size(file) / 2); }

std::string runtime_error_of(const std::function<void()> & f) {
    try {
        f();
    } catch (const std::runtime_error & e) {
        return e.what();
    }
    return "no error";
}

TEST(training, an_unreadable_last_checkpoint_resumes_from_the_one_before_and_says_so) {
    const auto folder = scratch("corrupt");
    std::ostringstream quiet;
    train_config config = tiny_config();
    config.train.checkpoint_every = 2;
    run_training(config, (folder / "straight").string(), false, quiet);
    train_config stopping = config;
    stopping.train.max_steps = 5;  // checkpoints after steps 2, 4 and 5: last.pt is step 5, the one before step 4
    run_training(stopping, (folder / "resumed").string(), false, quiet);
    ASSERT_TRUE(fs::exists(folder / "resumed" / "last.previous.pt"));
    truncate_to_half(folder / "resumed" / "last.pt");

    std::ostringstream said;
    const auto resumed = run_training(config, (folder / "resumed").string(), true, said);
    EXPECT_NE(said.str().find("last.pt: not a readable checkpoint"), std::string::npos) << said.str();
    EXPECT_NE(said.str().find("resuming from the checkpoint before it"), std::string::npos) << said.str();
    EXPECT_NE(said.str().find("at epoch 1, step 4"), std::string::npos) << said.str();
    EXPECT_EQ(resumed.steps, 12);
    // Steps 5 to 12 again from step 4: the weights of the run that never stopped.
    EXPECT_LT(largest_difference(weights_of(folder / "straight"), weights_of(folder / "resumed")), 1e-6);

    // Neither readable: one line naming both files, no LibTorch backtrace.
    truncate_to_half(folder / "resumed" / "last.pt");
    truncate_to_half(folder / "resumed" / "last.previous.pt");
    const std::string both = runtime_error_of([&] { run_training(config, (folder / "resumed").string(), true, quiet); });
    EXPECT_NE(both.find("last.pt: not a readable checkpoint"), std::string::npos) << both;
    EXPECT_NE(both.find("last.previous.pt: not a readable checkpoint"), std::string::npos) << both;
    EXPECT_EQ(both.find('\n'), std::string::npos) << both;
    // The same for a corrupt best.pt read by evaluation (and export, which loads it the same way).
    truncate_to_half(folder / "straight" / "best.pt");
    const std::string best = runtime_error_of([&] { evaluate_run((folder / "straight").string(), "val", "best"); });
    EXPECT_NE(best.find("best.pt: not a readable checkpoint"), std::string::npos) << best;
    EXPECT_NE(best.find("central directory"), std::string::npos) << best;  // LibTorch's reason, its first line
    EXPECT_EQ(best.find('\n'), std::string::npos) << best;
}

TEST(training, learns_the_synthetic_set_well_above_chance) {
    // ResNet-18 at 48x48, 6 epochs of 320 images: about a minute on 2 cores. Chance is 1/12
    // for the category and about 3/22 for attribute top-3 recall (22 attributes, ~6 present);
    // this run reaches about 0.37 and 0.43 on the validation split (seeded, so the same each
    // time here). The thresholds sit well below that, and well above chance.
    const auto folder = scratch("learn");
    const train_config config =
        load_config("data:\n  root: " + synthetic_set().string() + "\n", "test",
                    {"model.kind=simple", "model.backbone=resnet18", "model.input_size=48", "train.epochs=6", "train.batch_size=16",
                     "optimizer.lr=0.001", "optimizer.lr_decay=0.85", "loss.attribute_negative_weight=0.3", "train.checkpoint_every=0"});
    std::ostringstream quiet;
    const auto outcome = run_training(config, (folder / "run").string(), false, quiet);
    EXPECT_EQ(outcome.epochs_done, 6);
    const evaluation e = evaluate_run((folder / "run").string(), "val", "best");
    EXPECT_GT(e.report.images, 30);
    EXPECT_GT(e.report.category_top_k[0], 0.2) << format_evaluation(e);
    EXPECT_GT(e.report.attribute_all.top_k[0], 0.3) << format_evaluation(e);
    EXPECT_LT(e.report.mean_landmark_error, 0.5) << format_evaluation(e);
    EXPECT_NE(format_evaluation(e).find("top-3 / 5"), std::string::npos);
    // The attribute recall is never above what a perfect ranking reaches, and the confusion
    // matrix holds every image once, its diagonal the top-1 hits.
    EXPECT_LE(e.report.attribute_all.top_k[0], e.report.attribute_all.ceiling[0]);
    EXPECT_NE(format_evaluation(e).find("ceiling"), std::string::npos);
    const auto reported = nlohmann::json::parse(evaluation_json(e));
    long long images = 0, hits = 0;
    const auto & matrix = reported["category_confusion"];
    ASSERT_EQ(matrix.size(), 12u);
    for (std::size_t t = 0; t < matrix.size(); ++t) {
        for (std::size_t p = 0; p < matrix[t].size(); ++p) images += matrix[t][p].get<long long>();
        hits += matrix[t][t].get<long long>();
    }
    EXPECT_EQ(images, e.report.images);
    EXPECT_NEAR(static_cast<double>(hits) / static_cast<double>(images), e.report.category_top_k[0], 1e-12);
    EXPECT_EQ(reported["category_names"].size(), 12u);
    EXPECT_TRUE(fs::exists(folder / "run" / "config.yaml"));
    EXPECT_TRUE(fs::exists(folder / "run" / "environment.json"));
    bool events = false;
    for (const auto & entry : fs::directory_iterator(folder / "run"))
        events |= entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
    EXPECT_TRUE(events);
}
