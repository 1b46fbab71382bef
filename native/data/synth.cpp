#include "data/synth.h"

#include "data/dataset.h"
#include "io/atomic_file.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace vestis::data {

namespace fs = std::filesystem;

const std::vector<synth_garment_kind> & synth_categories() {
    static const std::vector<synth_garment_kind> kinds = {{"Tee", 1},      {"Blouse", 1}, {"Sweater", 1},  {"Jacket", 1},
                                                          {"Tank", 1},     {"Shorts", 2}, {"Skirt", 2},    {"Trousers", 2},
                                                          {"Leggings", 2}, {"Dress", 3},  {"Jumpsuit", 3}, {"Romper", 3}};
    return kinds;
}

namespace {

enum attr {
    striped,
    dotted,
    checked,
    floral,
    plain,  // texture (one of them)
    denim,
    knit,
    leather,
    sheer,  // fabric (at most one)
    long_sleeve,
    short_sleeve,
    sleeveless,
    loose,
    long_length,  // shape
    collar,
    pockets,
    buttons,
    zip,
    belt,  // part
    pastel,
    dark,
    vivid,  // style: the palette (one of them)
    attribute_count
};

}  // namespace

const std::vector<std::pair<const char *, int>> & synth_attributes() {
    static const std::vector<std::pair<const char *, int>> list = {
        {"striped", 1}, {"dotted", 1},      {"checked", 1}, {"floral", 1},      {"plain", 1},        {"denim", 2},
        {"knit", 2},    {"leather", 2},     {"sheer", 2},   {"long sleeve", 3}, {"short sleeve", 3}, {"sleeveless", 3},
        {"loose", 3},   {"long length", 3}, {"collar", 4},  {"pockets", 4},     {"buttons", 4},      {"zip", 4},
        {"belt", 4},    {"pastel", 5},      {"dark", 5},    {"vivid", 5}};
    return list;
}

namespace {

using poly = std::vector<cv::Point2f>;

struct garment {
    int category = 0;
    int type = 1;
    std::array<bool, attribute_count> has{};
    std::vector<poly> pieces;  // in garment units, y down
    std::array<cv::Point2f, landmark_slots> landmarks{};
    std::array<bool, landmark_slots> present{};
    float waist_y = 0, top_y = 0, bottom_y = 1;
};

class random_source {
public:
    explicit random_source(std::uint64_t seed) : rng_(seed) {}
    double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
    bool chance(double p) { return uniform(0, 1) < p; }
    int pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }

private:
    std::mt19937_64 rng_;
};

// Torso from the shoulders (y = 0) down to `length`, with sleeves; fills collar, sleeve and
// (for tops) hem landmarks.
void add_top(garment & g, random_source & r, float length, bool hem_landmarks) {
    const float neck = 0.12f, shoulder = g.has[loose] ? 0.38f : 0.32f, hem = shoulder + (g.has[loose] ? 0.06f : 0.0f);
    g.pieces.push_back({{-neck, 0}, {-shoulder, 0.06f}, {-hem, length}, {hem, length}, {shoulder, 0.06f}, {neck, 0}, {0, 0.1f}});
    g.landmarks[0] = {-neck, 0};
    g.landmarks[1] = {neck, 0};
    if (hem_landmarks) {
        g.landmarks[6] = {-hem, length};
        g.landmarks[7] = {hem, length};
    }
    const float sleeve = g.has[long_sleeve] ? 0.7f : g.has[short_sleeve] ? 0.26f : 0.0f;
    const float angle = static_cast<float>(r.uniform(0.9, 1.2));  // radians below the horizontal
    for (float side : {-1.0f, 1.0f}) {
        const cv::Point2f top(side * shoulder, 0.06f), armpit(side * (shoulder - 0.02f), 0.26f);
        cv::Point2f cuff = (top + armpit) * 0.5f;
        if (sleeve > 0) {
            const cv::Point2f direction(side * std::cos(angle), std::sin(angle));
            const cv::Point2f end_top = top + direction * sleeve, end_bottom = armpit + direction * sleeve;
            g.pieces.push_back({top, end_top, end_bottom, armpit});
            cuff = (end_top + end_bottom) * 0.5f;
        }
        g.landmarks[side < 0 ? 2 : 3] = cuff;  // sleeveless: the armhole
    }
    for (int k : {0, 1, 2, 3}) g.present[k] = true;
    if (hem_landmarks) g.present[6] = g.present[7] = true;
}

