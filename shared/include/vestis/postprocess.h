// Network outputs -> what a person reads: category probabilities and top-k, attribute
// probabilities grouped by type, landmark positions in the photo with a confidence.
#pragma once

#include "vestis/geometry.h"
#include "vestis/model_card.h"

#include <string>
#include <vector>

namespace vestis {

struct scored_index {
    int index = 0;
    float score = 0;
};

// Numerically stable: subtracts the largest logit first.
std::vector<float> softmax(const float * logits, int count);

// The k highest scores, best first; equal scores keep their original order (lower index first).
std::vector<scored_index> top_k(const float * scores, int count, int k);

// Probability that each attribute is present. `two_class` logits are [2, A] (all negative
// logits, then all positive ones): p = softmax over the pair = sigmoid(pos - neg).
std::vector<float> attribute_probabilities(const float * logits, int attribute_count, attribute_encoding encoding);

struct attribute_group {
    std::string type;
    std::vector<scored_index> tags;  // attribute index and probability, best first
};

// One group per type that the card lists, in attribute_type_order, each holding that type's attributes
// ranked by probability: at most `k` (all when k <= 0) with probability >= `threshold`.
std::vector<attribute_group> group_attributes(const std::vector<float> & probabilities, const std::vector<attribute_info> & attributes,
                                              int k, float threshold);

struct landmark {
    point heatmap;     // sub-pixel peak on the heatmap
    point input;       // the same point in network-input pixels
    point source;      // ... and in the original photo's pixels
    float confidence;  // heatmap value at the peak, clamped to [0, 1]
    // The highest value more than one cell from the peak, clamped the same way (0 where no cell
    // is that far): near the confidence, the heatmap names two places (a left/right mix-up).
    float second_peak;
};

// `heatmaps` is [count, height, width]. The peak is the argmax refined by a parabola through
// it and its two neighbours on each axis.
std::vector<landmark> decode_landmarks(const float * heatmaps, int count, int width, int height, const input_geometry & geometry);

// Element-wise maximum over `count` maps of `plane` values: one picture of all landmarks.
std::vector<float> max_over_maps(const float * maps, int count, int plane);

}  // namespace vestis
