// Writes the golden cases: inputs and what native shared/ makes of them. The WASM test
// (tests/wasm/golden.test.mjs) feeds the same inputs through the embind bindings under node
// and requires the same outputs to 1e-6, so both builds of shared/ are one implementation.
#include "vestis/model_card.h"
#include "vestis/overlay.h"
#include "vestis/postprocess.h"
#include "vestis/preprocess.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

using json = nlohmann::json;
using namespace vestis;

namespace {

model_card card_for(int width, int height, crop_policy policy, float margin) {
    model_card card;
    card.name = "golden";
    card.preprocess.input_width = width;
    card.preprocess.input_height = height;
    card.preprocess.policy = policy;
    card.preprocess.crop_margin = margin;
    card.outputs.category_logits = "category_logits";
    card.outputs.attribute_logits = "attribute_logits";
    card.outputs.landmark_heatmaps = "landmark_heatmaps";
    card.outputs.attention = "attention";
    for (const char * name : {"Blouse", "Tee", "Shorts", "Dress", "Skirt", "Jacket"}) card.categories.push_back({name, "upper"});
    const char * attribute_names[] = {"floral", "striped", "denim", "knit", "a-line", "long-sleeve", "pocket", "zip", "boho", "party"};
    for (int i = 0; i < 10; ++i)
        card.attributes.push_back({attribute_names[i], deepfashion_attribute_types()[static_cast<std::size_t>(i / 2)]});
    card.landmarks = deepfashion_landmark_names();
    return card;
}

// Photos with structure at every scale (gradients, stripes, noise), so any difference in
// the resampling shows.
image pattern(int width, int height, pixel_format format, unsigned seed) {
    image img(width, height, format);
    std::mt19937 rng(seed);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < img.channels(); ++c) {
                const int v = (x * 255 / width + (y % 7) * 20 + ((x / 3 + y / 5 + c) % 2) * 60 + static_cast<int>(rng() % 30));
                img.row(y)[x * img.channels() + c] = static_cast<std::uint8_t>(v % 256);
            }
    return img;
}

std::vector<float> random_floats(std::size_t n, unsigned seed, float scale) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> v(n);
    for (float & x : v) x = normal(rng);
    return v;
}

json preprocess_case(const char * name, int w, int h, pixel_format format, const box * b, const model_card & card) {
    const image photo = pattern(w, h, format, static_cast<unsigned>(w * 31 + h));
    std::vector<float> tensor(3 * static_cast<std::size_t>(card.preprocess.input_width) * card.preprocess.input_height);
    const auto g = preprocess(photo.view(), b, card.preprocess, tensor.data());
    if (!g) {
        std::fprintf(stderr, "make_golden: %s: %s\n", name, g.error().message().c_str());
        std::exit(1);
    }
    json c = {{"name", name}, {"kind", "preprocess"}, {"card", json::parse(to_json(card))}};
    c["photo"] = {{"width", w},
                  {"height", h},
                  {"channels", photo.channels()},
                  {"pixels", std::vector<int>(photo.data(), photo.data() + photo.size_bytes())}};
    c["box"] = b ? json{{"x1", b->x1}, {"y1", b->y1}, {"x2", b->x2}, {"y2", b->y2}} : json(nullptr);
    c["tensor"] = tensor;
    c["crop"] = {g.value().crop.x, g.value().crop.y, g.value().crop.width, g.value().crop.height};
    c["content"] = {g.value().content.x, g.value().content.y, g.value().content.width, g.value().content.height};
    return c;
}

}  // namespace

