// Whole files. Written whole or not at all: the bytes go to PATH.tmp, which is then renamed over
// PATH, so a reader (or a crash) never sees half a file and an old file survives a failure.
#pragma once

#include <string>
#include <string_view>

namespace vestis {

// Throws std::runtime_error naming the file when it cannot be written.
void write_file_atomically(const std::string & path, std::string_view bytes);

// Makes `folder` ready for a command that writes a whole folder: a new or empty folder is
// created; one that holds files is refused unless `force`, and even then only when `marker`
// (a file the command leaves in what it writes) shows the command wrote it, in which case the
// old contents are removed first so nothing of them lingers. Throws std::runtime_error
// naming the folder and how to proceed; `command` names the command in that message.
void prepare_output_folder(const std::string & folder, const std::string & marker, bool force, const std::string & command);

// The whole file, or why not: readers with error types of their own (a data, model or image
// error) name the file with `problem` ("no such file", "is a folder, not a file", ...).
struct file_contents {
    std::string bytes;
    std::string problem;  // empty: read to the end
};
file_contents read_file(const std::string & path);

// The whole file. Throws std::runtime_error naming the path when it is missing, a folder,
// or unreadable.
std::string read_whole_file(const std::string & path);

}  // namespace vestis
