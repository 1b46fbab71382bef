// `vestis study --plan FILE`: experiments, the report, and what the model manager reuses.
#pragma once

#include <CLI/CLI.hpp>

namespace vestis::cli {

void add_study_commands(CLI::App & app);

}  // namespace vestis::cli
