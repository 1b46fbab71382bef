// The native runtime on the exported fixture models (tests/export/make_test_models.sh):
// predictions through OpenCV DNN, int8 against fp32 on the test images, and every kind of bad
// input named in a clear error.
#include "data/dataset.h"
#include "data/photo_sets.h"
#include "runtime/evaluate.h"
#include "runtime/predict.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

using namespace vestis;
namespace fs = std::filesystem;

namespace {

fs::path fixture_root() {
    const char * root = std::getenv("VESTIS_TEST_MODELS");
    return root ? fs::path(root) : fs::path("tests/test-models");
}

fs::path model_dir(const char * name) { return fixture_root() / "models" / name; }

// A scratch copy of a fixture model, to break on purpose.
fs::path copy_model(const char * name, const char * as) {
    const fs::path copy = fs::temp_directory_path() / ("vestis-runtime-test-" + std::string(as));
    fs::remove_all(copy);
    fs::create_directories(copy);
    fs::copy(model_dir(name), copy, fs::copy_options::recursive);
    return copy;
}

std::string read_text(const fs::path & path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_text(const fs::path & path, const std::string & text) { std::ofstream(path, std::ios::binary) << text; }

template <typename Error, typename F>
std::string error_of(F && f) {
    try {
        f();
    } catch (const Error & e) {
        return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
}

std::vector<fs::path> test_images() {
    const data::dataset_index index = data::read_dataset((fixture_root() / "data").string());
    std::vector<fs::path> images;
    for (const auto & s : index.samples) {
        if (s.part == data::split::test) images.push_back(fixture_root() / "data" / s.image);
    }
    return images;
}

}  // namespace

TEST(runtime, predicts_categories_attributes_and_landmarks_in_photo_pixels) {
    runtime::onnx_model model(model_dir("tiny-full").string());
    const fs::path image = test_images().at(0);
    const runtime::prediction p = runtime::predict_file(model, image.string(), {});
    ASSERT_EQ(p.categories.size(), 5u);
    float previous = 1.0f;
    for (const scored_index & c : p.categories) {
        EXPECT_LE(c.score, previous);
        previous = c.score;
    }
    EXPECT_EQ(p.attributes.size(), 5u);  // the synthetic set has all five attribute types
    ASSERT_EQ(p.landmarks.size(), 8u);
    for (const landmark & l : p.landmarks) {
        EXPECT_GE(l.source.x, 0.0f);
        EXPECT_LE(l.source.x, static_cast<float>(p.width));
        EXPECT_GE(l.source.y, 0.0f);
        EXPECT_LE(l.source.y, static_cast<float>(p.height));
    }
    EXPECT_EQ(p.outputs.attention.count, 1);
    const std::string json = runtime::prediction_json({p}, model);
    EXPECT_NE(json.find("\"format\": \"vestis-predictions\""), std::string::npos);
    EXPECT_NE(json.find("\"left_collar\""), std::string::npos);

    // A box: landmarks come back in the photo's pixels, inside the box.
    runtime::predict_options boxed;
    boxed.bbox = box{10, 20, static_cast<float>(p.width) - 30, static_cast<float>(p.height) - 10};
    const runtime::prediction q = runtime::predict_file(model, image.string(), boxed);
    for (const landmark & l : q.landmarks) {
        EXPECT_GE(l.source.x, boxed.bbox->x1 - 1);
        EXPECT_LE(l.source.x, boxed.bbox->x2 + 1);
    }
}

TEST(runtime, a_tagger_lists_tags_from_its_cards_threshold_grouped_by_kind) {
    runtime::onnx_model model(model_dir("tiny-tags").string());
    const model_card & card = model.card();
    EXPECT_TRUE(card.categories.empty());
    EXPECT_TRUE(card.outputs.category_logits.empty());
    ASSERT_GT(card.threshold, 0.0f);
    ASSERT_LT(card.threshold, 1.0f);
    // The kinds of tag_kinds.csv, in the order it first names them (make_test_models.sh).
    EXPECT_EQ(attribute_type_order(card.attributes), (std::vector<std::string>{"pattern", "material", "silhouette", "detail", "look"}));
    // Its card says how it was trained (make_test_models.sh sets both).
    EXPECT_TRUE(std::regex_search(card.training_json, std::regex(R"("residual_attention":0\.5[,}])"))) << card.training_json;
    EXPECT_TRUE(std::regex_search(card.training_json, std::regex(R"("loss":\{"attribute_loss":"asl","asl_gamma_negative":4)")))
        << card.training_json;

    const fs::path image = test_images().at(0);
    runtime::predict_options every;
    every.attributes_per_type = 0;
    every.threshold = 0.0f;
    runtime::predict_options by_card = every;
    by_card.threshold.reset();  // the card's
    const runtime::prediction all = runtime::predict_file(model, image.string(), every);
    const runtime::prediction shown = runtime::predict_file(model, image.string(), by_card);
    EXPECT_TRUE(all.categories.empty());
    std::size_t listed = 0, above = 0, kept = 0;
    for (const attribute_group & g : all.attributes) {
        listed += g.tags.size();
        for (const scored_index & t : g.tags) above += t.score >= card.threshold ? 1 : 0;
    }
    for (const attribute_group & g : shown.attributes) {
        for (const scored_index & t : g.tags) EXPECT_GE(t.score, card.threshold);
        kept += g.tags.size();
    }
    EXPECT_EQ(listed, card.attributes.size());
    EXPECT_EQ(kept, above);
    EXPECT_EQ(runtime::prediction_text(shown, card).find("category"), std::string::npos);
}

TEST(runtime, the_prior_baseline_scores_each_tag_by_its_positive_rate) {
    // Every photo gets the same score for a tag, so its AP is the share of positives among the
    // photos scored: positives / photos, whatever the score.
    const data::dataset_index index = data::read_photo_set((fixture_root() / "data" / "tags.csv").string());
    std::vector<std::size_t> train, test;
    for (std::size_t i = 0; i < index.samples.size(); ++i) {
        if (index.samples[i].part == data::split::train) train.push_back(i);
        if (index.samples[i].part == data::split::test) test.push_back(i);
    }
    ASSERT_FALSE(test.empty());
    const metrics_report r = runtime::evaluate_prior(index, train, test, 0.5f).report;
    double sum = 0;
    int counted = 0;
    for (std::size_t a = 0; a < index.attributes.size(); ++a) {
        long long positives = 0;
        for (std::size_t i : test) positives += index.attribute(i, static_cast<int>(a)) ? 1 : 0;
        EXPECT_EQ(r.attribute_positives[a], positives);
        if (positives == 0) continue;
        const double rate = static_cast<double>(positives) / static_cast<double>(test.size());
        EXPECT_NEAR(r.average_precision[a], rate, 1e-12) << index.attributes[a].name;
        if (positives >= map_min_positives) sum += rate, ++counted;
    }
    ASSERT_GT(counted, 0);
    EXPECT_NEAR(r.mean_average_precision, sum / counted, 1e-12);
}

TEST(runtime, int8_export_stays_close_to_fp32_on_the_test_images) {
    runtime::onnx_model full(model_dir("tiny-full").string());
    runtime::onnx_model int8(model_dir("tiny-full-int8").string());
    EXPECT_LT(int8.model_bytes() * 3, full.model_bytes());
    const auto images = test_images();
    ASSERT_FALSE(images.empty());
    runtime::predict_options all;
    all.top_categories = 1000;
    // The fixture trained one epoch, so its categories are close to a tie and int8 rounding may
    // swap the top two (the parity tests check top-1 on decisive networks). Wrong scales or
    // zero points would move the probabilities far, though.
    float worst = 0;
    for (const fs::path & image : images) {
        const auto a = runtime::predict_file(full, image.string(), all);
        const auto b = runtime::predict_file(int8, image.string(), all);
        ASSERT_EQ(a.categories.size(), b.categories.size());
        std::vector<float> pa(a.categories.size()), pb(b.categories.size());
        for (const auto & c : a.categories) pa[static_cast<std::size_t>(c.index)] = c.score;
        for (const auto & c : b.categories) pb[static_cast<std::size_t>(c.index)] = c.score;
        for (std::size_t k = 0; k < pa.size(); ++k) worst = std::max(worst, std::abs(pa[k] - pb[k]));
    }
    EXPECT_LT(worst, 2e-3f) << "int8 moved a category probability by " << worst;
    std::cout << "largest change of a category probability: " << worst << "\n";
}

TEST(runtime_bad_input, card_that_disagrees_with_the_graph) {
    const fs::path dir = copy_model("tiny-resnet18", "categories");
    const std::string card = read_text(dir / "card.json");
    // Drop the last category: the graph still gives 12 logits.
    const std::string fewer = std::regex_replace(card, std::regex(R"(,\s*\{\s*"name":\s*"Romper",\s*"type":\s*"full"\s*\})"), "");
    ASSERT_NE(fewer, card);
    write_text(dir / "card.json", fewer);
    const std::string message = error_of<runtime::model_error>([&] { runtime::onnx_model m(dir.string()); });
    EXPECT_NE(message.find("outputs.category_logits"), std::string::npos) << message;
    EXPECT_NE(message.find("card.json"), std::string::npos) << message;

    write_text(dir / "card.json", std::regex_replace(card, std::regex(R"("width": 64)"), R"("width": 96)"));
    EXPECT_NE(error_of<runtime::model_error>([&] { runtime::onnx_model m(dir.string()); }).find("input"), std::string::npos);
}

TEST(runtime_bad_input, missing_or_corrupt_model_files) {
    const fs::path dir = copy_model("tiny-resnet18", "files");
    fs::remove(dir / "model.onnx");
    EXPECT_NE(error_of<runtime::model_error>([&] { runtime::onnx_model m(dir.string()); }).find("model.onnx: missing"), std::string::npos);
    write_text(dir / "model.onnx", "this is not a protobuf");
    EXPECT_NE(error_of<std::runtime_error>([&] { runtime::onnx_model m(dir.string()); }).find("not an ONNX model"), std::string::npos);
    fs::remove(dir / "card.json");
    EXPECT_NE(error_of<runtime::model_error>([&] { runtime::onnx_model m(dir.string()); }).find("card.json: missing"), std::string::npos);
    EXPECT_NE(error_of<runtime::model_error>([&] { runtime::onnx_model m((dir / "nothing").string()); }).find("no such model folder"),
              std::string::npos);
}

TEST(runtime_bad_input, photos_that_cannot_be_used) {
    runtime::onnx_model model(model_dir("tiny-resnet18").string());
    const fs::path text = fs::temp_directory_path() / "vestis-not-an-image.jpg";
    write_text(text, "plain text, not a JPEG");
    EXPECT_NE(error_of<runtime::image_error>([&] { runtime::predict_file(model, text.string(), {}); }).find("not a decodable image"),
              std::string::npos);
    const fs::path empty = fs::temp_directory_path() / "vestis-empty.png";
    write_text(empty, "");
    EXPECT_NE(error_of<runtime::image_error>([&] { runtime::predict_file(model, empty.string(), {}); }).find("empty file"),
              std::string::npos);
    EXPECT_NE(error_of<runtime::image_error>([&] { runtime::predict_file(model, "/no/such/photo.jpg", {}); }).find("no such file"),
              std::string::npos);
    const std::string folder = fs::temp_directory_path().string();
    EXPECT_EQ(error_of<runtime::image_error>([&] { runtime::predict_file(model, folder, {}); }), folder + ": is a folder, not a photo");

    // A PNG header announcing 20000 x 20000: refused from the header, before any decoding (the
    // file holds no pixels, so a decode attempt would report something else).
    std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    png += std::string("\0\0\x4e\x20\0\0\x4e\x20\x08\x02\0\0\0", 13);
    const fs::path huge = fs::temp_directory_path() / "vestis-huge.png";
    write_text(huge, png);
    const std::string message = error_of<runtime::image_error>([&] { runtime::predict_file(model, huge.string(), {}); });
    EXPECT_NE(message.find("20000x20000 is 400.0 megapixels, over the limit of 100.0"), std::string::npos) << message;
    // 3,233,857,728 a side (found by tests/fuzz): the pixel count overflowed a 64-bit integer.
    png.replace(16, 8, std::string("\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0", 8));
    write_text(huge, png);
    const std::string giant = error_of<runtime::image_error>([&] { runtime::predict_file(model, huge.string(), {}); });
    EXPECT_NE(giant.find("3233857728x3233857728 is 10457835804945.3 megapixels"), std::string::npos) << giant;

    // A JPEG cut short decodes, grey at the bottom: used with a warning naming it, refused when
    // strict. The whole file, and one with an EXIF thumbnail's own end marker early on (a JPEG
    // inside APP1), do not warn.
    const std::string whole = read_text(test_images().at(0));
    const fs::path cut = fs::temp_directory_path() / "vestis-cut.jpg";
    write_text(cut, whole.substr(0, whole.size() * 2 / 3));
    const runtime::decoded_photo grey = runtime::read_photo(cut.string(), 100'000'000);
    EXPECT_NE(grey.warning.find(cut.string() + ": the JPEG ends before its end-of-image marker"), std::string::npos) << grey.warning;
    EXPECT_NE(error_of<runtime::image_error>([&] { runtime::read_photo(cut.string(), 100'000'000, /*strict=*/true); }).find("--strict"),
              std::string::npos);
    EXPECT_EQ(runtime::predict_file(model, cut.string(), {}).warnings, std::vector<std::string>{grey.warning});
    EXPECT_TRUE(runtime::read_photo(test_images().at(0).string(), 100'000'000).warning.empty());
    const std::string thumbnail = "\xff\xd8\xff\xd9";  // a whole (empty) JPEG, as an APP1 segment holds one
    std::string with_thumbnail = whole.substr(0, 2) + "\xff\xe1" + std::string(1, '\0') +
                                 std::string(1, static_cast<char>(2 + thumbnail.size())) + thumbnail + whole.substr(2);
    const fs::path exif = fs::temp_directory_path() / "vestis-thumbnail.jpg";
    write_text(exif, with_thumbnail);
    EXPECT_TRUE(runtime::read_photo(exif.string(), 100'000'000).warning.empty());
    write_text(exif, with_thumbnail.substr(0, with_thumbnail.size() * 2 / 3));
    EXPECT_FALSE(runtime::read_photo(exif.string(), 100'000'000).warning.empty());  // the thumbnail's FF D9 does not count

    runtime::predict_options outside;
    outside.bbox = box{0, 0, 5000, 10};
    EXPECT_NE(error_of<runtime::image_error>([&] { runtime::predict_file(model, test_images().at(0).string(), outside); }).find("--bbox"),
              std::string::npos);
}
