#include "ground_truth.h"

#include "vestis/model_card.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace vestis::viewer {

float normalised_landmark_error(point predicted, point truth, const box & frame) {
    const float dx = (predicted.x - truth.x) / std::max(frame.width(), 1.0f);
    const float dy = (predicted.y - truth.y) / std::max(frame.height(), 1.0f);
    return std::sqrt(dx * dx + dy * dy);
}

const dataset_lookup::loaded_set & dataset_lookup::load(const std::string & root) {
    auto & slot = sets_[root];
    if (slot) return *slot;
    slot = std::make_unique<loaded_set>();
    try {
        slot->index = data::load_dataset(root);
        for (std::size_t i = 0; i < slot->index.samples.size(); ++i) {
            slot->sample_of_image.emplace(slot->index.samples[i].image, i);
        }
    } catch (const std::exception & e) {
        slot->error = e.what();
    }
    return *slot;
}

std::optional<ground_truth> dataset_lookup::find(const std::string & photo_path, std::string & note) {
    note.clear();
    std::error_code error;
    const fs::path photo = fs::weakly_canonical(photo_path, error);
    if (error) return std::nullopt;
    // The nearest folder above the photo that holds Anno/ is its data set.
    fs::path root;
    for (fs::path folder = photo.parent_path(); !folder.empty(); folder = folder.parent_path()) {
        if (fs::is_directory(folder / "Anno", error)) {
            root = folder;
            break;
        }
        if (folder == folder.root_path()) break;
    }
    if (root.empty()) return std::nullopt;

    const loaded_set & set = load(root.string());
    if (!set.error.empty()) {
        note = "data set " + root.string() + ": " + set.error;
        return std::nullopt;
    }
    const std::string relative = photo.lexically_relative(root).generic_string();
    const auto found = set.sample_of_image.find(relative);
    if (found == set.sample_of_image.end()) {
        note = relative + " is not in the annotations of the data set " + root.string();
        return std::nullopt;
    }

    const data::dataset_index & index = set.index;
    const data::sample & s = index.samples[found->second];
    ground_truth truth;
    truth.dataset_root = root.string();
    truth.image = relative;
    if (s.category >= 0 && s.category < static_cast<int>(index.categories.size())) {
        truth.category = index.categories[static_cast<std::size_t>(s.category)].name;
    }
    if (s.has_bbox) truth.bbox = s.bbox;
    truth.has_attributes = index.has_attributes;
    if (index.has_attributes) {
        for (int a = 0; a < static_cast<int>(index.attributes.size()); ++a) {
            if (index.attribute(found->second, a)) truth.attributes.push_back(index.attributes[static_cast<std::size_t>(a)].name);
        }
    }
    if (index.has_landmarks) {
        const std::vector<std::string> & names = deepfashion_landmark_names();
        for (int k = 0; k < data::landmark_slots; ++k) {
            const data::visibility v = s.visible[static_cast<std::size_t>(k)];
            if (v == data::visibility::absent) continue;
            truth.landmarks.push_back(
                {names[static_cast<std::size_t>(k)], s.landmarks[static_cast<std::size_t>(k)], v == data::visibility::visible});
        }
    }
    return truth;
}

}  // namespace vestis::viewer
