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
            throw std::runtime_error(folder + ": holds what `" + command + "` wrote before; give a new or empty folder, or --force to replace it");
        }
        fs::remove_all(out);
    }
    fs::create_directories(out);
}

std::string read_whole_file(const std::string & path) {
    if (std::filesystem::is_directory(path)) throw std::runtime_error(path + ": is a folder, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot be opened (missing or unreadable)");
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    if (in.bad()) throw std::runtime_error(path + ": could not be read to the end");
    return bytes;
}

}  // namespace vestis
