#include "data/fmnist.h"

#include "data/dataset.h"
#include "io/atomic_file.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

namespace vestis::data {

namespace fs = std::filesystem;

namespace {

// Class names of Fashion-MNIST, with the DeepFashion clothes type nearest to each (the
// format has no type for footwear or bags: footwear counts as lower-body, the bag as full).
struct fmnist_class {
    const char * name;
    int type;
};
const fmnist_class classes[10] = {{"T-shirt/top", 1}, {"Trouser", 2}, {"Pullover", 1}, {"Dress", 3}, {"Coat", 1},
                                  {"Sandal", 2},      {"Shirt", 1},   {"Sneaker", 2},  {"Bag", 3},   {"Ankle boot", 2}};

std::vector<unsigned char> read_gzip(const std::string & path) {
    std::unique_ptr<gzFile_s, decltype(&gzclose)> file(gzopen(path.c_str(), "rb"), &gzclose);
    if (!file) throw data_error(path + ": cannot open (is dataset-fashion-mnist installed? tools/bootstrap installs it)");
    std::vector<unsigned char> bytes;
    unsigned char buffer[1 << 16];
    int n;
    while ((n = gzread(file.get(), buffer, sizeof buffer)) > 0) bytes.insert(bytes.end(), buffer, buffer + n);
    if (n < 0) throw data_error(path + ": not a readable gzip file");
    return bytes;
}

std::uint32_t big_endian(const std::vector<unsigned char> & b, std::size_t at) {
    return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

// IDX files: a magic number (0x801 labels, 0x803 images), the dimensions, then bytes.
std::vector<unsigned char> read_idx(const std::string & path, std::uint32_t magic, std::vector<std::uint32_t> & dims) {
    std::vector<unsigned char> bytes = read_gzip(path);
    const std::size_t rank = magic & 0xff;
    if (bytes.size() < 4 + 4 * rank || big_endian(bytes, 0) != magic) {
        throw data_error(path + ": not an IDX file of the expected kind (magic number)");
    }
    std::size_t count = 1;
    dims.clear();
    for (std::size_t d = 0; d < rank; ++d) {
        dims.push_back(big_endian(bytes, 4 + 4 * d));
        count *= dims.back();
    }
    if (bytes.size() != 4 + 4 * rank + count)
        throw data_error(path + ": holds " + std::to_string(bytes.size()) + " bytes, not the " + std::to_string(4 + 4 * rank + count) +
                         " its header declares");
    bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(4 + 4 * rank));
    return bytes;
}

}  // namespace

void import_fashion_mnist(const fmnist_options & options, const std::function<void(int, int)> & progress) {
    const fs::path out(options.out);
    try {
        prepare_output_folder(options.out, ".vestis-fmnist", options.force, "vestis data fmnist");
    } catch (const std::runtime_error & e) {
        throw data_error(e.what());
    }
    fs::create_directories(out / "Anno");
    fs::create_directories(out / "Eval");
    write_file_atomically((out / ".vestis-fmnist").string(), "written by vestis data fmnist\n");
    for (const auto & c : classes) fs::create_directories(out / "img" / ("fmnist_" + std::to_string(&c - classes)));

    std::ostringstream category_img, partition;
    long long total = 0;
    int written = 0;
    std::vector<std::pair<std::vector<unsigned char>, std::vector<unsigned char>>> data;
    for (const char * prefix : {"train", "t10k"}) {
        std::vector<std::uint32_t> image_dims, label_dims;
        const std::string images = options.source + "/" + prefix + "-images-idx3-ubyte.gz";
        const std::string labels = options.source + "/" + prefix + "-labels-idx1-ubyte.gz";
        auto pixels = read_idx(images, 0x803, image_dims);
        auto classes_of = read_idx(labels, 0x801, label_dims);
        if (label_dims[0] != image_dims[0])
            throw data_error(labels + ": " + std::to_string(label_dims[0]) + " labels for " + std::to_string(image_dims[0]) + " images");
        if (image_dims[1] != 28 || image_dims[2] != 28) throw data_error(images + ": images are not 28x28");
        total += image_dims[0];
        data.emplace_back(std::move(pixels), std::move(classes_of));
    }
    int index = 0;
    for (std::size_t d = 0; d < data.size(); ++d) {
        const auto & [pixels, labels] = data[d];
        for (std::size_t i = 0; i < labels.size(); ++i) {
            const int label = labels[i];
            if (label > 9)
                throw data_error("label " + std::to_string(label) + " of image " + std::to_string(i) + " is not a Fashion-MNIST class");
            char name[64];
            std::snprintf(name, sizeof name, "img/fmnist_%d/img_%08d.png", label, ++index);
            const cv::Mat image(28, 28, CV_8U, const_cast<unsigned char *>(pixels.data() + i * 784));
            if (!cv::imwrite((out / name).string(), image)) throw data_error((out / name).string() + ": cannot write");
            const bool training = d == 0;
            const char * status = !training ? "test"
                                  : (i % static_cast<std::size_t>(options.val_every) == static_cast<std::size_t>(options.val_every - 1))
                                      ? "val"
                                      : "train";
            category_img << name << " " << label + 1 << "\n";
            partition << name << " " << status << "\n";
            if (progress && (++written % 1000 == 0 || written == total)) progress(written, static_cast<int>(total));
        }
    }
    std::ostringstream cloth;
    cloth << 10 << "\ncategory_name  category_type\n";
    for (const auto & c : classes) cloth << c.name << " " << c.type << "\n";
    write_file_atomically((out / "Anno/list_category_cloth.txt").string(), cloth.str());
    write_file_atomically((out / "Anno/list_category_img.txt").string(),
                          std::to_string(total) + "\nimage_name  category_label\n" + category_img.str());
    write_file_atomically((out / "Eval/list_eval_partition.txt").string(),
                          std::to_string(total) + "\nimage_name  evaluation_status\n" + partition.str());
}

}  // namespace vestis::data
