#include "cli/train_commands.h"

#include "train/config.h"
#include "train/trainer.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

namespace vestis::cli {

namespace {

std::string read_text(const std::string & path) {
    std::ifstream in(path);
    if (!in) throw train::config_error(path + ": cannot read");
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

void add_train_commands(CLI::App & app) {
    struct train_args {
        std::string config, out, resume;
        std::vector<std::string> overrides;
        bool print_config = false;
    };
    auto args = std::make_shared<train_args>();
    auto * train = app.add_subcommand("train", "Train a network (configs/*.yaml; keys: --print-config)");
    train->add_option("--config", args->config, "YAML configuration")->check(CLI::ExistingFile);
    train->add_option("--set", args->overrides, "Override a key: --set train.epochs=3 (repeatable)");
    train->add_option("--out", args->out, "Run folder to create");
    train->add_option("--resume", args->resume, "Run folder to continue (its config.yaml; --set may extend train.epochs)")->check(CLI::ExistingDirectory);
    train->add_flag("--print-config", args->print_config, "Print the resolved configuration and exit");
    train->callback([args] {
        if (args->resume.empty() == args->config.empty()) throw train::config_error("give --config FILE (with --out RUN_DIR) or --resume RUN_DIR");
        const std::string source = args->resume.empty() ? args->config : (std::filesystem::path(args->resume) / "config.yaml").string();
        const train::train_config config = train::load_config(read_text(source), source, args->overrides);
        if (args->print_config) {
            std::cout << train::to_yaml(config);
            return;
        }
        if (args->resume.empty() && args->out.empty()) throw train::config_error("--out: give the run folder to create");
        const std::string run = args->resume.empty() ? args->out : args->resume;
        const auto outcome = train::run_training(config, run, !args->resume.empty(), std::cerr);
        std::cout << (outcome.interrupted ? "stopped" : "finished") << " after " << outcome.steps << " steps; run folder " << run << "\n";
        if (outcome.interrupted) throw CLI::RuntimeError(130);
    });

    struct eval_args {
        std::string run, split = "test", checkpoint = "best";
        bool json = false;
    };
    auto eargs = std::make_shared<eval_args>();
    auto * eval = app.add_subcommand("eval", "Evaluate a run's checkpoint: the published metrics table");
    eval->add_option("--run", eargs->run, "Run folder")->required()->check(CLI::ExistingDirectory);
    eval->add_option("--split", eargs->split, "train, val or test")->capture_default_str()->check(CLI::IsMember({"train", "val", "test"}));
    eval->add_option("--checkpoint", eargs->checkpoint, "best or last")->capture_default_str()->check(CLI::IsMember({"best", "last"}));
    eval->add_flag("--json", eargs->json, "Print JSON instead of the table");
    eval->callback([eargs] {
        const auto e = train::evaluate_run(eargs->run, eargs->split, eargs->checkpoint);
        std::cout << (eargs->json ? train::evaluation_json(e) : train::format_evaluation(e));
    });
}

}  // namespace vestis::cli
