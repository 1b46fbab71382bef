#include "train/evaluation_report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace vestis::train {

using json = nlohmann::json;

json report_json(const metrics_report & r) {
    const auto number = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    json j = {{"images", r.images},
              {"category_top1", number(r.category_top_k[0])},
              {"category_top3", number(r.category_top_k[1])},
              {"category_top5", number(r.category_top_k[2])}};
    for (std::size_t t = 0; t < r.attribute_types.size(); ++t) {
        j["attribute_" + r.attribute_types[t] + "_top3"] = number(r.attribute_by_type[t].top_k[0]);
        j["attribute_" + r.attribute_types[t] + "_top5"] = number(r.attribute_by_type[t].top_k[1]);
    }
    j["attribute_top3_recall"] = number(r.attribute_all.top_k[0]);
    j["attribute_top5_recall"] = number(r.attribute_all.top_k[1]);
    j["attribute_top3_recall_ceiling"] = number(r.attribute_all.ceiling[0]);  // a perfect ranking's score
    j["attribute_top5_recall_ceiling"] = number(r.attribute_all.ceiling[1]);
    j["attribute_error_rate"] = number(r.mean_attribute_error_rate);
    j["attribute_f1_micro"] = number(r.f1_micro);
    j["attribute_f1_macro"] = number(r.f1_macro);
    j["attribute_precision_micro"] = number(r.precision_micro);
    j["attribute_recall_micro"] = number(r.recall_micro);
    j["attribute_map"] = number(r.mean_average_precision);
    j["attribute_map_attributes"] = r.map_attributes;  // those with at least map_min_positives positives
    j["landmark_error"] = number(r.mean_landmark_error);
    json per = json::array();
    for (double e : r.landmark_error) per.push_back(number(e));
    j["landmark_error_per_slot"] = per;
    return j;
}

std::string evaluation_json(const evaluation & e) {
    json j = report_json(e.report);
    j["split"] = e.split;
    j["loss"] = std::isfinite(e.loss) ? json(e.loss) : json(nullptr);
    j["category_names"] = e.category_names;
    j["category_confusion"] = e.report.category_confusion;  // [true][predicted top-1]
    if (!e.attribute_names.empty()) {
        json per = json::object();
        for (std::size_t a = 0; a < e.attribute_names.size() && a < e.report.average_precision.size(); ++a) {
            const double ap = e.report.average_precision[a];
            per[e.attribute_names[a]] = {{"average_precision", std::isfinite(ap) ? json(ap) : json(nullptr)},
                                         {"positives", e.report.attribute_positives[a]}};
        }
        j["attributes"] = per;
    }
    return j.dump(2) + "\n";
}

std::string format_evaluation(const evaluation & e) {
    const auto pct = [](double v) {
        if (!std::isfinite(v)) return std::string("   n/a");
        char text[16];
        std::snprintf(text, sizeof text, "%6.2f", 100 * v);
        return std::string(text);
    };
    const metrics_report & r = e.report;
    std::ostringstream out;
    out << e.split << " split, " << r.images << " images, loss " << e.loss << "\n\n";
    // One column per attribute type, as wide as the two figures under it.
    out << "             category";
    for (const std::string & type : r.attribute_types) {
        char column[32];
        std::snprintf(column, sizeof column, " | %-13.13s", type.c_str());
        out << column;
    }
    out << " | all attributes\n";
    out << "top-3 / 5  " << pct(r.category_top_k[1]) << " " << pct(r.category_top_k[2]);
    for (const attribute_recall & a : r.attribute_by_type) out << " | " << pct(a.top_k[0]) << " " << pct(a.top_k[1]);
    out << " | " << pct(r.attribute_all.top_k[0]) << " " << pct(r.attribute_all.top_k[1]) << "\n";
    out << "ceiling    " << std::string(13, ' ');  // a perfect ranking's recall, under each attribute column
    for (const attribute_recall & a : r.attribute_by_type) out << " | " << pct(a.ceiling[0]) << " " << pct(a.ceiling[1]);
    out << " | " << pct(r.attribute_all.ceiling[0]) << " " << pct(r.attribute_all.ceiling[1]) << "\n";
    out << "category top-1 " << pct(r.category_top_k[0]) << " %\n";
    if (!r.category_confusion.empty()) {
        const auto mistakes = most_confused(r, 5);
        out << (mistakes.empty() ? "no category mistakes" : "most confused (true -> predicted: images):");
        const auto name = [&](int c) {
            return static_cast<std::size_t>(c) < e.category_names.size() ? e.category_names[static_cast<std::size_t>(c)]
                                                                         : std::to_string(c);
        };
        for (std::size_t i = 0; i < mistakes.size(); ++i) {
            out << (i ? ", " : " ") << name(mistakes[i].true_category) << " -> " << name(mistakes[i].predicted_category) << ": "
                << mistakes[i].images;
        }
        out << "\n";
    }
    out << "attributes: error rate " << pct(r.mean_attribute_error_rate) << " %, F1 micro " << pct(r.f1_micro) << " %, macro "
        << pct(r.f1_macro) << " %, mAP " << pct(r.mean_average_precision) << " % over " << r.map_attributes
        << " with >= " << map_min_positives << " positives\n";
    out << "landmark normalised error:";
    for (std::size_t k = 0; k < r.landmark_error.size(); ++k) {
        char text[48];
        std::snprintf(text, sizeof text, " %s %.4f", e.landmark_names[k].c_str(), r.landmark_error[k]);
        out << text;
    }
    char mean[32];
    std::snprintf(mean, sizeof mean, "  mean %.4f\n", r.mean_landmark_error);
    out << mean;
    return out.str();
}

}  // namespace vestis::train
