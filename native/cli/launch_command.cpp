#include "cli/launch_command.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace vestis::cli {

namespace {

std::vector<pid_t> children;

// Ctrl-C and termination reach every rank, which saves and stops at the same step.
extern "C" void forward_signal(int signal) {
    for (pid_t child : children) kill(child, signal);
}

struct launch_args {
    int processes = 2;
    int nodes = 1;
    int node_rank = 0;
    std::string master_address = "127.0.0.1";
    int master_port = 29500;
    int threads = 0;
    std::vector<std::string> command;
};

int launch(const launch_args & a, const char * self) {
    const int world = a.processes * a.nodes;
    // Every rank's threads share the cores: split them unless told otherwise.
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const int threads = a.threads > 0 ? a.threads : static_cast<int>(std::max(1L, cores / a.processes));
    std::signal(SIGINT, forward_signal);
    std::signal(SIGTERM, forward_signal);
    for (int local = 0; local < a.processes; ++local) {
        const pid_t pid = fork();
        if (pid < 0) {
            std::perror("vestis launch: fork");
            forward_signal(SIGTERM);
            return 1;
        }
        if (pid == 0) {
            std::signal(SIGINT, SIG_DFL);
            std::signal(SIGTERM, SIG_DFL);
            setenv("MASTER_ADDR", a.master_address.c_str(), 1);
            setenv("MASTER_PORT", std::to_string(a.master_port).c_str(), 1);
            setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
            setenv("RANK", std::to_string(a.node_rank * a.processes + local).c_str(), 1);
            setenv("LOCAL_RANK", std::to_string(local).c_str(), 1);
            setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
            std::vector<std::string> arguments = a.command;
            arguments.push_back("--set");
            arguments.push_back("train.threads=" + std::to_string(threads));
            std::vector<char *> argv = {const_cast<char *>(self)};
            for (std::string & s : arguments) argv.push_back(s.data());
            argv.push_back(nullptr);
            execv("/proc/self/exe", argv.data());
            std::perror("vestis launch: exec");
            _exit(127);
        }
        children.push_back(pid);
    }
    // The first rank to fail ends the run: the others are told to stop, and the launcher
    // returns that rank's status. A rank that stopped cleanly (130) is not a failure.
    int result = 0;
    std::size_t running = children.size();
    while (running > 0) {
        int status = 0;
        const pid_t done = wait(&status);
        if (done < 0) break;
        --running;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code == 130 && result == 0) {
            result = code;  // stopped (Ctrl-C or train.max_steps): every rank stops at the same step on its own
        } else if (code != 0 && (result == 0 || result == 130)) {
            result = code;
            int rank = 0;
            for (std::size_t i = 0; i < children.size(); ++i)
                if (children[i] == done) rank = a.node_rank * a.processes + static_cast<int>(i);
            std::fprintf(stderr, "vestis launch: rank %d ended with status %d; stopping the other ranks\n", rank, code);
            for (pid_t child : children)
                if (child != done) kill(child, SIGTERM);
        }
    }
    return result;
}

}  // namespace

void add_launch_command(CLI::App & app, const char * self) {
    auto args = std::make_shared<launch_args>();
    auto * command =
        app.add_subcommand("launch", "Start data-parallel ranks of a vestis command: vestis launch --nproc 2 -- train --config ...");
    command->add_option("--nproc", args->processes, "Ranks on this machine (one per GPU, or CPU processes)")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    command->add_option("--nnodes", args->nodes, "Machines taking part, each running this command")
        ->capture_default_str()
        ->check(CLI::Range(1, 4096));
    command->add_option("--node-rank", args->node_rank, "This machine's index, 0 on the master")
        ->capture_default_str()
        ->check(CLI::Range(0, 4095));
    command->add_option("--master-addr", args->master_address, "Address of node 0 (rank 0 listens there)")->capture_default_str();
    command->add_option("--master-port", args->master_port, "A free TCP port on node 0")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535));
    command->add_option("--threads", args->threads, "Threads per rank (default: the cores divided by --nproc)")->check(CLI::Range(0, 1024));
    command->add_option("command", args->command, "The vestis command to run in each rank, after --")->required();
    command->callback([args, self] {
        if (args->node_rank >= args->nodes) throw CLI::ValidationError("--node-rank", "must be below --nnodes");
        if (args->command.empty() || args->command[0] != "train") throw CLI::ValidationError("command", "only `train` runs as ranks");
        const int status = launch(*args, self);
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

}  // namespace vestis::cli