// From the waist (y = top) down: a skirt or two legs; fills waist and hem landmarks.
void add_bottom(garment & g, float top, float length, bool legs, float flare) {
    const float waist = 0.26f;
    g.landmarks[4] = {-waist, top};
    g.landmarks[5] = {waist, top};
    if (legs) {
        const float leg = 0.2f + flare;
        g.pieces.push_back({{-waist, top},
                            {waist, top},
                            {waist + flare * 0.5f, top + length},
                            {0.03f, top + length},
                            {0, top + 0.22f},
                            {-0.03f, top + length},
                            {-waist - flare * 0.5f, top + length}});
        g.landmarks[6] = {-waist - flare * 0.5f + leg / 2, top + length};
        g.landmarks[7] = {waist + flare * 0.5f - leg / 2, top + length};
    } else {
        const float hem = waist + flare;
        g.pieces.push_back({{-waist, top}, {waist, top}, {hem, top + length}, {-hem, top + length}});
        g.landmarks[6] = {-hem, top + length};
        g.landmarks[7] = {hem, top + length};
    }
    g.present[4] = g.present[5] = g.present[6] = g.present[7] = true;
    g.bottom_y = top + length;
}

garment design(int category, random_source & r) {
    garment g;
    g.category = category;
    const std::string name = synth_categories()[category].name;
    g.type = synth_categories()[category].clothes_type;
    g.has[striped + r.pick(5)] = true;
    if (r.chance(0.45)) g.has[denim + r.pick(4)] = true;
    g.has[pastel + r.pick(3)] = true;
    g.has[loose] = r.chance(0.4);
    // Sleeves follow the category, with some freedom where real garments have it.
    if (g.type != 2) {
        int sleeves = name == "Tank"  ? sleeveless
                      : name == "Tee" ? short_sleeve
                      : name == "Sweater" || name == "Jacket"
                          ? long_sleeve
                          : (name == "Romper" ? (r.chance(0.5) ? sleeveless : short_sleeve) : long_sleeve + r.pick(3));
        g.has[sleeves] = true;
    }
    if (name == "Trousers" || name == "Leggings" || name == "Jumpsuit") g.has[long_length] = true;
    else if ((name == "Skirt" || name == "Dress") && r.chance(0.4)) g.has[long_length] = true;
    g.has[collar] = g.type != 2 && (name == "Blouse" || name == "Jacket" ? r.chance(0.8) : r.chance(0.25));
    g.has[pockets] = r.chance(name == "Jacket" || name == "Trousers" || name == "Shorts" ? 0.6 : 0.2);
    g.has[buttons] = r.chance(name == "Blouse" || name == "Jacket" ? 0.6 : 0.15);
    g.has[zip] = !g.has[buttons] && r.chance(name == "Jacket" || name == "Jumpsuit" ? 0.6 : 0.15);
    g.has[belt] = g.type != 1 && r.chance(0.3);
    g.has[plain] = !(g.has[striped] || g.has[dotted] || g.has[checked] || g.has[floral]);

    if (g.type == 1) {
        const float length = name == "Jacket" ? 0.95f : name == "Tank" ? 0.8f : 0.85f;
        add_top(g, r, length, true);
        g.waist_y = length * 0.7f;
        g.bottom_y = length;
    } else if (g.type == 2) {
        const bool legs = name != "Skirt";
        const float length = name == "Shorts" ? 0.38f : (name == "Skirt" ? (g.has[long_length] ? 1.0f : 0.5f) : 1.1f);
        const float flare = name == "Leggings" ? -0.03f : name == "Skirt" ? 0.14f : (g.has[loose] ? 0.08f : 0.02f);
        add_bottom(g, 0, length, legs, flare);
        g.waist_y = 0.04f;
    } else {
        add_top(g, r, 0.58f, false);
        const bool legs = name != "Dress";
        const float length = name == "Romper" ? 0.35f : name == "Jumpsuit" ? 1.05f : (g.has[long_length] ? 1.05f : 0.55f);
        add_bottom(g, 0.55f, length, legs, legs ? 0.04f : 0.2f);
        g.waist_y = 0.55f;
    }
    return g;
}

