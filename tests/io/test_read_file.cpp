// read_file: a regular file in one read of its size, a pipe (no size) in chunks; both exact.
#include "io/atomic_file.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <string>
#include <thread>

namespace {

// Every byte value, NULs and line ends included, over more than one 64 KiB chunk.
std::string varied_bytes(std::size_t count) {
    std::string bytes(count, '\0');
    for (std::size_t i = 0; i < count; ++i) bytes[i] = static_cast<char>((i * 7 + i / 256) & 0xff);
    return bytes;
}

}  // namespace

TEST(read_file, returns_a_regular_file_byte_for_byte) {
    const std::string path = ::testing::TempDir() + "regular.bin", bytes = varied_bytes(200'003);
    std::ofstream(path, std::ios::binary) << bytes;
    const vestis::file_contents file = vestis::read_file(path);
    EXPECT_EQ(file.problem, "");
    EXPECT_EQ(file.bytes, bytes);
}

TEST(read_file, returns_an_empty_file_as_no_bytes) {
    const std::string path = ::testing::TempDir() + "empty.bin";
    std::ofstream{path};
    const vestis::file_contents file = vestis::read_file(path);
    EXPECT_EQ(file.problem, "");
    EXPECT_EQ(file.bytes, "");
}

TEST(read_file, reads_a_pipe_which_has_no_size_to_its_end) {
    const std::string path = ::testing::TempDir() + "pipe", bytes = varied_bytes(150'001);
    ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
    std::thread writer([&] { std::ofstream(path, std::ios::binary) << bytes; });
    const vestis::file_contents file = vestis::read_file(path);
    writer.join();
    EXPECT_EQ(file.problem, "");
    EXPECT_EQ(file.bytes.size(), bytes.size());
    EXPECT_EQ(file.bytes, bytes);
}
