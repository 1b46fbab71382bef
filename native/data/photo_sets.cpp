#include "data/photo_sets.h"

#include "io/atomic_file.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace vestis::data {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string text) {
    for (char & c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

bool is_csv(const fs::path & root) { return fs::is_regular_file(root) && lower(root.extension().string()) == ".csv"; }

// The split folders a class-folder set may have; `validation` is Keras', `val` torchvision's.
const std::pair<const char *, split> split_folders[] = {
    {"train", split::train}, {"validation", split::val}, {"val", split::val}, {"test", split::test}};

std::vector<fs::path> sorted_entries(const fs::path & folder, bool directories) {
    std::vector<fs::path> out;
    for (const auto & entry : fs::directory_iterator(folder)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name[0] == '.') continue;  // .DS_Store, .ipynb_checkpoints, a cache
        if (directories ? entry.is_directory() : (entry.is_regular_file() && is_photo_file(name))) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

sample photo_sample(const std::string & relative, int category, split part) {
    sample s;
    s.image = relative;
    s.category = category;
    s.part = part;
    s.visible.fill(visibility::absent);
    return s;
}

dataset_index read_class_folders(const fs::path & root) {
    dataset_index index;
    index.root = root.string();
    std::vector<std::pair<fs::path, std::optional<split>>> parts;  // folders of class folders
    for (const auto & [name, part] : split_folders) {
        if (fs::is_directory(root / name)) parts.emplace_back(root / name, part);
    }
    if (parts.empty()) parts.emplace_back(root, std::nullopt);
    // The classes are train/'s (or ROOT's own, without split folders); a set without train/
    // (test photos only, say) takes them from every split folder. Sorted by name, as
    // ImageFolder numbers them.
    const bool classes_from_first_folder = parts.front().first.filename() == "train" || !parts.front().second;
    std::set<std::string> names;
    for (const auto & [folder, part] : parts) {
        if (classes_from_first_folder && folder != parts.front().first) break;
        for (const fs::path & class_folder : sorted_entries(folder, /*directories=*/true)) names.insert(class_folder.filename().string());
    }
    std::map<std::string, int> category_of;
    for (const std::string & name : names) {
        category_of.emplace(name, static_cast<int>(category_of.size()));
        index.categories.push_back({name, ""});
    }
    if (category_of.empty())
        throw data_error(parts.front().first.string() + ": holds no class folders (expected one folder of photos per class)");
    for (const auto & [folder, part] : parts) {
        for (const fs::path & class_folder : sorted_entries(folder, /*directories=*/true)) {
            const auto category = category_of.find(class_folder.filename().string());
            if (category == category_of.end()) {
                throw data_error(class_folder.string() + ": class '" + class_folder.filename().string() +
                                 "' is not among the training classes (" + parts.front().first.string() + ")");
            }
            const auto photos = sorted_entries(class_folder, /*directories=*/false);
            if (photos.empty() && (!part || *part == split::train))
                throw data_error(class_folder.string() + ": class folder holds no photos");
            for (const fs::path & photo : photos) {
                const std::string relative = fs::relative(photo, root).generic_string();
                index.samples.push_back(photo_sample(relative, category->second, part ? *part : hashed_split(relative)));
            }
        }
    }
    return index;
}

std::vector<std::string> csv_fields(const std::string & line) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') fields.back() += '"', ++i;
        else if (c == '"') quoted = !quoted;
        else if (c == ',' && !quoted) fields.emplace_back();
        else fields.back() += c;
    }
    for (auto & f : fields) {
        while (!f.empty() && std::isspace(static_cast<unsigned char>(f.back()))) f.pop_back();
        f.erase(0, f.find_first_not_of(" \t"));
    }
    return fields;
}

// Tags are separated by ';' or '|' when the field holds one (so a tag may have spaces), else by spaces.
std::vector<std::string> split_tags(const std::string & field) {
    const char separator = field.find(';') != std::string::npos ? ';' : field.find('|') != std::string::npos ? '|' : ' ';
    std::vector<std::string> tags;
    std::string tag;
    std::istringstream in(field);
    while (std::getline(in, tag, separator)) {
        tag.erase(0, tag.find_first_not_of(" \t"));
        tag.erase(tag.find_last_not_of(" \t") + 1);
        if (!tag.empty() && std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
    }
    return tags;
}

struct tag_kinds {
    std::map<std::string, std::string> kind_of;  // tag -> kind
    std::vector<std::string> kinds;              // in the order the file first names them
};

// `tag,kind` rows; every tag of the set must have one.
tag_kinds read_tag_kinds(const fs::path & file) {
    tag_kinds out;
    auto & kind_of = out.kind_of;
    std::istringstream in(read_whole_file(file.string()));
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        const std::string where = file.string() + ":" + std::to_string(number);
        const auto fields = csv_fields(line);
        if (fields.size() != 2 || fields[0].empty() || fields[1].empty())
            throw data_error(where + ": expected 'tag,kind', got '" + line + "'");
        if (number == 1 && lower(fields[0]) == "tag" && lower(fields[1]) == "kind") continue;  // the header
        if (const auto [it, fresh] = kind_of.emplace(fields[0], fields[1]); !fresh) {
            throw data_error(where + ": tag '" + fields[0] + "' is given a kind twice");
        }
        if (std::find(out.kinds.begin(), out.kinds.end(), fields[1]) == out.kinds.end()) out.kinds.push_back(fields[1]);
    }
    return out;
}