cv::Vec3f palette_colour(const garment & g, random_source & r, float hue_shift) {
    const float hue = static_cast<float>(std::fmod(r.uniform(0, 180) + hue_shift, 180.0));
    float saturation = g.has[pastel] ? 70 : g.has[dark] ? 150 : 240;
    float value = g.has[pastel] ? 235 : g.has[dark] ? 85 : 230;
    if (g.has[denim]) return cv::Vec3f(g.has[dark] ? 60 : 170, g.has[dark] ? 80 : 130, g.has[dark] ? 40 : 70);  // RGB blue
    cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue, saturation, value)), rgb;
    cv::cvtColor(hsv, rgb, cv::COLOR_HSV2RGB);
    const cv::Vec3b c = rgb.at<cv::Vec3b>(0, 0);
    return cv::Vec3f(c[0], c[1], c[2]);
}

// The colour of garment point (u, v) in garment units: texture, then fabric shading.
cv::Vec3f fabric_colour(const garment & g, float u, float v, const cv::Vec3f & base, const cv::Vec3f & accent) {
    cv::Vec3f c = base;
    if (g.has[striped] && static_cast<int>(std::floor(v / 0.07f)) % 2 == 0) c = accent;
    if (g.has[checked] && (static_cast<int>(std::floor(u / 0.11f)) + static_cast<int>(std::floor(v / 0.11f))) % 2 == 0)
        c = base * 0.55f + accent * 0.45f;
    if (g.has[dotted]) {
        const float du = u - 0.1f * std::round(u / 0.1f), dv = v - 0.1f * std::round(v / 0.1f);
        if (du * du + dv * dv < 0.022f * 0.022f) c = accent;
    }
    if (g.has[floral]) {
        const float cu = 0.16f * std::round(u / 0.16f), cv_ = 0.16f * std::round(v / 0.16f);
        const float du = u - cu, dv = v - cv_, radius = std::sqrt(du * du + dv * dv), angle = std::atan2(dv, du);
        if (radius < 0.012f) c = cv::Vec3f(250, 210, 40);
        else if (radius < 0.05f * (0.55f + 0.45f * std::cos(5 * angle))) c = accent;
    }
    if (g.has[denim] && std::fmod(std::fabs(u + v) / 0.025f, 1.0f) < 0.35f) c *= 0.8f;           // twill
    if (g.has[knit]) c *= 0.88f + 0.12f * std::sin(u * 2 * static_cast<float>(CV_PI) / 0.035f);  // ribs
    if (g.has[leather]) c = c * 0.75f + cv::Vec3f(255, 255, 255) * (0.25f * std::exp(-std::pow((u - v * 0.4f) / 0.06f, 2.0f)));
    return c;
}

void draw_background(cv::Mat & img, random_source & r) {
    const cv::Vec3f a(static_cast<float>(r.uniform(80, 250)), static_cast<float>(r.uniform(80, 250)),
                      static_cast<float>(r.uniform(80, 250)));
    const cv::Vec3f b(static_cast<float>(r.uniform(80, 250)), static_cast<float>(r.uniform(80, 250)),
                      static_cast<float>(r.uniform(80, 250)));
    const int style = r.pick(3);
    cv::Mat noise(img.rows / 8 + 1, img.cols / 8 + 1, CV_32F);
    cv::randu(noise, -18, 18);
    cv::resize(noise, noise, img.size(), 0, 0, cv::INTER_CUBIC);
    for (int y = 0; y < img.rows; ++y)
        for (int x = 0; x < img.cols; ++x) {
            const float t = style == 0   ? 0.0f
                            : style == 1 ? static_cast<float>(y) / static_cast<float>(img.rows)
                                         : static_cast<float>(x) / static_cast<float>(img.cols);
            const cv::Vec3f c = a * (1 - t) + b * t + cv::Vec3f::all(style == 2 ? noise.at<float>(y, x) : 0.0f);
            img.at<cv::Vec3b>(y, x) =
                cv::Vec3b(cv::saturate_cast<uchar>(c[0]), cv::saturate_cast<uchar>(c[1]), cv::saturate_cast<uchar>(c[2]));
        }
}

std::vector<cv::Point> to_pixels(const poly & p, const cv::Matx23f & m) {
    std::vector<cv::Point> out;
    for (const auto & q : p)
        out.emplace_back(
            cv::Point(cvRound((m(0, 0) * q.x + m(0, 1) * q.y + m(0, 2)) * 16), cvRound((m(1, 0) * q.x + m(1, 1) * q.y + m(1, 2)) * 16)));
    return out;  // 4 fractional bits for anti-aliased drawing
}

