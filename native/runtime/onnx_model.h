// An exported model (DIR/model.onnx + DIR/card.json) run with OpenCV DNN: the native runtime
// of `vestis predict` and the viewer. Torch-free. The card and the graph are checked against
// each other on load, so a wrong pairing is an error naming the field, not garbage tags.
#pragma once

#include "vestis/model_card.h"

#include <opencv2/dnn.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace vestis::runtime {

// A model folder that cannot be used: "<file>: <what is wrong>".
class model_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct output_maps {
    std::vector<float> values;  // count x height x width
    int count = 0, width = 0, height = 0;
};

// One image's raw outputs, batch dimension dropped. Absent heads are empty.
struct raw_outputs {
    std::vector<float> category_logits;   // C
    std::vector<float> attribute_logits;  // two_class: 2 x A; sigmoid: A
    output_maps heatmaps;                 // L x H x W
    output_maps attention;                // 1 x h x w
};

class onnx_model {
public:
    explicit onnx_model(const std::string & directory);
    // A model held in memory (the exporter's checks): `source` names it in messages.
    onnx_model(model_card card, const std::string & serialized, const std::string & source);

    const model_card & card() const { return card_; }
    const std::string & directory() const { return directory_; }
    const std::string & model_path() const { return model_path_; }
    long long model_bytes() const { return model_bytes_; }

    // `chw`: one preprocessed image, 3 x input_height x input_width.
    raw_outputs run(const float * chw);

private:
    void load(const std::string & serialized, const std::string & card_source);

    std::string directory_, model_path_;
    long long model_bytes_ = 0;
    model_card card_;
    cv::dnn::Net net_;
    std::vector<std::string> output_names_;  // category, attribute, heatmaps, attention (empty: absent)
};

// Reads DIR/card.json. Throws model_error.
model_card read_model_card(const std::string & directory);

}  // namespace vestis::runtime
