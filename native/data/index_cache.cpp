// The index cache: DeepFashion's attribute file alone is ~600 MB of text; parsed once, the
// joined index is kept in a compact binary file beside the annotations and reused while the
// sources keep their sizes and modification times.
#include "data/dataset.h"
#include "data/photo_sets.h"
#include "io/atomic_file.h"

#include <cstring>
#include <filesystem>
#include <system_error>

namespace vestis::data {

namespace fs = std::filesystem;

namespace {

constexpr char cache_name[] = ".vestis-index";
constexpr char magic[] = "vestis-index/2";  // 2: attribute types as text

const char * const sources[] = {"Eval/list_eval_partition.txt", "Anno/list_category_cloth.txt", "Anno/list_category_img.txt",
                                "Anno/list_attr_cloth.txt",     "Anno/list_attr_img.txt",       "Anno/list_bbox.txt",
                                "Anno/list_landmarks.txt"};

std::string source_key(const fs::path & root) {
    std::string key = magic;
    for (const char * source : sources) {
        std::error_code ec;
        const auto size = fs::file_size(root / source, ec);
        if (ec) {
            key += std::string("|") + source + ":none";
            continue;
        }
        const auto time = fs::last_write_time(root / source, ec).time_since_epoch().count();
        key += std::string("|") + source + ":" + std::to_string(size) + ":" + std::to_string(time);
    }
    return key;
}

class writer {
public:
    template <typename T>
    void pod(const T & v) {
        bytes_.append(reinterpret_cast<const char *>(&v), sizeof v);
    }
    void text(const std::string & s) {
        pod<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
        bytes_ += s;
    }
    template <typename T>
    void array(const std::vector<T> & v) {
        pod<std::uint64_t>(v.size());
        bytes_.append(reinterpret_cast<const char *>(v.data()), v.size() * sizeof(T));
    }
    const std::string & bytes() const { return bytes_; }

private:
    std::string bytes_;
};

class reader {
public:
    explicit reader(std::string bytes) : bytes_(std::move(bytes)) {}
    template <typename T>
    T pod() {
        T v{};
        take(&v, sizeof v);
        return v;
    }
    std::string text() {
        std::string s(pod<std::uint32_t>(), '\0');
        take(s.data(), s.size());
        return s;
    }
    template <typename T>
    std::vector<T> array() {
        std::vector<T> v(pod<std::uint64_t>());
        take(v.data(), v.size() * sizeof(T));
        return v;
    }

private:
    void take(void * out, std::size_t n) {
        if (at_ + n > bytes_.size()) throw data_error("index cache is truncated");
        std::memcpy(out, bytes_.data() + at_, n);
        at_ += n;
    }
    std::string bytes_;
    std::size_t at_ = 0;
};

std::string serialize(const dataset_index & index, const std::string & key) {
    writer w;
    w.text(key);
    w.text(index.landmark_format);
    w.pod<std::uint8_t>(index.has_attributes);
    w.pod<std::uint8_t>(index.has_bbox);
    w.pod<std::uint8_t>(index.has_landmarks);
    w.pod<std::uint32_t>(static_cast<std::uint32_t>(index.categories.size()));
    for (const auto & c : index.categories) {
        w.text(c.name);
        w.text(c.type);
    }
    w.pod<std::uint32_t>(static_cast<std::uint32_t>(index.attributes.size()));
    for (const auto & a : index.attributes) {
        w.text(a.name);
        w.text(a.type);
    }
    w.pod<std::uint64_t>(index.samples.size());
    for (const sample & s : index.samples) {
        w.text(s.image);
        w.pod(s.category);
        w.pod(s.part);
        w.pod(s.bbox);
        w.pod<std::uint8_t>(s.has_bbox);
        w.pod(s.type);
        w.pod(s.landmarks);
        w.pod(s.visible);
    }
    w.array(index.attribute_bits);
    return w.bytes();
}

dataset_index deserialize(std::string bytes, const std::string & key, const std::string & root, bool & current) {
    reader r(std::move(bytes));
    dataset_index index;
    current = r.text() == key;
    if (!current) return index;
    index.root = root;
    index.landmark_format = r.text();
    index.has_attributes = r.pod<std::uint8_t>();
    index.has_bbox = r.pod<std::uint8_t>();
    index.has_landmarks = r.pod<std::uint8_t>();
    index.categories.resize(r.pod<std::uint32_t>());
    for (auto & c : index.categories) {
        c.name = r.text();
        c.type = r.text();
    }
    index.attributes.resize(r.pod<std::uint32_t>());
    for (auto & a : index.attributes) {
        a.name = r.text();
        a.type = r.text();
    }
    index.samples.resize(r.pod<std::uint64_t>());
    for (sample & s : index.samples) {
        s.image = r.text();
        s.category = r.pod<int>();
        s.part = r.pod<split>();
        s.bbox = r.pod<box>();
        s.has_bbox = r.pod<std::uint8_t>();
        s.type = r.pod<clothes_type>();
        s.landmarks = r.pod<std::array<point, landmark_slots>>();
        s.visible = r.pod<std::array<visibility, landmark_slots>>();
    }
    index.attribute_bits = r.array<std::uint64_t>();
    return index;
}

}  // namespace

dataset_index load_dataset(const std::string & root_text, std::string * cache_note) {
    if (is_photo_set(root_text)) {  // listed afresh each time: nothing is written among the user's photos
        long long skipped = 0;
        dataset_index index = read_photo_set(root_text, &skipped);
        if (cache_note) {
            *cache_note = "photos listed from " + root_text +
                          (skipped ? " (" + std::to_string(skipped) + " listed photos do not exist and were skipped)" : "");
        }
        return index;
    }
    const fs::path root(root_text);
    const fs::path cache = root / cache_name;
    const std::string key = source_key(root);
    const auto note = [&](const std::string & text) {
        if (cache_note) *cache_note = text;
    };
    if (file_contents file = read_file(cache.string()); file.problem.empty()) {
        try {
            bool current = false;
            dataset_index index = deserialize(file.bytes, key, root_text, current);
            if (current) {
                note("index read from the cache " + cache.string());
                return index;
            }
        } catch (const data_error &) {
            // A damaged cache is rebuilt from the sources below.
        }
    }
    dataset_index index = read_dataset(root_text);
    try {
        write_file_atomically(cache.string(), serialize(index, key));
        note("index read from the annotation files and cached in " + cache.string());
    } catch (const std::runtime_error & e) {
        note(std::string("index read from the annotation files (no cache: ") + e.what() + ")");
    }
    return index;
}

}  // namespace vestis::data
