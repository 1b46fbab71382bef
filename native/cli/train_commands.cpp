#include "cli/train_commands.h"

#include "io/atomic_file.h"
#include "train/config.h"
#include "train/model_evaluation.h"
#include "train/run_index.h"
#include "train/run_evaluation.h"
#include "train/trainer.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>

namespace vestis::cli {

namespace {

// A resumed run keeps what shaped its weights: only how long it runs and how it is run may
// change. Anything else would silently mix two configurations in one run.
void refuse_changes_on_resume(const std::vector<std::string> & overrides, const std::string & run) {
    static const char * const may_change[] = {"train.epochs",    "train.max_steps",        "train.threads", "train.device",
                                              "train.log_every", "train.checkpoint_every", "data.workers"};
    for (const std::string & assignment : overrides) {
        const std::string key = assignment.substr(0, assignment.find('='));
        if (std::find(std::begin(may_change), std::end(may_change), key) != std::end(may_change)) continue;
        throw train::config_error("--set " + key +
                                  ": a resumed run keeps its configuration; only train.epochs, train.max_steps, "
                                  "train.threads, train.device, train.log_every, train.checkpoint_every and data.workers may "
                                  "change (to train a variant: --config " +
                                  run + "/config.yaml --set " + assignment + " --out NEW_RUN)");
    }
}

}  // namespace

void add_train_commands(CLI::App & app) {
    struct train_args {
        std::string config, out, resume;
        std::vector<std::string> overrides;
        std::string runs = "runs";
        std::string device;
        bool print_config = false;
        bool force = false;
    };
    auto args = std::make_shared<train_args>();
    auto * train = app.add_subcommand("train", "Train a network (configs/*.yaml; keys: --print-config)");
    train->add_option("--config", args->config, "YAML configuration")->check(CLI::ExistingFile);
    train->add_option("--set", args->overrides, "Override a key: --set train.epochs=3 (repeatable)");
    train->add_option("--device", args->device, "cpu, cuda or cuda:N (the same as --set train.device=...)");
    train->add_option("--out", args->out, "Run folder to create (default: RUNS/<config hash>)");
    train->add_option("--resume", args->resume, "Run folder to continue (its config.yaml; --set may extend train.epochs)")
        ->check(CLI::ExistingDirectory);
    train->add_flag("--print-config", args->print_config, "Print the resolved configuration and exit");
    train->add_option("--runs", args->runs, "Folder of the run index (index.json)")->capture_default_str();
    train->add_flag("--force", args->force, "Train even when the index holds a finished run of the same configuration");
    train->callback([args] {
        if (args->resume.empty() == args->config.empty())
            throw train::config_error("give --config FILE (with --out RUN_DIR) or --resume RUN_DIR");
        if (!args->device.empty()) args->overrides.push_back("train.device=" + args->device);
        if (!args->resume.empty()) refuse_changes_on_resume(args->overrides, args->resume);
        const std::string source = args->resume.empty() ? args->config : (std::filesystem::path(args->resume) / "config.yaml").string();
        const train::train_config config = train::load_config(read_whole_file(source), source, args->overrides);
        if (args->print_config) {
            std::cout << train::to_yaml(config);
            return;
        }
        const std::string hash = train::config_hash(config);
        if (args->resume.empty() && !args->force) {
            if (const auto done = train::find_run(args->runs, hash)) {
                std::cout << "this configuration (" << hash << ") was trained already: " << done->folder << "\n"
                          << "(vestis eval --run " << done->folder << "; --force trains it again)\n";
                return;
            }
        }
        const std::string run = !args->resume.empty() ? args->resume
                                : !args->out.empty()  ? args->out
                                                      : (std::filesystem::path(args->runs) / hash).string();
        const auto outcome = train::run_training(config, run, !args->resume.empty(), std::cerr);
        std::cout << (outcome.stopped_part_way ? "stopped" : "finished") << " after " << outcome.steps << " steps; run folder " << run << "\n";
        if (outcome.stopped_part_way) throw CLI::RuntimeError(130);
        train::record_finished_run(args->runs, hash, run, config, outcome.epochs_done, outcome.last_validation_json);
    });

    auto runs_dir = std::make_shared<std::string>("runs");
    auto * runs = app.add_subcommand("runs", "The model manager: finished runs by configuration");
    runs->require_subcommand(1);
    auto * list = runs->add_subcommand("list", "Print every finished run with its final validation metrics");
    list->add_option("--runs", *runs_dir, "Folder of the run index")->capture_default_str();
    list->callback([runs_dir] { std::cout << train::list_runs(*runs_dir); });

    struct eval_args {
        std::string run, model, data, split = "test", checkpoint = "best";
        bool json = false;
        int input_size = 0;
    };
    auto eargs = std::make_shared<eval_args>();
    auto * eval =
        app.add_subcommand("eval", "Evaluate a run's checkpoint (--run) or an exported model (--model, --data): the published metrics");
    eval->add_option("--run", eargs->run, "Run folder (LibTorch, its own data set)")->check(CLI::ExistingDirectory);
    eval->add_option("--model", eargs->model, "Exported model folder (OpenCV DNN, as vestis predict runs it)")
        ->check(CLI::ExistingDirectory);
    eval->add_option("--data", eargs->data, "Data set for --model (a folder or a CSV of photos, as data.root)")->check(CLI::ExistingPath);
    eval->add_option("--split", eargs->split, "train, val or test")->capture_default_str()->check(CLI::IsMember({"train", "val", "test"}));
    eval->add_option("--checkpoint", eargs->checkpoint, "best or last (--run)")
        ->capture_default_str()
        ->check(CLI::IsMember({"best", "last"}));
    eval->add_flag("--json", eargs->json, "Print JSON instead of the table");
    eval->add_option("--input-size", eargs->input_size, "--run: score at this input size instead of the trained one")
        ->check(CLI::Range(16, 2048));
    eval->callback([eargs] {
        if (eargs->run.empty() == eargs->model.empty())
            throw train::config_error("give --run RUN_DIR, or --model MODEL_DIR with --data DATA_DIR");
        if (!eargs->model.empty() && eargs->data.empty())
            throw train::config_error("--model: give the data set to score it on with --data");
        if (!eargs->model.empty() && eargs->input_size > 0)
            throw train::config_error("--input-size: an exported model has its size; it applies to --run");
        const auto e = eargs->run.empty() ? train::evaluate_model(eargs->model, eargs->data, eargs->split)
                                          : train::evaluate_run(eargs->run, eargs->split, eargs->checkpoint, eargs->input_size);
        std::cout << (eargs->json ? train::evaluation_json(e) : train::format_evaluation(e));
    });
}

}  // namespace vestis::cli
