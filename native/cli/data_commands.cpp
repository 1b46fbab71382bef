#include "cli/data_commands.h"

#include "cli/progress.h"
#include "data/dataset.h"
#include "data/fmnist.h"
#include "data/loader.h"
#include "data/synth.h"

#include <iostream>
#include <memory>

namespace vestis::cli {

void add_data_commands(CLI::App & app) {
    auto * data = app.add_subcommand("data", "Read, make and convert data sets in DeepFashion's layout");
    data->require_subcommand(1);

    auto root = std::make_shared<std::string>();
    auto * index = data->add_subcommand("index", "Read a data set's annotations, cache the joined index, print its counts");
    index->add_option("--root", *root, "Data set: a DeepFashion-format folder, a folder of class folders, or a CSV of photos")
        ->required()
        ->check(CLI::ExistingPath);
    index->callback([root] {
        std::string note;
        const auto dataset = data::load_dataset(*root, &note);
        std::cerr << note << "\n";
        std::cout << data::summarize(dataset);
    });

    struct check_options {
        std::string root;
        bool strict = false;
        int workers = 2;
        int input_size = 224;
    };
    auto check = std::make_shared<check_options>();
    auto * check_command =
        data->add_subcommand("check", "Load every image through the training loader; report unreadable images and boxes outside the image");
    check_command->add_option("--root", check->root, "Data set: a DeepFashion-format folder, a folder of class folders, or a CSV of photos")
        ->required()
        ->check(CLI::ExistingPath);
    check_command->add_flag("--strict,!--no-strict", check->strict, "Stop at the first unreadable image");
    check_command->add_option("--workers", check->workers, "Loader threads")->capture_default_str()->check(CLI::Range(1, 256));
    check_command->add_option("--input-size", check->input_size, "Network input side")->capture_default_str()->check(CLI::Range(8, 4096));
    check_command->callback([check] {
        const auto dataset = data::load_dataset(check->root);
        std::vector<std::size_t> all(dataset.samples.size());
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
        data::loader_options options;
        options.preprocess.input_width = options.preprocess.input_height = check->input_size;
        options.heatmaps = false;
        options.strict = check->strict;
        data::batch_loader loader(dataset, all, options, 64, check->workers, 0, false);
        progress_bar bar("check");
        std::size_t done = 0;
        for (std::size_t batch = 0; batch < loader.batches() && loader.next(); ++batch) {
            done = std::min(all.size(), done + 64);
            bar(static_cast<int>(done), static_cast<int>(all.size()));
        }
        std::cout << dataset.samples.size() - static_cast<std::size_t>(loader.skipped()) << " of " << dataset.samples.size()
                  << " images load; " << loader.skipped() << " skipped; " << loader.boxes_clamped()
                  << " boxes reach outside their image (clamped)\n";
        for (std::size_t i = 0; i < loader.skipped_images().size() && i < 20; ++i) {
            std::cout << "  unreadable: " << loader.skipped_images()[i] << "\n";
        }
        if (loader.skipped() > 0) throw CLI::RuntimeError(1);
    });

    auto synth = std::make_shared<data::synth_options>();
    auto * synth_command = data->add_subcommand("synth", "Write a synthetic data set of drawn garments in DeepFashion's files");
    synth_command->add_option("--out", synth->out, "New or empty folder")->required();
    synth_command->add_flag("--force", synth->force, "Replace a set `data synth` wrote in --out before");
    synth_command->add_option("--images", synth->images, "Number of images")->capture_default_str()->check(CLI::Range(1, 10'000'000));
    synth_command->add_option("--seed", synth->seed, "Random seed: the same seed writes the same set")->capture_default_str();
    synth_command->add_option("--val", synth->val_fraction, "Fraction of images for validation")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 0.5));
    synth_command->add_option("--test", synth->test_fraction, "Fraction of images for testing")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 0.5));
    synth_command->callback([synth] {
        progress_bar bar("synth");
        data::write_synthetic_dataset(*synth, std::ref(bar));
        std::cout << "wrote " << synth->images << " images to " << synth->out << "\n";
    });

    auto fmnist = std::make_shared<data::fmnist_options>();
    auto * fmnist_command = data->add_subcommand("fmnist", "Convert Debian's Fashion-MNIST into DeepFashion's layout (category only)");
    fmnist_command->add_option("--out", fmnist->out, "New or empty folder")->required();
    fmnist_command->add_flag("--force", fmnist->force, "Replace a set `data fmnist` wrote in --out before");
    fmnist_command->add_option("--source", fmnist->source, "Folder of the IDX .gz files")->capture_default_str();
    fmnist_command->callback([fmnist] {
        progress_bar bar("fmnist");
        data::import_fashion_mnist(*fmnist, std::ref(bar));
        std::cout << "wrote Fashion-MNIST to " << fmnist->out << "\n";
    });
}

}  // namespace vestis::cli
