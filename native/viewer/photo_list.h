// The photos the viewer steps through: given on the command line, dropped on the window or
// typed into the list panel. Folders contribute the images under them, sorted by path.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

namespace vestis::viewer {

// By extension: what OpenCV decodes (JPEG, PNG, BMP, WebP, TIFF).
bool looks_like_image(const std::string & path);
// A folder holding an exported model (model.onnx + card.json).
bool is_model_folder(const std::string & path);

class photo_list {
public:
    // A file is kept as given, readable or not (the window says what is wrong with it); a
    // folder adds the images beneath it. Returns the index of the first photo added (or already
    // listed), -1 when none; `note` says why nothing was added.
    int add(const std::string & path, std::string * note = nullptr);

    const std::vector<std::string> & paths() const { return paths_; }
    bool empty() const { return paths_.empty(); }
    int size() const { return static_cast<int>(paths_.size()); }
    int current() const { return current_; }
    const std::string & current_path() const;

    // Clamped to the list; returns whether the selection changed.
    bool select(int index);
    bool step(int delta) { return select(current_ + delta); }

private:
    int add_one(const std::string & path);

    std::vector<std::string> paths_;
    std::unordered_map<std::string, int> index_of_;  // a big folder dropped twice stays fast
    int current_ = -1;
};

}  // namespace vestis::viewer
