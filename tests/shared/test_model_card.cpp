#include "vestis/model_card.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace vestis;
using json = nlohmann::json;

namespace {

json valid_card() {
    return json::parse(R"({
      "format": "vestis-model-card", "version": 1, "name": "tiny",
      "input": {"name": "image", "width": 224, "height": 224,
                "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                "crop": {"policy": "letterbox", "margin": 0.1}},
      "outputs": {"category_logits": "category_logits", "attribute_logits": "attribute_logits",
                  "attribute_encoding": "two_class", "landmark_heatmaps": "landmark_heatmaps",
                  "attention": "attention"},
      "categories": [{"name": "Blouse", "type": "upper"}, {"name": "Shorts", "type": "lower"}],
      "attributes": [{"name": "floral", "type": "texture"}, {"name": "a-line", "type": "shape"}],
      "landmarks": ["left_collar", "right_collar"],
      "threshold": 0.35,
      "metrics": {"category_top3": 0.9}
    })");
}

std::string error_of(const json & card) {
    auto parsed = parse_model_card(card.dump(), "card.json");
    return parsed.ok() ? "" : parsed.error().message();
}

}  // namespace

TEST(model_card, reads_every_field) {
    auto parsed = parse_model_card(valid_card().dump(), "card.json");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    const model_card & card = parsed.value();
    EXPECT_EQ(card.name, "tiny");
    EXPECT_EQ(card.preprocess.input_width, 224);
    EXPECT_FLOAT_EQ(card.preprocess.norm.mean[1], 0.456f);
    EXPECT_FLOAT_EQ(card.preprocess.norm.std[2], 0.225f);
    EXPECT_EQ(card.preprocess.policy, crop_policy::letterbox);
    EXPECT_FLOAT_EQ(card.preprocess.crop_margin, 0.1f);
    EXPECT_EQ(card.outputs.attention, "attention");
    EXPECT_EQ(card.categories[1].name, "Shorts");
    EXPECT_EQ(card.categories[1].type, "lower");
    EXPECT_EQ(card.attributes[1].type, "shape");
    EXPECT_EQ(card.landmarks[1], "right_collar");
    EXPECT_FLOAT_EQ(card.threshold, 0.35f);
    EXPECT_EQ(json::parse(card.metrics_json)["category_top3"], 0.9);
}

TEST(model_card, survives_a_round_trip_through_json) {
    const auto first = parse_model_card(valid_card().dump(), "card.json");
    ASSERT_TRUE(first.ok());
    const std::string written = to_json(first.value());
    EXPECT_NE(written.find("0.485,"), std::string::npos) << "floats are written in their shortest form";
    const auto second = parse_model_card(written, "written.json");
    ASSERT_TRUE(second.ok()) << second.error().message();
    EXPECT_EQ(json::parse(written), json::parse(to_json(second.value())));
    EXPECT_EQ(json::parse(written)["metrics"], valid_card()["metrics"]);
}

TEST(model_card, names_the_field_in_every_error) {
    struct bad_case {
        const char * pointer;   // JSON pointer to change
        json value;             // new value; null removes the field
        const char * expected;  // text the message must contain
    };
    const bad_case cases[] = {
        {"/input/mean", json::array({0.5, 0.5}), "card.json: input.mean: expected an array of 3 numbers"},
        {"/input/mean/1", "half", "card.json: input.mean[1]: expected a number, got a string"},
        {"/input/std/2", 0, "card.json: input.std[2]: must be positive"},
        {"/input/width", 224.5, "card.json: input.width: expected a whole number"},
        {"/input/height", 0, "card.json: input.height: expected a whole number in 1..4096, got 0"},
        {"/input/crop/policy", "zoom", "card.json: input.crop.policy: unknown crop policy 'zoom'"},
        {"/input/crop", nullptr, "card.json: input.crop: is missing"},
        {"/input/colour", "rgb", "card.json: input.colour: is not a card field"},
        {"/format", "onnx", "card.json: format: expected 'vestis-model-card'"},
        {"/version", 99, "card.json: version: card version 99 is newer"},
        {"/name", "", "card.json: name: must not be empty"},
        {"/outputs/attribute_encoding", "softmax", "card.json: outputs.attribute_encoding: expected 'two_class'"},
        {"/categories/1/type", "shoe", "card.json: categories[1].type: expected 'upper', 'lower' or 'full'"},
        {"/attributes/0/type", "", "card.json: attributes[0].type: must not be empty"},
        {"/attributes/1/name", "floral", "card.json: attributes[1]: name 'floral' appears twice"},
        {"/landmarks/0", 7, "card.json: landmarks[0]: expected a string, got a number"},
        {"/outputs/landmark_heatmaps", nullptr, "card.json: landmarks: listed, but outputs.landmark_heatmaps"},
        {"/outputs/attention", "category_logits", "card.json: outputs[3]: name 'category_logits' appears twice"},
        {"/metrics", json::array(), "card.json: metrics: expected an object, got an array"},
        {"/threshold", 1.5, "card.json: threshold: expected a probability in (0, 1), got 1.5"},
        {"/threshold", "high", "card.json: threshold: expected a number, got a string"},
    };
    for (const bad_case & c : cases) {
        json card = valid_card();
        const json::json_pointer ptr(c.pointer);
        if (c.value.is_null()) card[ptr.parent_pointer()].erase(ptr.back());
        else card[ptr] = c.value;
        const std::string message = error_of(card);
        EXPECT_NE(message.find(c.expected), std::string::npos)
            << "changing " << c.pointer << "\n  got:      " << message << "\n  expected: " << c.expected;
    }
}

TEST(model_card, reports_where_the_json_breaks) {
    const auto parsed = parse_model_card("{\n  \"format\": \"vestis-model-card\",\n  \"version\": tru, \"name\": \"x\"\n}", "m/card.json");
    ASSERT_FALSE(parsed.ok());
    EXPECT_NE(parsed.error().message().find("m/card.json: not valid JSON: parse error at line 3"), std::string::npos)
        << parsed.error().message();
    EXPECT_NE(parse_model_card("[1, 2]", "c.json").error().message().find("expected a JSON object"), std::string::npos);
    EXPECT_NE(parse_model_card("", "c.json").error().message().find("not valid JSON"), std::string::npos);
}

TEST(model_card, deepfashion_has_eight_landmark_slots) {
    EXPECT_EQ(deepfashion_landmark_names().size(), 8u);
    EXPECT_EQ(deepfashion_landmark_names()[4], "left_waistline");
}
