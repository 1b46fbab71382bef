#include "io/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace vestis {

void write_file_atomically(const std::string & path, std::string_view bytes) {
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            const std::string reason = std::strerror(errno);
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            throw std::runtime_error(path + ": cannot write (" + reason + ")");
        }
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) {
        std::filesystem::remove(temporary, ec);
        throw std::runtime_error(path + ": cannot replace (" + ec.message() + ")");
    }
}

void prepare_output_folder(const std::string & folder, const std::string & marker, bool force, const std::string & command) {
    namespace fs = std::filesystem;
    const fs::path out(folder);
    if (fs::exists(out) && !fs::is_directory(out)) throw std::runtime_error(folder + ": exists and is not a folder");
    if (fs::exists(out) && !fs::is_empty(out)) {
        if (!fs::exists(out / marker)) {
            throw std::runtime_error(folder + ": holds files that `" + command + "` did not write; give a new or empty folder");
        }
        if (!force) {
            throw std::runtime_error(folder + ": holds what `" + command +
                                     "` wrote before; give a new or empty folder, or --force to replace it");
        }
        fs::remove_all(out);
    }
    fs::create_directories(out);
}

file_contents read_file(const std::string & path) {
    file_contents file;
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        file.problem = "is a folder, not a file";
    } else if (std::ifstream in{path, std::ios::binary}) {
        // One read of the size the file has (ImageNet weights are half a gigabyte: growing a
        // string through a stream iterator took 8 s of it), then whatever follows (a pipe has no size).
        const auto size = std::filesystem::file_size(path, error);
        if (!error) {
            file.bytes.resize(static_cast<std::size_t>(size));
            in.read(file.bytes.data(), static_cast<std::streamsize>(size));
            file.bytes.resize(static_cast<std::size_t>(in.gcount()));
        }
        char chunk[1 << 16];
        while (in.read(chunk, sizeof chunk) || in.gcount() > 0) file.bytes.append(chunk, static_cast<std::size_t>(in.gcount()));
        if (in.bad()) file.problem = "could not be read to the end";
    } else {
        file.problem = std::filesystem::exists(path, error) ? "cannot be read" : "no such file";
    }
    return file;
}

std::string read_whole_file(const std::string & path) {
    file_contents file = read_file(path);
    if (!file.problem.empty()) throw std::runtime_error(path + ": " + file.problem);
    return std::move(file.bytes);
}

}  // namespace vestis
