#include "train/exporter.h"

#include "io/atomic_file.h"
#include "nn/onnx_export.h"
#include "runtime/evaluate.h"
#include "train/trained_model.h"
#include "train/trainer.h"
#include "vestis/build_info.h"
#include "vestis/version.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>  // AT_FDCWD, for renameat2

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>

namespace vestis::train {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;  // cards keep their keys in the order written

namespace {

nn::onnx_export_result export_graph(const trained_model & t, onnx_export::weight_storage storage, const std::string & name) {
    return nn::export_onnx(*t.net, t.loading.preprocess, t.index.categories,
                           t.network.attributes > 0 ? t.index.attributes : std::vector<attribute_info>{}, storage, name);
}

// The model folder as an absolute path whose last part is its name: "models/kept/" names
// "kept", and "." the working folder.
fs::path model_folder_path(const std::string & folder) {
    const fs::path out = fs::absolute(folder).lexically_normal();
    return out.has_filename() ? out : out.parent_path();
}

bool holds_model(const fs::path & folder) { return fs::exists(folder / "model.onnx") && fs::exists(folder / "card.json"); }

// Where replace_model_folder builds the new model, and where the old one waits while the two
// change places without an atomic exchange.
fs::path staging_folder(const fs::path & out) { return out.parent_path() / ("." + out.filename().string() + ".export-tmp"); }
fs::path previous_folder(const fs::path & out) { return out.parent_path() / ("." + out.filename().string() + ".export-old"); }

// An export cut off between moving the old model aside and moving the new one in left the old
// one aside, and no model (or an empty folder made since) in its place: it goes back, and is
// then what --force is asked about. One cut off after the new model moved in left the old one
// aside too, stale: it goes, so that it cannot come back later. Beside anything else the old
// model stays aside, and the export is refused.
void settle_cut_off_export(const fs::path & out) {
    const fs::path previous = previous_folder(out);
    if (!fs::is_directory(previous)) return;
    if (holds_model(out)) {
        fs::remove_all(previous);
    } else if (!fs::exists(out) || (fs::is_directory(out) && fs::is_empty(out))) {
        fs::remove(out);
        fs::rename(previous, out);
    }
}

// An export writes a new folder, or with `force` replaces a model folder (model.onnx and
// card.json, nothing else); anything else there is refused.
void check_model_folder_is_free(const std::string & folder, bool force) {
    settle_cut_off_export(model_folder_path(folder));
    if (!fs::exists(folder) || (fs::is_directory(folder) && fs::is_empty(folder))) return;
    const bool model = fs::is_directory(folder) && holds_model(folder);
    if (!model) throw std::runtime_error(folder + ": exists and is not a model folder (model.onnx + card.json); give a new --out");
    for (const auto & entry : fs::directory_iterator(folder)) {
        const std::string name = entry.path().filename().string();
        if (name != "model.onnx" && name != "card.json")
            throw std::runtime_error(folder + ": holds " + name + " besides the model; give a new --out");
    }
    if (!force) throw std::runtime_error(folder + ": holds a model already; give a new --out, or --force to replace it");
}

// Swaps two folders in one step (Linux's renameat2 with RENAME_EXCHANGE); false where the
// system or its file system cannot.
bool exchange_folders(const fs::path & a, const fs::path & b) {
#ifdef RENAME_EXCHANGE
    return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
#else
    (void)a, (void)b;
    return false;
#endif
}

// Both files go into a sibling folder first, which then takes the old one's place in one
// exchange: a reader sees the old model or the new one, never a new model with an old card,
// and never no model. Without the exchange, the old folder moves aside for the moment between
// two renames (and check_model_folder_is_free puts it back if that moment is cut short).
void replace_model_folder(const std::string & folder, const std::string & model_bytes, const std::string & card_json) {
    const fs::path out = model_folder_path(folder);
    const fs::path staging = staging_folder(out), previous = previous_folder(out);
    fs::remove_all(staging);
    fs::create_directories(staging);
    write_file_atomically((staging / "model.onnx").string(), model_bytes);
    write_file_atomically((staging / "card.json").string(), card_json);
    if (fs::exists(out) && exchange_folders(staging, out)) {
        fs::remove_all(staging);  // the old model, now
        return;
    }
    fs::remove_all(previous);
    if (fs::exists(out)) fs::rename(out, previous);
    fs::rename(staging, out);
    fs::remove_all(previous);
}

// A path as a card may hold it: relative to the working folder when under it, else only its
// last part. Cards travel; the exporting machine's folders mean nothing elsewhere.
std::string portable_path(const std::string & path) {
    if (path.empty()) return path;
    const fs::path absolute = fs::absolute(path).lexically_normal();
    const fs::path relative = absolute.lexically_relative(fs::current_path());
    if (!relative.empty() && *relative.begin() != "..") return relative.generic_string();
    return absolute.filename().empty() ? absolute.parent_path().filename().string() : absolute.filename().string();
}

// The card's records for people: how the model was trained and produced.
void describe_provenance(model_card & card, const trained_model & t, const export_request & request) {
    ordered_json training;
    training["run"] = portable_path(request.run_dir);
    training["checkpoint"] = request.checkpoint;
    if (request.checkpoint == "best") training["best_by"] = t.config.train.best_by;
    training["config_hash"] = config_hash(t.config);
    training["data"] = portable_path(t.config.data.root);
    if (!t.config.imagenet_weights.empty()) training["imagenet_weights"] = portable_path(t.config.imagenet_weights);
    training["model"] = {{"kind", nn::network_kind_name(t.network.kind)},
                         {"backbone", t.network.kind == nn::network_kind::simple ? t.network.backbone : "vgg16"},
                         {"width", t.network.width},
                         {"input_size", t.network.input_size},
                         {"vgg_batch_norm", t.network.vgg_batch_norm},
                         {"landmark_batch_norm", t.network.landmark_batch_norm},
                         {"heatmap_softmax", t.network.heatmap_softmax},
                         {"small_input_stem", t.network.small_input_stem},
                         {"tf_padding", t.network.tf_padding},
                         {"freeze_batch_norm", t.network.freeze_batch_norm},
                         {"frozen_layers", t.network.frozen_layers}};
    if (t.network.input_height > 0) training["model"]["input_height"] = t.network.input_height;
    if (t.network.residual_attention > 0) training["model"]["residual_attention"] = t.network.residual_attention;
    if (t.config.loss.attribute_loss == "asl") {
        training["loss"] = {{"attribute_loss", "asl"},
                            {"asl_gamma_negative", t.config.loss.asl_gamma_negative},
                            {"asl_gamma_positive", t.config.loss.asl_gamma_positive},
                            {"asl_clip", t.config.loss.asl_clip}};
    }
    training["augment"] = t.config.data.augment ? t.config.data.augment_crop : "none";
    if (t.config.data.augment && t.config.data.item_crops > 0) training["item_crops"] = t.config.data.item_crops;
    training["epochs"] = t.config.train.epochs;
    if (t.network.input_size != t.config.model.input_size) training["trained_input_size"] = t.config.model.input_size;
    card.training_json = training.dump();

    char date[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    ordered_json produced;
    produced["command"] = request.command;
    produced["vestis_version"] = VESTIS_VERSION;
    produced["commit"] = source_commit();
    produced["source_modified"] = source_modified();  // the exporting binary was built from uncommitted changes
    produced["date"] = date;
    produced["weights"] = onnx_export::storage_name(request.storage);
    card.produced_by_json = produced.dump();
}

ordered_json finite(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

ordered_json headline(const metrics_report & r) {
    ordered_json j = {{"images", r.images},
                      {"category_top1", finite(r.category_top_k[0])},
                      {"category_top3", finite(r.category_top_k[1])},
                      {"category_top5", finite(r.category_top_k[2])},
                      {"attribute_top3_recall", finite(r.attribute_all.top_k[0])},
                      {"attribute_top5_recall", finite(r.attribute_all.top_k[1])},
                      {"landmark_error", finite(r.mean_landmark_error)}};
    if (!r.average_precision.empty()) {  // a tagger's figures, at the card's threshold
        j["attribute_map"] = finite(r.mean_average_precision);
        j["attribute_map_attributes"] = r.map_attributes;
        j["attribute_f1_micro"] = finite(r.f1_micro);
        j["attribute_f1_macro"] = finite(r.f1_macro);
        j["attribute_precision_micro"] = finite(r.precision_micro);
        j["attribute_recall_micro"] = finite(r.recall_micro);
    }
    return j;
}

// Average precision and positives of each attribute, by name.
ordered_json per_attribute(const metrics_report & r, const std::vector<attribute_info> & attributes) {
    ordered_json j = ordered_json::object();
    for (std::size_t a = 0; a < attributes.size() && a < r.average_precision.size(); ++a) {
        j[attributes[a].name] = {
            {"type", attributes[a].type}, {"average_precision", finite(r.average_precision[a])}, {"positives", r.attribute_positives[a]}};
    }
    return j;
}

std::string megabytes(long long bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f MB", static_cast<double>(bytes) / 1e6);
    return text;
}

}  // namespace

export_report export_model(const export_request & request, std::ostream & progress) {
    if (request.out_dir.empty()) throw std::runtime_error("--out: give the model folder to write, e.g. models/NAME");
    check_model_folder_is_free(request.out_dir, request.force);  // before the minutes of scoring
    const std::string name = model_folder_path(request.out_dir).filename().string();
    progress << "loading " << request.run_dir << " (" << request.checkpoint << ")\n";
    const trained_model t = load_trained_model(request.run_dir, request.checkpoint, request.input_size);

    progress << "building the ONNX graph (" << onnx_export::storage_name(request.storage) << " weights)\n";
    nn::onnx_export_result graph = export_graph(t, request.storage, name);
    const std::string & bytes = graph.model;
    const long long parameters = graph.parameters;
    model_card card = graph.card;
    describe_provenance(card, t, request);
    if (status s = validate(card); !s) throw std::runtime_error("the card this run gives is invalid: " + s.message());
    runtime::onnx_model exported(card, bytes, (fs::path(request.out_dir) / "model.onnx").string());

    // Score the file that will ship; for fp16/int8, also the fp32 graph, to report the change.
    ordered_json metrics = ordered_json::object();
    std::string summary;
    const long long limit = request.eval_images >= 0 ? request.eval_images : t.config.data.test_images;
    if (request.eval_images != 0) {
        const auto ids = data::subset(t.index, data::split::test, limit, t.config.train.seed);
        const auto val_ids = data::subset(t.index, data::split::val, t.config.data.val_images, t.config.train.seed);
        float threshold = static_cast<float>(t.config.train.threshold);
        if (!card.attributes.empty()) {
            // The threshold people see tags from: the one with the best micro F1 on validation
            // photos, for the file that ships. The test split only measures it.
            progress << "choosing the tag threshold on " << val_ids.size() << " validation images\n";
            threshold = runtime::evaluate_onnx(exported, t.index, val_ids, threshold).best_micro_f1_threshold;
            card.threshold = threshold;
            metrics["threshold"] = {
                {"value", threshold}, {"chosen_by", "best micro F1 on the validation split"}, {"images", val_ids.size()}};
        }
        const auto score = [&](runtime::onnx_model & model, const char * label) {
            progress << "scoring " << label << " on " << ids.size() << " test images\n";
            return runtime::evaluate_onnx(model, t.index, ids, threshold).report;
        };
        const metrics_report stored = score(exported, onnx_export::storage_name(request.storage));
        metrics["test"] = headline(stored);
        metrics["test"]["weights"] = onnx_export::storage_name(request.storage);
        if (!card.attributes.empty()) {
            metrics["test_per_attribute"] = per_attribute(stored, card.attributes);
            // The prior, measured the same way: its threshold also chosen on validation.
            const auto train_ids = data::subset(t.index, data::split::train, 0, t.config.train.seed);
            const float prior_threshold = runtime::evaluate_prior(t.index, train_ids, val_ids, 0.5f).best_micro_f1_threshold;
            const metrics_report prior = runtime::evaluate_prior(t.index, train_ids, ids, prior_threshold).report;
            metrics["baselines"]["prior"] = headline(prior);
            metrics["baselines"]["prior"]["threshold"] = prior_threshold;
            summary += "tags: mAP " + std::to_string(stored.mean_average_precision) + " over " + std::to_string(stored.map_attributes) +
                       ", micro F1 " + std::to_string(stored.f1_micro) + " at threshold " + std::to_string(threshold) +
                       " (the prior: mAP " + std::to_string(prior.mean_average_precision) + ", micro F1 " + std::to_string(prior.f1_micro) +
                       ")\n";
        }
        summary += "test (" + std::to_string(stored.images) + " images): category top-1 " + std::to_string(stored.category_top_k[0]) +
                   ", attribute top-3 recall " + std::to_string(stored.attribute_all.top_k[0]) + ", landmark error " +
                   std::to_string(stored.mean_landmark_error) + "\n";
        if (request.storage != onnx_export::weight_storage::fp32) {
            runtime::onnx_model reference(card, export_graph(t, onnx_export::weight_storage::fp32, name).model, "fp32 reference");
            const metrics_report full = score(reference, "fp32 reference");
            metrics["test_fp32"] = headline(full);
            summary += "change against fp32: category top-1 " + std::to_string(stored.category_top_k[0] - full.category_top_k[0]) +
                       ", attribute top-3 recall " + std::to_string(stored.attribute_all.top_k[0] - full.attribute_all.top_k[0]) +
                       ", landmark error " + std::to_string(stored.mean_landmark_error - full.mean_landmark_error) + "\n";
        }
    }
    card.metrics_json = metrics.dump();

    export_report report;
    report.model_path = (fs::path(request.out_dir) / "model.onnx").string();
    report.card_path = (fs::path(request.out_dir) / "card.json").string();
    replace_model_folder(request.out_dir, bytes, to_json(card));
    report.parameters = parameters;
    report.model_bytes = static_cast<long long>(bytes.size());
    report.summary = "wrote " + report.model_path + " (" + megabytes(report.model_bytes) + ", " + std::to_string(parameters) +
                     " parameters, " + onnx_export::storage_name(request.storage) + ") and " + report.card_path + "\n" + summary;
    return report;
}

}  // namespace vestis::train
