#include "train/config.h"
#include "train/lr_schedule.h"
#include "train/run_index.h"
#include "train/tensorboard.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

using namespace vestis::train;

namespace {

std::string error_of(const std::string & yaml, const std::vector<std::string> & overrides = {}) {
    try {
        load_config(yaml, "run.yaml", overrides);
    } catch (const config_error & e) {
        return e.what();
    }
    return "";
}

const char * minimal = "data:\n  root: /data/synth\n";

}  // namespace

TEST(config, reads_sections_and_applies_overrides_in_order) {
    const auto c = load_config(
        "data:\n  root: /data/synth\n  train_images: 500\nmodel:\n  kind: simple\n  backbone: resnet18\n"
        "loss:\n  attribute_negative_weight: 0.001\ntrain:\n  epochs: 3\n  amp: yes\n",
        "run.yaml", {"train.epochs=7", "optimizer.lr=0.5e-3"});
    EXPECT_EQ(c.data.root, "/data/synth");
    EXPECT_EQ(c.data.train_images, 500);
    EXPECT_EQ(c.model.backbone, "resnet18");
    EXPECT_DOUBLE_EQ(c.loss.attribute_negative_weight, 0.001);
    EXPECT_EQ(c.train.epochs, 7);
    EXPECT_TRUE(c.train.amp);
    EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.0005);
    EXPECT_DOUBLE_EQ(c.loss.attribute_weight, 20);  // untouched keys keep the reference defaults
}

TEST(config, names_the_key_and_suggests_the_nearest) {
    EXPECT_EQ(error_of(std::string(minimal) + "loss:\n  atribute_weight: 3\n"),
              "run.yaml:4: loss.atribute_weight: unknown key (did you mean loss.attribute_weight?)");
    EXPECT_EQ(error_of(std::string(minimal) + "train:\n  epochs: ten\n"), "run.yaml:4: train.epochs: expected a whole number, got 'ten'");
    EXPECT_EQ(error_of(std::string(minimal) + "data:\n  augment: maybe\n"),
              "run.yaml:4: data.augment: expected true or false, got 'maybe'");
    EXPECT_EQ(error_of(minimal, {"train.batchsize=8"}), "--set: train.batchsize: unknown key (did you mean train.batch_size?)");
    EXPECT_EQ(error_of(minimal, {"epochs"}), "--set epochs: expected key=value, e.g. --set train.epochs=3");
    EXPECT_EQ(error_of(std::string(minimal) + "model:\n  kind: huge\n"), "run.yaml:4: model.kind: expected full or simple, got 'huge'");
    EXPECT_EQ(error_of(minimal, {"data.crop=zoom"}), "--set: data.crop: expected stretch or letterbox, got 'zoom'");
    EXPECT_EQ(error_of("train:\n  epochs: 3\n"),
              "data.root: is missing (a folder written by `vestis data synth`, `vestis data fmnist`, DeepFashion, a folder of class "
              "folders or a CSV of photos)");
    EXPECT_EQ(error_of(minimal, {"train.batch_size=0"}), "train.batch_size: expected 1..65536, got 0");
    EXPECT_EQ(error_of(minimal, {"loss.landmark_weight=-1"}), "loss.landmark_weight: expected a weight >= 0, got -1");
    EXPECT_EQ(error_of(minimal, {"loss.label_smoothing=1"}), "loss.label_smoothing: expected a fraction in [0, 1), got 1");
    EXPECT_EQ(error_of(minimal, {"train.best_by=val_f1"}), "train.best_by: expected val_loss or val_map, got 'val_f1'");
    EXPECT_EQ(error_of(minimal, {"data.item_crops=1.5"}), "data.item_crops: expected a probability in [0, 1], got 1.5");
    EXPECT_EQ(error_of(minimal, {"model.input_height=320"}),
              "model.input_height: only a network without landmarks takes a non-square input (set model.landmark_branch: false)");
    EXPECT_EQ(
        error_of(minimal, {"model.kind=simple", "loss.attribute_loss=two_class"}),
        "loss.attribute_loss: two_class needs model.kind: full (the simple model gives one logit per attribute: use bce, asl or fbeta)");
    EXPECT_NE(error_of("data: [1, 2\n").find("run.yaml:"), std::string::npos);
    EXPECT_NE(error_of("data: [1, 2\n").find("not valid YAML"), std::string::npos);
    EXPECT_EQ(error_of(std::string(minimal) + "train:\n  epochs: [1, 2]\n"),
              "run.yaml:4: train.epochs: expected a single value, not a list");
    // Found by the config fuzzer: YAML's complex keys threw yaml-cpp's bad conversion, uncaught.
    EXPECT_EQ(error_of(std::string(minimal) + "? [jitter, crop]\n: 1\n"), "run.yaml:3: expected a key name, not a list or map");
    EXPECT_EQ(error_of(std::string(minimal) + "train:\n  ? {a: 1}\n  : 2\n"), "run.yaml:4: expected a key name, not a list or map");
}

