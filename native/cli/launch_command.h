// `vestis launch --nproc N -- train ...`: N local ranks of a data-parallel run.
#pragma once

#include <CLI/CLI.hpp>

namespace vestis::cli {

// argv[0] is re-executed for each rank.
void add_launch_command(CLI::App & app, const char * self);

}  // namespace vestis::cli
