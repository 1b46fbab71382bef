// Ground truth for photos that belong to a DeepFashion-format data set (real or synthetic):
// the set is the nearest folder above the photo that holds Anno/. Everything is kept by name
// (category, attributes, landmark slots), so any model's outputs can be checked against it.
#pragma once

#include "data/dataset.h"
#include "vestis/geometry.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace vestis::viewer {

struct truth_landmark {
    std::string name;  // DeepFashion slot name (deepfashion_landmark_names)
    point position;    // photo pixels
    bool visible = false;
};

struct ground_truth {
    std::string dataset_root;
    std::string image;     // relative to the root, as the annotations name it
    std::string category;  // empty when the set does not say
    std::optional<box> bbox;
    bool has_attributes = false;
    std::vector<std::string> attributes;    // names of the attributes the garment has
    std::vector<truth_landmark> landmarks;  // the slots the garment type has
};

// Landmark error as the metrics define it: the offset divided by the frame's width and height
// (the garment box, else the whole photo).
float normalised_landmark_error(point predicted, point truth, const box & frame);
// Below this normalised error a predicted landmark counts as a hit (green).
constexpr float landmark_hit_error = 0.1f;

// Finds photos in data sets, reading each set's index once (load_dataset's cache included).
// Used from the inference thread only.
class dataset_lookup {
public:
    // The photo's annotations; nullopt when it is not in a data set, with `note` saying why
    // when that is worth telling (a set that cannot be read, a photo missing from its index).
    std::optional<ground_truth> find(const std::string & photo_path, std::string & note);

private:
    struct loaded_set {
        data::dataset_index index;
        std::unordered_map<std::string, std::size_t> sample_of_image;
        std::string error;
    };
    const loaded_set & load(const std::string & root);

    std::map<std::string, std::unique_ptr<loaded_set>> sets_;
};

}  // namespace vestis::viewer
