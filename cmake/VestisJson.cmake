# nlohmann/json is header-only and comes from Debian's nlohmann-json3-dev. em++ must not
# search /usr/include (glibc headers would shadow its own libc), so for WASM the header
# folder alone is linked into the build tree and added to the include path.
find_path(VESTIS_NLOHMANN_DIR nlohmann/json.hpp
          PATHS /usr/include /usr/local/include
          NO_CMAKE_FIND_ROOT_PATH
          DOC "Folder that holds nlohmann/json.hpp (Debian: nlohmann-json3-dev)")
if(NOT VESTIS_NLOHMANN_DIR)
  message(FATAL_ERROR "nlohmann/json.hpp not found: run tools/bootstrap (it installs nlohmann-json3-dev)")
endif()
add_library(vestis_json INTERFACE)
if(EMSCRIPTEN)
  set(_vestis_json_root ${CMAKE_BINARY_DIR}/third_party/include)
  file(MAKE_DIRECTORY ${_vestis_json_root})
  file(CREATE_LINK ${VESTIS_NLOHMANN_DIR}/nlohmann ${_vestis_json_root}/nlohmann SYMBOLIC)
  target_include_directories(vestis_json SYSTEM INTERFACE ${_vestis_json_root})
else()
  target_include_directories(vestis_json SYSTEM INTERFACE ${VESTIS_NLOHMANN_DIR})
endif()
# shared/ is exception-free (WASM builds without exceptions): nlohmann must not throw.
target_compile_definitions(vestis_json INTERFACE JSON_NOEXCEPTION)
