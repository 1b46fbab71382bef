#include "vestis/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vestis {

namespace {

constexpr double not_measured = std::numeric_limits<double>::quiet_NaN();

double ratio(long long part, long long whole) { return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : not_measured; }

// Ranks `candidates` by score, best first; equal scores keep index order (as top_k does).
void rank(std::vector<int> & candidates, const float * scores) {
    std::stable_sort(candidates.begin(), candidates.end(), [scores](int a, int b) { return scores[a] > scores[b]; });
}

}  // namespace

double average_precision(const std::vector<float> & scores, const std::vector<std::uint8_t> & truth) {
    std::vector<std::size_t> order(scores.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
    long long positives = 0;
    for (std::uint8_t t : truth) positives += t ? 1 : 0;
    if (positives == 0) return not_measured;
    // Images of equal score are one threshold: they enter the ranking together.
    double sum = 0;
    long long seen = 0, hits = 0;
    for (std::size_t i = 0; i < order.size();) {
        long long new_hits = 0;
        std::size_t j = i;
        for (; j < order.size() && scores[order[j]] == scores[order[i]]; ++j) new_hits += truth[order[j]] ? 1 : 0;
        seen += static_cast<long long>(j - i);
        hits += new_hits;
        sum += static_cast<double>(new_hits) / static_cast<double>(positives) * static_cast<double>(hits) / static_cast<double>(seen);
        i = j;
    }
    return sum;
}

metrics_accumulator::metrics_accumulator(const std::vector<attribute_info> & attributes, int landmark_count, float threshold)
    : type_names_(attribute_type_order(attributes)),
      threshold_(threshold),
      attribute_hits_(type_names_.size() + 1),
      attribute_reachable_(type_names_.size() + 1),
      attribute_positives_(type_names_.size() + 1),
      true_positive_(attributes.size()),
      false_positive_(attributes.size()),
      false_negative_(attributes.size()),
      attribute_errors_(attributes.size()),
      landmark_error_sum_(landmark_count > 0 ? landmark_count : 0),
      landmark_visible_(landmark_count > 0 ? landmark_count : 0) {
    for (const attribute_info & a : attributes) {
        type_of_.push_back(static_cast<int>(std::find(type_names_.begin(), type_names_.end(), a.type) - type_names_.begin()));
    }
}

void metrics_accumulator::add_category(const float * scores, int category_count, int true_category) {
    ++category_images_;
    // The true category's rank: how many score higher, or equal with a lower index.
    int better = 0;
    for (int c = 0; c < category_count; ++c) {
        if (scores[c] > scores[true_category] || (scores[c] == scores[true_category] && c < true_category)) ++better;
    }
    for (std::size_t i = 0; i < category_ks.size(); ++i) category_hits_[i] += better < category_ks[i] ? 1 : 0;
    const std::size_t n = static_cast<std::size_t>(category_count);
    if (confusion_.size() < n) {
        confusion_.resize(n);
        for (auto & row : confusion_) row.resize(n, 0);
    }
    const int predicted = static_cast<int>(std::max_element(scores, scores + category_count) - scores);  // the first of equals
    ++confusion_[static_cast<std::size_t>(true_category)][static_cast<std::size_t>(predicted)];
}

attribute_recall metrics_report::recall_of_type(const std::string & type) const {
    for (std::size_t t = 0; t < attribute_types.size(); ++t) {
        if (attribute_types[t] == type) return attribute_by_type[t];
    }
    attribute_recall none;
    none.top_k.fill(not_measured);
    none.ceiling.fill(not_measured);
    return none;
}

std::vector<confused_pair> most_confused(const metrics_report & report, int count) {
    std::vector<confused_pair> pairs;
    for (std::size_t t = 0; t < report.category_confusion.size(); ++t) {
        for (std::size_t p = 0; p < report.category_confusion[t].size(); ++p) {
            if (t != p && report.category_confusion[t][p] > 0)
                pairs.push_back({static_cast<int>(t), static_cast<int>(p), report.category_confusion[t][p]});
        }
    }
    std::stable_sort(pairs.begin(), pairs.end(), [](const confused_pair & a, const confused_pair & b) { return a.images > b.images; });
    if (pairs.size() > static_cast<std::size_t>(std::max(count, 0))) pairs.resize(static_cast<std::size_t>(std::max(count, 0)));
    return pairs;
}

void metrics_accumulator::add_attributes(const float * scores, const float * probabilities, const std::uint8_t * truth) {
    ++attribute_images_;
    const int count = static_cast<int>(type_of_.size());
    const int all = static_cast<int>(type_names_.size());
    probabilities_.insert(probabilities_.end(), probabilities, probabilities + count);
    truth_.insert(truth_.end(), truth, truth + count);
    for (int group = 0; group <= all; ++group) {  // each type, then all
        order_.clear();
        for (int a = 0; a < count; ++a) {
            if (group == all || type_of_[a] == group) order_.push_back(a);
        }
        long long positives = 0;
        for (int a : order_) positives += truth[a] ? 1 : 0;
        if (positives == 0) continue;  // nothing to recall; ranking is irrelevant
        attribute_positives_[group] += positives;
        rank(order_, scores);
        for (std::size_t i = 0; i < attribute_ks.size(); ++i) {
            const int k = std::min<int>(attribute_ks[i], static_cast<int>(order_.size()));
            for (int r = 0; r < k; ++r) attribute_hits_[group][i] += truth[order_[r]] ? 1 : 0;
            attribute_reachable_[group][i] += std::min<long long>(k, positives);
        }
    }
    for (int a = 0; a < count; ++a) {
        const bool predicted = probabilities[a] >= threshold_;
        const bool present = truth[a] != 0;
        true_positive_[a] += predicted && present;
        false_positive_[a] += predicted && !present;
        false_negative_[a] += !predicted && present;
        attribute_errors_[a] += predicted != present;
    }
}

float metrics_accumulator::best_micro_f1_threshold() const {
    // Sweep the threshold down through the probabilities: each step predicts one more
    // (attribute, image) pair; equal probabilities are one step.
    std::vector<std::size_t> order(probabilities_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return probabilities_[a] > probabilities_[b]; });
    long long positives = 0;
    for (std::uint8_t t : truth_) positives += t ? 1 : 0;
    if (positives == 0) return 0.5f;
    long long tp = 0, predicted = 0;
    double best_f1 = -1;
    float best = 0.5f;
    for (std::size_t i = 0; i < order.size();) {
        const float p = probabilities_[order[i]];
        for (; i < order.size() && probabilities_[order[i]] == p; ++i, ++predicted) tp += truth_[order[i]] ? 1 : 0;
        const double f1 = static_cast<double>(2 * tp) / static_cast<double>(predicted + positives);
        if (f1 > best_f1) best_f1 = f1, best = p;
    }
    return best;
}

