#include "train/run_data.h"

#include <cstring>

namespace vestis::train {

torch::Device pick_device(const std::string & name) {
    if (name == "cpu") return torch::kCPU;
    if (!torch::cuda::is_available()) {
        throw config_error("train.device: '" + name +
                           "' asked for, but this LibTorch has no CUDA or sees no GPU "
                           "(build against a CUDA LibTorch: see docs/gpu-servers.md)");
    }
    return torch::Device(name);
}

prepared_data prepare(const train_config & config) {
    prepared_data p;
    p.index = data::load_dataset(config.data.root);
    if (p.index.categories.empty() && !p.index.has_attributes)
        throw config_error("data.root: " + config.data.root + " has no categories or tags to train on");
    if (p.index.categories.empty() && config.model.kind == nn::network_kind::full) {
        throw config_error("model.kind: the full network needs categories, and " + config.data.root +
                           " has tags only (use model.kind: simple)");
    }
    p.model = config.model;
    p.model.categories = static_cast<int>(p.index.categories.size());
    p.model.attributes = p.index.has_attributes ? static_cast<int>(p.index.attributes.size()) : 0;
    p.model.landmarks = data::landmark_slots;
    if (p.model.kind == nn::network_kind::full && !p.index.has_landmarks) {
        throw config_error("model.kind: the full network needs landmarks, and " + config.data.root + " has none (use model.kind: simple)");
    }
    if (!p.index.has_landmarks) p.model.landmark_branch = false;
    p.loading.preprocess.input_width = config.model.input_size;
    p.loading.preprocess.input_height = nn::input_height_of(config.model);
    p.loading.preprocess.policy = config.data.crop;
    p.loading.preprocess.crop_margin = static_cast<float>(config.data.crop_margin);
    p.loading.heatmap_radius = static_cast<float>(config.data.heatmap_radius);
    p.loading.heatmaps = p.index.has_landmarks && nn::has_landmark_head(p.model);
    return p;
}

batch_tensors to_tensors(const std::vector<data::example> & batch, const data::loader_options & loading, bool attributes,
                         torch::Device device) {
    const int64_t n = static_cast<int64_t>(batch.size());
    const int64_t width = loading.preprocess.input_width, height = loading.preprocess.input_height;
    const bool heatmaps = loading.heatmaps;
    batch_tensors t;
    t.images = torch::empty({n, 3, height, width});
    t.targets.category = torch::empty({n}, torch::kLong);
    t.landmarks = torch::empty({n, data::landmark_slots, 2});
    t.content = torch::empty({n, 4});
    t.targets.landmark_visible = torch::empty({n, data::landmark_slots});
    const int64_t plane = width * height;
    if (attributes) t.targets.attributes = torch::empty({n, static_cast<int64_t>(batch[0].attributes.size())}, torch::kLong);
    if (heatmaps) t.targets.heatmaps = torch::empty({n, data::landmark_slots, height, width});
    auto category = t.targets.category.accessor<int64_t, 1>();
    auto landmarks = t.landmarks.accessor<float, 3>();
    auto content = t.content.accessor<float, 2>();
    auto visible = t.targets.landmark_visible.accessor<float, 2>();
    for (int64_t i = 0; i < n; ++i) {
        const data::example & ex = batch[static_cast<std::size_t>(i)];
        std::memcpy(t.images.data_ptr<float>() + i * 3 * plane, ex.image.data(), sizeof(float) * 3 * static_cast<std::size_t>(plane));
        category[i] = ex.category;
        content[i][0] = static_cast<float>(ex.content.x), content[i][1] = static_cast<float>(ex.content.y);
        content[i][2] = static_cast<float>(ex.content.width), content[i][3] = static_cast<float>(ex.content.height);
        for (int k = 0; k < data::landmark_slots; ++k) {
            landmarks[i][k][0] = ex.landmarks[k].x;
            landmarks[i][k][1] = ex.landmarks[k].y;
            visible[i][k] = static_cast<float>(ex.visible[k]);
        }
        if (attributes) {
            int64_t * row = t.targets.attributes.data_ptr<int64_t>() + i * t.targets.attributes.size(1);
            for (std::size_t a = 0; a < ex.attributes.size(); ++a) row[a] = ex.attributes[a];
        }
        if (heatmaps) {
            std::memcpy(t.targets.heatmaps.data_ptr<float>() + i * data::landmark_slots * plane, ex.heatmaps.data(),
                        sizeof(float) * data::landmark_slots * static_cast<std::size_t>(plane));
        }
    }
    t.images = t.images.contiguous(torch::MemoryFormat::ChannelsLast).to(device);
    t.targets.category = t.targets.category.to(device);
    t.targets.landmark_visible = t.targets.landmark_visible.to(device);
    if (attributes) t.targets.attributes = t.targets.attributes.to(device);
    if (heatmaps) t.targets.heatmaps = t.targets.heatmaps.to(device);
    return t;
}

}  // namespace vestis::train
