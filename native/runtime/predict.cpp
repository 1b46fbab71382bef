#include "runtime/predict.h"

#include "io/atomic_file.h"
#include "vestis/preprocess.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

namespace vestis::runtime {

namespace {

using clock_type = std::chrono::steady_clock;

double milliseconds_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

std::uint32_t big_endian(const std::uint8_t * p, int bytes) {
    std::uint32_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
    return v;
}

// Width and height from a PNG or JPEG header, so a 100-megapixel bomb is refused before it
// is decoded; {0, 0} for other formats (checked after decoding).
std::pair<long long, long long> header_size(const std::vector<std::uint8_t> & b) {
    static const std::uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (b.size() >= 24 && std::equal(png, png + 8, b.begin())) return {big_endian(&b[16], 4), big_endian(&b[20], 4)};
    if (b.size() >= 4 && b[0] == 0xff && b[1] == 0xd8) {
        std::size_t at = 2;
        while (at + 9 < b.size() && b[at] == 0xff) {
            const std::uint8_t marker = b[at + 1];
            const bool start_of_frame = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
            if (start_of_frame) return {big_endian(&b[at + 7], 2), big_endian(&b[at + 5], 2)};
            if (marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) at += 2;
            else at += 2 + big_endian(&b[at + 2], 2);
        }
    }
    return {0, 0};
}

// Whether a JPEG stops before its end-of-image marker, as a cut-short download or copy does:
// libjpeg then greys the missing rows and OpenCV returns the photo without a word. The marker
// segments are walked to the first scan (an EXIF thumbnail's own markers stay inside APP1);
// within and after the scans 0xFF is stuffed, so the first FF D9 from there is the end.
bool jpeg_is_cut_short(const std::vector<std::uint8_t> & b) {
    if (b.size() < 4 || b[0] != 0xff || b[1] != 0xd8) return false;
    std::size_t at = 2;
    while (at + 4 <= b.size() && b[at] == 0xff && b[at + 1] != 0xda) {
        const std::uint8_t marker = b[at + 1];
        if (marker == 0xff) ++at;  // fill byte
        else if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) at += 2;
        else at += 2 + big_endian(&b[at + 2], 2);
    }
    if (at + 4 > b.size() || b[at] != 0xff) return at + 4 > b.size();  // ends among the headers
    for (std::size_t i = at + 2; i + 1 < b.size(); ++i) {
        if (b[i] == 0xff && b[i + 1] == 0xd9) return false;
    }
    return true;
}

// In double: a header may claim 4 billion pixels a side, whose product no integer holds.
double pixel_count(long long width, long long height) { return static_cast<double>(width) * static_cast<double>(height); }

std::string megapixels(double pixels) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", pixels / 1e6);
    return text;
}

}  // namespace

decoded_photo read_photo(const std::string & path, long long max_pixels, bool strict) {
    if (std::filesystem::is_directory(path)) throw image_error(path + ": is a folder, not a photo");
    file_contents file = read_file(path);
    if (!file.problem.empty()) throw image_error(path + ": " + file.problem);
    const std::vector<std::uint8_t> bytes(file.bytes.begin(), file.bytes.end());  // the layout OpenCV's decoders take
    file.bytes = {};
    if (bytes.empty()) throw image_error(path + ": empty file, not an image");
    const auto [header_width, header_height] = header_size(bytes);
    const auto too_large = [&](long long w, long long h) {
        return image_error(path + ": " + std::to_string(w) + "x" + std::to_string(h) + " is " + megapixels(pixel_count(w, h)) +
                           " megapixels, over the limit of " + megapixels(static_cast<double>(max_pixels)) + " (--max-megapixels)");
    };
    if (pixel_count(header_width, header_height) > static_cast<double>(max_pixels)) throw too_large(header_width, header_height);
    std::string warning;
    if (jpeg_is_cut_short(bytes)) {
        warning = path + ": the JPEG ends before its end-of-image marker (cut short?): its last rows are grey, and the tags may be wrong";
        if (strict) throw image_error(warning + " (refused: --strict)");
    }
    cv::Mat bgr;
    try {
        bgr = cv::imdecode(bytes, cv::IMREAD_COLOR);  // applies the EXIF orientation
    } catch (const cv::Exception &) {
        bgr.release();
    }
    if (bgr.empty()) throw image_error(path + ": not a decodable image (JPEG, PNG, BMP, WebP or TIFF expected)");
    if (pixel_count(bgr.cols, bgr.rows) > static_cast<double>(max_pixels)) throw too_large(bgr.cols, bgr.rows);
    decoded_photo photo;
    photo.warning = warning;
    photo.width = bgr.cols, photo.height = bgr.rows;
    photo.rgb.resize(static_cast<std::size_t>(photo.width) * static_cast<std::size_t>(photo.height) * 3);
    cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, photo.rgb.data());
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    return photo;
}