int main(int argc, char ** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_golden OUTPUT.json\n");
        return 2;
    }
    json cases = json::array();
    const box garment{31.5f, 12.25f, 170.75f, 190.0f};
    cases.push_back(preprocess_case("rgba photo, stretch, box with margin", 203, 211, pixel_format::rgba8, &garment,
                                    card_for(64, 48, crop_policy::stretch, 0.1f)));
    cases.push_back(
        preprocess_case("rgb photo, letterbox", 150, 90, pixel_format::rgb8, nullptr, card_for(40, 40, crop_policy::letterbox, 0.0f)));
    cases.push_back(
        preprocess_case("gray photo, upscale", 17, 23, pixel_format::gray8, nullptr, card_for(32, 32, crop_policy::stretch, 0.0f)));
    cases.push_back(preprocess_case("large rgba photo to 224, block averaging", 1000, 760, pixel_format::rgba8, nullptr,
                                    card_for(224, 224, crop_policy::stretch, 0.0f)));

    const model_card card = card_for(224, 224, crop_policy::stretch, 0.0f);
    const json card_json = json::parse(to_json(card));
    {
        const auto logits = random_floats(card.categories.size(), 1, 3.0f);
        const auto p = softmax(logits.data(), static_cast<int>(logits.size()));
        json expected = json::array();
        for (const auto & e : top_k(p.data(), static_cast<int>(p.size()), 5)) expected.push_back({e.index, e.score});
        cases.push_back({{"name", "category top-5"},
                         {"kind", "categories"},
                         {"card", card_json},
                         {"logits", logits},
                         {"k", 5},
                         {"expected", expected}});
    }
    {
        const auto logits = random_floats(2 * card.attributes.size(), 2, 2.0f);
        const auto p = attribute_probabilities(logits.data(), static_cast<int>(card.attributes.size()), attribute_encoding::two_class);
        json expected = json::array();
        for (const auto & g : group_attributes(p, card.attributes, 2, 0.3f)) {
            json tags = json::array();
            for (const auto & t : g.tags) tags.push_back({t.index, t.score});
            expected.push_back({{"type", g.type}, {"tags", tags}});
        }
        cases.push_back({{"name", "attributes by type"},
                         {"kind", "attributes"},
                         {"card", card_json},
                         {"logits", logits},
                         {"k", 2},
                         {"threshold", 0.3},
                         {"expected", expected}});
    }
    {
        // Eight blurred peaks at sub-pixel positions on 56x56 maps over a 224 input of a 640x480 photo.
        const int w = 56, h = 56;
        std::vector<float> maps(8 * w * h);
        for (int i = 0; i < 8; ++i) {
            const float cx = 5.3f + 6.1f * static_cast<float>(i), cy = 50.2f - 5.7f * static_cast<float>(i);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const float d2 = (static_cast<float>(x) - cx) * (static_cast<float>(x) - cx) +
                                     (static_cast<float>(y) - cy) * (static_cast<float>(y) - cy);
                    maps[(i * h + y) * w + x] = 0.8f * std::exp(-d2 / 8.0f);
                }
        }
        const box b{40, 30, 600, 470};
        const auto g = plan_input_geometry(640, 480, &b, 0.0f, crop_policy::stretch, 224, 224);
        json expected = json::array();
        for (const auto & lm : decode_landmarks(maps.data(), 8, w, h, g.value())) {
            expected.push_back({lm.source.x, lm.source.y, lm.input.x, lm.input.y, lm.confidence});
        }
        cases.push_back({{"name", "landmarks from 56x56 heatmaps"},
                         {"kind", "landmarks"},
                         {"card", card_json},
                         {"photo", {{"width", 640}, {"height", 480}}},
                         {"box", {{"x1", b.x1}, {"y1", b.y1}, {"x2", b.x2}, {"y2", b.y2}}},
                         {"heatmaps", maps},
                         {"width", w},
                         {"height", h},
                         {"expected", expected}});
    }
    {
        const auto values = random_floats(2 * 12 * 9, 3, 1.0f);
        const auto combined = max_over_maps(values.data(), 2, 12 * 9);
        overlay_options options;
        options.opacity = 0.7f;
        const image rgba = heatmap_to_rgba(combined.data(), 12, 9, options);
        cases.push_back({{"name", "attention overlay"},
                         {"kind", "overlay"},
                         {"card", card_json},
                         {"maps", values},
                         {"width", 12},
                         {"height", 9},
                         {"opacity", 0.7},
                         {"expected", std::vector<int>(rgba.data(), rgba.data() + rgba.size_bytes())}});
    }
    for (const char * text : {R"({"format": "vestis-model-card", "version": 1, "name": "x", "input": 3})", "{ nope"}) {
        cases.push_back({{"name", std::string("card error: ") + text},
                         {"kind", "card_error"},
                         {"text", text},
                         {"expected", parse_model_card(text, "bad.json").error().message()}});
    }

    std::ofstream out(argv[1]);
    out << json{{"cases", cases}}.dump() << "\n";
    if (!out) {
        std::fprintf(stderr, "make_golden: cannot write %s\n", argv[1]);
        return 1;
    }
    std::printf("make_golden: %zu cases -> %s\n", cases.size(), argv[1]);
    return 0;
}
