#pragma once

#include <CLI/CLI.hpp>

namespace vestis::cli {

// `vestis train` and `vestis eval`
void add_train_commands(CLI::App & app);

}  // namespace vestis::cli
