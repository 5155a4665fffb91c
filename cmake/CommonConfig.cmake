# Compile options and Qt defines shared by every target of the project.
add_library(flex_common INTERFACE)
target_compile_options(flex_common INTERFACE -Wall -Wextra -Wpedantic -Wnon-virtual-dtor
    -Wold-style-cast -Woverloaded-virtual)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # qCInfo(category) without a format: Qt's own logging macros, used as documented.
    target_compile_options(flex_common INTERFACE -Wno-gnu-zero-variadic-macro-arguments)
endif()
target_compile_definitions(flex_common INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_URL_CAST_FROM_STRING
    QT_NO_CAST_TO_ASCII
    QT_NO_FOREACH
    QT_NO_KEYWORDS
    QT_USE_QSTRINGBUILDER
    FLEX_VERSION="${PROJECT_VERSION}")
target_include_directories(flex_common INTERFACE ${PROJECT_SOURCE_DIR}/src)
# Full RELRO ("bindnow"): the GOT is read-only after start-up.
target_link_options(flex_common INTERFACE -Wl,-z,relro -Wl,-z,now)
