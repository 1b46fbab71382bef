// The main of every GoogleTest program here. Each process gets a temporary folder of its own,
// as TMPDIR (std::filesystem::temp_directory_path, and the commands a test runs) and as
// TEST_TMPDIR (::testing::TempDir): ctest runs tests side by side, and two of them writing
// /tmp/vestis-cut.jpg at once would fail by chance. The folder goes when the tests end.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

int main(int argc, char ** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    const char * parent = std::getenv("TMPDIR");
    std::string folder = std::string(parent && *parent ? parent : "/tmp") + "/vestis-test-XXXXXX";
    if (!mkdtemp(folder.data())) {
        std::perror(("cannot make a temporary folder like " + folder).c_str());
        return 2;
    }
    setenv("TMPDIR", folder.c_str(), 1);
    setenv("TEST_TMPDIR", folder.c_str(), 1);
    const int status = RUN_ALL_TESTS();
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
    return status;
}
