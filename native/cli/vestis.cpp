// vestis: the command-line front-end. Each command is a thin layer over the libraries;
// each command declares its flags beside it in cli/*_commands.cpp.
#include "cli/data_commands.h"
#include "cli/launch_command.h"
#include "cli/model_commands.h"
#include "cli/study_commands.h"
#include "cli/train_commands.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>

#include <unistd.h>

namespace {

// A floating-point exception has one known cause in Vestis: oneDNN 3.6 (LibTorch 2.6) divides by
// zero choosing a convolution's backward kernel on some virtual AMD machines. Say so, then die of
// the signal as before (the exit status still tells the launcher and the shell what happened).
extern "C" void explain_floating_point_exception(int signal_number) {
    static const char hint[] =
        "vestis: floating-point exception (SIGFPE). LibTorch 2.x's oneDNN is known to raise it choosing a\n"
        "convolution's backward kernel on some (virtual) AMD processors: if this was training on the CPU,\n"
        "run again with VESTIS_ONEDNN=0 in the environment (docs/gpu-servers.md#known-problems).\n";
    [[maybe_unused]] const ssize_t written = write(STDERR_FILENO, hint, sizeof hint - 1);  // async-signal-safe
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
}

}  // namespace

int main(int argc, char ** argv) {
    std::signal(SIGFPE, explain_floating_point_exception);
    CLI::App app{"Vestis: tags for the garment in a photo (category, attributes, landmarks)"};
    app.require_subcommand(1);

    vestis::cli::add_data_commands(app);
    vestis::cli::add_train_commands(app);
    vestis::cli::add_model_commands(app, argc, argv);
    vestis::cli::add_study_commands(app);
    vestis::cli::add_launch_command(app, argv[0]);

    // Commands run from their callbacks inside parse(); their errors end here.
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError & e) {
        return app.exit(e);
    } catch (const std::exception & e) {
        std::fprintf(stderr, "vestis: %s\n", e.what());
        return 1;
    }
    return 0;
}
