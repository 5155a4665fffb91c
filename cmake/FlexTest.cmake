# flex_add_test(<name> SOURCES ... LIBS ... [LABELS ...] [TIMEOUT s])
# Builds tst_<name> and registers it with ctest. Integration tests find the
# service and emulator binaries through FLEX_BACKEND_BIN / TWILIO_EMULATOR_BIN.
function(flex_add_test name)
    cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    add_executable(tst_${name} ${ARG_SOURCES})
    target_link_libraries(tst_${name} PRIVATE flex_common Qt6::Test ${ARG_LIBS})
    # QFINDTESTDATA looks beside the test's first source file; __FILE__ alone
    # is relative when ccache rewrites paths (CCACHE_BASEDIR).
    list(GET ARG_SOURCES 0 first_source)
    get_filename_component(first_source ${first_source} ABSOLUTE
                           BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    get_filename_component(test_source_dir ${first_source} DIRECTORY)
    target_compile_definitions(tst_${name} PRIVATE
        QT_TESTCASE_SOURCEDIR="${test_source_dir}"
        QT_TESTCASE_BUILDDIR="${CMAKE_CURRENT_BINARY_DIR}")
    add_test(NAME ${name} COMMAND tst_${name})
    if(NOT ARG_TIMEOUT)
        set(ARG_TIMEOUT 300)
    endif()
    set(env "QT_QPA_PLATFORM=offscreen")
    if(TARGET flex-backend)
        list(APPEND env "FLEX_BACKEND_BIN=$<TARGET_FILE:flex-backend>")
        add_dependencies(tst_${name} flex-backend)
    endif()
    if(TARGET twilio-emulator)
        list(APPEND env "TWILIO_EMULATOR_BIN=$<TARGET_FILE:twilio-emulator>")
        add_dependencies(tst_${name} twilio-emulator)
    endif()
    list(APPEND env "FLEX_SOURCE_DIR=${PROJECT_SOURCE_DIR}" "FLEX_SHARED_DIR=${PROJECT_SOURCE_DIR}/../shared")
    set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} ENVIRONMENT "${env}" LABELS "${ARG_LABELS}")
endfunction()
