#include "vestis/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vestis {

namespace {

constexpr double not_measured = std::numeric_limits<double>::quiet_NaN();

double ratio(long long part, long long whole) {
    return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : not_measured;
}

// Ranks `candidates` by score, best first; equal scores keep index order (as top_k does).
void rank(std::vector<int> & candidates, const float * scores) {
    std::stable_sort(candidates.begin(), candidates.end(), [scores](int a, int b) { return scores[a] > scores[b]; });
}

}  // namespace

metrics_accumulator::metrics_accumulator(std::vector<attribute_type> attribute_types, int landmark_count,
                                         float threshold)
    : types_(std::move(attribute_types)),
      threshold_(threshold),
      true_positive_(types_.size()),
      false_positive_(types_.size()),
      false_negative_(types_.size()),
      attribute_errors_(types_.size()),
      landmark_error_sum_(landmark_count > 0 ? landmark_count : 0),
      landmark_visible_(landmark_count > 0 ? landmark_count : 0) {}

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
    const int predicted = static_cast<int>(std::max_element(scores, scores + category_count) - scores);   // the first of equals
    ++confusion_[static_cast<std::size_t>(true_category)][static_cast<std::size_t>(predicted)];
}

std::vector<confused_pair> most_confused(const metrics_report & report, int count) {
    std::vector<confused_pair> pairs;
    for (std::size_t t = 0; t < report.category_confusion.size(); ++t) {
        for (std::size_t p = 0; p < report.category_confusion[t].size(); ++p) {
            if (t != p && report.category_confusion[t][p] > 0) pairs.push_back({static_cast<int>(t), static_cast<int>(p), report.category_confusion[t][p]});
        }
    }
    std::stable_sort(pairs.begin(), pairs.end(), [](const confused_pair & a, const confused_pair & b) { return a.images > b.images; });
    if (pairs.size() > static_cast<std::size_t>(std::max(count, 0))) pairs.resize(static_cast<std::size_t>(std::max(count, 0)));
    return pairs;
}

void metrics_accumulator::add_attributes(const float * scores, const float * probabilities, const std::uint8_t * truth) {
    ++attribute_images_;
    const int count = static_cast<int>(types_.size());
    for (int group = 0; group <= attribute_type_count; ++group) {   // the five types, then all
        order_.clear();
        for (int a = 0; a < count; ++a) {
            if (group == attribute_type_count || static_cast<int>(types_[a]) == group) order_.push_back(a);
        }
        long long positives = 0;
        for (int a : order_) positives += truth[a] ? 1 : 0;
        if (positives == 0) continue;   // nothing to recall; ranking is irrelevant
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

void metrics_accumulator::add_landmarks(const point * predicted, const point * truth, const std::uint8_t * visible) {
    for (std::size_t i = 0; i < landmark_visible_.size(); ++i) {
        if (!visible[i]) continue;
        landmark_error_sum_[i] += std::hypot(static_cast<double>(predicted[i].x) - truth[i].x,
                                             static_cast<double>(predicted[i].y) - truth[i].y);
        ++landmark_visible_[i];
    }
}

metrics_report metrics_accumulator::finish() const {
    metrics_report r;
    r.images = std::max(category_images_, attribute_images_);
    for (std::size_t i = 0; i < category_ks.size(); ++i) r.category_top_k[i] = ratio(category_hits_[i], category_images_);
    r.category_confusion = confusion_;

    for (int group = 0; group <= attribute_type_count; ++group) {
        attribute_recall & recall = group == attribute_type_count ? r.attribute_all : r.attribute_by_type[group];
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
    for (std::size_t a = 0; a < types_.size(); ++a) {
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
    r.mean_attribute_error_rate = types_.empty() || attribute_images_ == 0 ? not_measured : error_sum / static_cast<double>(types_.size());
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
