#include "train/model_evaluation.h"

#include "data/dataset.h"
#include "runtime/evaluate.h"
#include "runtime/onnx_model.h"

#include <cmath>
#include <stdexcept>

namespace vestis::train {

evaluation evaluate_model(const std::string & model_dir, const std::string & data_root, const std::string & split_name) {
    runtime::onnx_model model(model_dir);
    const data::dataset_index index = data::load_dataset(data_root);
    const model_card & card = model.card();
    const auto names_differ = [](const auto & a, const auto & b) {
        if (a.size() != b.size()) return true;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (a[i].name != b[i].name) return true;
        }
        return false;
    };
    if (names_differ(card.categories, index.categories)) {
        throw std::runtime_error(data_root + ": its categories are not the model's (" + model_dir + "/card.json): a different data set?");
    }
    if (!card.attributes.empty() && names_differ(card.attributes, index.attributes)) {
        throw std::runtime_error(data_root + ": its attributes are not the model's (" + model_dir + "/card.json): a different data set?");
    }
    const data::split part = data::parse_split(split_name);
    const auto ids = data::subset(index, part, 0, 0);
    if (ids.empty()) throw std::runtime_error(data_root + ": the " + split_name + " split is empty");
    // At the threshold the card gives (chosen on validation), as people see the tags.
    const runtime::onnx_evaluation scored = runtime::evaluate_onnx(model, index, ids, card.threshold > 0 ? card.threshold : 0.5f);
    std::vector<std::string> category_names;
    for (const auto & c : card.categories) category_names.push_back(c.name);
    std::vector<std::string> attribute_names;
    for (const auto & a : card.attributes) attribute_names.push_back(a.name);
    return {scored.report,  NAN, split_name, card.landmarks.empty() ? deepfashion_landmark_names() : card.landmarks, category_names,
            attribute_names};
}

}  // namespace vestis::train
