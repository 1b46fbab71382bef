// Resizes a raw 8-bit image file with vestis::resize, for comparison with other
// implementations (tests/reference/resize_matches_pil.py).
#include "vestis/resample.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

int main(int argc, char ** argv) {
    if (argc != 8) {
        std::fprintf(stderr, "usage: resize_raw IN.raw WIDTH HEIGHT CHANNELS(1|3|4) OUT_WIDTH OUT_HEIGHT OUT.raw\n");
        return 2;
    }
    const int width = std::atoi(argv[2]), height = std::atoi(argv[3]), channels = std::atoi(argv[4]);
    const int out_width = std::atoi(argv[5]), out_height = std::atoi(argv[6]);
    std::ifstream in(argv[1], std::ios::binary);
    const std::vector<std::uint8_t> pixels((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto format = channels == 1   ? vestis::pixel_format::gray8
                        : channels == 3 ? vestis::pixel_format::rgb8
                                        : vestis::pixel_format::rgba8;
    const vestis::image_view view{pixels.data(), width, height, static_cast<std::ptrdiff_t>(width) * channels, format};
    if (pixels.size() != static_cast<std::size_t>(width) * height * channels || !vestis::validate(view)) {
        std::fprintf(stderr, "resize_raw: %s does not hold a %dx%dx%d image\n", argv[1], width, height, channels);
        return 1;
    }
    const vestis::image out = vestis::resize(view, out_width, out_height);
    std::ofstream(argv[7], std::ios::binary)
        .write(reinterpret_cast<const char *>(out.data()), static_cast<std::streamsize>(out.size_bytes()));
    return 0;
}