// The tags become the index's attributes, of the kind `kinds_file` gives them (when it exists)
// or of the one kind "tags"; ordered by kind as the file first names them, then by name. The
// kinds file's tags belong to the set even where no photo shows them, so a test CSV with
// fewer tags has the same attributes as the training one.
void set_tags(dataset_index & index, const std::vector<std::vector<std::string>> & tags_of_sample, const fs::path & csv,
              const fs::path & kinds_file) {
    std::set<std::string> names;
    for (const auto & tags : tags_of_sample) names.insert(tags.begin(), tags.end());
    const bool kinds = fs::exists(kinds_file);
    const tag_kinds file = kinds ? read_tag_kinds(kinds_file) : tag_kinds{{}, {"tags"}};
    for (const auto & [tag, kind] : file.kind_of) names.insert(tag);
    if (names.empty()) throw data_error(csv.string() + ": the tags column names no tag");
    for (const std::string & name : names) {
        const auto kind = file.kind_of.find(name);
        if (kinds && kind == file.kind_of.end()) throw data_error(kinds_file.string() + ": gives tag '" + name + "' no kind");
        index.attributes.push_back({name, kinds ? kind->second : "tags"});
    }
    const auto rank = [&](const attribute_info & a) {
        return std::find(file.kinds.begin(), file.kinds.end(), a.type) - file.kinds.begin();
    };
    std::stable_sort(index.attributes.begin(), index.attributes.end(),
                     [&](const attribute_info & a, const attribute_info & b) { return rank(a) < rank(b); });
    std::map<std::string, int> attribute_of;
    for (const attribute_info & a : index.attributes) attribute_of.emplace(a.name, static_cast<int>(attribute_of.size()));
    index.has_attributes = true;
    const int words = index.attribute_words();
    index.attribute_bits.assign(tags_of_sample.size() * static_cast<std::size_t>(words), 0);
    for (std::size_t i = 0; i < tags_of_sample.size(); ++i) {
        for (const std::string & tag : tags_of_sample[i]) {
            const int a = attribute_of.at(tag);
            index.attribute_bits[i * static_cast<std::size_t>(words) + static_cast<std::size_t>(a / 64)] |= std::uint64_t{1} << (a % 64);
        }
    }
}

float parse_coordinate(const std::string & text, const std::string & where, const char * column) {
    try {
        std::size_t used = 0;
        const float v = std::stof(text, &used);
        if (used == text.size()) return v;
    } catch (const std::exception &) {}
    throw data_error(where + ": " + column + " '" + text + "' is not a number");
}

// The columns of a box's corners in a CSV header.
struct box_columns {
    std::size_t x1, y1, x2, y2;
};

// A row's box, which must have area: errors name the row and the column or the corners.
box parse_box(const std::vector<std::string> & fields, const box_columns & at, const std::string & where) {
    const box b{parse_coordinate(fields[at.x1], where, "x1"), parse_coordinate(fields[at.y1], where, "y1"),
                parse_coordinate(fields[at.x2], where, "x2"), parse_coordinate(fields[at.y2], where, "y2")};
    if (!(b.x2 > b.x1 && b.y2 > b.y1)) {
        throw data_error(where + ": the box " + fields[at.x1] + "," + fields[at.y1] + "," + fields[at.x2] + "," + fields[at.y2] +
                         " needs x2 > x1 and y2 > y1");
    }
    return b;
}