prediction predict_photo(onnx_model & model, const decoded_photo & photo, const predict_options & options) {
    const model_card & card = model.card();
    prediction p;
    p.width = photo.width, p.height = photo.height;
    p.bbox = options.bbox;
    if (options.bbox) {
        const box & b = *options.bbox;
        if (!(b.x1 >= 0 && b.y1 >= 0 && b.x2 <= static_cast<float>(photo.width) && b.y2 <= static_cast<float>(photo.height) &&
              b.x2 > b.x1 && b.y2 > b.y1)) {
            char text[128];
            std::snprintf(text, sizeof text, "--bbox %g,%g,%g,%g: outside the %dx%d photo or empty", b.x1, b.y1, b.x2, b.y2, photo.width,
                          photo.height);
            throw image_error(std::string(text) + " (0 <= x1 < x2 <= width, 0 <= y1 < y2 <= height)");
        }
    }

    auto start = clock_type::now();
    const image_view view{photo.rgb.data(), photo.width, photo.height, photo.width * 3, pixel_format::rgb8};
    std::vector<float> input(static_cast<std::size_t>(3 * card.preprocess.input_width * card.preprocess.input_height));
    const result<input_geometry> geometry = preprocess(view, options.bbox ? &*options.bbox : nullptr, card.preprocess, input.data());
    if (!geometry) throw image_error("preprocessing: " + geometry.error().message());
    p.time.preprocess_ms = milliseconds_since(start);

    start = clock_type::now();
    p.outputs = model.run(input.data());
    p.time.inference_ms = milliseconds_since(start);

    start = clock_type::now();
    const std::vector<float> category_probabilities =
        softmax(p.outputs.category_logits.data(), static_cast<int>(p.outputs.category_logits.size()));
    p.categories = top_k(category_probabilities.data(), static_cast<int>(category_probabilities.size()), options.top_categories);
    if (!p.outputs.attribute_logits.empty()) {
        const std::vector<float> probabilities =
            attribute_probabilities(p.outputs.attribute_logits.data(), static_cast<int>(card.attributes.size()), card.outputs.attributes);
        p.attributes =
            group_attributes(probabilities, card.attributes, options.attributes_per_type, options.threshold.value_or(card.threshold));
    }
    if (!p.outputs.heatmaps.values.empty()) {
        const output_maps & h = p.outputs.heatmaps;
        p.landmarks = decode_landmarks(h.values.data(), h.count, h.width, h.height, geometry.value());
    }
    p.time.postprocess_ms = milliseconds_since(start);
    return p;
}

prediction predict_file(onnx_model & model, const std::string & path, const predict_options & options) {
    const auto start = clock_type::now();
    const decoded_photo photo = read_photo(path, options.max_pixels, options.strict);
    const double decode_ms = milliseconds_since(start);
    prediction p = predict_photo(model, photo, options);
    p.image = path;
    if (!photo.warning.empty()) p.warnings.push_back(photo.warning);
    p.time.decode_ms = decode_ms;
    return p;
}

