#include "vestis/preprocess.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace vestis;

namespace {

image solid(int w, int h, pixel_format format, std::initializer_list<int> value) {
    image img(w, h, format);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            int c = 0;
            for (int v : value) img.row(y)[x * img.channels() + c++] = static_cast<std::uint8_t>(v);
        }
    return img;
}

}  // namespace

TEST(preprocess, normalises_each_channel_with_the_card_statistics) {
    const image photo = solid(300, 200, pixel_format::rgb8, {255, 0, 51});
    preprocess_options options;  // 224x224, ImageNet statistics
    std::vector<float> chw(3 * 224 * 224);
    ASSERT_TRUE(preprocess(photo.view(), nullptr, options, chw.data()).ok());
    // Hand-computed: (1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0.2 - 0.406) / 0.225.
    const float expected[3] = {2.2489083f, -2.0357143f, -0.9155556f};
    for (int c = 0; c < 3; ++c) {
        for (int i = 0; i < 224 * 224; i += 997) EXPECT_NEAR(chw[c * 224 * 224 + i], expected[c], 1e-5);
    }
}

TEST(preprocess, replicates_gray_and_ignores_alpha) {
    preprocess_options options;
    options.input_width = options.input_height = 8;
    options.norm = {{0, 0, 0}, {1, 1, 1}};
    std::vector<float> gray(3 * 64), rgba(3 * 64);
    ASSERT_TRUE(preprocess(solid(16, 16, pixel_format::gray8, {102}).view(), nullptr, options, gray.data()).ok());
    ASSERT_TRUE(preprocess(solid(16, 16, pixel_format::rgba8, {102, 102, 102, 0}).view(), nullptr, options, rgba.data()).ok());
    for (int i = 0; i < 3 * 64; ++i) {
        EXPECT_FLOAT_EQ(gray[i], 0.4f);
        EXPECT_FLOAT_EQ(rgba[i], 0.4f);
    }
}

TEST(preprocess, crops_to_the_box) {
    // Left half red, right half blue; a box over the right half sees only blue.
    image photo(100, 50, pixel_format::rgb8);
    for (int y = 0; y < 50; ++y)
        for (int x = 0; x < 100; ++x) {
            std::uint8_t * p = photo.row(y) + 3 * x;
            p[0] = x < 50 ? 255 : 0, p[1] = 0, p[2] = x < 50 ? 0 : 255;
        }
    preprocess_options options;
    options.input_width = options.input_height = 16;
    options.norm = {{0, 0, 0}, {1, 1, 1}};
    std::vector<float> chw(3 * 256);
    const box right_half{50, 0, 100, 50};
    auto g = preprocess(photo.view(), &right_half, options, chw.data());
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g.value().crop.x, 50);
    for (int i = 0; i < 256; ++i) {
        EXPECT_FLOAT_EQ(chw[i], 0.0f);
        EXPECT_FLOAT_EQ(chw[2 * 256 + i], 1.0f);
    }
}

TEST(preprocess, letterbox_pads_with_the_mean_colour) {
    preprocess_options options;
    options.input_width = options.input_height = 20;
    options.policy = crop_policy::letterbox;
    std::vector<float> chw(3 * 400, 42.0f);
    auto g = preprocess(solid(40, 20, pixel_format::rgb8, {255, 255, 255}).view(), nullptr, options, chw.data());
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g.value().content.y, 5);
    EXPECT_EQ(g.value().content.height, 10);
    for (int c = 0; c < 3; ++c) {
        const float white = (1.0f - options.norm.mean[c]) / options.norm.std[c];
        for (int y = 0; y < 20; ++y) {
            const float expected = (y >= 5 && y < 15) ? white : 0.0f;
            EXPECT_NEAR(chw[c * 400 + y * 20 + 7], expected, 1e-5) << "channel " << c << " row " << y;
        }
    }
}

TEST(preprocess, rejects_bad_images_and_options_with_the_reason) {
    std::vector<float> chw(3 * 224 * 224);
    const std::uint8_t pixel[3] = {0, 0, 0};
    preprocess_options options;
    EXPECT_NE(preprocess({nullptr, 1, 1, 3, pixel_format::rgb8}, nullptr, options, chw.data()).error().message().find("no pixel data"),
              std::string::npos);
    EXPECT_NE(preprocess({pixel, 1, 1, 2, pixel_format::rgb8}, nullptr, options, chw.data()).error().message().find("stride"),
              std::string::npos);
    options.norm.std[1] = 0;
    EXPECT_NE(
        preprocess({pixel, 1, 1, 3, pixel_format::rgb8}, nullptr, options, chw.data()).error().message().find("std of the green channel"),
        std::string::npos);
}

TEST(input_to_rgba, undoes_normalisation_and_layout) {
    image photo(6, 4, pixel_format::rgb8);
    for (std::size_t i = 0; i < photo.size_bytes(); ++i) photo.data()[i] = static_cast<std::uint8_t>(i * 11 % 256);
    preprocess_options options;
    options.input_width = 6;
    options.input_height = 4;
    std::vector<float> chw(3 * 24);
    ASSERT_TRUE(preprocess(photo.view(), nullptr, options, chw.data()).ok());
    const image back = input_to_rgba(chw.data(), 6, 4, options.norm);
    for (int i = 0; i < 24; ++i) {
        for (int c = 0; c < 3; ++c) EXPECT_EQ(back.data()[4 * i + c], photo.data()[3 * i + c]);
        EXPECT_EQ(back.data()[4 * i + 3], 255);
    }
}
