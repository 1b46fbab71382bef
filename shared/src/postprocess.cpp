#include "vestis/postprocess.h"

#include <algorithm>
#include <cmath>

namespace vestis {

std::vector<float> softmax(const float * logits, int count) {
    std::vector<float> p(count > 0 ? count : 0);
    if (p.empty()) return p;
    const float top = *std::max_element(logits, logits + count);
    double total = 0.0;
    for (int i = 0; i < count; ++i) {
        p[i] = std::exp(logits[i] - top);
        total += p[i];
    }
    for (float & v : p) v = static_cast<float>(v / total);
    return p;
}

std::vector<scored_index> top_k(const float * scores, int count, int k) {
    std::vector<scored_index> ranked(count > 0 ? count : 0);
    for (int i = 0; i < count; ++i) ranked[i] = {i, scores[i]};
    const auto better = [](const scored_index & a, const scored_index & b) {
        return a.score > b.score || (a.score == b.score && a.index < b.index);
    };
    const int keep = std::clamp(k, 0, count > 0 ? count : 0);
    std::partial_sort(ranked.begin(), ranked.begin() + keep, ranked.end(), better);
    ranked.resize(keep);
    return ranked;
}

static float sigmoid(float x) {
    // exp of a negative number only, so large |x| neither overflows nor loses the small side.
    if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
    const float e = std::exp(x);
    return e / (1.0f + e);
}

std::vector<float> attribute_probabilities(const float * logits, int attribute_count, attribute_encoding encoding) {
    std::vector<float> p(attribute_count > 0 ? attribute_count : 0);
    for (int a = 0; a < attribute_count; ++a) {
        p[a] = encoding == attribute_encoding::two_class ? sigmoid(logits[attribute_count + a] - logits[a]) : sigmoid(logits[a]);
    }
    return p;
}

std::vector<attribute_group> group_attributes(const std::vector<float> & probabilities, const std::vector<attribute_info> & attributes,
                                              int k, float threshold) {
    std::vector<attribute_group> groups;
    const int n = static_cast<int>(std::min(probabilities.size(), attributes.size()));
    for (const std::string & type : attribute_type_order(attributes)) {
        attribute_group group;
        group.type = type;
        for (int a = 0; a < n; ++a) {
            if (attributes[a].type == type && probabilities[a] >= threshold) group.tags.push_back({a, probabilities[a]});
        }
        std::stable_sort(group.tags.begin(), group.tags.end(),
                         [](const scored_index & a, const scored_index & b) { return a.score > b.score; });
        if (k > 0 && static_cast<int>(group.tags.size()) > k) group.tags.resize(k);
        groups.push_back(std::move(group));
    }
    return groups;
}

// Vertex of the parabola through (-1, left), (0, centre), (1, right), within half a pixel.
static float parabola_offset(float left, float centre, float right) {
    const float curvature = left - 2.0f * centre + right;
    if (!(curvature < 0.0f)) return 0.0f;  // flat or not a maximum: keep the integer peak
    return std::clamp(0.5f * (left - right) / curvature, -0.5f, 0.5f);
}

std::vector<landmark> decode_landmarks(const float * heatmaps, int count, int width, int height, const input_geometry & geometry) {
    std::vector<landmark> landmarks;
    const std::size_t plane = static_cast<std::size_t>(width) * height;
    for (int i = 0; i < count; ++i) {
        const float * map = heatmaps + i * plane;
        const std::size_t peak = static_cast<std::size_t>(std::max_element(map, map + plane) - map);
        const int px = static_cast<int>(peak % width);
        const int py = static_cast<int>(peak / width);
        const auto at = [&](int x, int y) { return map[static_cast<std::size_t>(y) * width + x]; };
        landmark lm{};
        lm.heatmap = {static_cast<float>(px), static_cast<float>(py)};
        if (px > 0 && px + 1 < width) lm.heatmap.x += parabola_offset(at(px - 1, py), at(px, py), at(px + 1, py));
        if (py > 0 && py + 1 < height) lm.heatmap.y += parabola_offset(at(px, py - 1), at(px, py), at(px, py + 1));
        lm.input = map_to_input(lm.heatmap, width, height, geometry.input_width, geometry.input_height);
        lm.source = geometry.to_source(lm.input);
        lm.confidence = std::clamp(at(px, py), 0.0f, 1.0f);
        float second = 0.0f;
        for (int y = 0; y < height; ++y) {
            for (int x = 0; x < width; ++x) {
                if (std::abs(x - px) > 1 || std::abs(y - py) > 1) second = std::max(second, at(x, y));
            }
        }
        lm.second_peak = std::min(second, 1.0f);
        landmarks.push_back(lm);
    }
    return landmarks;
}

std::vector<float> max_over_maps(const float * maps, int count, int plane) {
    std::vector<float> combined(maps, maps + (count > 0 ? plane : 0));
    for (int i = 1; i < count; ++i) {
        const float * map = maps + static_cast<std::size_t>(i) * plane;
        for (int j = 0; j < plane; ++j) combined[j] = std::max(combined[j], map[j]);
    }
    return combined;
}

}  // namespace vestis