std::string prediction_json(const std::vector<prediction> & predictions, const onnx_model & model) {
    using json = nlohmann::ordered_json;
    const model_card & card = model.card();
    json images = json::array();
    for (const prediction & p : predictions) {
        json j;
        j["image"] = p.image;
        j["width"] = p.width;
        j["height"] = p.height;
        j["bbox"] = p.bbox ? json::array({p.bbox->x1, p.bbox->y1, p.bbox->x2, p.bbox->y2}) : json(nullptr);
        j["warnings"] = p.warnings;
        json categories = json::array();
        for (const scored_index & c : p.categories) {
            categories.push_back(
                {{"index", c.index}, {"name", card.categories[static_cast<std::size_t>(c.index)].name}, {"probability", c.score}});
        }
        j["categories"] = categories;
        json attributes = json::object();
        for (const attribute_group & g : p.attributes) {
            json tags = json::array();
            for (const scored_index & t : g.tags) {
                tags.push_back(
                    {{"index", t.index}, {"name", card.attributes[static_cast<std::size_t>(t.index)].name}, {"probability", t.score}});
            }
            attributes[g.type] = tags;
        }
        j["attributes"] = attributes;
        json landmarks = json::array();
        for (std::size_t k = 0; k < p.landmarks.size(); ++k) {
            const landmark & l = p.landmarks[k];
            landmarks.push_back({{"name", k < card.landmarks.size() ? card.landmarks[k] : std::to_string(k)},
                                 {"x", l.source.x},
                                 {"y", l.source.y},
                                 {"confidence", l.confidence},
                                 {"second_peak", l.second_peak}});
        }
        j["landmarks"] = landmarks;
        j["timings_ms"] = {{"decode", p.time.decode_ms},
                           {"preprocess", p.time.preprocess_ms},
                           {"inference", p.time.inference_ms},
                           {"postprocess", p.time.postprocess_ms}};
        images.push_back(j);
    }
    json root;
    root["format"] = "vestis-predictions";
    root["version"] = 1;
    root["model"] = {{"name", card.name}, {"path", model.directory()}};
    root["images"] = images;
    return root.dump(2) + "\n";
}

std::string prediction_text(const prediction & p, const model_card & card) {
    std::ostringstream out;
    char line[256];
    out << p.image << " (" << p.width << "x" << p.height << ")\n";
    if (!p.categories.empty()) out << "  category\n";
    for (const scored_index & c : p.categories) {
        std::snprintf(line, sizeof line, "    %-24s %6.1f%%\n", card.categories[static_cast<std::size_t>(c.index)].name.c_str(),
                      100.0 * c.score);
        out << line;
    }
    for (const attribute_group & g : p.attributes) {
        out << "  " << g.type << ":";
        for (const scored_index & t : g.tags) {
            std::snprintf(line, sizeof line, " %s %.0f%%", card.attributes[static_cast<std::size_t>(t.index)].name.c_str(),
                          100.0 * t.score);
            out << line;
        }
        out << "\n";
    }
    if (!p.landmarks.empty()) out << "  landmarks (photo pixels, confidence)\n";
    for (std::size_t k = 0; k < p.landmarks.size(); ++k) {
        std::snprintf(line, sizeof line, "    %-16s %7.1f %7.1f  %.2f\n", card.landmarks[k].c_str(), p.landmarks[k].source.x,
                      p.landmarks[k].source.y, p.landmarks[k].confidence);
        out << line;
    }
    std::snprintf(line, sizeof line, "  time: decode %.1f ms, preprocess %.1f ms, inference %.1f ms, postprocess %.1f ms\n",
                  p.time.decode_ms, p.time.preprocess_ms, p.time.inference_ms, p.time.postprocess_ms);
    out << line;
    return out.str();
}

}  // namespace vestis::runtime
