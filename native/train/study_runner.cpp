#include "train/study_runner.h"

#include "io/atomic_file.h"
#include "nn/onnx_export.h"
#include "runtime/predict.h"
#include "study/report.h"
#include "train/run_index.h"
#include "train/trained_model.h"
#include "train/run_evaluation.h"
#include "train/trainer.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <filesystem>

namespace vestis::train {

// The study library's plan and report, which this file fills by training.
using study::experiment;
using study::experiment_result;
using study::prediction_tile;
using study::study_plan;

namespace fs = std::filesystem;

namespace {

std::string slug(const std::string & name) {
    std::string s;
    for (char c : name)
        s += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '-';
    return s;
}

// The garment crop with true landmarks as rings, predicted ones as dots, joined by error lines.
cv::Mat draw_tile(const runtime::decoded_photo & photo, const box & crop, const data::sample & truth, const runtime::prediction & p) {
    const cv::Mat rgb(photo.height, photo.width, CV_8UC3, const_cast<std::uint8_t *>(photo.rgb.data()));
    const cv::Rect region(cv::Point(static_cast<int>(crop.x1), static_cast<int>(crop.y1)),
                          cv::Point(static_cast<int>(std::ceil(crop.x2)), static_cast<int>(std::ceil(crop.y2))));
    cv::Mat tile;
    const double scale = 220.0 / std::max(region.width, region.height);
    cv::resize(rgb(region & cv::Rect(0, 0, photo.width, photo.height)), tile, cv::Size(), scale, scale, cv::INTER_AREA);
    cv::cvtColor(tile, tile, cv::COLOR_RGB2BGR);
    const auto at = [&](point q) { return cv::Point2d((q.x - crop.x1) * scale, (q.y - crop.y1) * scale); };
    for (std::size_t k = 0; k < p.landmarks.size() && k < truth.landmarks.size(); ++k) {
        const cv::Point2d predicted = at(p.landmarks[k].source);
        if (truth.visible[k] == data::visibility::visible) {
            const cv::Point2d actual = at(truth.landmarks[k]);
            cv::line(tile, actual, predicted, cv::Scalar(40, 40, 220), 1, cv::LINE_AA);
            cv::circle(tile, actual, 4, cv::Scalar(60, 160, 30), 1, cv::LINE_AA);
        }
        cv::circle(tile, predicted, 3, cv::Scalar(200, 110, 0), cv::FILLED, cv::LINE_AA);
    }
    return tile;
}

prediction_tile make_tile(const data::dataset_index & index, std::size_t sample, const runtime::prediction & p,
                          const std::vector<float> & attribute_probabilities, const std::string & image) {
    const data::sample & s = index.samples[sample];
    prediction_tile tile;
    tile.image = image;
    tile.true_category = s.category >= 0 ? index.categories[static_cast<std::size_t>(s.category)].name : "?";
    tile.category = {index.categories[static_cast<std::size_t>(p.categories[0].index)].name, p.categories[0].score,
                     p.categories[0].index == s.category};
    std::vector<bool> shown(index.attributes.size(), false);
    if (!attribute_probabilities.empty()) {
        for (const scored_index & a : top_k(attribute_probabilities.data(), static_cast<int>(attribute_probabilities.size()), 5)) {
            const bool present = index.attribute(sample, a.index);
            tile.attributes.push_back({index.attributes[static_cast<std::size_t>(a.index)].name, a.score, present});
            shown[static_cast<std::size_t>(a.index)] = true;
        }
        for (std::size_t a = 0; a < index.attributes.size() && tile.missed.size() < 5; ++a) {
            if (!shown[a] && index.attribute(sample, static_cast<int>(a))) tile.missed.push_back(index.attributes[a].name);
        }
    }
    double sum = 0;
    int visible = 0;
    const float w = s.bbox.width(), h = s.bbox.height();
    for (std::size_t k = 0; k < p.landmarks.size() && k < s.landmarks.size(); ++k) {
        if (s.visible[k] != data::visibility::visible) continue;
        sum += std::hypot((p.landmarks[k].source.x - s.landmarks[k].x) / w, (p.landmarks[k].source.y - s.landmarks[k].y) / h);
        ++visible;
    }
    tile.landmark_error = visible > 0 ? sum / visible : NAN;
    return tile;
}

std::vector<prediction_tile> predict_test_images(const std::string & run, const std::string & name, int count,
                                                 const study_options & options) {
    if (count <= 0) return {};
    const trained_model t = load_trained_model(run, "best");
    const nn::onnx_export_result exported = nn::export_onnx(*t.net, t.loading.preprocess, t.index.categories,
                                                            t.network.attributes > 0 ? t.index.attributes : std::vector<attribute_info>{},
                                                            onnx_export::weight_storage::fp32, name);
    runtime::onnx_model model(exported.card, exported.model, name);
    const fs::path images = fs::path(options.report_dir) / "images";
    fs::create_directories(images);
    std::vector<prediction_tile> tiles;
    for (std::size_t sample : data::subset(t.index, data::split::test, count, t.config.train.seed)) {
        const data::sample & s = t.index.samples[sample];
        runtime::decoded_photo photo;
        try {
            photo = runtime::read_photo((fs::path(t.index.root) / s.image).string(), 100'000'000);
        } catch (const runtime::image_error &) {
            continue;  // an unreadable test image has no tile
        }
        runtime::predict_options o;
        o.bbox = s.bbox;
        const runtime::prediction p = runtime::predict_photo(model, photo, o);
        std::vector<float> probabilities;
        if (!p.outputs.attribute_logits.empty()) {
            probabilities = attribute_probabilities(p.outputs.attribute_logits.data(), static_cast<int>(exported.card.attributes.size()),
                                                    exported.card.outputs.attributes);
        }
        const std::string file = slug(name) + "-" + std::to_string(tiles.size()) + ".jpg";
        cv::imwrite((images / file).string(), draw_tile(photo, s.bbox, s, p));
        tiles.push_back(make_tile(t.index, sample, p, probabilities, "images/" + file));
    }
    return tiles;
}

}  // namespace

std::string run_study(const study_plan & plan, const study_options & options, std::ostream & progress) {
    // Every experiment's config first: a typo in the last one stops the study before any training.
    const std::string base = read_whole_file(plan.base_config);
    std::vector<train_config> configs;
    for (const experiment & e : plan.experiments) {
        std::vector<std::string> overrides = plan.overrides;
        overrides.insert(overrides.end(), e.overrides.begin(), e.overrides.end());
        try {
            configs.push_back(load_config(base, plan.base_config, overrides));
        } catch (const config_error & error) {
            throw config_error(plan.source + ": experiment '" + e.name + "': " + error.what());
        }
    }
    std::vector<experiment_result> results;
    for (std::size_t i = 0; i < plan.experiments.size(); ++i) {
        const experiment & e = plan.experiments[i];
        const train_config & config = configs[i];
        experiment_result r;
        r.name = e.name;
        r.config_hash = config_hash(config);
        r.model = model_description(config);
        progress << "[" << i + 1 << "/" << plan.experiments.size() << "] " << e.name << " (" << r.config_hash << "): ";
        if (const auto done = find_run(options.runs_dir, r.config_hash)) {
            r.run_folder = done->folder;
            r.reused = true;
            progress << "reusing " << done->folder << "\n";
        } else {
            r.run_folder = (fs::path(options.runs_dir) / r.config_hash).string();
            const bool resume = fs::exists(fs::path(r.run_folder) / "last.pt");  // a study stopped part-way
            progress << (resume ? "resuming " : "training into ") << r.run_folder << "\n";
            const train_outcome outcome = run_training(config, r.run_folder, resume, progress);
            if (outcome.stopped_part_way)
                throw std::runtime_error("study stopped: " + r.run_folder + " is saved; run the study again to continue");
            record_finished_run(options.runs_dir, r.config_hash, r.run_folder, config, outcome.epochs_done, outcome.last_validation_json);
        }
        const evaluation test = evaluate_run(r.run_folder, "test", "best");
        r.test = test.report;
        r.landmark_names = test.landmark_names;
        r.curve = study::read_learning_curve((fs::path(r.run_folder) / "metrics.jsonl").string());
        r.predictions = predict_test_images(r.run_folder, e.name, plan.prediction_images, options);
        results.push_back(std::move(r));
    }
    const std::string index = (fs::path(options.report_dir) / "index.html").string();
    fs::create_directories(options.report_dir);
    write_file_atomically(index, study::render_report(plan, results));
    return index;
}

}  // namespace vestis::train
