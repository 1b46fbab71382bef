#include "data/dataset.h"

#include "io/atomic_file.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <unordered_map>

namespace vestis::data {

namespace fs = std::filesystem;

const char * split_name(split s) { return s == split::train ? "train" : s == split::val ? "val" : "test"; }

split parse_split(const std::string & name) {
    for (const split s : {split::train, split::val, split::test}) {
        if (name == split_name(s)) return s;
    }
    throw data_error("--split: expected train, val or test, got '" + name + "'");
}

const char * clothes_type_name(clothes_type t) {
    switch (t) {
        case clothes_type::upper: return "upper";
        case clothes_type::lower: return "lower";
        case clothes_type::full: return "full";
        default: return "unknown";
    }
}

namespace {

// One annotation file: line 1 = number of rows, line 2 = column names, then rows of
// whitespace-separated fields. Tokens point into the file's text.
class table_file {
public:
    table_file(const fs::path & path, std::string display) : display_(std::move(display)) {
        file_contents file = read_file(path.string());
        if (!file.problem.empty()) throw data_error(display_ + ": " + file.problem);
        text_ = std::move(file.bytes);
        // Windows editors start UTF-8 files with a byte-order mark: it is not part of line 1.
        if (text_.rfind("\xEF\xBB\xBF", 0) == 0) text_.erase(0, 3);
        at_ = text_.data();
        end_ = text_.data() + text_.size();
        std::vector<std::string_view> first;
        if (!next(first) || first.size() != 1) fail("expected the number of rows on line 1");
        const auto [p, ec] = std::from_chars(first[0].data(), first[0].data() + first[0].size(), declared_);
        if (ec != std::errc() || p != first[0].data() + first[0].size() || declared_ < 0) {
            fail("expected the number of rows on line 1, got '" + std::string(first[0]) + "'");
        }
        if (!next(header_)) fail("expected the column names on line 2");
    }

    const std::vector<std::string_view> & header() const { return header_; }
    int line() const { return line_; }
    const std::string & name() const { return display_; }

    // The next non-empty row, or false at the end (after checking the row count).
    bool next(std::vector<std::string_view> & fields) {
        while (at_ < end_) {
            const char * line_end = static_cast<const char *>(std::memchr(at_, '\n', static_cast<std::size_t>(end_ - at_)));
            if (!line_end) line_end = end_;
            ++line_;
            fields.clear();
            const char * p = at_;
            while (p < line_end) {
                while (p < line_end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
                const char * start = p;
                while (p < line_end && *p != ' ' && *p != '\t' && *p != '\r') ++p;
                if (p > start) fields.emplace_back(start, static_cast<std::size_t>(p - start));
            }
            at_ = line_end < end_ ? line_end + 1 : end_;
            if (fields.empty()) continue;
            if (line_ > 2) ++rows_;
            return true;
        }
        if (line_ > 2 || declared_ > 0) {
            if (rows_ != declared_) {
                throw data_error(display_ + ": line 1 declares " + std::to_string(declared_) + " rows but the file has " +
                                 std::to_string(rows_));
            }
        }
        return false;
    }

    [[noreturn]] void fail(const std::string & what) const { throw data_error(display_ + ":" + std::to_string(line_) + ": " + what); }

    int integer(std::string_view token, const char * field) const {
        int value = 0;
        const auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
        if (ec != std::errc() || p != token.data() + token.size()) {
            fail(std::string(field) + ": expected a whole number, got '" + std::string(token) + "'");
        }
        return value;
    }

    float number(std::string_view token, const char * field) const {
        // from_chars for floats is missing in some standard libraries: strtof on a copy.
        const std::string copy(token);
        char * end = nullptr;
        const float value = std::strtof(copy.c_str(), &end);
        if (copy.empty() || end != copy.c_str() + copy.size()) {
            fail(std::string(field) + ": expected a number, got '" + copy + "'");
        }
        return value;
    }

private:
    std::string display_;
    std::string text_;
    const char * at_ = nullptr;
    const char * end_ = nullptr;
    int line_ = 0;
    long long declared_ = 0, rows_ = 0;
    std::vector<std::string_view> header_;
};

struct joiner {
    dataset_index & index;
    std::unordered_map<std::string, std::size_t> position;