TEST(config, round_trips_through_yaml_and_hashes_what_changes_results) {
    const auto c = load_config(minimal, "run.yaml", {"optimizer.lr=0.0003", "model.width=0.25", "data.crop=letterbox"});
    const auto again = load_config(to_yaml(c), "resolved.yaml", {});
    EXPECT_EQ(to_yaml(again), to_yaml(c));
    EXPECT_NE(to_yaml(c).find("  lr: 0.0003\n"), std::string::npos);
    EXPECT_EQ(config_hash(again), config_hash(c));
    EXPECT_EQ(config_hash(load_config(to_yaml(c), "x", {"data.workers=7", "train.threads=1"})), config_hash(c));
    EXPECT_NE(config_hash(load_config(to_yaml(c), "x", {"train.seed=2"})), config_hash(c));
    EXPECT_NE(config_hash(load_config(to_yaml(c), "x", {"model.heatmap_softmax=true"})), config_hash(c));
    EXPECT_NE(config_hash(load_config(to_yaml(c), "x", {"model.landmark_batch_norm=true"})), config_hash(c));
    // A key the chosen schedule never reads is not part of the configuration.
    const auto hash_with = [&c](std::vector<std::string> overrides) { return config_hash(load_config(to_yaml(c), "x", overrides)); };
    EXPECT_EQ(hash_with({"optimizer.schedule=cosine", "optimizer.lr_decay=0.5"}), hash_with({"optimizer.schedule=cosine"}));
    EXPECT_NE(hash_with({"optimizer.schedule=epoch_decay", "optimizer.lr_decay=0.5"}), hash_with({"optimizer.schedule=epoch_decay"}));
    EXPECT_EQ(hash_with({"optimizer.name=adam", "optimizer.momentum=0.5"}), hash_with({"optimizer.name=adam"}));
    EXPECT_NE(hash_with({"optimizer.name=sgd", "optimizer.momentum=0.5"}), hash_with({"optimizer.name=sgd"}));
    // Keys added later change the hash only when set: runs indexed before them keep theirs.
    EXPECT_EQ(hash_with({"data.item_crops=0", "train.best_by=val_loss"}), hash_with({}));
    EXPECT_NE(hash_with({"data.item_crops=0.5"}), hash_with({}));
    EXPECT_NE(hash_with({"train.best_by=val_map"}), hash_with({}));
    EXPECT_EQ(hash_with({"model.residual_attention=0"}), hash_with({}));
    EXPECT_EQ(hash_with({"model.input_height=0"}), hash_with({}));
    EXPECT_NE(hash_with({"model.kind=simple", "model.backbone=mobilenet_v2", "model.landmark_branch=false", "model.input_height=320"}),
              hash_with({"model.kind=simple", "model.backbone=mobilenet_v2", "model.landmark_branch=false"}));
    EXPECT_EQ(hash_with({"loss.asl_gamma_negative=2"}), hash_with({}));
    EXPECT_NE(hash_with({"loss.attribute_loss=asl", "loss.asl_gamma_negative=2"}), hash_with({"loss.attribute_loss=asl"}));
    EXPECT_EQ(config_keys().size(), 67u);
}

TEST(config, rejects_an_unknown_schedule_and_a_schedule_that_fights_the_plateau) {
    EXPECT_EQ(error_of(std::string(minimal) + "optimizer:\n  schedule: linear\n"),
              "optimizer.schedule: expected epoch_decay or cosine, got 'linear'");
    EXPECT_NE(error_of(std::string(minimal) + "optimizer:\n  schedule: cosine\nplateau:\n  enabled: true\n").find("plateau.enabled:"),
              std::string::npos);
    EXPECT_NE(error_of(std::string(minimal) + "optimizer:\n  schedule: cosine\n  warmup_epochs: 30\n").find("optimizer.warmup_epochs:"),
              std::string::npos);
}