cv::Point2f apply(const cv::Matx23f & m, cv::Point2f p) {
    return {m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2), m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)};
}

void draw_parts(cv::Mat & img, const garment & g, const cv::Matx23f & m, float scale, const cv::Vec3f & accent) {
    const auto line = [&](cv::Point2f a, cv::Point2f b, cv::Scalar colour, float thickness) {
        cv::line(img, apply(m, a), apply(m, b), colour, std::max(1, cvRound(thickness * scale)), cv::LINE_AA);
    };
    const float top = g.type == 2 ? 0.0f : 0.1f;
    if (g.has[collar]) {
        for (float side : {-1.0f, 1.0f}) {
            const poly flap = {{side * 0.12f, 0}, {side * 0.02f, 0.12f}, {side * 0.2f, 0.1f}};
            cv::fillPoly(img, std::vector<std::vector<cv::Point>>{to_pixels(flap, m)}, cv::Scalar(245, 245, 245), cv::LINE_AA, 4);
        }
    }
    if (g.has[zip]) {
        line({0, top}, {0, g.bottom_y - 0.03f}, cv::Scalar(150, 150, 160), 0.02f);
        for (float y = top; y < g.bottom_y - 0.03f; y += 0.04f) line({-0.015f, y}, {0.015f, y}, cv::Scalar(110, 110, 120), 0.008f);
    }
    if (g.has[buttons]) {
        for (float y = top + 0.06f; y < std::min(g.bottom_y, g.type == 3 ? 0.55f : g.bottom_y) - 0.04f; y += 0.13f) {
            cv::circle(img, apply(m, {0, y}), std::max(2, cvRound(0.028f * scale)), cv::Scalar(40, 35, 30), -1, cv::LINE_AA);
        }
    }
    if (g.has[pockets]) {
        const float y = g.type == 2 ? 0.08f : g.waist_y - 0.05f;
        for (float side : {-1.0f, 1.0f}) {
            const poly pocket = {{side * 0.07f, y}, {side * 0.2f, y}, {side * 0.2f, y + 0.14f}, {side * 0.07f, y + 0.14f}};
            cv::polylines(img, std::vector<std::vector<cv::Point>>{to_pixels(pocket, m)}, true,
                          cv::Scalar(accent[0] * 0.5, accent[1] * 0.5, accent[2] * 0.5), std::max(1, cvRound(0.018f * scale)), cv::LINE_AA,
                          4);
        }
    }
    if (g.has[belt]) {
        const poly band = {
            {-0.28f, g.waist_y - 0.03f}, {0.28f, g.waist_y - 0.03f}, {0.28f, g.waist_y + 0.04f}, {-0.28f, g.waist_y + 0.04f}};
        cv::fillPoly(img, std::vector<std::vector<cv::Point>>{to_pixels(band, m)}, cv::Scalar(45, 30, 20), cv::LINE_AA, 4);
        cv::rectangle(img, apply(m, {-0.04f, g.waist_y - 0.04f}), apply(m, {0.04f, g.waist_y + 0.05f}), cv::Scalar(200, 170, 60),
                      std::max(1, cvRound(0.012f * scale)), cv::LINE_AA);
    }
}

struct rendered {
    cv::Mat rgb;
    box bbox;
    std::array<point, landmark_slots> landmarks{};
    std::array<visibility, landmark_slots> visible{};
};

