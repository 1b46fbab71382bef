// `vestis model info` (a network's layers), `vestis export` (a run -> models/NAME) and `vestis predict` (photos -> tags).
#pragma once

#include <CLI/CLI.hpp>

namespace vestis::cli {

// argc/argv: the command line, recorded in the card of an export.
void add_model_commands(CLI::App & app, int argc, char ** argv);

}  // namespace vestis::cli