TEST(lr_schedule, cosine_warms_up_linearly_then_falls_to_zero_at_the_last_epoch) {
    optimizer_config o;
    o.schedule = "cosine";
    o.lr = 0.2;
    o.warmup_epochs = 1;
    // 1 warm-up epoch of 5: linear to 0.2, then 0.1 * (1 + cos(pi * (t - 1) / 4)).
    EXPECT_NEAR(cosine_learning_rate(o, {0, 0.5}, 5), 0.1, 1e-12);
    EXPECT_NEAR(cosine_learning_rate(o, {1, 0.0}, 5), 0.2, 1e-12);
    EXPECT_NEAR(cosine_learning_rate(o, {2, 0.0}, 5), 0.1 * (1 + std::sqrt(0.5)), 1e-12);  // a quarter of the way: cos(pi/4)
    EXPECT_NEAR(cosine_learning_rate(o, {3, 0.0}, 5), 0.1, 1e-12);                         // half-way
    EXPECT_NEAR(cosine_learning_rate(o, {4, 0.5}, 5), 0.1 * (1 - std::cos(M_PI / 8)), 1e-12);
    EXPECT_NEAR(cosine_learning_rate(o, {5, 0.0}, 5), 0.0, 1e-12);
    EXPECT_GT(cosine_learning_rate(o, {0, 0.0}, 5), 0.0);  // the first step still moves
    o.warmup_epochs = 0;
    EXPECT_NEAR(cosine_learning_rate(o, {0, 0.0}, 4), 0.2, 1e-12);
    EXPECT_NEAR(cosine_learning_rate(o, {2, 0.0}, 4), 0.1, 1e-12);
}

TEST(tensorboard, crc32c_matches_the_published_check_value) {
    EXPECT_EQ(crc32c("123456789"), 0xe3069283u);  // RFC 3720's CRC-32C check value
    EXPECT_EQ(crc32c(""), 0u);
}

TEST(tensorboard, frames_every_event_as_a_checked_record) {
    const auto folder = std::filesystem::temp_directory_path() / ("vestis-tb-" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
    std::string path;
    {
        event_writer events(folder.string());
        events.scalar("val/loss", 0.5, 7);
        path = events.path();
    }
    std::ifstream in(path, std::ios::binary);
    const std::string bytes(std::istreambuf_iterator<char>(in), {});
    std::size_t at = 0;
    int records = 0;
    const auto mask = [](std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; };
    while (at < bytes.size()) {
        std::uint64_t length;
        std::uint32_t length_crc, data_crc;
        std::memcpy(&length, bytes.data() + at, 8);
        std::memcpy(&length_crc, bytes.data() + at + 8, 4);
        EXPECT_EQ(length_crc, mask(crc32c(bytes.substr(at, 8))));
        const std::string data = bytes.substr(at + 12, length);
        std::memcpy(&data_crc, bytes.data() + at + 12 + length, 4);
        EXPECT_EQ(data_crc, mask(crc32c(data)));
        if (records == 0) {
            EXPECT_NE(data.find("brain.Event:2"), std::string::npos);
        }
        if (records == 1) {
            EXPECT_NE(data.find("val/loss"), std::string::npos);
            float value;
            std::memcpy(&value, data.data() + data.size() - 4, 4);  // simple_value ends the event
            EXPECT_FLOAT_EQ(value, 0.5f);
        }
        at += 12 + length + 4;
        ++records;
    }
    EXPECT_EQ(records, 2);
    std::filesystem::remove_all(folder);
}

TEST(run_index, finds_finished_runs_by_configuration_and_lists_them) {
    const auto folder = std::filesystem::temp_directory_path() / ("vestis-index-" + std::to_string(::getpid()));
    std::filesystem::remove_all(folder);
    const std::string runs = (folder / "runs").string();
    EXPECT_FALSE(find_run(runs, "abc").has_value());  // no index yet
    std::filesystem::create_directories(folder / "run1");
    record_run(runs, {"abc", (folder / "run1").string(), "simple, resnet18", "2026-11-27 12:00:00", 6,
                      R"({"category_top1": 0.75, "attribute_top3_recall": 0.5, "landmark_error": null})"});
    // An index written before the metric names were one calls attribute recall attribute_all_top3.
    record_run(runs, {"old", (folder / "run1").string(), "simple, resnet18", "2026-11-20 12:00:00", 2,
                      R"({"category_top1": 0.25, "attribute_all_top3": 0.125, "landmark_error": null})"});
    EXPECT_FALSE(find_run(runs, "abc").has_value());  // its folder has no best.pt
    std::ofstream(folder / "run1" / "best.pt") << "weights";
    const auto found = find_run(runs, "abc");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->epochs, 6);
    EXPECT_FALSE(find_run(runs, "other").has_value());
    const std::string table = list_runs(runs);
    EXPECT_NE(table.find("abc"), std::string::npos);
    EXPECT_NE(table.find("0.7500    0.5000"), std::string::npos);
    EXPECT_NE(table.find("0.2500    0.1250"), std::string::npos);
    EXPECT_NE(table.find("n/a"), std::string::npos);
    std::ofstream(folder / "runs" / "index.json") << "[not, an, index]";
    EXPECT_THROW(find_run(runs, "abc"), std::runtime_error);
    std::filesystem::remove_all(folder);
}
