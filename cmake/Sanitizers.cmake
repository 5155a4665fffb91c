# FLEX_SANITIZE: every target of the project (through flex_common) is built
# and linked with AddressSanitizer and UndefinedBehaviorSanitizer; any UB
# report aborts. FLEX_FUZZ (clang only): the code is also instrumented for
# libFuzzer's coverage, and fuzz/ builds one libFuzzer program per parser.
# scripts/test configures build-asan with both; see README "Sanitizers and fuzzing".
option(FLEX_SANITIZE "Build with -fsanitize=address,undefined" OFF)
option(FLEX_FUZZ "Build the libFuzzer targets in fuzz/ (clang)" OFF)

if(FLEX_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FLEX_FUZZ needs clang (configure with -DCMAKE_CXX_COMPILER=clang++)")
endif()
if(FLEX_FUZZ AND NOT FLEX_SANITIZE)
    message(FATAL_ERROR "FLEX_FUZZ needs FLEX_SANITIZE=ON: the fuzzers find bugs through the sanitizers")
endif()

if(FLEX_SANITIZE)
    set(flex_sanitizers -fsanitize=address,undefined -fno-sanitize-recover=undefined)
    target_compile_options(flex_common INTERFACE ${flex_sanitizers} -fno-omit-frame-pointer)
    target_link_options(flex_common INTERFACE ${flex_sanitizers})
    if(FLEX_FUZZ)
        target_compile_options(flex_common INTERFACE -fsanitize=fuzzer-no-link)
    endif()
endif()

# What every test of a sanitizer build runs with (flex_add_test): the first
# report aborts the process, leaks count, and every report of every process
# (the test, the service and emulator it starts) also lands in
# sanitizer-reports/ of the build tree, which the test sanitizer_reports
# checks after the others (tests/sanitizers): a report in a child process
# that its test did not notice still fails the run.
if(FLEX_SANITIZE)
    set(FLEX_SANITIZER_REPORTS ${PROJECT_BINARY_DIR}/sanitizer-reports)
    set(flex_report_path log_path=${FLEX_SANITIZER_REPORTS}/report)
    # Reports name files and lines when llvm-symbolizer is found (Debian: llvm-14).
    get_filename_component(flex_compiler_dir ${CMAKE_CXX_COMPILER} REALPATH)
    get_filename_component(flex_compiler_dir ${flex_compiler_dir} DIRECTORY)
    find_program(FLEX_LLVM_SYMBOLIZER NAMES llvm-symbolizer HINTS ${flex_compiler_dir})
    set(FLEX_SYMBOLIZER_OPTION "")
    if(FLEX_LLVM_SYMBOLIZER)
        set(FLEX_SYMBOLIZER_OPTION external_symbolizer_path=${FLEX_LLVM_SYMBOLIZER})
        string(APPEND flex_report_path :${FLEX_SYMBOLIZER_OPTION})
    endif()
    set(FLEX_SANITIZER_ENV
        "ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1:${flex_report_path}"
        "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:${flex_report_path}"
        "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp")
endif()