    std::size_t find(const table_file & file, std::string_view image) const {
        const auto it = position.find(std::string(image));
        if (it == position.end()) {
            file.fail("image '" + std::string(image) + "' is not in Eval/list_eval_partition.txt");
        }
        return it->second;
    }
};

// Rows whose image the file never mentions are an error, so half-written files are caught.
void require_every_image(const table_file & file, const std::vector<char> & seen, const dataset_index & index) {
    for (std::size_t i = 0; i < seen.size(); ++i) {
        if (!seen[i]) throw data_error(file.name() + ": has no row for image '" + index.samples[i].image + "' (listed in the partition)");
    }
}

void read_partition(const fs::path & root, joiner & j) {
    table_file file(root / "Eval/list_eval_partition.txt", "Eval/list_eval_partition.txt");
    std::vector<std::string_view> f;
    while (file.next(f)) {
        if (f.size() != 2) file.fail("expected 2 fields (image_name evaluation_status), got " + std::to_string(f.size()));
        sample s;
        s.image = std::string(f[0]);
        if (f[1] == "train") s.part = split::train;
        else if (f[1] == "val") s.part = split::val;
        else if (f[1] == "test") s.part = split::test;
        else file.fail("evaluation_status: expected train, val or test, got '" + std::string(f[1]) + "'");
        s.bbox = {0, 0, 0, 0};
        s.visible.fill(visibility::absent);
        if (!j.position.emplace(s.image, j.index.samples.size()).second) file.fail("image '" + s.image + "' is listed twice");
        j.index.samples.push_back(std::move(s));
    }
}

void read_categories(const fs::path & root, joiner & j) {
    {
        table_file file(root / "Anno/list_category_cloth.txt", "Anno/list_category_cloth.txt");
        std::vector<std::string_view> f;
        while (file.next(f)) {
            if (f.size() < 2) file.fail("expected category_name category_type");
            const int type = file.integer(f.back(), "category_type");
            if (type < 1 || type > 3) file.fail("category_type: expected 1 (upper), 2 (lower) or 3 (full), got " + std::to_string(type));
            std::string name(f[0]);
            for (std::size_t i = 1; i + 1 < f.size(); ++i) name += " " + std::string(f[i]);
            j.index.categories.push_back({name, clothes_type_name(static_cast<clothes_type>(type))});
        }
    }
    table_file file(root / "Anno/list_category_img.txt", "Anno/list_category_img.txt");
    std::vector<std::string_view> f;
    std::vector<char> seen(j.index.samples.size());
    const int count = static_cast<int>(j.index.categories.size());
    while (file.next(f)) {
        if (f.size() != 2) file.fail("expected 2 fields (image_name category_label), got " + std::to_string(f.size()));
        const std::size_t i = j.find(file, f[0]);
        const int label = file.integer(f[1], "category_label");
        if (label < 1 || label > count) {
            file.fail("category_label: expected 1.." + std::to_string(count) + " (list_category_cloth.txt), got " + std::to_string(label));
        }
        j.index.samples[i].category = label - 1;
        const std::string & type = j.index.categories[label - 1].type;
        j.index.samples[i].type = type == "upper" ? clothes_type::upper : type == "lower" ? clothes_type::lower : clothes_type::full;
        seen[i] = 1;
    }
    require_every_image(file, seen, j.index);
}

void read_attributes(const fs::path & root, joiner & j) {
    {
        table_file file(root / "Anno/list_attr_cloth.txt", "Anno/list_attr_cloth.txt");
        std::vector<std::string_view> f;
        while (file.next(f)) {
            if (f.size() < 2) file.fail("expected attribute_name attribute_type");
            const int type = file.integer(f.back(), "attribute_type");
            const auto & types = deepfashion_attribute_types();
            if (type < 1 || type > static_cast<int>(types.size())) file.fail("attribute_type: expected 1..5, got " + std::to_string(type));
            std::string name(f[0]);  // names may contain spaces; the type is the last token
            for (std::size_t i = 1; i + 1 < f.size(); ++i) name += " " + std::string(f[i]);
            j.index.attributes.push_back({name, types[static_cast<std::size_t>(type - 1)]});
        }
    }
    table_file file(root / "Anno/list_attr_img.txt", "Anno/list_attr_img.txt");
    const int count = static_cast<int>(j.index.attributes.size());
    const int words = j.index.attribute_words();
    j.index.attribute_bits.assign(j.index.samples.size() * static_cast<std::size_t>(words), 0);
    std::vector<std::string_view> f;
    std::vector<char> seen(j.index.samples.size());
    while (file.next(f)) {
        if (static_cast<int>(f.size()) != count + 1) {
            file.fail("expected image_name and " + std::to_string(count) + " attribute labels, got " + std::to_string(f.size() - 1) +
                      " labels");
        }
        const std::size_t i = j.find(file, f[0]);
        std::uint64_t * bits = &j.index.attribute_bits[i * static_cast<std::size_t>(words)];
        for (int a = 0; a < count; ++a) {
            const std::string_view v = f[a + 1];
            if (v == "1") bits[a / 64] |= std::uint64_t{1} << (a % 64);
            else if (v != "-1" && v != "0")
                file.fail("attribute " + std::to_string(a + 1) + ": expected 1, -1 or 0, got '" + std::string(v) + "'");
        }
        seen[i] = 1;
    }
    require_every_image(file, seen, j.index);
}

void read_bboxes(const fs::path & root, joiner & j) {
    table_file file(root / "Anno/list_bbox.txt", "Anno/list_bbox.txt");
    std::vector<std::string_view> f;
    std::vector<char> seen(j.index.samples.size());
    while (file.next(f)) {
        if (f.size() != 5) file.fail("expected 5 fields (image_name x_1 y_1 x_2 y_2), got " + std::to_string(f.size()));
        const std::size_t i = j.find(file, f[0]);
        box & b = j.index.samples[i].bbox;
        b = {file.number(f[1], "x_1"), file.number(f[2], "y_1"), file.number(f[3], "x_2"), file.number(f[4], "y_2")};
        if (!(b.x2 > b.x1 && b.y2 > b.y1)) file.fail("box is empty: x_2 must exceed x_1 and y_2 must exceed y_1");
        j.index.samples[i].has_bbox = true;
        seen[i] = 1;
    }
    require_every_image(file, seen, j.index);
}

// Slots each clothes type fills, in file order: upper collar L/R, sleeve L/R, hem L/R;
// lower waist L/R, hem L/R; full all eight.
const std::vector<int> & slots_of(clothes_type t) {
    static const std::vector<int> upper = {0, 1, 2, 3, 6, 7}, lower = {4, 5, 6, 7}, full = {0, 1, 2, 3, 4, 5, 6, 7};
    return t == clothes_type::upper ? upper : t == clothes_type::lower ? lower : full;
}

void read_landmarks(const fs::path & root, joiner & j) {
    table_file file(root / "Anno/list_landmarks.txt", "Anno/list_landmarks.txt");
    const auto & header = file.header();
    const bool fld = std::find(header.begin(), header.end(), "variation_type") != header.end();
    j.index.landmark_format = fld ? "landmark-detection" : "category-attribute";
    const std::size_t first = fld ? 3 : 2;
    std::vector<std::string_view> f;
    std::vector<char> seen(j.index.samples.size());
    while (file.next(f)) {
        if (f.size() < first) file.fail("expected image_name clothes_type" + std::string(fld ? " variation_type" : "") + " and landmarks");
        const std::size_t i = j.find(file, f[0]);
        sample & s = j.index.samples[i];
        const int type = file.integer(f[1], "clothes_type");
        if (type < 1 || type > 3) file.fail("clothes_type: expected 1 (upper), 2 (lower) or 3 (full), got " + std::to_string(type));
        s.type = static_cast<clothes_type>(type);
        const auto & slots = slots_of(s.type);
        const std::size_t values = f.size() - first;
        if (values % 3 != 0 || values / 3 < slots.size()) {
            file.fail("expected " + std::to_string(slots.size()) + " landmarks (visibility x y each) for clothes type " +
                      std::to_string(type) + ", got " + std::to_string(values) + " values");
        }
        for (std::size_t k = slots.size(); k < values / 3; ++k) {  // anything past them must be padding
            for (int v = 0; v < 3; ++v) {
                if (f[first + 3 * k + v] != "0")
                    file.fail("landmark " + std::to_string(k + 1) + " is more than clothes type " + std::to_string(type) + " has");
            }
        }
        s.visible.fill(visibility::absent);
        for (std::size_t k = 0; k < slots.size(); ++k) {
            const int code = file.integer(f[first + 3 * k], "landmark_visibility");
            if (code < 0 || code > 2) {
                file.fail("landmark_visibility_" + std::to_string(k + 1) + ": expected 0 (visible), 1 (occluded) or 2 (truncated), got " +
                          std::to_string(code));
            }
            s.visible[slots[k]] = static_cast<visibility>(code);
            s.landmarks[slots[k]] = {file.number(f[first + 3 * k + 1], "landmark_location_x"),
                                     file.number(f[first + 3 * k + 2], "landmark_location_y")};
        }
        seen[i] = 1;
    }
    require_every_image(file, seen, j.index);
}

}  // namespace

dataset_index read_dataset(const std::string & root_text) {
    const fs::path root(root_text);
    if (!fs::is_directory(root)) throw data_error(root_text + ": not a folder");
    if (!fs::exists(root / "Eval/list_eval_partition.txt")) {
        throw data_error(root_text + ": no Eval/list_eval_partition.txt: is this a DeepFashion-format data set?");
    }
    dataset_index index;
    index.root = root_text;
    joiner j{index, {}};
    read_partition(root, j);
    const bool categories = fs::exists(root / "Anno/list_category_img.txt");
    if (categories) read_categories(root, j);
    index.has_attributes = fs::exists(root / "Anno/list_attr_img.txt");
    if (index.has_attributes) read_attributes(root, j);
    index.has_bbox = fs::exists(root / "Anno/list_bbox.txt");
    if (index.has_bbox) read_bboxes(root, j);
    index.has_landmarks = fs::exists(root / "Anno/list_landmarks.txt");
    if (index.has_landmarks) read_landmarks(root, j);
    return index;
}

std::vector<std::size_t> subset(const dataset_index & index, split part, long long per_split, std::uint64_t seed) {
    std::vector<std::size_t> chosen;
    for (std::size_t i = 0; i < index.samples.size(); ++i) {
        if (index.samples[i].part == part) chosen.push_back(i);
    }
    if (per_split > 0 && static_cast<long long>(chosen.size()) > per_split) {
        // A seeded shuffle, then the first N back in file order: the same N for the same seed.
        std::mt19937_64 rng(seed * 1000003u + static_cast<std::uint64_t>(part));
        for (std::size_t i = chosen.size() - 1; i > 0; --i) {
            std::swap(chosen[i], chosen[static_cast<std::size_t>(rng() % (i + 1))]);
        }
        chosen.resize(static_cast<std::size_t>(per_split));
        std::sort(chosen.begin(), chosen.end());
    }
    return chosen;
}

std::string summarize(const dataset_index & index) {
    std::ostringstream out;
    out << index.root << ": " << index.samples.size() << " images";
    out << "\n  annotations: " << (index.categories.empty() ? "" : "categories ") << (index.has_attributes ? "attributes " : "")
        << (index.has_bbox ? "boxes " : "") << (index.has_landmarks ? "landmarks (" + index.landmark_format + " format)" : "");
    long long per_split[3] = {};
    std::map<std::string, long long> per_type;
    std::vector<std::array<long long, 3>> per_category(index.categories.size());
    for (const sample & s : index.samples) {
        ++per_split[static_cast<int>(s.part)];
        ++per_type[clothes_type_name(s.type)];
        if (s.category >= 0) ++per_category[s.category][static_cast<int>(s.part)];
    }
    out << "\n  splits: train " << per_split[0] << ", val " << per_split[1] << ", test " << per_split[2];
    out << "\n  clothes types:";
    for (const auto & [type, n] : per_type) out << " " << type << " " << n;
    if (!index.categories.empty()) {
        out << "\n  categories (train / val / test):";
        for (std::size_t c = 0; c < index.categories.size(); ++c) {
            out << "\n    " << index.categories[c].name << (index.categories[c].type.empty() ? "" : " (" + index.categories[c].type + ")")
                << ": " << per_category[c][0] << " / " << per_category[c][1] << " / " << per_category[c][2];
        }
    }
    if (index.has_attributes) {
        out << "\n  attributes: " << index.attributes.size() << " (";
        const auto types = attribute_type_order(index.attributes);
        for (std::size_t t = 0; t < types.size(); ++t) {
            const auto of_type = std::count_if(index.attributes.begin(), index.attributes.end(),
                                               [&](const attribute_info & a) { return a.type == types[t]; });
            out << (t ? ", " : "") << types[t] << " " << of_type;
        }
        out << ")";
    }
    long long boxed_photos = 0, item_boxes = 0;
    for (const sample & s : index.samples) {
        boxed_photos += !s.items.empty();
        item_boxes += static_cast<long long>(s.items.size());
    }
    if (item_boxes > 0) out << "\n  item boxes: " << item_boxes << " on " << boxed_photos << " photos";
    out << "\n";
    return out.str();
}

}  // namespace vestis::data
