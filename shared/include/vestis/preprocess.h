// Photo -> network input: crop to the garment box, resample (antialiased), normalise per
// channel, lay out as planar CHW floats. Trainer evaluation, exporter checks, viewer and
// browser all call this one function.
#pragma once

#include "vestis/geometry.h"
#include "vestis/image.h"
#include "vestis/status.h"

#include <array>

namespace vestis {

// Applied to 0..1 values: (v - mean) / std, per RGB channel.
struct normalisation {
    std::array<float, 3> mean{};
    std::array<float, 3> std{};
};

// The statistics VGG16 and the other ImageNet backbones were trained with. Models record
// what they use in their card; this is only the default new models start from.
normalisation imagenet_normalisation();

struct preprocess_options {
    int input_width = 224;
    int input_height = 224;
    normalisation norm = imagenet_normalisation();
    crop_policy policy = crop_policy::stretch;
    float crop_margin = 0.0f;  // grows the box by this fraction of its size on every side
};

status validate(const preprocess_options & options);

// Writes 3 x input_height x input_width floats to `chw`. Gray is replicated to RGB, alpha is
// ignored, letterbox padding gets the mean colour (0 after normalisation). `crop_box` may be
// null for the whole image. Returns the mapping used, for taking outputs back to the photo.
result<input_geometry> preprocess(const image_view & photo, const box * crop_box, const preprocess_options & options, float * chw);

// The inverse of the normalisation and layout, for showing a network input to a person.
image input_to_rgba(const float * chw, int width, int height, const normalisation & norm);

}  // namespace vestis
