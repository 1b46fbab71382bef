// `vestis predict`: a photo through the shared/ preprocessing, an exported model (OpenCV DNN)
// and the shared/ postprocessing, to what a person reads: categories, attributes by type,
// landmarks in the photo's pixels, and where the time went.
#pragma once

#include "runtime/onnx_model.h"
#include "vestis/postprocess.h"

#include <optional>
#include <string>
#include <vector>

namespace vestis::runtime {

// A photo that cannot be used: "<file>: <what is wrong>".
class image_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct predict_options {
    int top_categories = 5;
    int attributes_per_type = 5;     // at most this many tags per attribute type (0: all)
    std::optional<float> threshold;  // ... with at least this probability (absent: the card's, else 0)
    std::optional<box> bbox;         // the garment's box in photo pixels; whole photo when absent
    long long max_pixels = 100'000'000;
    bool strict = false;  // refuse a photo that decodes with a warning (a cut-short JPEG)
};

struct timings {
    double decode_ms = 0, preprocess_ms = 0, inference_ms = 0, postprocess_ms = 0;
};

struct prediction {
    std::string image;
    int width = 0, height = 0;  // the photo as decoded (EXIF orientation applied)
    std::optional<box> bbox;
    std::vector<scored_index> categories;     // probability, best first
    std::vector<attribute_group> attributes;  // by type
    std::vector<landmark> landmarks;          // in card.landmarks order
    raw_outputs outputs;                      // kept for overlays and parity checks
    std::vector<std::string> warnings;        // "<file>: <what looks wrong>" (the photo was still used)
    timings time;
};

// An RGB photo decoded with its EXIF orientation applied. Throws image_error for a missing,
// undecodable or over-large file (the size is read from the header before decoding), and with
// `strict` for a JPEG cut short, which otherwise decodes with `warning` set.
struct decoded_photo {
    std::vector<std::uint8_t> rgb;
    int width = 0, height = 0;
    std::string warning;  // "<file>: <what looks wrong>", or empty
};
decoded_photo read_photo(const std::string & path, long long max_pixels, bool strict = false);

prediction predict_photo(onnx_model & model, const decoded_photo & photo, const predict_options & options);
prediction predict_file(onnx_model & model, const std::string & path, const predict_options & options);

// The documented JSON layout (docs/formats.md, "vestis predict --json"); stable across releases.
std::string prediction_json(const std::vector<prediction> & predictions, const onnx_model & model);
std::string prediction_text(const prediction & p, const model_card & card);

}  // namespace vestis::runtime