rendered render(const garment & g, random_source & r) {
    rendered out;
    const int rows = 300, cols = 200 + 10 * r.pick(11);  // long side 300 px, as DeepFashion
    const float height = static_cast<float>(rows), width = static_cast<float>(cols);
    out.rgb.create(rows, cols, CV_8UC3);
    draw_background(out.rgb, r);

    // Placement: scale to the garment's extent, a small rotation, a shift; sometimes past the edge.
    const float extent_y = g.bottom_y + 0.1f, extent_x = g.type == 2 ? 0.8f : 1.5f;  // sleeves reach wide
    const float scale = static_cast<float>(r.uniform(0.6, 0.85)) * std::min(height / extent_y, width / extent_x);
    const float angle = static_cast<float>(r.uniform(-8, 8) * CV_PI / 180);
    const bool truncate = r.chance(0.12);
    const float cx = width / 2.0f + static_cast<float>(r.uniform(-0.1, 0.1)) * width;
    float cy = height / 2.0f + static_cast<float>(r.uniform(-0.06, 0.06)) * height;
    if (truncate) cy += (r.chance(0.5) ? 1.0f : -1.0f) * 0.3f * g.bottom_y * scale;
    const float c = std::cos(angle) * scale, s = std::sin(angle) * scale;
    const float mid = g.bottom_y / 2;  // rotate about the garment's middle
    const cv::Matx23f m(c, -s, cx - (c * 0 - s * mid), s, c, cy - (s * 0 + c * mid));

    const cv::Vec3f base = palette_colour(g, r, 0), accent = palette_colour(g, r, 60 + static_cast<float>(r.uniform(0, 60)));
    cv::Mat mask = cv::Mat::zeros(out.rgb.size(), CV_8U);
    std::vector<std::vector<cv::Point>> shapes;
    for (const poly & p : g.pieces) shapes.push_back(to_pixels(p, m));
    cv::fillPoly(mask, shapes, cv::Scalar(255), cv::LINE_AA, 4);
    const cv::Matx23f inverse = [&] {
        cv::Mat inv;
        cv::invertAffineTransform(cv::Mat(m), inv);
        return cv::Matx23f(inv);
    }();
    const float opacity = g.has[sheer] ? 0.6f : 1.0f;
    for (int y = 0; y < rows; ++y)
        for (int x = 0; x < cols; ++x) {
            const float alpha = static_cast<float>(mask.at<uchar>(y, x)) / 255.0f * opacity;
            if (alpha <= 0) continue;
            const cv::Point2f uv = apply(inverse, {static_cast<float>(x), static_cast<float>(y)});
            const cv::Vec3f colour = fabric_colour(g, uv.x, uv.y, base, accent);
            cv::Vec3b & px = out.rgb.at<cv::Vec3b>(y, x);
            for (int k = 0; k < 3; ++k) px[k] = cv::saturate_cast<uchar>(px[k] * (1 - alpha) + colour[k] * alpha);
        }
    draw_parts(out.rgb, g, m, scale, accent);

    // Landmarks where the drawing put them; some hidden behind an object, some off the edge.
    std::vector<int> present;
    for (int k = 0; k < landmark_slots; ++k) {
        out.visible[k] = visibility::absent;
        if (!g.present[k]) continue;
        const cv::Point2f p = apply(m, g.landmarks[k]);
        const bool inside = p.x >= 0 && p.y >= 0 && p.x <= width - 1 && p.y <= height - 1;
        out.visible[k] = inside ? visibility::visible : visibility::truncated;
        out.landmarks[k] = {std::clamp(p.x, 0.0f, width - 1.0f), std::clamp(p.y, 0.0f, height - 1.0f)};
        if (inside) present.push_back(k);
    }
    if (!present.empty() && r.chance(0.25)) {  // an occluder: a bag over one landmark
        const int k = present[static_cast<std::size_t>(r.pick(static_cast<int>(present.size())))];
        const cv::Point2f p(out.landmarks[k].x, out.landmarks[k].y);
        const float side = 0.18f * scale;
        cv::rectangle(out.rgb, p - cv::Point2f(side / 2, side / 2), p + cv::Point2f(side / 2, side / 2), cv::Scalar(95, 80, 70), -1,
                      cv::LINE_AA);
        for (int j : present) {
            if (std::fabs(out.landmarks[j].x - p.x) < side / 2 && std::fabs(out.landmarks[j].y - p.y) < side / 2)
                out.visible[j] = visibility::occluded;
        }
    }
    std::vector<cv::Point> all;
    cv::findNonZero(mask, all);
    const cv::Rect bounds = all.empty() ? cv::Rect(0, 0, cols, rows) : cv::boundingRect(all);
    out.bbox = {static_cast<float>(bounds.x), static_cast<float>(bounds.y), static_cast<float>(bounds.x + bounds.width),
                static_cast<float>(bounds.y + bounds.height)};
    return out;
}

}  // namespace

