#include "cli/model_commands.h"

#include "nn/model_info.h"
#include "runtime/predict.h"
#include "train/exporter.h"

#include <iostream>
#include <memory>
#include <sstream>

namespace vestis::cli {

namespace {

box parse_box(const std::string & text) {
    box b;
    char extra = 0;
    if (std::sscanf(text.c_str(), "%f,%f,%f,%f%c", &b.x1, &b.y1, &b.x2, &b.y2, &extra) != 4) {
        throw std::runtime_error("--bbox: expected x1,y1,x2,y2 in photo pixels, got '" + text + "'");
    }
    return b;
}

std::string joined_arguments(int argc, char ** argv) {
    std::string command = "vestis";
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    return command;
}

// `vestis model info NAME`: a network's layer table, for choosing what to train.
void add_model_info_command(CLI::App & app) {
    auto * model = app.add_subcommand("model", "Inspect networks");
    model->require_subcommand(1);
    auto * info = model->add_subcommand("info", "Print a network's layers with parameter counts and stage output shapes");
    auto config = std::make_shared<nn::network_config>();
    auto no_landmark_branch = std::make_shared<bool>(false);
    auto kind = std::make_shared<std::string>();
    info->add_option("NAME", *kind, "full (the landmark-attention network) or simple")
        ->required()
        ->check(CLI::IsMember({"full", "simple"}));
    info->add_option("--categories", config->categories, "Number of categories")->capture_default_str();
    info->add_option("--attributes", config->attributes, "Number of attributes (0: no attribute head)")->capture_default_str();
    info->add_option("--landmarks", config->landmarks, "Number of landmarks")->capture_default_str();
    info->add_option("--width", config->width, "Width multiplier of the full network (1 = faithful)")->capture_default_str();
    info->add_option("--backbone", config->backbone, "Backbone of the simple model")
        ->check(CLI::IsMember({"vgg16", "resnet18", "resnet50", "mobilenet_v2"}))
        ->capture_default_str();
    info->add_option("--input-size", config->input_size, "Input side in pixels (the width, with --input-height)")->capture_default_str();
    info->add_option("--input-height", config->input_height, "A non-square input's height (0: square)")->capture_default_str();
    info->add_flag("--no-landmark-branch", *no_landmark_branch, "Simple model without the landmark branch");
    info->add_flag("--vgg-batch-norm", config->vgg_batch_norm, "BatchNorm after every VGG convolution (a simplification)");
    info->add_flag("--landmark-batch-norm", config->landmark_batch_norm, "BatchNorm in the landmark branch (a simplification)");
    info->add_flag("--heatmap-softmax", config->heatmap_softmax, "Spatial-softmax heatmaps (a simplification)");
    info->add_flag("--small-input-stem", config->small_input_stem, "Simple ResNets: 3x3 stride-1 stem without max pool, for small images");
    info->add_flag("--tf-padding", config->tf_padding, "MobileNetV2: TensorFlow's SAME padding on the stride-2 convolutions");
    info->callback([config, no_landmark_branch, kind] {
        config->kind = *nn::parse_network_kind(*kind);  // IsMember has checked it
        config->landmark_branch = !*no_landmark_branch;
        std::cout << nn::describe_network(*config);
    });
}

}  // namespace

void add_model_commands(CLI::App & app, int argc, char ** argv) {
    add_model_info_command(app);
    struct export_args {
        std::string run, checkpoint = "best", out, weights = "fp32";
        long long eval_images = -1;
        int input_size = 0;
        bool force = false;
    };
    auto e = std::make_shared<export_args>();
    auto * export_command = app.add_subcommand("export", "Export a run's checkpoint to ONNX with its model card (models/NAME/)");
    export_command->add_option("--run", e->run, "Run folder written by vestis train")->required()->check(CLI::ExistingDirectory);
    export_command->add_option("--checkpoint", e->checkpoint, "best or last")
        ->capture_default_str()
        ->check(CLI::IsMember({"best", "last"}));
    export_command->add_option("--weights", e->weights, "Weight storage: fp32, fp16 or int8 (per-channel)")
        ->capture_default_str()
        ->check(CLI::IsMember({"fp32", "fp16", "int8"}));
    export_command->add_option("--out", e->out, "Model folder to write, e.g. models/NAME")->required();
    export_command->add_option("--eval-images", e->eval_images, "Test images to score the export on (-1: the run's test split, 0: skip)")
        ->capture_default_str();
    export_command
        ->add_option("--input-size", e->input_size,
                     "Input size of the exported model, if not the trained one (a larger one can score better after "
                     "random resized crops; compare with vestis eval --run RUN --input-size N)")
        ->check(CLI::Range(16, 2048));
    export_command->add_flag("--force", e->force, "Replace the model already in --out (both files at once)");
    const std::string command = joined_arguments(argc, argv);
    export_command->callback([e, command] {
        train::export_request request;
        request.run_dir = e->run;
        request.checkpoint = e->checkpoint;
        request.out_dir = e->out;
        request.storage = onnx_export::parse_weight_storage(e->weights);
        request.eval_images = e->eval_images;
        request.input_size = e->input_size;
        request.force = e->force;
        request.command = command;
        std::cout << train::export_model(request, std::cerr).summary;
    });

    struct predict_args {
        std::string model;
        std::vector<std::string> images;
        std::string bbox;
        bool json = false;
        runtime::predict_options options;
        double max_megapixels = 100;
    };
    auto p = std::make_shared<predict_args>();
    auto * predict = app.add_subcommand("predict", "Tag garment photos with an exported model (OpenCV DNN)");
    predict->add_option("--model", p->model, "Model folder (model.onnx + card.json)")->required();
    predict->add_option("IMAGE", p->images, "Photos (JPEG, PNG, ...)")->required();
    predict->add_option("--bbox", p->bbox, "Garment box x1,y1,x2,y2 in photo pixels (default: the whole photo)");
    predict->add_flag("--json", p->json, "Print the documented JSON instead of text");
    predict->add_option("--top-categories", p->options.top_categories, "Categories to list")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    predict->add_option("--top-attributes", p->options.attributes_per_type, "Attributes to list per type (0: all)")
        ->capture_default_str()
        ->check(CLI::Range(0, 100000));
    predict->add_option("--threshold", p->options.threshold, "Smallest attribute probability to list (default: the card's, else 0)")
        ->check(CLI::Range(0.0, 1.0));
    predict->add_option("--max-megapixels", p->max_megapixels, "Refuse photos larger than this")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 10000.0));
    predict->add_flag("--strict", p->options.strict,
                      "Refuse a photo that decodes only with a warning (a JPEG cut short) instead of warning");
    predict->callback([p] {
        if (!p->bbox.empty()) p->options.bbox = parse_box(p->bbox);
        p->options.max_pixels = static_cast<long long>(p->max_megapixels * 1e6);
        runtime::onnx_model model(p->model);
        std::vector<runtime::prediction> predictions;
        for (const std::string & image : p->images) {
            predictions.push_back(runtime::predict_file(model, image, p->options));
            for (const std::string & warning : predictions.back().warnings) std::cerr << "vestis predict: warning: " << warning << "\n";
        }
        if (p->json) std::cout << runtime::prediction_json(predictions, model);
        else
            for (const auto & prediction : predictions) std::cout << runtime::prediction_text(prediction, model.card());
    });
}

}  // namespace vestis::cli
