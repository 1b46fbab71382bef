// A synthetic data set in DeepFashion's exact files: drawn garments whose tags a person can
// read off the picture, with landmarks exactly where the drawing puts them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vestis::data {

struct synth_options {
    std::string out;     // a new or empty folder
    bool force = false;  // replace a set this command wrote there before
    int images = 1000;
    std::uint64_t seed = 1;
    double val_fraction = 0.1;
    double test_fraction = 0.1;
};

struct synth_garment_kind {
    const char * name;
    int clothes_type;  // 1 upper, 2 lower, 3 full
};
const std::vector<synth_garment_kind> & synth_categories();
// Attribute names and DeepFashion type codes (1 texture .. 5 style).
const std::vector<std::pair<const char *, int>> & synth_attributes();

// Writes img/..., Anno/*.txt and Eval/list_eval_partition.txt. Throws data_error.
void write_synthetic_dataset(const synth_options & options, const std::function<void(int done, int total)> & progress);

}  // namespace vestis::data
