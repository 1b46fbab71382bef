// Where the fixtures of make_torch_fixtures.py are: the folder ctest names in
// VESTIS_TORCH_FIXTURES (the torch_fixtures.write test writes them first).
#pragma once

#include <cstdlib>
#include <string>

inline std::string torch_fixture(const char * name) {
    const char * folder = std::getenv("VESTIS_TORCH_FIXTURES");
    return std::string(folder ? folder : "torch-fixtures") + "/" + name;
}
