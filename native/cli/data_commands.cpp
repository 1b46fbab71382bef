#include "cli/data_commands.h"

#include "cli/progress.h"
#include "data/dataset.h"
#include "data/fmnist.h"
#include "data/synth.h"

#include <iostream>
#include <memory>

namespace vestis::cli {

void add_data_commands(CLI::App & app) {
    auto * data = app.add_subcommand("data", "Read, make and convert data sets in DeepFashion's layout");
    data->require_subcommand(1);

    auto root = std::make_shared<std::string>();
    auto * index = data->add_subcommand("index", "Read a data set's annotations, cache the joined index, print its counts");
    index->add_option("--root", *root, "Data set folder (with Anno/ and Eval/)")->required()->check(CLI::ExistingDirectory);
    index->callback([root] {
        std::string note;
        const auto dataset = data::load_dataset(*root, &note);
        std::cerr << note << "\n";
        std::cout << data::summarize(dataset);
    });

    auto synth = std::make_shared<data::synth_options>();
    auto * synth_command = data->add_subcommand("synth", "Write a synthetic data set of drawn garments in DeepFashion's files");
    synth_command->add_option("--out", synth->out, "New or empty folder")->required();
    synth_command->add_option("--images", synth->images, "Number of images")->capture_default_str()->check(CLI::Range(1, 10'000'000));
    synth_command->add_option("--seed", synth->seed, "Random seed: the same seed writes the same set")->capture_default_str();
    synth_command->add_option("--val", synth->val_fraction, "Fraction of images for validation")->capture_default_str()->check(CLI::Range(0.0, 0.5));
    synth_command->add_option("--test", synth->test_fraction, "Fraction of images for testing")->capture_default_str()->check(CLI::Range(0.0, 0.5));
    synth_command->callback([synth] {
        progress_bar bar("synth");
        data::write_synthetic_dataset(*synth, std::ref(bar));
        std::cout << "wrote " << synth->images << " images to " << synth->out << "\n";
    });

    auto fmnist = std::make_shared<data::fmnist_options>();
    auto * fmnist_command = data->add_subcommand("fmnist", "Convert Debian's Fashion-MNIST into DeepFashion's layout (category only)");
    fmnist_command->add_option("--out", fmnist->out, "New or empty folder")->required();
    fmnist_command->add_option("--source", fmnist->source, "Folder of the IDX .gz files")->capture_default_str();
    fmnist_command->callback([fmnist] {
        progress_bar bar("fmnist");
        data::import_fashion_mnist(*fmnist, std::ref(bar));
        std::cout << "wrote Fashion-MNIST to " << fmnist->out << "\n";
    });
}

}  // namespace vestis::cli