void write_synthetic_dataset(const synth_options & options, const std::function<void(int, int)> & progress) {
    if (options.images < 1 || options.images > 10'000'000) {
        throw data_error("--images: expected 1..10000000, got " + std::to_string(options.images));
    }
    if (!(options.val_fraction >= 0 && options.test_fraction >= 0 && options.val_fraction + options.test_fraction < 1)) {
        throw data_error("val and test fractions must be >= 0 and leave some images for training");
    }
    const fs::path out(options.out);
    const fs::path marker = out / ".vestis-synth";
    try {
        prepare_output_folder(options.out, ".vestis-synth", options.force, "vestis data synth");
    } catch (const std::runtime_error & e) {
        throw data_error(e.what());
    }
    fs::create_directories(out / "Anno");
    fs::create_directories(out / "Eval");
    write_file_atomically((marker).string(), "written by vestis data synth\n");

    const auto & kinds = synth_categories();
    const auto & attributes = synth_attributes();
    std::ostringstream category_img, attr_img, bbox, landmarks, partition;
    const int n = options.images;
    category_img << n << "\nimage_name  category_label\n";
    attr_img << n << "\nimage_name  attribute_labels\n";
    bbox << n << "\nimage_name  x_1  y_1  x_2  y_2\n";
    landmarks << n << "\nimage_name  clothes_type  landmark_visibility_1  landmark_location_x_1  landmark_location_y_1 ...\n";
    partition << n << "\nimage_name  evaluation_status\n";
    for (int i = 0; i < n; ++i) {
        random_source r(options.seed * 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(i));
        const int category = r.pick(static_cast<int>(kinds.size()));
        const garment g = design(category, r);
        const rendered picture = render(g, r);
        char name[96];
        std::snprintf(name, sizeof name, "img/synth_%s/img_%08d.jpg", kinds[category].name, i + 1);
        fs::create_directories((out / name).parent_path());
        cv::Mat bgr;
        cv::cvtColor(picture.rgb, bgr, cv::COLOR_RGB2BGR);
        if (!cv::imwrite((out / name).string(), bgr, {cv::IMWRITE_JPEG_QUALITY, 92})) {
            throw data_error((out / name).string() + ": cannot write");
        }
        category_img << name << " " << category + 1 << "\n";
        attr_img << name;
        for (int a = 0; a < attribute_count; ++a) attr_img << (g.has[a] ? " 1" : " -1");
        attr_img << "\n";
        bbox << name << " " << picture.bbox.x1 << " " << picture.bbox.y1 << " " << picture.bbox.x2 << " " << picture.bbox.y2 << "\n";
        landmarks << name << " " << g.type;
        static const std::vector<int> upper = {0, 1, 2, 3, 6, 7}, lower = {4, 5, 6, 7}, full = {0, 1, 2, 3, 4, 5, 6, 7};
        for (int k : g.type == 1 ? upper : g.type == 2 ? lower : full) {
            landmarks << " " << static_cast<int>(picture.visible[k]) << " " << std::lround(picture.landmarks[k].x) << " "
                      << std::lround(picture.landmarks[k].y);
        }
        landmarks << "\n";
        const double u = r.uniform(0, 1);
        partition << name << " "
                  << (u < options.test_fraction                          ? "test"
                      : u < options.test_fraction + options.val_fraction ? "val"
                                                                         : "train")
                  << "\n";
        if (progress) progress(i + 1, n);
    }
    std::ostringstream category_cloth, attr_cloth;
    category_cloth << kinds.size() << "\ncategory_name  category_type\n";
    for (const auto & k : kinds) category_cloth << k.name << " " << k.clothes_type << "\n";
    attr_cloth << attributes.size() << "\nattribute_name  attribute_type\n";
    for (const auto & [attribute, type] : attributes) attr_cloth << attribute << " " << type << "\n";
    write_file_atomically((out / "Anno/list_category_cloth.txt").string(), category_cloth.str());
    write_file_atomically((out / "Anno/list_category_img.txt").string(), category_img.str());
    write_file_atomically((out / "Anno/list_attr_cloth.txt").string(), attr_cloth.str());
    write_file_atomically((out / "Anno/list_attr_img.txt").string(), attr_img.str());
    write_file_atomically((out / "Anno/list_bbox.txt").string(), bbox.str());
    write_file_atomically((out / "Anno/list_landmarks.txt").string(), landmarks.str());
    write_file_atomically((out / "Eval/list_eval_partition.txt").string(), partition.str());
}

}  // namespace vestis::data
