# Warnings and sanitizers for every Vestis target: call vestis_target_defaults(target); and the
# unity build of the slow-to-compile targets: vestis_unity_target(target).
function(vestis_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  if(VESTIS_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(VESTIS_FUZZ)
    # Coverage for libFuzzer in every library the targets link, and the sanitizers that make
    # a bad read a finding rather than luck.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  elseif(VESTIS_SANITIZE AND NOT EMSCRIPTEN)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# A target whose files share a slow header (LibTorch, CLI11): compiled as combined files of
# VESTIS_UNITY_BATCH_SIZE files each when VESTIS_UNITY_BUILD is on. Files with their own
# definitions or include folders (train/distributed.cpp) stay on their own, as CMake does.
# A target of one file gains nothing and stays as it is. In a combined file g++ takes each .cpp
# for a header, and warns of test fixtures in anonymous namespaces (-Wsubobject-linkage): off
# (clang has no such warning).
function(vestis_unity_target target)
  get_target_property(sources ${target} SOURCES)
  list(LENGTH sources source_count)
  if(VESTIS_UNITY_BUILD AND source_count GREATER 1)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${VESTIS_UNITY_BATCH_SIZE})
    target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
  endif()
endfunction()