// A CSV file with a header, row by row: a byte-order mark (Windows editors write one), CRLF line
// ends and blank lines are fine; a row with another number of fields than the header is an
// error naming its line.
class csv_table {
public:
    explicit csv_table(const fs::path & file) : file_(file), in_(read_whole_file(file.string())) {
        std::getline(in_, header_line_);
        if (header_line_.rfind("\xEF\xBB\xBF", 0) == 0) header_line_.erase(0, 3);
        if (!header_line_.empty() && header_line_.back() == '\r') header_line_.pop_back();
        const auto names = csv_fields(header_line_);
        columns_ = names.size();
        for (std::size_t i = 0; i < names.size(); ++i) column_.emplace(lower(names[i]), i);
    }
    // The first of these (lower-case) column names the header has.
    std::optional<std::size_t> column(std::initializer_list<const char *> names) const {
        for (const char * n : names) {
            if (const auto it = column_.find(n); it != column_.end()) return it->second;
        }
        return std::nullopt;
    }
    const std::string & header() const { return header_line_; }
    std::string head() const { return file_.string() + ":1"; }
    // The next row's fields and "<file>:<line>" for its errors; false after the last row.
    bool next(std::vector<std::string> & fields, std::string & where) {
        std::string line;
        while (std::getline(in_, line)) {
            ++number_;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.find_first_not_of(" \t") == std::string::npos) continue;
            where = file_.string() + ":" + std::to_string(number_);
            fields = csv_fields(line);
            if (fields.size() != columns_) {
                throw data_error(where + ": " + std::to_string(fields.size()) + " columns, but the header has " + std::to_string(columns_));
            }
            return true;
        }
        return false;
    }
    int line() const { return number_; }  // of the row `next` gave last

private:
    fs::path file_;
    std::istringstream in_;
    std::string header_line_;
    std::size_t columns_ = 0;
    std::map<std::string, std::size_t> column_;
    int number_ = 1;
};

// `photo,tag,x1,y1,x2,y2` rows (other columns ignored) into the samples' items. A photo the CSV
// skipped (its file is missing) is passed over; one it does not list, a tag the photo does not
// show, or a tag of a boxed photo without a box is an error naming the file and line or photo.
void read_item_boxes(dataset_index & index, const std::map<std::string, std::size_t> & sample_of_photo,
                     const std::set<std::string> & listed, const fs::path & file) {
    csv_table table(file);
    const auto photo = table.column({"photo", "image", "filename", "file", "path"}), tag = table.column({"tag", "label"});
    const auto x1 = table.column({"x1"}), y1 = table.column({"y1"}), x2 = table.column({"x2"}), y2 = table.column({"y2"});
    if (!photo || !tag || !x1 || !y1 || !x2 || !y2)
        throw data_error(table.head() + ": expected the columns photo,tag,x1,y1,x2,y2, got '" + table.header() + "'");
    std::map<std::string, int> attribute_of;
    for (const attribute_info & a : index.attributes) attribute_of.emplace(a.name, static_cast<int>(attribute_of.size()));
    std::vector<std::string> fields;
    std::string where;
    while (table.next(fields, where)) {
        const auto s = sample_of_photo.find(fields[*photo]);
        if (s == sample_of_photo.end()) {
            if (listed.count(fields[*photo])) continue;  // listed, but its file is missing: skipped and counted already
            throw data_error(where + ": photo '" + fields[*photo] + "' is not in the tags CSV");
        }
        const auto a = attribute_of.find(fields[*tag]);
        if (a == attribute_of.end() || !index.attribute(s->second, a->second))
            throw data_error(where + ": photo '" + fields[*photo] + "' does not show tag '" + fields[*tag] + "'");
        index.samples[s->second].items.push_back({a->second, parse_box(fields, {*x1, *y1, *x2, *y2}, where)});
    }
    for (std::size_t i = 0; i < index.samples.size(); ++i) {
        const auto & items = index.samples[i].items;
        if (items.empty()) continue;
        for (int a = 0; a < static_cast<int>(index.attributes.size()); ++a) {
            const bool boxed = std::any_of(items.begin(), items.end(), [&](const item_box & item) { return item.attribute == a; });
            if (index.attribute(i, a) && !boxed) {
                throw data_error(file.string() + ": photo '" + index.samples[i].image + "' has item boxes, but none for its tag '" +
                                 index.attributes[static_cast<std::size_t>(a)].name + "'");
            }
        }
    }
}

split parse_split(const std::string & text, const std::string & where) {
    const std::string s = lower(text);
    if (s == "train") return split::train;
    if (s == "val" || s == "validation") return split::val;
    if (s == "test") return split::test;
    throw data_error(where + ": split '" + text + "' is not train, val (validation) or test");
}

