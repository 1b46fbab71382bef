#include "study/plan.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

namespace vestis::study {

namespace {

std::string where(const std::string & source, const YAML::Node & node) { return source + ":" + std::to_string(node.Mark().line + 1); }

std::vector<std::string> overrides_of(const YAML::Node & node, const std::string & source) {
    std::vector<std::string> out;
    if (!node) return out;
    if (!node.IsSequence()) throw plan_error(where(source, node) + ": set: expected a list of key=value");
    for (const YAML::Node & item : node) {
        const std::string text = item.as<std::string>();
        if (text.find('=') == std::string::npos) throw plan_error(where(source, item) + ": set: expected key=value, got '" + text + "'");
        out.push_back(text);
    }
    return out;
}

}  // namespace

study_plan load_plan(const std::string & path) {
    study_plan plan;
    plan.source = path;
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::BadFile &) {
        throw plan_error(path + ": cannot read the plan");
    } catch (const YAML::ParserException & e) {
        throw plan_error(path + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
    }
    if (!root.IsMap()) throw plan_error(path + ": expected a map with name, base and experiments");
    static const std::set<std::string> known = {"name", "base", "set", "prediction_images", "experiments"};
    for (const auto & item : root) {
        const std::string key = item.first.as<std::string>();
        if (!known.count(key)) {
            throw plan_error(where(path, item.first) + ": unknown key '" + key +
                             "' (expected name, base, set, prediction_images, experiments)");
        }
    }
    try {
        plan.name = root["name"] ? root["name"].as<std::string>() : std::filesystem::path(path).stem().string();
        if (!root["base"]) throw plan_error(path + ": base: the config every experiment starts from is missing");
        plan.base_config = (std::filesystem::path(path).parent_path() / root["base"].as<std::string>()).lexically_normal().string();
        plan.overrides = overrides_of(root["set"], path);
        if (root["prediction_images"]) plan.prediction_images = root["prediction_images"].as<int>();
        if (plan.prediction_images < 0 || plan.prediction_images > 100) {
            throw plan_error(where(path, root["prediction_images"]) + ": prediction_images: expected 0..100");
        }
        const YAML::Node experiments = root["experiments"];
        if (!experiments || !experiments.IsSequence() || experiments.size() == 0) {
            throw plan_error(path + ": experiments: expected a list with at least one experiment");
        }
        std::set<std::string> names;
        for (const YAML::Node & e : experiments) {
            if (!e.IsMap() || !e["name"]) throw plan_error(where(path, e) + ": each experiment needs a name");
            experiment x{e["name"].as<std::string>(), overrides_of(e["set"], path)};
            if (!names.insert(x.name).second) throw plan_error(where(path, e) + ": the name '" + x.name + "' is used twice");
            plan.experiments.push_back(std::move(x));
        }
    } catch (const YAML::BadConversion & e) {
        throw plan_error(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    return plan;
}

}  // namespace vestis::study
