#include "io/torch_save.h"
#include "torch_fixture.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

using namespace vestis;

TEST(read_torch_save, reads_every_storage_type_and_strided_tensors) {
    const auto tensors = read_torch_save(torch_fixture("tensors.pth"));
    ASSERT_EQ(tensors.size(), 4u);
    EXPECT_EQ(tensors.at("float").shape, (std::vector<std::int64_t>{1, 3}));
    EXPECT_EQ(tensors.at("float").values, (std::vector<float>{1.5f, -2.0f, 3.25f}));
    EXPECT_FLOAT_EQ(tensors.at("double").values[1], 0.2f);
    EXPECT_EQ(tensors.at("long").values[1], -3.0f);
    EXPECT_EQ(tensors.at("long").values[2], static_cast<float>(1LL << 40));
    // arange(6).reshape(2, 3).t() is [[0, 3], [1, 4], [2, 5]]: read through its strides.
    EXPECT_EQ(tensors.at("transposed").shape, (std::vector<std::int64_t>{3, 2}));
    EXPECT_EQ(tensors.at("transposed").values, (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(read_torch_save, reads_a_torchvision_state_dict) {
    const auto state = read_torch_save(torch_fixture("vgg16.pth"));
    EXPECT_EQ(state.size(), 32u);  // 13 convolutions and 3 linear layers, weight and bias each
    EXPECT_EQ(state.at("features.28.weight").shape, (std::vector<std::int64_t>{512, 512, 3, 3}));
    EXPECT_EQ(state.at("classifier.0.weight").numel(), 4096LL * 25088);
}

TEST(read_torch_save, names_the_file_and_the_problem) {
    const std::string not_zip = ::testing::TempDir() + "/not_a_checkpoint.pth";
    std::ofstream(not_zip) << "just text, not a zip archive";
    try {
        read_torch_save(not_zip);
        FAIL() << "no error";
    } catch (const std::runtime_error & e) {
        EXPECT_NE(std::string(e.what()).find(not_zip + ": not a zip archive"), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_torch_save(::testing::TempDir() + "/does_not_exist.pth"), std::runtime_error);
}
