#include "train/config.h"

#include "vestis/number_text.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <variant>

namespace vestis::train {

namespace {

// A key whose value is one of a few names, read into an enum.
struct choice {
    std::function<bool(const std::string &)> set;  // false when the text names no value
    std::function<std::string()> get;
    const char * expected;  // "full or simple"
};

choice network_kind_choice(nn::network_kind * kind) {
    return {[kind](const std::string & text) {
                const auto parsed = nn::parse_network_kind(text);
                if (parsed) *kind = *parsed;
                return parsed.has_value();
            },
            [kind] { return std::string(nn::network_kind_name(*kind)); }, "full or simple"};
}

choice crop_policy_choice(crop_policy * policy) {
    return {[policy](const std::string & text) {
                const auto parsed = parse_crop_policy(text.c_str());
                if (parsed.ok()) *policy = parsed.value();
                return parsed.ok();
            },
            [policy] { return std::string(crop_policy_name(*policy)); }, "stretch or letterbox"};
}

using target = std::variant<bool *, int *, long long *, std::uint64_t *, double *, std::string *, choice>;

struct field {
    const char * key;
    target value;
    bool affects_results = true;  // workers and threads change speed, not results
};

std::vector<field> fields(train_config & c) {
    return {
        {"data.root", &c.data.root},
        {"data.train_images", &c.data.train_images},
        {"data.val_images", &c.data.val_images},
        {"data.test_images", &c.data.test_images},
        {"data.workers", &c.data.workers, false},
        {"data.crop", crop_policy_choice(&c.data.crop)},
        {"data.crop_margin", &c.data.crop_margin},
        {"data.heatmap_radius", &c.data.heatmap_radius},
        {"data.augment", &c.data.augment},
        {"data.augment_crop", &c.data.augment_crop},
        {"data.min_crop_area", &c.data.min_crop_area},
        {"data.item_crops", &c.data.item_crops},
        {"model.kind", network_kind_choice(&c.model.kind)},
        {"model.backbone", &c.model.backbone},
        {"model.width", &c.model.width},
        {"model.landmark_branch", &c.model.landmark_branch},
        {"model.vgg_batch_norm", &c.model.vgg_batch_norm},
        {"model.landmark_batch_norm", &c.model.landmark_batch_norm},
        {"model.heatmap_softmax", &c.model.heatmap_softmax},
        {"model.small_input_stem", &c.model.small_input_stem},
        {"model.tf_padding", &c.model.tf_padding},
        {"model.freeze_batch_norm", &c.model.freeze_batch_norm},
        {"model.frozen_layers", &c.model.frozen_layers},
        {"model.residual_attention", &c.model.residual_attention},
        {"model.input_size", &c.model.input_size},
        {"model.input_height", &c.model.input_height},
        {"model.imagenet_weights", &c.imagenet_weights},
        {"loss.category_weight", &c.loss.category_weight},
        {"loss.label_smoothing", &c.loss.label_smoothing},
        {"loss.attribute_weight", &c.loss.attribute_weight},
        {"loss.landmark_weight", &c.loss.landmark_weight},
        {"loss.attribute_negative_weight", &c.loss.attribute_negative_weight},
        {"loss.attribute_positive_weight", &c.loss.attribute_positive_weight},
        {"loss.attribute_loss", &c.loss.attribute_loss},
        {"loss.fbeta", &c.loss.fbeta},
        {"loss.asl_gamma_negative", &c.loss.asl_gamma_negative},
        {"loss.asl_gamma_positive", &c.loss.asl_gamma_positive},
        {"loss.asl_clip", &c.loss.asl_clip},
        {"optimizer.name", &c.optimizer.name},
        {"optimizer.lr", &c.optimizer.lr},
        {"optimizer.momentum", &c.optimizer.momentum},
        {"optimizer.weight_decay", &c.optimizer.weight_decay},
        {"optimizer.lr_decay", &c.optimizer.lr_decay},
        {"optimizer.schedule", &c.optimizer.schedule},
        {"optimizer.warmup_epochs", &c.optimizer.warmup_epochs},
        {"optimizer.head_lr_scale", &c.optimizer.head_lr_scale},
        {"plateau.enabled", &c.plateau.enabled},
        {"plateau.factor", &c.plateau.factor},
        {"plateau.patience", &c.plateau.patience},
        {"plateau.cooldown", &c.plateau.cooldown},
        {"plateau.min_lr", &c.plateau.min_lr},
        {"plateau.min_delta", &c.plateau.min_delta},
        {"early_stopping.enabled", &c.early_stopping.enabled},
        {"early_stopping.patience", &c.early_stopping.patience},
        {"early_stopping.min_delta", &c.early_stopping.min_delta},
        {"train.epochs", &c.train.epochs},
        {"train.batch_size", &c.train.batch_size},
        {"train.val_batch_size", &c.train.val_batch_size},
        {"train.threads", &c.train.threads, false},
        {"train.device", &c.train.device},
        {"train.amp", &c.train.amp},
        {"train.seed", &c.train.seed},
        {"train.best_by", &c.train.best_by},
        {"train.checkpoint_every", &c.train.checkpoint_every},
        {"train.max_steps", &c.train.max_steps},
        {"train.log_every", &c.train.log_every, false},
        {"train.threshold", &c.train.threshold},
    };
}

std::size_t edit_distance(const std::string & a, const std::string & b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string nearest_key(const std::string & key, std::vector<field> & known) {
    std::string best;
    std::size_t best_distance = key.size();
    for (const field & f : known) {
        const std::size_t d = edit_distance(key, f.key);
        if (d < best_distance) {
            best_distance = d;
            best = f.key;
        }
    }
    return best_distance <= std::max<std::size_t>(3, key.size() / 3) ? best : "";
}

template <typename T>
bool parse_whole(const std::string & text, T & out) {
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size();
}

// Sets one key from its text; `where` prefixes errors ("config.yaml:12" or "--set").
void assign(train_config & config, const std::string & key, const std::string & text, const std::string & where) {
    auto known = fields(config);
    const auto it = std::find_if(known.begin(), known.end(), [&](const field & f) { return key == f.key; });
    if (it == known.end()) {
        const std::string suggestion = nearest_key(key, known);
        throw config_error(where + ": " + key + ": unknown key" + (suggestion.empty() ? "" : " (did you mean " + suggestion + "?)"));
    }
    const auto fail = [&](const char * expected) {
        throw config_error(where + ": " + key + ": expected " + expected + ", got '" + text + "'");
    };
    std::visit(
        [&](auto value) {
            using type = std::remove_pointer_t<decltype(value)>;
            if constexpr (std::is_same_v<type, choice>) {
                if (!value.set(text)) fail(value.expected);
            } else if constexpr (std::is_same_v<type, bool>) {
                static const std::map<std::string, bool> words = {{"true", true}, {"false", false}, {"yes", true}, {"no", false},
                                                                  {"on", true},   {"off", false},   {"1", true},   {"0", false}};
                const auto w = words.find(text);
                if (w == words.end()) fail("true or false");
                *value = w->second;
            } else if constexpr (std::is_same_v<type, std::string>) {
                *value = text;
            } else if constexpr (std::is_same_v<type, double>) {
                char * end = nullptr;
                const double v = std::strtod(text.c_str(), &end);
                if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) fail("a number");
                *value = v;
            } else {
                if (!parse_whole(text, *value)) fail(std::is_same_v<type, std::uint64_t> ? "a whole number >= 0" : "a whole number");
            }
        },
        it->value);
}

void flatten(const YAML::Node & node, const std::string & prefix, const std::string & source, train_config & config) {
    for (const auto & item : node) {
        const std::string where = source + ":" + std::to_string(item.first.Mark().line + 1);
        // YAML allows a list or a map as a key ("? [a, b]: 1"); a config's keys are names.
        if (!item.first.IsScalar()) throw config_error(where + ": expected a key name, not a list or map");
        const std::string key = prefix.empty() ? item.first.Scalar() : prefix + "." + item.first.Scalar();
        if (item.second.IsMap()) {
            flatten(item.second, key, source, config);
        } else if (item.second.IsScalar()) {
            assign(config, key, item.second.Scalar(), where);
        } else if (item.second.IsNull()) {
            assign(config, key, "", where);
        } else {
            throw config_error(where + ": " + key + ": expected a single value, not a list");
        }
    }
}

std::string value_text(const target & value) {
    return std::visit(
        [](auto v) -> std::string {
            using type = std::remove_pointer_t<decltype(v)>;
            if constexpr (std::is_same_v<type, choice>) return "\"" + v.get() + "\"";
            else if constexpr (std::is_same_v<type, bool>) return *v ? "true" : "false";
            else if constexpr (std::is_same_v<type, std::string>) return "\"" + *v + "\"";
            else if constexpr (std::is_same_v<type, double>) return shortest_text(*v);
            else return std::to_string(*v);
        },
        value);
}

}  // namespace

train_config load_config(const std::string & yaml_text, const std::string & source, const std::vector<std::string> & overrides) {
    train_config config;
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::Exception & e) {
        throw config_error(source + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
    }
    if (root.IsDefined() && !root.IsNull()) {
        if (!root.IsMap()) throw config_error(source + ": expected sections of keys (data:, model:, loss:, ...)");
        flatten(root, "", source, config);
    }
    for (const std::string & override : overrides) {
        const auto equals = override.find('=');
        if (equals == std::string::npos || equals == 0) {
            throw config_error("--set " + override + ": expected key=value, e.g. --set train.epochs=3");
        }
        assign(config, override.substr(0, equals), override.substr(equals + 1), "--set");
    }
    validate(config);
    return config;
}

void validate(const train_config & c) {
    const auto require = [](bool ok, const std::string & message) {
        if (!ok) throw config_error(message);
    };
    require(!c.data.root.empty(),
            "data.root: is missing (a folder written by `vestis data synth`, `vestis data fmnist`, DeepFashion, a folder of class folders "
            "or a CSV of photos)");
    require(c.data.train_images >= 0 && c.data.val_images >= 0 && c.data.test_images >= 0, "data.*_images: expected a count >= 0 (0: all)");
    require(c.data.workers >= 1 && c.data.workers <= 256, "data.workers: expected 1..256, got " + std::to_string(c.data.workers));
    require(c.data.crop_margin >= 0 && c.data.crop_margin <= 10, "data.crop_margin: expected 0..10");
    require(c.data.heatmap_radius > 0, "data.heatmap_radius: expected a radius > 0");
    require(c.data.augment_crop == "box_jitter" || c.data.augment_crop == "random_resized",
            "data.augment_crop: expected box_jitter or random_resized, got '" + c.data.augment_crop + "'");
    require(c.data.min_crop_area > 0 && c.data.min_crop_area <= 1, "data.min_crop_area: expected a fraction in (0, 1]");
    require(c.train.best_by == "val_loss" || c.train.best_by == "val_map",
            "train.best_by: expected val_loss or val_map, got '" + c.train.best_by + "'");
    require(
        c.loss.attribute_loss != "two_class" || c.model.kind == nn::network_kind::full,
        "loss.attribute_loss: two_class needs model.kind: full (the simple model gives one logit per attribute: use bce, asl or fbeta)");
    require(c.data.item_crops >= 0 && c.data.item_crops <= 1,
            "data.item_crops: expected a probability in [0, 1], got " + shortest_text(c.data.item_crops));
    require(c.optimizer.name == "adam" || c.optimizer.name == "sgd",
            "optimizer.name: expected adam or sgd, got '" + c.optimizer.name + "'");
    require(c.optimizer.lr > 0 && c.optimizer.lr < 10, "optimizer.lr: expected a learning rate in (0, 10)");
    require(c.optimizer.lr_decay > 0 && c.optimizer.lr_decay <= 1, "optimizer.lr_decay: expected a factor in (0, 1]");
    require(c.optimizer.weight_decay >= 0, "optimizer.weight_decay: expected >= 0");
    require(c.optimizer.head_lr_scale > 0 && c.optimizer.head_lr_scale <= 1000, "optimizer.head_lr_scale: expected a factor in (0, 1000]");
    require(c.optimizer.schedule == "epoch_decay" || c.optimizer.schedule == "cosine",
            "optimizer.schedule: expected epoch_decay or cosine, got '" + c.optimizer.schedule + "'");
    require(c.optimizer.warmup_epochs >= 0 && c.optimizer.warmup_epochs < c.train.epochs,
            "optimizer.warmup_epochs: expected >= 0 and fewer than train.epochs");
    require(!(c.optimizer.schedule == "cosine" && c.plateau.enabled),
            "plateau.enabled: ReduceLROnPlateau and optimizer.schedule cosine would both set the learning rate; choose one");
    require(c.plateau.factor > 0 && c.plateau.factor < 1, "plateau.factor: expected a factor in (0, 1)");
    require(c.plateau.patience >= 0 && c.plateau.cooldown >= 0, "plateau.patience, plateau.cooldown: expected >= 0");
    require(c.early_stopping.patience >= 0, "early_stopping.patience: expected >= 0");
    require(c.train.epochs >= 1 && c.train.epochs <= 100000, "train.epochs: expected 1..100000, got " + std::to_string(c.train.epochs));
    require(c.train.batch_size >= 1 && c.train.batch_size <= 65536,
            "train.batch_size: expected 1..65536, got " + std::to_string(c.train.batch_size));
    require(c.train.val_batch_size >= 1 && c.train.val_batch_size <= 65536, "train.val_batch_size: expected 1..65536");
    require(c.train.threads >= 0 && c.train.threads <= 1024, "train.threads: expected 0 (every core) .. 1024");
    require(c.train.device == "cpu" || c.train.device.rfind("cuda", 0) == 0,
            "train.device: expected cpu, cuda or cuda:N, got '" + c.train.device + "'");
    require(c.train.checkpoint_every >= 0 && c.train.max_steps >= 0 && c.train.log_every >= 1,
            "train.checkpoint_every, train.max_steps: expected >= 0; train.log_every >= 1");
    require(c.train.threshold > 0 && c.train.threshold < 1, "train.threshold: expected a probability in (0, 1)");
    try {
        nn::validate(c.model);
        nn::validate(c.loss);
    } catch (const std::invalid_argument & e) {
        throw config_error(e.what());
    }
}

std::string to_yaml(const train_config & config) {
    train_config copy = config;
    std::ostringstream out;
    std::string section;
    for (const field & f : fields(copy)) {
        const std::string key = f.key;
        const std::string head = key.substr(0, key.find('.'));
        if (head != section) {
            out << (section.empty() ? "" : "\n") << head << ":\n";
            section = head;
        }
        out << "  " << key.substr(key.find('.') + 1) << ": " << value_text(f.value) << "\n";
    }
    return out.str();
}

namespace {

// Keys the chosen options never read change nothing, so a config need not keep a dead value to
// match a past run: the step decay's factor under the cosine schedule, and so on.
bool read_by(const train_config & c, const std::string & key) {
    const auto in = [&key](const char * section) { return key.rfind(section, 0) == 0; };
    if (key == "optimizer.lr_decay") return c.optimizer.schedule == "epoch_decay";
    if (key == "optimizer.warmup_epochs") return c.optimizer.schedule == "cosine";
    if (key == "optimizer.momentum") return c.optimizer.name == "sgd";
    if (key == "loss.fbeta") return c.loss.attribute_loss == "fbeta";
    if (in("loss.asl_")) return c.loss.attribute_loss == "asl";
    if (key == "model.tf_padding") return c.model.backbone == "mobilenet_v2" && c.model.kind == nn::network_kind::simple;
    // Keys added after runs were indexed count only away from their defaults: those runs keep their hashes.
    if (key == "data.item_crops") return c.data.augment && c.data.item_crops > 0;
    if (key == "train.best_by") return c.train.best_by != "val_loss";
    if (key == "model.residual_attention") return c.model.residual_attention != 0;
    if (key == "model.input_height") return c.model.input_height != 0;
    if (in("plateau.") && key != "plateau.enabled") return c.plateau.enabled;
    if (in("early_stopping.") && key != "early_stopping.enabled") return c.early_stopping.enabled;
    return true;
}

}  // namespace

std::string config_hash(const train_config & config) {
    train_config copy = config;
    std::uint64_t hash = 14695981039346656037ull;  // FNV-1a over the keys that change results
    for (const field & f : fields(copy)) {
        if (!f.affects_results || !read_by(config, f.key)) continue;
        for (char ch : std::string(f.key) + "=" + value_text(f.value) + "\n") {
            hash = (hash ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
        }
    }
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return text;
}

std::vector<std::string> config_keys() {
    train_config c;
    std::vector<std::string> keys;
    for (const field & f : fields(c)) keys.push_back(f.key);
    return keys;
}

}  // namespace vestis::train
