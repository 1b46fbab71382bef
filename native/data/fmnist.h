// Fashion-MNIST (Debian's dataset-fashion-mnist: 60,000 training and 10,000 test images of
// 28x28 garments in 10 classes) converted into the DeepFashion layout, category only.
#pragma once

#include <functional>
#include <string>

namespace vestis::data {

struct fmnist_options {
    std::string source = "/usr/share/datasets/fashion-mnist";
    std::string out;     // a new or empty folder
    bool force = false;  // replace a set this command wrote there before
    int val_every = 12;  // every 12th training image (5,000) becomes validation
};

// Throws data_error naming the file on a missing or malformed IDX file.
void import_fashion_mnist(const fmnist_options & options, const std::function<void(int done, int total)> & progress);

}  // namespace vestis::data
