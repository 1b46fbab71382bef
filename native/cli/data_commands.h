#pragma once

#include <CLI/CLI.hpp>

namespace vestis::cli {

// `vestis data index | synth | fmnist`
void add_data_commands(CLI::App & app);

}  // namespace vestis::cli
