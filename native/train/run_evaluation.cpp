#include "train/run_evaluation.h"

#include "train/distributed.h"
#include "train/run_data.h"
#include "train/trained_model.h"
#include "train/validation.h"

#include <filesystem>

namespace vestis::train {

namespace fs = std::filesystem;

evaluation evaluate_run(const std::string & run_dir, const std::string & split_name, const std::string & checkpoint, int input_size) {
    const fs::path run(run_dir);
    train_config config = read_run_config(run);
    serve_at_input_size(config, input_size);
    const data::split part = data::parse_split(split_name);
    const torch::Device device = pick_device(config.train.device == "cpu" || torch::cuda::is_available() ? config.train.device : "cpu");
    const prepared_data data = prepare(config);
    auto net = nn::make_network(data.model);
    nn::use_channels_last(*net);
    load_run_weights(run, checkpoint, *net);
    net->to(device);
    const long long limit = part == data::split::train ? config.data.train_images
                            : part == data::split::val ? config.data.val_images
                                                       : config.data.test_images;
    const auto ids = data::subset(data.index, part, limit, config.train.seed);
    if (ids.empty()) throw std::runtime_error(run_dir + ": the " + split_name + " split of " + config.data.root + " is empty");
    process_group single = process_group::single();
    const validation v = validate_model(*net, data, ids, config, device, single);
    std::vector<std::string> category_names;
    for (const auto & c : data.index.categories) category_names.push_back(c.name);
    std::vector<std::string> attribute_names;
    for (const auto & a : data.index.attributes) attribute_names.push_back(a.name);
    return {v.report, v.loss, split_name, deepfashion_landmark_names(), category_names, attribute_names};
}

}  // namespace vestis::train
