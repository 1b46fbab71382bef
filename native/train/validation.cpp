#include "train/validation.h"

#include <cmath>

namespace vestis::train {

namespace {

// One validation image's outputs and truth as a row of floats, so ranks can pool them:
// category | C logits | A scores, A probabilities, A truth | 2L predicted, 2L true, L visible,
// the crop's place in the input (4).
struct validation_rows {
    int categories = 0, attributes = 0, landmarks = 0;
    int width() const { return 1 + categories + 3 * attributes + 5 * landmarks + (landmarks > 0 ? 4 : 0); }
};

}  // namespace

validation validate_model(nn::garment_network & net, const prepared_data & data, const std::vector<std::size_t> & ids,
                          const train_config & config, torch::Device device, process_group & group) {
    torch::NoGradGuard no_grad;
    net.eval();
    // Each rank scores its share; the rows of all ranks then feed one accumulator, so the
    // metrics are those of a single process scoring every image.
    const auto [begin, end] = rank_share(ids.size(), group.rank(), group.world());
    const std::vector<std::size_t> mine(ids.begin() + static_cast<std::ptrdiff_t>(begin), ids.begin() + static_cast<std::ptrdiff_t>(end));
    validation_rows layout{data.model.categories, data.model.attributes, nn::has_landmark_head(data.model) ? data::landmark_slots : 0};
    std::vector<torch::Tensor> local;
    data::batch_loader loader(data.index, mine, data.loading, config.train.val_batch_size, config.data.workers, 0, false);
    double loss_sum = 0, images = 0;
    while (auto batch = loader.next()) {
        if (batch->empty()) continue;
        const auto t = to_tensors(*batch, data.loading, data.model.attributes > 0, device);
        const auto out = net.forward(t.images);
        const int64_t n = t.images.size(0);
        loss_sum += nn::compute_loss(out, t.targets, config.loss).total.item<double>() * static_cast<double>(n);
        images += static_cast<double>(n);
        std::vector<torch::Tensor> columns;
        columns.reserve(8);
        columns.push_back(t.targets.category.to(torch::kCPU, torch::kFloat).view({n, 1}));
        if (layout.categories > 0) columns.push_back(out.category_logits.to(torch::kCPU));
        if (layout.attributes > 0) {
            const bool pairs = out.attribute_logits.dim() == 3;
            columns.push_back((pairs ? out.attribute_logits.select(1, 1) : out.attribute_logits).to(torch::kCPU));
            columns.push_back(
                (pairs ? torch::softmax(out.attribute_logits, 1).select(1, 1) : torch::sigmoid(out.attribute_logits)).to(torch::kCPU));
            columns.push_back(t.targets.attributes.to(torch::kCPU, torch::kFloat));
        }
        if (layout.landmarks > 0) {
            columns.push_back(out.landmarks.to(torch::kCPU).reshape({n, -1}));
            columns.push_back(t.landmarks.reshape({n, -1}));
            columns.push_back(t.targets.landmark_visible.to(torch::kCPU));
            columns.push_back(t.content);
        }
        local.push_back(torch::cat(columns, 1).to(torch::kFloat));
    }
    const std::vector<double> totals = group.sum({loss_sum, images});
    const torch::Tensor rows = group.all_gather_rows(local.empty() ? torch::zeros({0, layout.width()}) : torch::cat(local)).contiguous();

    metrics_accumulator metrics(data.model.attributes > 0 ? data.index.attributes : std::vector<attribute_info>{}, data::landmark_slots,
                                static_cast<float>(config.train.threshold));
    const int C = layout.categories, A = layout.attributes, L = layout.landmarks;
    std::vector<std::uint8_t> truth(static_cast<std::size_t>(A)), visible(static_cast<std::size_t>(L));
    std::vector<point> predicted(static_cast<std::size_t>(L)), actual(static_cast<std::size_t>(L));
    for (int64_t i = 0; i < rows.size(0); ++i) {
        const float * r = rows[i].data_ptr<float>();
        example_score scored;
        scored.true_category = static_cast<int>(r[0]);
        if (C > 0) scored.category_logits = r + 1, scored.category_count = C;
        const float * attributes = r + 1 + C;
        if (A > 0) {
            for (int a = 0; a < A; ++a) truth[static_cast<std::size_t>(a)] = attributes[2 * A + a] > 0.5f;
            scored.attribute_scores = attributes, scored.attribute_probabilities = attributes + A, scored.attribute_truth = truth.data();
        }
        if (L > 0) {
            const float * p = attributes + 3 * A;
            const float * c = p + 5 * L;
            for (int k = 0; k < L; ++k) {
                predicted[static_cast<std::size_t>(k)] = {p[2 * k], p[2 * k + 1]};
                actual[static_cast<std::size_t>(k)] = {p[2 * L + 2 * k], p[2 * L + 2 * k + 1]};
                visible[static_cast<std::size_t>(k)] = p[4 * L + k] > 0.5f;
            }
            scored.predicted_landmarks = predicted.data(), scored.true_landmarks = actual.data(), scored.landmark_visible = visible.data();
            scored.content = {static_cast<int>(c[0]), static_cast<int>(c[1]), static_cast<int>(c[2]), static_cast<int>(c[3])};
            scored.input_width = data.loading.preprocess.input_width, scored.input_height = data.loading.preprocess.input_height;
        }
        metrics.add_example(scored);
    }
    net.train();
    return {totals[1] > 0 ? totals[0] / totals[1] : NAN, metrics.finish()};
}

}  // namespace vestis::train