void metrics_accumulator::add_landmarks(const point * predicted, const point * truth, const std::uint8_t * visible) {
    for (std::size_t i = 0; i < landmark_visible_.size(); ++i) {
        if (!visible[i]) continue;
        landmark_error_sum_[i] +=
            std::hypot(static_cast<double>(predicted[i].x) - truth[i].x, static_cast<double>(predicted[i].y) - truth[i].y);
        ++landmark_visible_[i];
    }
}

void metrics_accumulator::add_example(const example_score & e) {
    if (e.category_logits) add_category(e.category_logits, e.category_count, e.true_category);
    if (e.attribute_scores) add_attributes(e.attribute_scores, e.attribute_probabilities, e.attribute_truth);
    if (e.predicted_landmarks && !landmark_visible_.empty()) {
        std::vector<point> predicted(landmark_visible_.size()), actual(landmark_visible_.size());
        for (std::size_t k = 0; k < predicted.size(); ++k) {
            predicted[k] = crop_fraction(e.predicted_landmarks[k], e.content, e.input_width, e.input_height);
            actual[k] = crop_fraction(e.true_landmarks[k], e.content, e.input_width, e.input_height);
        }
        add_landmarks(predicted.data(), actual.data(), e.landmark_visible);
    }
}

metrics_report metrics_accumulator::finish() const {
    metrics_report r;
    r.images = std::max(category_images_, attribute_images_);
    for (std::size_t i = 0; i < category_ks.size(); ++i) r.category_top_k[i] = ratio(category_hits_[i], category_images_);
    r.category_confusion = confusion_;

    const int all = static_cast<int>(type_names_.size());
    r.attribute_types = type_names_;
    r.attribute_by_type.resize(type_names_.size());
    for (int group = 0; group <= all; ++group) {
        attribute_recall & recall = group == all ? r.attribute_all : r.attribute_by_type[group];
        recall.positives = attribute_positives_[group];
        for (std::size_t i = 0; i < attribute_ks.size(); ++i) {
            recall.top_k[i] = ratio(attribute_hits_[group][i], attribute_positives_[group]);
            recall.ceiling[i] = ratio(attribute_reachable_[group][i], attribute_positives_[group]);
        }
    }
    long long tp = 0, fp = 0, fn = 0;
    double f1_sum = 0;
    int f1_defined = 0;
    double error_sum = 0;
    const std::size_t count = type_of_.size();
    double ap_sum = 0;
    std::vector<float> column(static_cast<std::size_t>(attribute_images_));
    std::vector<std::uint8_t> truth(column.size());
    for (std::size_t a = 0; a < count; ++a) {
        long long positives = 0;
        for (std::size_t i = 0; i < column.size(); ++i) {
            column[i] = probabilities_[i * count + a];
            truth[i] = truth_[i * count + a];
            positives += truth[i] ? 1 : 0;
        }
        r.attribute_positives.push_back(positives);
        r.average_precision.push_back(average_precision(column, truth));
        if (positives >= map_min_positives) {
            ap_sum += r.average_precision.back();
            ++r.map_attributes;
        }
        r.attribute_error_rate.push_back(ratio(attribute_errors_[a], attribute_images_));
        error_sum += r.attribute_error_rate.back();
        tp += true_positive_[a];
        fp += false_positive_[a];
        fn += false_negative_[a];
        const long long denominator = 2 * true_positive_[a] + false_positive_[a] + false_negative_[a];
        if (denominator > 0) {
            f1_sum += static_cast<double>(2 * true_positive_[a]) / static_cast<double>(denominator);
            ++f1_defined;
        }
    }
    r.mean_average_precision = r.map_attributes > 0 ? ap_sum / r.map_attributes : not_measured;
    r.mean_attribute_error_rate = count == 0 || attribute_images_ == 0 ? not_measured : error_sum / static_cast<double>(count);
    r.precision_micro = ratio(tp, tp + fp);
    r.recall_micro = ratio(tp, tp + fn);
    r.f1_micro = ratio(2 * tp, 2 * tp + fp + fn);
    r.f1_macro = f1_defined > 0 ? f1_sum / f1_defined : not_measured;

    double error_total = 0;
    int measured = 0;
    for (std::size_t i = 0; i < landmark_visible_.size(); ++i) {
        r.landmark_visible.push_back(landmark_visible_[i]);
        r.landmark_error.push_back(landmark_visible_[i] > 0 ? landmark_error_sum_[i] / static_cast<double>(landmark_visible_[i])
                                                            : not_measured);
        if (landmark_visible_[i] > 0) {
            error_total += r.landmark_error.back();
            ++measured;
        }
    }
    r.mean_landmark_error = measured > 0 ? error_total / measured : not_measured;
    return r;
}

}  // namespace vestis
