// A network as ONNX plus the structural half of its model card (input, outputs, names): the
// core of `vestis export`, also used directly by the parity tests and benchmarks.
#pragma once

#include "nn/network.h"
#include "onnx/weight_storage.h"
#include "vestis/model_card.h"

#include <string>
#include <vector>

namespace vestis::nn {

struct onnx_export_result {
    std::string model;  // serialized, checked, shapes inferred
    model_card card;    // name, input, outputs, categories, attributes, landmarks
    long long parameters = 0;
};

// `categories` and `attributes` must match the network's heads (sizes are checked).
onnx_export_result export_onnx(garment_network & net, const preprocess_options & preprocess, std::vector<category_info> categories,
                               std::vector<attribute_info> attributes, onnx_export::weight_storage storage, const std::string & name);

}  // namespace vestis::nn
