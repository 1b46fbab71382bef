// DeepFashion-format data sets (the Category and Attribute Prediction benchmark, the Fashion
// Landmark Detection benchmark, and Vestis's synthetic and Fashion-MNIST sets written in the
// same files), joined per image into one index.
#pragma once

#include "vestis/geometry.h"
#include "vestis/model_card.h"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace vestis::data {

constexpr int landmark_slots = 8;  // collar L/R, sleeve L/R, waist L/R, hem L/R

enum class split : std::uint8_t { train, val, test };
const char * split_name(split s);
// "train", "val" or "test"; anything else is refused by name: "--split: expected train, val or test, got 'x'".
split parse_split(const std::string & name);

enum class clothes_type : std::uint8_t { unknown = 0, upper = 1, lower = 2, full = 3 };
const char * clothes_type_name(clothes_type t);

// DeepFashion's codes 0, 1, 2, and `absent` for a slot the garment type does not have.
enum class visibility : std::uint8_t { visible = 0, occluded = 1, truncated = 2, absent = 3 };

// A garment or accessory in a photo, where the set gives one (item_boxes.csv beside a tags CSV).
struct item_box {
    int attribute = -1;  // the tag it shows
    box region;          // pixels of the original image
};

struct sample {
    std::string image;  // path relative to the data set root
    int category = -1;  // 0-based, -1 when unknown
    split part = split::train;
    box bbox;  // whole image when the set has no boxes
    bool has_bbox = false;
    clothes_type type = clothes_type::unknown;
    std::array<point, landmark_slots> landmarks{};     // pixels of the original image
    std::array<visibility, landmark_slots> visible{};  // absent unless the set has landmarks
    std::vector<item_box> items;                       // every tag's box, or none
};

struct dataset_index {
    std::string root;
    std::string landmark_format;  // "category-attribute", "landmark-detection" or "" (none)
    bool has_attributes = false, has_bbox = false, has_landmarks = false;
    std::vector<category_info> categories;
    std::vector<attribute_info> attributes;
    std::vector<sample> samples;
    // Attribute labels, one bit per attribute, `attribute_words()` 64-bit words per sample.
    std::vector<std::uint64_t> attribute_bits;

    int attribute_words() const { return (static_cast<int>(attributes.size()) + 63) / 64; }
    bool attribute(std::size_t sample_index, int attribute) const {
        return (attribute_bits[sample_index * attribute_words() + attribute / 64] >> (attribute % 64)) & 1u;
    }
};

// A problem with a data set file: "<file>:<line>: <what was expected>".
class data_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Reads and joins the annotation files under `root` (Anno/, Eval/). Throws data_error.
dataset_index read_dataset(const std::string & root);

// The same, from the compact cache beside the annotations when it is still current
// (keyed by the sources' sizes and times); refreshes the cache otherwise. `cache_note`
// says which happened.
dataset_index load_dataset(const std::string & root, std::string * cache_note = nullptr);

// At most `per_split` samples of each split (all when <= 0), the same ones for the same seed.
std::vector<std::size_t> subset(const dataset_index & index, split part, long long per_split, std::uint64_t seed);

// Counts per split, category and clothes type, as `vestis data index` prints them.
std::string summarize(const dataset_index & index);

}  // namespace vestis::data
