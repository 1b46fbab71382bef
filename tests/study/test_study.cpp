// Study plans and the report, torch-free: plan errors with their line, learning curves from a
// hand-written metrics log, chart geometry computed by hand, the report's tables.
#include "study/plan.h"
#include "study/report.h"
#include "study/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace vestis;
namespace fs = std::filesystem;

namespace {

fs::path write_file(const std::string & name, const std::string & text) {
    const fs::path path = fs::temp_directory_path() / ("vestis-study-test-" + name);
    std::ofstream(path) << text;
    return path;
}

std::string error_of(const fs::path & plan) {
    try {
        study::load_plan(plan.string());
    } catch (const study::plan_error & e) {
        return e.what();
    }
    ADD_FAILURE() << "no error for " << plan;
    return {};
}

}  // namespace

TEST(study_plan, reads_experiments_and_resolves_the_base_beside_the_plan) {
    const fs::path plan = write_file("plan.yaml",
                                     "name: Seed study\n"
                                     "base: ../configs/cpu.yaml\n"
                                     "set: [data.root=data/synth]\n"
                                     "prediction_images: 4\n"
                                     "experiments:\n"
                                     "  - name: full\n"
                                     "  - name: simple\n"
                                     "    set: [model.kind=simple, model.backbone=resnet18]\n");
    const study::study_plan p = study::load_plan(plan.string());
    EXPECT_EQ(p.name, "Seed study");
    EXPECT_EQ(p.base_config, (plan.parent_path() / "../configs/cpu.yaml").lexically_normal().string());
    EXPECT_EQ(p.overrides, std::vector<std::string>{"data.root=data/synth"});
    EXPECT_EQ(p.prediction_images, 4);
    ASSERT_EQ(p.experiments.size(), 2u);
    EXPECT_TRUE(p.experiments[0].overrides.empty());
    EXPECT_EQ(p.experiments[1].overrides, (std::vector<std::string>{"model.kind=simple", "model.backbone=resnet18"}));
}

TEST(study_plan, errors_name_the_file_line_and_what_was_expected) {
    const std::string no_equals = error_of(write_file("bad1.yaml", "base: a.yaml\nexperiments:\n  - name: x\n    set: [model.kind]\n"));
    EXPECT_NE(no_equals.find("bad1.yaml:4: set: expected key=value, got 'model.kind'"), std::string::npos) << no_equals;
    const std::string unknown = error_of(write_file("bad2.yaml", "base: a.yaml\nexperiment:\n  - name: x\n"));
    EXPECT_NE(unknown.find("bad2.yaml:2: unknown key 'experiment'"), std::string::npos) << unknown;
    const std::string twice = error_of(write_file("bad3.yaml", "base: a.yaml\nexperiments:\n  - name: x\n  - name: x\n"));
    EXPECT_NE(twice.find("bad3.yaml:4: the name 'x' is used twice"), std::string::npos) << twice;
    EXPECT_NE(error_of(write_file("bad4.yaml", "experiments:\n  - name: x\n")).find("base:"), std::string::npos);
    EXPECT_NE(error_of(write_file("bad5.yaml", "base: a.yaml\nexperiments: [\n")).find("not valid YAML"), std::string::npos);
}

TEST(learning_curve, averages_logged_steps_per_epoch_beside_the_validation_loss) {
    const fs::path log = write_file("metrics.jsonl",
                                    "{\"kind\":\"step\",\"epoch\":1,\"step\":10,\"loss\":4.0}\n"
                                    "{\"kind\":\"step\",\"epoch\":1,\"step\":20,\"loss\":2.0}\n"
                                    "{\"kind\":\"epoch\",\"epoch\":1,\"step\":20,\"val_loss\":2.5}\n"
                                    "{\"kind\":\"epoch\",\"epoch\":2,\"step\":25,\"val_loss\":null}\n");
    const auto curve = study::read_learning_curve(log.string());
    ASSERT_EQ(curve.size(), 2u);
    EXPECT_EQ(curve[0].epoch, 1);
    EXPECT_DOUBLE_EQ(curve[0].train_loss, 3.0);
    EXPECT_DOUBLE_EQ(curve[0].val_loss, 2.5);
    EXPECT_TRUE(std::isnan(curve[1].train_loss));  // no step was logged in epoch 2
    EXPECT_TRUE(std::isnan(curve[1].val_loss));
    const fs::path broken = write_file("broken.jsonl", "{\"kind\":\"epoch\"}\n{oops\n");
    try {
        study::read_learning_curve(broken.string());
        FAIL();
    } catch (const std::runtime_error & e) {
        EXPECT_NE(std::string(e.what()).find("broken.jsonl:2"), std::string::npos) << e.what();
    }
}

TEST(svg_chart, maps_points_into_the_plot_area) {
    // Plot area: left 64, top 36, 640 - 64 - 170 = 406 wide, 360 - 36 - 48 = 276 high.
    // x 1..3 and y 0..2: (1, 2) is the top-left corner, (3, 0) the bottom-right, (2, 1) the centre.
    const std::string svg = study::line_chart_svg({{"a <b>", {1, 2, 3}, {2, 1, 0}, false}}, {"t", "x", "y", 640, 360});
    EXPECT_NE(svg.find("points=\"64,36 267,174 470,312 \""), std::string::npos) << svg;
    EXPECT_NE(svg.find("a &lt;b&gt;"), std::string::npos);  // names are escaped
    EXPECT_EQ(svg.find("<b>"), std::string::npos);
}

TEST(report, tables_in_the_published_layout_and_prediction_tiles) {
    study::study_plan plan;
    plan.name = "Study & co";
    plan.source = "plan.yaml";
    plan.experiments = {{"full", {"model.kind=full"}}};
    study::experiment_result r;
    r.name = "full";
    r.curve = {{1, 3.0, 2.5}, {2, 2.0, 1.5}};
    r.test.images = 10;
    r.test.category_top_k = {0.5, 0.8, 0.9};
    r.test.attribute_all.top_k = {0.25, 0.5};
    r.test.mean_landmark_error = 0.1234;
    r.test.mean_attribute_error_rate = 0.2;
    r.landmark_names = {"left_collar"};
    r.test.landmark_error = {0.1234};
    study::prediction_tile tile;
    tile.image = "images/full-0.jpg";
    tile.true_category = "Dress";
    tile.category = {"Skirt", 0.7f, false};
    tile.attributes = {{"floral", 0.9f, true}};
    tile.missed = {"denim"};
    tile.landmark_error = 0.05;
    r.predictions = {tile};
    const std::string html = study::render_report(plan, {r});
    EXPECT_NE(html.find("<title>Study &amp; co</title>"), std::string::npos);
    EXPECT_NE(html.find("<td>80.00 | 90.00</td>"), std::string::npos) << "category top-3 | top-5";
    EXPECT_NE(html.find("<td>25.00 | 50.00</td>"), std::string::npos) << "all attributes";
    EXPECT_NE(html.find("<td>0.1234</td>"), std::string::npos) << "landmark error";
    EXPECT_NE(html.find("<td>50.00</td><td>20.00</td>"), std::string::npos) << "top-1 error, attribute error rate";
    EXPECT_NE(html.find("<span class=\"miss\">Skirt 70%</span> <span class=\"truth\">(true: Dress)</span>"), std::string::npos);
    EXPECT_NE(html.find("<span class=\"tag hit\">floral</span>"), std::string::npos);
    EXPECT_NE(html.find("<span class=\"tag missed\">denim</span>"), std::string::npos);
    EXPECT_NE(html.find("<svg"), std::string::npos);
}