dataset_index read_photo_csv(const fs::path & csv, long long * skipped) {
    dataset_index index;
    index.root = csv.parent_path().string();
    csv_table table(csv);
    const auto find = [&](std::initializer_list<const char *> names) { return table.column(names); };
    const auto photo_column = find({"photo", "image", "filename", "file", "path"});
    const auto label_column = find({"label", "class", "category"});
    const auto tags_column = find({"tags", "labels"});
    const auto split_column = find({"split"});
    const std::string head = table.head();
    if (!photo_column || !(label_column || tags_column)) {
        throw data_error(head +
                         ": the header needs a photo column (photo, image or filename) and a label column (label, class or category), "
                         "a tags column (tags or labels), or both, got '" +
                         table.header() + "'");
    }
    const auto x1 = find({"x1"}), y1 = find({"y1"}), x2 = find({"x2"}), y2 = find({"y2"});
    const bool boxes = x1 || y1 || x2 || y2;
    if (boxes && !(x1 && y1 && x2 && y2)) throw data_error(head + ": a box needs all four columns x1, y1, x2, y2");
    index.has_bbox = boxes;

    std::map<std::string, int> category_of;
    std::map<std::string, int> line_of_photo;
    std::vector<std::vector<std::string>> tags_of_sample;
    std::map<std::string, std::size_t> sample_of_photo;
    std::vector<std::string> fields;
    std::string where;
    while (table.next(fields, where)) {
        const std::string & photo = fields[*photo_column];
        const std::string label = label_column ? fields[*label_column] : std::string();
        if (photo.empty()) throw data_error(where + ": the photo column is empty");
        if (label_column && label.empty()) throw data_error(where + ": photo '" + photo + "' has an empty label");
        if (const auto [it, fresh] = line_of_photo.emplace(photo, table.line()); !fresh) {
            throw data_error(where + ": photo '" + photo + "' is listed twice (first on line " + std::to_string(it->second) + ")");
        }
        if (!fs::is_regular_file(csv.parent_path() / photo)) {
            if (skipped) ++*skipped;
            continue;
        }
        int category = -1;
        if (label_column) {
            const auto [known, fresh] = category_of.emplace(label, static_cast<int>(category_of.size()));
            if (fresh) index.categories.push_back({label, ""});
            category = known->second;
        }
        if (tags_column) tags_of_sample.push_back(split_tags(fields[*tags_column]));
        sample_of_photo.emplace(photo, index.samples.size());
        sample s = photo_sample(photo, category, split_column ? parse_split(fields[*split_column], where) : hashed_split(photo));
        if (boxes) {
            s.bbox = parse_box(fields, {*x1, *y1, *x2, *y2}, where);
            s.has_bbox = true;
        }
        index.samples.push_back(std::move(s));
    }
    if (index.samples.empty()) throw data_error(csv.string() + ": lists no photo that exists");
    if (tags_column) {
        set_tags(index, tags_of_sample, csv, csv.parent_path() / tag_kinds_file);
        if (const fs::path items = csv.parent_path() / item_boxes_file; fs::exists(items)) {
            std::set<std::string> listed;
            for (const auto & entry : line_of_photo) listed.insert(entry.first);
            read_item_boxes(index, sample_of_photo, listed, items);
        }
    }
    return index;
}

// A set with training photos but none for validation (train/ and test/ folders, train/ alone,
// or a split column without val): validation is the tenth of train that hashed_split gives a set without splits, since
// best.pt and the card's threshold are chosen on it.
void take_validation_from_train(dataset_index & index) {
    const auto has = [&](split part) {
        return std::any_of(index.samples.begin(), index.samples.end(), [part](const sample & s) { return s.part == part; });
    };
    if (has(split::val) || !has(split::train)) return;
    for (sample & s : index.samples) {
        if (s.part == split::train && hashed_split(s.image) == split::val) s.part = split::val;
    }
}

}  // namespace

bool is_photo_file(const std::string & name) {
    static const std::set<std::string> extensions = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"};
    return extensions.count(lower(fs::path(name).extension().string())) > 0;
}

split hashed_split(const std::string & key) {
    std::uint64_t hash = 14695981039346656037ull;
    for (char c : key) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    const int bucket = static_cast<int>(hash % 10);
    return bucket == 0 ? split::val : bucket == 1 ? split::test : split::train;
}

bool is_photo_set(const std::string & root_text) {
    const fs::path root(root_text);
    if (is_csv(root)) return true;
    return fs::is_directory(root) && !fs::exists(root / "Anno") && !fs::exists(root / "Eval");
}

dataset_index read_photo_set(const std::string & root_text, long long * skipped) {
    const fs::path root(root_text);
    if (!is_csv(root) && !fs::is_directory(root)) throw data_error(root_text + ": is neither a folder nor a .csv file");
    dataset_index index = is_csv(root) ? read_photo_csv(root, skipped) : read_class_folders(root);
    take_validation_from_train(index);
    return index;
}

}  // namespace vestis::data
