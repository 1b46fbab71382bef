#include "runtime/evaluate.h"

#include "vestis/postprocess.h"

#include <algorithm>

namespace vestis::runtime {

onnx_evaluation evaluate_onnx(onnx_model & model, const data::dataset_index & index, const std::vector<std::size_t> & samples,
                              float threshold, const std::function<void(std::size_t, std::size_t)> & progress) {
    const model_card & card = model.card();
    const int landmark_count = card.outputs.landmark_heatmaps.empty() ? 0 : static_cast<int>(card.landmarks.size());
    metrics_accumulator metrics(card.outputs.attribute_logits.empty() ? std::vector<attribute_info>{} : card.attributes, landmark_count,
                                threshold);

    data::loader_options loading;
    loading.preprocess = card.preprocess;  // the card's pipeline, not the trainer's memory of it
    loading.heatmaps = false;
    onnx_evaluation out;
    const int attribute_count = static_cast<int>(card.attributes.size());
    // Ground truth is in input pixels / (size - 1): decode against the identity geometry.
    const int width = card.preprocess.input_width, height = card.preprocess.input_height;
    input_geometry identity;
    identity.crop = identity.content = {0, 0, width, height};
    identity.input_width = width, identity.input_height = height;
    for (std::size_t done = 0; done < samples.size(); ++done) {
        data::example ex;
        try {
            ex = data::load_example(index, samples[done], loading, 0);
        } catch (const data::data_error &) {
            ++out.skipped;
            continue;
        }
        const raw_outputs o = model.run(ex.image.data());
        example_score scored;
        scored.true_category = ex.category;
        if (!o.category_logits.empty()) {
            scored.category_logits = o.category_logits.data();
            scored.category_count = static_cast<int>(o.category_logits.size());
        }
        std::vector<float> probabilities;
        if (!o.attribute_logits.empty() && !ex.attributes.empty()) {
            // Ranked by the positive logit, as the trainer's validation ranks them.
            const bool pairs = card.outputs.attributes == attribute_encoding::two_class;
            probabilities = attribute_probabilities(o.attribute_logits.data(), attribute_count, card.outputs.attributes);
            scored.attribute_scores = o.attribute_logits.data() + (pairs ? attribute_count : 0);
            scored.attribute_probabilities = probabilities.data();
            scored.attribute_truth = ex.attributes.data();
        }
        std::vector<point> predicted;
        if (landmark_count > 0) {
            const output_maps & h = o.heatmaps;
            for (const landmark & l : decode_landmarks(h.values.data(), h.count, h.width, h.height, identity)) {
                predicted.push_back(
                    {l.input.x / static_cast<float>(std::max(width - 1, 1)), l.input.y / static_cast<float>(std::max(height - 1, 1))});
            }
            scored.predicted_landmarks = predicted.data();
            scored.true_landmarks = ex.landmarks.data();
            scored.landmark_visible = ex.visible.data();
            scored.content = ex.content;
            scored.input_width = width, scored.input_height = height;
        }
        metrics.add_example(scored);
        if (progress) progress(done + 1, samples.size());
    }
    out.report = metrics.finish();
    out.best_micro_f1_threshold = metrics.best_micro_f1_threshold();
    return out;
}

onnx_evaluation evaluate_prior(const data::dataset_index & index, const std::vector<std::size_t> & reference,
                               const std::vector<std::size_t> & samples, float threshold) {
    const int count = static_cast<int>(index.attributes.size());
    std::vector<float> frequency(static_cast<std::size_t>(count), 0.0f);
    for (std::size_t i : reference) {
        for (int a = 0; a < count; ++a) frequency[static_cast<std::size_t>(a)] += index.attribute(i, a) ? 1.0f : 0.0f;
    }
    for (float & f : frequency) f /= static_cast<float>(std::max<std::size_t>(reference.size(), 1));
    metrics_accumulator metrics(index.attributes, 0, threshold);
    std::vector<std::uint8_t> truth(static_cast<std::size_t>(count));
    for (std::size_t i : samples) {
        for (int a = 0; a < count; ++a) truth[static_cast<std::size_t>(a)] = index.attribute(i, a) ? 1 : 0;
        metrics.add_attributes(frequency.data(), frequency.data(), truth.data());
    }
    onnx_evaluation out;
    out.report = metrics.finish();
    out.best_micro_f1_threshold = metrics.best_micro_f1_threshold();
    return out;
}

}  // namespace vestis::runtime
