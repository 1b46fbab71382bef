#include "photo_list.h"

#include "data/photo_sets.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace vestis::viewer {

namespace {

// A folder of a whole data set can hold hundreds of thousands of photos; the list stays usable.
constexpr std::size_t max_photos_per_folder = 500'000;

}  // namespace

bool looks_like_image(const std::string & path) { return data::is_photo_file(path); }

bool is_model_folder(const std::string & path) {
    std::error_code error;
    return fs::is_directory(path, error) && fs::exists(fs::path(path) / "card.json", error) &&
           fs::exists(fs::path(path) / "model.onnx", error);
}

const std::string & photo_list::current_path() const {
    static const std::string none;
    return current_ >= 0 ? paths_[static_cast<std::size_t>(current_)] : none;
}

bool photo_list::select(int index) {
    if (paths_.empty()) return false;
    index = std::clamp(index, 0, size() - 1);
    if (index == current_) return false;
    current_ = index;
    return true;
}

int photo_list::add_one(const std::string & path) {
    const auto [at, added] = index_of_.emplace(path, size());
    if (added) paths_.push_back(path);
    return at->second;
}

int photo_list::add(const std::string & path, std::string * note) {
    std::error_code error;
    if (!fs::is_directory(path, error)) {
        const int index = add_one(path);
        if (current_ < 0) current_ = index;
        return index;
    }
    std::vector<std::string> found;
    const auto options = fs::directory_options::skip_permission_denied;
    for (fs::recursive_directory_iterator it(path, options, error), end; !error && it != end; it.increment(error)) {
        if (it->is_regular_file(error) && looks_like_image(it->path().string())) found.push_back(it->path().string());
        if (found.size() >= max_photos_per_folder) break;
    }
    if (found.empty()) {
        if (note) *note = path + ": no photos (JPEG, PNG, BMP, WebP, TIFF) in this folder";
        return -1;
    }
    std::sort(found.begin(), found.end());
    int first = -1;
    for (const std::string & photo : found) {
        const int index = add_one(photo);
        if (first < 0) first = index;
    }
    if (current_ < 0) current_ = first;
    return first;
}

}  // namespace vestis::viewer
