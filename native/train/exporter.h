// `vestis export`: a run's checkpoint -> models/NAME/model.onnx + card.json. The graph comes
// from the trained modules (BatchNorm folded), is checked by ONNX's checker and shape
// inference, imported by OpenCV DNN, and scored on the test split before anything is written.
#pragma once

#include "onnx/weight_storage.h"

#include <functional>
#include <ostream>
#include <string>

namespace vestis::train {

struct export_request {
    std::string run_dir;
    std::string checkpoint = "best";
    std::string out_dir;  // models/NAME: created; NAME becomes the card's name
    onnx_export::weight_storage storage = onnx_export::weight_storage::fp32;
    long long eval_images = -1;  // test images to score the export on (-1: the run's test split, 0: none)
    int input_size = 0;          // > 0: the exported input size, if not the trained one (load_trained_model)
    bool force = false;          // replace a model already in out_dir (whole, or not at all)
    std::string command;         // how export was invoked, for the card
};

struct export_report {
    std::string model_path, card_path;
    long long parameters = 0;
    long long model_bytes = 0;
    std::string summary;  // what a person reads after the export
};

// Throws std::runtime_error naming the file or field at fault; writes nothing on failure.
export_report export_model(const export_request & request, std::ostream & progress);

}  // namespace vestis::train
