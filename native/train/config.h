// The training configuration: every knob of the study in one YAML file, overridable with
// `--set key=value`. Keys are dotted paths (`loss.attribute_weight`); unknown keys and values
// of the wrong type are errors that name the key and suggest the nearest known one.
#pragma once

#include "nn/losses_config.h"
#include "nn/network_config.h"
#include "vestis/geometry.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace vestis::train {

struct data_config {
    std::string root;            // a DeepFashion-format folder (vestis data synth / fmnist write one), a
                                 // folder of class folders, or a CSV of photos and labels (data/photo_sets.h)
    long long train_images = 0;  // N per split; 0 = all
    long long val_images = 0;
    long long test_images = 0;
    int workers = 2;
    crop_policy crop = crop_policy::stretch;  // stretch (the reference) or letterbox
    double crop_margin = 0.0;
    double heatmap_radius = 8.0;
    bool augment = true;                      // training batches only
    std::string augment_crop = "box_jitter";  // box_jitter (DeepFashion's garment boxes) or random_resized
                                              // (torchvision's RandomResizedCrop, for photos: area min_crop_area..1 of the box,
                                              // aspect 3/4..4/3)
    double min_crop_area = 0.25;
    double item_crops = 0.0;  // the share of photos with item boxes cropped to one item (item_boxes.csv)
};

struct optimizer_config {
    std::string name = "adam";  // adam or sgd
    double lr = 1e-4;
    double momentum = 0.9;  // sgd
    double weight_decay = 0.0;
    double lr_decay = 0.8;                 // schedule epoch_decay: multiplies the learning rate after every epoch (1 = off)
    std::string schedule = "epoch_decay";  // epoch_decay (the reference) or cosine (every step, to zero at the last epoch)
    double warmup_epochs = 0;              // cosine: a linear rise to lr over this many epochs first
    // The layers ImageNet weights do not fill (the heads, from scratch) learn at lr x this: a
    // new head needs larger steps than a backbone that only adapts (1: one rate for all).
    double head_lr_scale = 1.0;
};

struct plateau_config {  // ReduceLROnPlateau on the validation loss
    bool enabled = false;
    double factor = 0.1;
    int patience = 3;
    int cooldown = 0;
    double min_lr = 0.0;
    double min_delta = 1e-4;
};

struct early_stopping_config {
    bool enabled = false;
    int patience = 5;
    double min_delta = 0.0;
};

struct run_config {
    int epochs = 20;
    int batch_size = 16;
    int val_batch_size = 32;
    int threads = 0;             // 0: every core
    std::string device = "cpu";  // cpu, cuda, cuda:N
    bool amp = false;            // mixed precision: float16 and a loss scale on CUDA, bfloat16 on the CPU
    std::uint64_t seed = 1;
    int checkpoint_every = 500;        // steps between `last` checkpoints (0: epoch ends only)
    long long max_steps = 0;           // stop after this many steps in all (0: no limit)
    int log_every = 10;                // steps between metrics.jsonl step lines
    double threshold = 0.5;            // attribute decision threshold for error rate and F1
    std::string best_by = "val_loss";  // what makes best.pt: the lowest validation loss, or the highest val_map
};

struct train_config {
    data_config data;
    nn::network_config model;
    std::string imagenet_weights;  // a torchvision state_dict for the backbone (vgg16, vgg16_bn, resnet18,
                                   // resnet50, mobilenet_v2), or empty
    nn::loss_config loss;
    optimizer_config optimizer;
    plateau_config plateau;
    early_stopping_config early_stopping;
    run_config train;
};

class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Reads a YAML file (`source` names it in errors), then applies `key=value` overrides.
train_config load_config(const std::string & yaml_text, const std::string & source, const std::vector<std::string> & overrides);
// The resolved configuration as YAML, every key written out; load_config reads it back.
std::string to_yaml(const train_config & config);
// A short stable hash of the resolved configuration: the model manager's key.
std::string config_hash(const train_config & config);
// Checks values that make no sense together; throws config_error naming the key.
void validate(const train_config & config);
// All known keys, for `--help` and for suggestions.
std::vector<std::string> config_keys();

}  // namespace vestis::train
