// Files written whole or not at all: the bytes go to PATH.tmp, which is then renamed over
// PATH, so a reader (or a crash) never sees half a file and an old file survives a failure.
#pragma once

#include <string>
#include <string_view>

namespace vestis {

// Throws std::runtime_error naming the file when it cannot be written.
void write_file_atomically(const std::string & path, std::string_view bytes);

// The whole file. Throws std::runtime_error naming the path when it is missing, a folder,
// or unreadable.
std::string read_whole_file(const std::string & path);

}  // namespace vestis
