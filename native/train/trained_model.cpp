#include "train/trained_model.h"

#include "io/atomic_file.h"
#include "train/checkpoint.h"
#include "train/run_data.h"

#include <filesystem>

namespace vestis::train {

namespace fs = std::filesystem;

train_config read_run_config(const fs::path & run) {
    const fs::path config = run / "config.yaml";
    if (!fs::exists(config)) throw std::runtime_error(run.string() + ": no config.yaml: is it a run folder written by vestis train?");
    return load_config(read_whole_file(config.string()), config.string(), {});
}

void load_run_weights(const fs::path & run, const std::string & checkpoint, nn::garment_network & net) {
    if (checkpoint != "best" && checkpoint != "last") throw config_error("--checkpoint: expected best or last, got '" + checkpoint + "'");
    if (!fs::exists(run / (checkpoint + ".pt"))) {
        throw std::runtime_error((run / (checkpoint + ".pt")).string() + ": no such checkpoint (a run stopped before its first " +
                                 "validation has only last.pt: use --checkpoint last)");
    }
    load_checkpoint(run / (checkpoint + ".pt"), net, nullptr);
}

trained_model load_trained_model(const std::string & run_dir, const std::string & checkpoint, int input_size) {
    trained_model t;
    t.config = read_run_config(run_dir);
    train_config served = t.config;
    serve_at_input_size(served, input_size);
    prepared_data data = prepare(served);
    t.index = std::move(data.index);
    t.network = data.model;
    t.loading = data.loading;
    t.net = nn::make_network(t.network);
    load_run_weights(run_dir, checkpoint, *t.net);
    t.net->eval();
    return t;
}

void serve_at_input_size(train_config & config, int input_size) {
    if (input_size <= 0) return;
    if (config.model.input_height > 0) {
        throw config_error("--input-size: the run was trained on a " + std::to_string(config.model.input_size) + "x" +
                           std::to_string(config.model.input_height) + " input (model.input_height), which has no one size to change");
    }
    config.model.input_size = input_size;
}

}  // namespace vestis::train
