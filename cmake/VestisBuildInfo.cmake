# Run at every build (cmake -P), not only at configure: writes OUTPUT, a source file naming the
# commit the tree is at and whether tracked files differ from it. The file is rewritten only
# when that changes, so an unchanged tree relinks nothing.
#   cmake -DSOURCE_DIR=<repository> -DOUTPUT=<build_info.cpp> -P VestisBuildInfo.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
set(modified false)
if(failed OR commit STREQUAL "")
  set(commit unknown)
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT changes STREQUAL "")
    set(modified true)
  endif()
endif()
set(text "// Generated at build time by cmake/VestisBuildInfo.cmake.
#include \"vestis/build_info.h\"

namespace vestis {
const char * source_commit() { return \"${commit}\"; }
bool source_modified() { return ${modified}; }
}  // namespace vestis
")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUTPUT} "${text}")
endif()
