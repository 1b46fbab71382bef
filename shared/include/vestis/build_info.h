// Which sources a binary was built from, for cards and logs. Read when the binary is built
// (cmake/VestisBuildInfo.cmake), so it names the code that runs, not the one last configured.
#pragma once

namespace vestis {

const char * source_commit();  // 12 hex digits, or "unknown" outside a git checkout
bool source_modified();        // tracked files differed from that commit

}  // namespace vestis
