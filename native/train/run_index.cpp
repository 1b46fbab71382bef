#include "train/run_index.h"

#include "vestis/number_text.h"

#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace vestis::train {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

json read_index(const std::string & runs_dir) {
    const fs::path path = fs::path(runs_dir) / "index.json";
    if (!fs::exists(path)) return json{{"runs", json::object()}};
    json index = json::parse(read_whole_file(path.string()), nullptr, /*allow_exceptions=*/false);
    if (index.is_discarded() || !index.is_object() || !index.contains("runs") || !index["runs"].is_object()) {
        throw std::runtime_error(path.string() + ": not a Vestis run index (expected {\"runs\": {...}}); move it away to start a new one");
    }
    return index;
}

}  // namespace

std::optional<indexed_run> find_run(const std::string & runs_dir, const std::string & hash) {
    const json index = read_index(runs_dir);
    const auto it = index["runs"].find(hash);
    if (it == index["runs"].end()) return std::nullopt;
    indexed_run run;
    run.hash = hash;
    run.folder = it->value("folder", "");
    run.model = it->value("model", "");
    run.finished = it->value("finished", "");
    run.epochs = it->value("epochs", 0);
    run.metrics_json = it->contains("metrics") ? (*it)["metrics"].dump() : "{}";
    if (run.folder.empty() || !fs::exists(fs::path(run.folder) / "best.pt")) return std::nullopt;
    return run;
}

void record_run(const std::string & runs_dir, const indexed_run & run) {
    fs::create_directories(runs_dir);
    json index = read_index(runs_dir);
    json metrics = json::parse(run.metrics_json.empty() ? "{}" : run.metrics_json, nullptr, false);
    index["runs"][run.hash] = {{"folder", fs::absolute(run.folder).string()},
                               {"model", run.model},
                               {"finished", run.finished},
                               {"epochs", run.epochs},
                               {"metrics", metrics.is_discarded() ? json::object() : metrics}};
    write_file_atomically((fs::path(runs_dir) / "index.json").string(), index.dump(2) + "\n");
}

std::string list_runs(const std::string & runs_dir) {
    const json index = read_index(runs_dir);
    std::ostringstream out;
    char line[512];
    std::snprintf(line, sizeof line, "%-16s  %-22s %6s %9s %9s %9s  %-20s  %s\n", "config hash", "model", "epochs", "cat top1", "attr top3",
                  "lm error", "finished", "folder");
    out << line;
    const auto figure = [](const json & metrics, const char * key, const char * older_name = nullptr) {
        auto it = metrics.find(key);
        if (it == metrics.end() && older_name) it = metrics.find(older_name);  // runs indexed before the names were one
        char text[16] = "      n/a";
        if (it != metrics.end() && it->is_number()) std::snprintf(text, sizeof text, "%9.4f", it->get<double>());
        return std::string(text);
    };
    for (const auto & [hash, run] : index["runs"].items()) {
        const json metrics = run.value("metrics", json::object());
        std::snprintf(line, sizeof line, "%-16s  %-22s %6d %s %s %s  %-20s  %s\n", hash.c_str(), run.value("model", "").c_str(),
                      run.value("epochs", 0), figure(metrics, "category_top1").c_str(),
                      figure(metrics, "attribute_top3_recall", "attribute_all_top3").c_str(), figure(metrics, "landmark_error").c_str(),
                      run.value("finished", "").c_str(), run.value("folder", "").c_str());
        out << line;
    }
    if (index["runs"].empty()) out << "(no finished runs in " << runs_dir << "/index.json)\n";
    return out.str();
}

std::string model_description(const train_config & config) {
    return config.model.kind == nn::network_kind::full ? "full, width " + shortest_text(config.model.width)
                                                       : "simple, " + config.model.backbone;
}

void record_finished_run(const std::string & runs_dir, const std::string & hash, const std::string & folder, const train_config & config,
                         int epochs, const std::string & metrics_json) {
    char finished[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(finished, sizeof finished, "%Y-%m-%d %H:%M:%S", std::gmtime(&now));
    record_run(runs_dir, {hash, folder, model_description(config), finished, epochs, metrics_json});
}

}  // namespace vestis::train
