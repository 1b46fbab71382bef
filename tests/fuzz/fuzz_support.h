// What the fuzz targets share: a scratch folder of this process for parsers that read files,
// and the split of one input into several files. Each target catches only the errors its
// parser documents; anything else escaping (or a sanitizer report) is a finding.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace vestis::fuzz {

inline const std::filesystem::path & scratch_folder() {
    static const std::filesystem::path folder = [] {
        const auto f = std::filesystem::temp_directory_path() / ("vestis-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(f);
        return f;
    }();
    return folder;
}

inline void write_file(const std::filesystem::path & path, std::string_view bytes) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The parts of `data` between lines of "%%": one file each.
inline std::vector<std::string_view> split_parts(const std::uint8_t * data, std::size_t size) {
    const std::string_view all(reinterpret_cast<const char *>(data), size);
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (std::size_t at; (at = all.find("\n%%\n", start)) != std::string_view::npos; start = at + 4)
        parts.push_back(all.substr(start, at + 1 - start));
    parts.push_back(all.substr(start));
    return parts;
}

inline std::string_view text_of(const std::uint8_t * data, std::size_t size) { return {reinterpret_cast<const char *>(data), size}; }

}  // namespace vestis::fuzz
