#include "cli/study_commands.h"

#include "study/plan.h"
#include "train/study_runner.h"

#include <iostream>
#include <memory>

namespace vestis::cli {

void add_study_commands(CLI::App & app) {
    struct study_args {
        std::string plan;
        train::study_options options;
        bool list = false;
    };
    auto args = std::make_shared<study_args>();
    auto * command = app.add_subcommand("study", "Run a study plan (configs/study-*.yaml): train what is missing, write report/index.html");
    command->add_option("--plan", args->plan, "Study plan (YAML: base config, overrides, experiments)")
        ->required()
        ->check(CLI::ExistingFile);
    command->add_option("--runs", args->options.runs_dir, "Folder of the run index; finished runs are reused")->capture_default_str();
    command->add_option("--report", args->options.report_dir, "Folder of the report")->capture_default_str();
    command->add_flag("--list", args->list, "Print the experiments and their overrides, and exit");
    command->callback([args] {
        const study::study_plan plan = study::load_plan(args->plan);
        if (args->list) {
            std::cout << plan.name << " (base " << plan.base_config << ")\n";
            for (const auto & e : plan.experiments) {
                std::cout << "  " << e.name << ":";
                for (const auto & o : e.overrides) std::cout << " " << o;
                std::cout << "\n";
            }
            return;
        }
        const std::string report = train::run_study(plan, args->options, std::cerr);
        std::cout << "report: " << report << "\n";
    });
}

}  // namespace vestis::cli
