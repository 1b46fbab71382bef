// The published evaluation metrics, one implementation used by training, evaluation, reports
// and the viewer's ground-truth view. Images are added one at a time; `finish` gives the
// figures over everything added. Definitions follow DeepFashion's benchmark papers:
// - category top-k accuracy;
// - attribute top-k recall: for each image rank the attributes of one type by score, count the
//   true positives among its top k; recall = hits / true positives of that type over the split
//   ("all" ranks every attribute together);
// - landmark normalised error: distance between predicted and true positions, both normalised
//   by the crop's width and height, averaged over visible landmarks, per landmark; the overall
//   figure is the mean over landmarks;
// - per-attribute error rate and precision / recall / F1 (micro and macro) at a threshold;
// - per-attribute average precision over the images ranked by that attribute's probability (as
//   scikit-learn's average_precision_score: precision at each distinct score, weighted by the
//   recall it adds), and mAP, their mean over attributes with enough positives.
// A figure with nothing to measure (no positives, no visible landmark) is NaN.
#pragma once

#include "vestis/geometry.h"
#include "vestis/model_card.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vestis {

constexpr std::array<int, 3> category_ks = {1, 3, 5};
constexpr std::array<int, 2> attribute_ks = {3, 5};

struct attribute_recall {
    std::array<double, 2> top_k{};  // recall at attribute_ks
    // What a perfect ranking would score: an image with more than k positives cannot have them
    // all in its top k, so recall at k cannot reach 1 on such data. Read top_k against it.
    std::array<double, 2> ceiling{};
    long long positives = 0;
};

struct metrics_report {
    long long images = 0;
    // Category
    std::array<double, 3> category_top_k{};  // accuracy at category_ks
    // Attributes: one entry per attribute type (in attribute_type_order), then all together.
    std::vector<std::string> attribute_types;
    std::vector<attribute_recall> attribute_by_type;
    attribute_recall attribute_all;
    std::vector<double> average_precision;       // per attribute; NaN without a positive
    std::vector<long long> attribute_positives;  // per attribute
    double mean_average_precision = 0;           // over attributes with >= map_min_positives positives
    int map_attributes = 0;                      // how many those are
    std::vector<double> attribute_error_rate;    // per attribute, at the threshold
    double mean_attribute_error_rate = 0;
    double precision_micro = 0, recall_micro = 0, f1_micro = 0;
    double f1_macro = 0;  // mean over attributes whose F1 is defined (some positive, predicted or true)
    // The recall of one attribute type, NaN figures when the attributes have no such type.
    attribute_recall recall_of_type(const std::string & type) const;
    // category_confusion[t][p]: images of true category t whose top-1 was p (ties: lower index).
    std::vector<std::vector<long long>> category_confusion;
    // Landmarks
    std::vector<double> landmark_error;  // per landmark slot
    std::vector<long long> landmark_visible;
    double mean_landmark_error = 0;
};

struct confused_pair {
    int true_category = 0, predicted_category = 0;
    long long images = 0;
};
// The `count` most frequent mistakes of the confusion matrix, most frequent first (ties: by
// true, then predicted index); pairs that never happened are left out.
std::vector<confused_pair> most_confused(const metrics_report & report, int count);

// An attribute enters mAP with at least this many positives: AP over one or two positives says
// more about luck than about the model.
constexpr int map_min_positives = 3;

// Average precision of one attribute: `scores` and `truth` of every image.
double average_precision(const std::vector<float> & scores, const std::vector<std::uint8_t> & truth);

// One example's outputs beside its truth, as every evaluation scores it (the trainer's validation
// and `vestis eval --model` alike). Parts left null are not scored.
struct example_score {
    const float * category_logits = nullptr;  // category_count scores (only their order matters)
    int category_count = 0, true_category = 0;
    const float * attribute_scores = nullptr;         // rank the attributes (positive logits)
    const float * attribute_probabilities = nullptr;  // compared with the threshold
    const std::uint8_t * attribute_truth = nullptr;
    // Landmarks in input fractions (input pixel / (side - 1)), scored in the crop's frame.
    const point * predicted_landmarks = nullptr;
    const point * true_landmarks = nullptr;
    const std::uint8_t * landmark_visible = nullptr;
    pixel_rect content;  // where the crop lies in the input
    int input_width = 0, input_height = 0;
};

class metrics_accumulator {
public:
    // `attributes` lists the attributes with their types (empty: no attribute head);
    // `landmark_count` is 0 without a landmark head. Average precision needs every image's
    // attribute scores: 5 bytes per image and attribute are kept until `finish`.
    metrics_accumulator(const std::vector<attribute_info> & attributes, int landmark_count, float threshold = 0.5f);

    // `scores`: category_count logits or probabilities (only their order matters).
    void add_category(const float * scores, int category_count, int true_category);
    // `scores` rank attributes (positive logits or probabilities); `probabilities` are compared
    // with the threshold; `truth` is 1 for present, 0 otherwise.
    void add_attributes(const float * scores, const float * probabilities, const std::uint8_t * truth);
    // Positions normalised to [0, 1] by the crop's size; only `visible` slots count.
    void add_landmarks(const point * predicted, const point * truth, const std::uint8_t * visible);

    // All of one example: the three above, landmarks measured in the crop's frame as the published
    // error is (letterbox padding off).
    void add_example(const example_score & example);

    metrics_report finish() const;

    // The threshold at which the micro F1 over everything added is highest: one of the
    // probabilities seen (0.5 when nothing positive was added). How a card's threshold is chosen on
    // validation images.
    float best_micro_f1_threshold() const;

private:
    std::vector<std::string> type_names_;  // attribute_type_order
    std::vector<int> type_of_;             // per attribute, an index into type_names_
    float threshold_;
    long long category_images_ = 0;
    std::array<long long, 3> category_hits_{};
    std::vector<std::vector<long long>> confusion_;
    // Per type, then all together:
    std::vector<std::array<long long, 2>> attribute_hits_;
    std::vector<std::array<long long, 2>> attribute_reachable_;  // sum of min(k, positives)
    std::vector<long long> attribute_positives_;
    std::vector<float> probabilities_;  // image-major: images x attributes
    std::vector<std::uint8_t> truth_;
    std::vector<long long> true_positive_, false_positive_, false_negative_, attribute_errors_;
    long long attribute_images_ = 0;
    std::vector<double> landmark_error_sum_;
    std::vector<long long> landmark_visible_;
    std::vector<int> order_;  // scratch for ranking
};

}  // namespace vestis
