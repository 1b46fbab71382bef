#include "study/report.h"

#include "study/svg_chart.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace vestis::study {

std::vector<epoch_point> read_learning_curve(const std::string & path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot read the run's metrics log");
    std::map<int, std::pair<double, int>> step_losses;  // epoch -> sum, count
    std::vector<epoch_point> curve;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty()) continue;
        const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded() || !j.is_object()) throw std::runtime_error(path + ":" + std::to_string(number) + ": not a JSON object");
        const std::string kind = j.value("kind", "");
        const int epoch = j.value("epoch", 0);
        if (kind == "step" && j.contains("loss") && j["loss"].is_number()) {
            step_losses[epoch].first += j["loss"].get<double>();
            step_losses[epoch].second += 1;
        } else if (kind == "epoch") {
            epoch_point p;
            p.epoch = epoch;
            p.val_loss = j.contains("val_loss") && j["val_loss"].is_number() ? j["val_loss"].get<double>() : NAN;
            const auto found = step_losses.find(epoch);
            p.train_loss = found != step_losses.end() ? found->second.first / found->second.second : NAN;
            curve.push_back(p);
        }
    }
    return curve;
}

namespace {

std::string figure(double v, int decimals = 2, double scale = 100.0) {
    if (!std::isfinite(v)) return "–";
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, v * scale);
    return text;
}

std::string curve_chart(const std::vector<experiment_result> & results) {
    std::vector<chart_series> series;
    for (const experiment_result & r : results) {
        chart_series s{r.name, {}, {}, false};
        for (const epoch_point & p : r.curve) s.x.push_back(p.epoch), s.y.push_back(p.val_loss);
        series.push_back(std::move(s));
    }
    return line_chart_svg(series, {"Validation loss per epoch", "epoch", "validation loss", 760, 380});
}

std::string experiment_chart(const experiment_result & r) {
    chart_series train{"training", {}, {}, true}, val{"validation", {}, {}, false};
    for (const epoch_point & p : r.curve) {
        train.x.push_back(p.epoch), train.y.push_back(p.train_loss);
        val.x.push_back(p.epoch), val.y.push_back(p.val_loss);
    }
    return line_chart_svg({train, val}, {r.name + ": loss per epoch", "epoch", "loss", 520, 300});
}

// Category and attribute top-3 | top-5 and landmark error, as DeepFashion papers print them.
std::string metrics_table(const std::vector<experiment_result> & results) {
    std::ostringstream t;
    t << "<table><caption>Test split: top-3 | top-5 (%), landmark normalised error (lower is "
         "better)</caption>\n<tr><th>experiment</th><th>images</th><th>category</th>";
    for (const std::string & type : deepfashion_attribute_types()) t << "<th>" << type << "</th>";
    t << "<th>all attributes</th><th>landmark NE</th></tr>\n";
    for (const experiment_result & r : results) {
        const metrics_report & m = r.test;
        t << "<tr><td>" << escape_html(r.name) << "</td><td>" << m.images << "</td><td>" << figure(m.category_top_k[1]) << " | "
          << figure(m.category_top_k[2]) << "</td>";
        for (const std::string & type : deepfashion_attribute_types()) {
            const attribute_recall a = m.recall_of_type(type);
            t << "<td>" << figure(a.top_k[0]) << " | " << figure(a.top_k[1]) << "</td>";
        }
        t << "<td>" << figure(m.attribute_all.top_k[0]) << " | " << figure(m.attribute_all.top_k[1]) << "</td><td>"
          << figure(m.mean_landmark_error, 4, 1.0) << "</td></tr>\n";
    }
    t << "</table>\n";
    return t.str();
}

std::string landmark_table(const std::vector<experiment_result> & results) {
    if (results.empty() || results.front().landmark_names.empty()) return {};
    std::ostringstream t;
    t << "<table><caption>Landmark normalised error per landmark (test split)</caption>\n<tr><th>experiment</th>";
    for (const std::string & n : results.front().landmark_names) t << "<th>" << escape_html(n) << "</th>";
    t << "<th>mean</th></tr>\n";
    for (const experiment_result & r : results) {
        t << "<tr><td>" << escape_html(r.name) << "</td>";
        for (std::size_t k = 0; k < r.landmark_names.size(); ++k) {
            t << "<td>" << (k < r.test.landmark_error.size() ? figure(r.test.landmark_error[k], 4, 1.0) : "–") << "</td>";
        }
        t << "<td>" << figure(r.test.mean_landmark_error, 4, 1.0) << "</td></tr>\n";
    }
    t << "</table>\n";
    return t.str();
}

