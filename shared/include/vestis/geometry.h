// Where a photo's pixels go in the network input, and back.
//
// Conventions, used everywhere in Vestis:
// - A box is in edge coordinates: pixel column i covers [i, i + 1), so a box
//   {0, 0, width, height} is the whole image (DeepFashion's x_1 y_1 x_2 y_2).
// - A point (landmark) is in pixel-centre coordinates: the centre of pixel column i is at
//   x = i, as DeepFashion's landmark x y are.
#pragma once

#include "vestis/image.h"
#include "vestis/status.h"

namespace vestis {

struct box {
    float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    float width() const { return x2 - x1; }
    float height() const { return y2 - y1; }
};

struct point {
    float x = 0, y = 0;
};

// How the crop meets the network input: `stretch` scales each axis on its own (the
// reference resizes the garment box to 224x224 ignoring aspect); `letterbox` keeps the
// aspect and pads the rest with the mean colour (zero after normalisation).
enum class crop_policy { stretch, letterbox };
const char * crop_policy_name(crop_policy policy);
result<crop_policy> parse_crop_policy(const char * name);

// Grows `b` by `margin` times its size on every side, rounds outward to whole pixels and
// clamps to the image. Fails if nothing of the box lies inside the image.
result<pixel_rect> crop_rect(int image_width, int image_height, const box & b, float margin);

// The mapping between a source image and the network input, decided once per photo and
// used both to make the input and to map network outputs (landmarks) back.
struct input_geometry {
    pixel_rect crop;     // part of the source image that is resampled
    pixel_rect content;  // where it lands in the input (all of it unless letterboxed)
    int input_width = 0;
    int input_height = 0;

    float scale_x() const { return static_cast<float>(crop.width) / static_cast<float>(content.width); }
    float scale_y() const { return static_cast<float>(crop.height) / static_cast<float>(content.height); }
    point to_source(point input_pixel) const;  // network-input pixel -> source pixel
    point to_input(point source_pixel) const;  // source pixel -> network-input pixel
};

// `crop_box` may be null for the whole image.
result<input_geometry> plan_input_geometry(int image_width, int image_height, const box * crop_box, float margin, crop_policy policy,
                                           int input_width, int input_height);

// A network-input point, given as input pixels / (W - 1, H - 1), as fractions of the crop
// it shows: the frame of the published landmark error ("normalised by the crop's width and
// height"). Under `stretch` the crop fills the input and nothing changes; under `letterbox`
// the padding is taken off, so errors compare across crop policies.
point crop_fraction(point input_fraction, const pixel_rect & content, int input_width, int input_height);

// A point on a map of map_width x map_height laid over the whole network input (a heatmap
// that may be smaller than the input), in pixel-centre coordinates of the input.
point map_to_input(point map_pixel, int map_width, int map_height, int input_width, int input_height);

}  // namespace vestis