std::string error_rate_table(const std::vector<experiment_result> & results) {
    std::ostringstream t;
    t << "<table><caption>Attribute decisions at the threshold (test split, %)</caption>\n"
         "<tr><th>experiment</th><th>top-1 error (category)</th><th>mean attribute error rate</th><th>precision (micro)</th>"
         "<th>recall (micro)</th><th>F1 (micro)</th><th>F1 (macro)</th></tr>\n";
    for (const experiment_result & r : results) {
        const metrics_report & m = r.test;
        t << "<tr><td>" << escape_html(r.name) << "</td><td>" << figure(1.0 - m.category_top_k[0]) << "</td><td>"
          << figure(m.mean_attribute_error_rate) << "</td><td>" << figure(m.precision_micro) << "</td><td>" << figure(m.recall_micro)
          << "</td><td>" << figure(m.f1_micro) << "</td><td>" << figure(m.f1_macro) << "</td></tr>\n";
    }
    t << "</table>\n";
    return t.str();
}

std::string prediction_grid(const experiment_result & r) {
    if (r.predictions.empty()) return {};
    std::ostringstream g;
    g << "<div class=\"grid\">\n";
    for (const prediction_tile & p : r.predictions) {
        g << "<figure><img src=\"" << escape_html(p.image) << "\" alt=\"test image: " << escape_html(p.true_category) << "\">"
          << "<figcaption><span class=\"" << (p.category.hit ? "hit" : "miss") << "\">" << escape_html(p.category.name) << " "
          << figure(p.category.probability, 0) << "%</span>";
        if (!p.category.hit) g << " <span class=\"truth\">(true: " << escape_html(p.true_category) << ")</span>";
        g << "<br>";
        for (const tag_mark & a : p.attributes)
            g << "<span class=\"tag " << (a.hit ? "hit" : "miss") << "\">" << escape_html(a.name) << "</span> ";
        for (const std::string & m : p.missed) g << "<span class=\"tag missed\">" << escape_html(m) << "</span> ";
        if (std::isfinite(p.landmark_error)) g << "<br>landmark error " << figure(p.landmark_error, 3, 1.0);
        g << "</figcaption></figure>\n";
    }
    g << "</div>\n";
    return g.str();
}

const char * const style = R"(body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:bold;padding:4px 0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px}
figure{margin:0;border:1px solid #ddd;padding:6px}figure img{width:100%}figcaption{font-size:12px;line-height:1.6}
.hit{color:#1a7f37}.miss{color:#c62828}.tag{border:1px solid currentColor;border-radius:3px;padding:0 3px}
.tag.missed{color:#777;border-style:dashed}.truth{color:#555}.note{color:#555})";

}  // namespace

std::string render_report(const study_plan & plan, const std::vector<experiment_result> & results) {
    std::ostringstream html;
    html << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << escape_html(plan.name) << "</title>\n<style>"
         << style << "</style></head><body>\n<h1>" << escape_html(plan.name) << "</h1>\n"
         << "<p class=\"note\">Plan <code>" << escape_html(plan.source) << "</code>, base config <code>" << escape_html(plan.base_config)
         << "</code>. Regenerate with <code>vestis study --plan " << escape_html(plan.source) << "</code>; finished runs are reused.</p>\n";
    html << "<h2>Experiments</h2>\n<table><tr><th>experiment</th><th>model</th><th>overrides</th><th>run</th><th>epochs</th></tr>\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
        const experiment_result & r = results[i];
        std::string overrides;
        for (const std::string & o : plan.experiments[i].overrides) overrides += (overrides.empty() ? "" : ", ") + o;
        html << "<tr><td>" << escape_html(r.name) << "</td><td>" << escape_html(r.model) << "</td><td>" << escape_html(overrides)
             << "</td><td><code>" << escape_html(r.run_folder) << "</code>" << (r.reused ? " (reused)" : "") << "</td><td>"
             << r.curve.size() << "</td></tr>\n";
    }
    html << "</table>\n<h2>Validation loss</h2>\n" << curve_chart(results);
    html << "<h2>Metrics</h2>\n" << metrics_table(results) << landmark_table(results) << error_rate_table(results);
    html << "<h2>Each experiment</h2>\n";
    for (const experiment_result & r : results) {
        html << "<h3>" << escape_html(r.name) << "</h3>\n" << experiment_chart(r);
        if (!r.predictions.empty()) {
            html << "<p class=\"note\">Test images: predicted landmarks as filled dots, true ones as rings, joined by error lines; "
                    "tags in green are right, red wrong, dashed grey missed.</p>\n"
                 << prediction_grid(r);
        }
    }
    html << "</body></html>\n";
    return html.str();
}

}  // namespace vestis::study
