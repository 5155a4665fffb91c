#pragma once

#include <QTest>

// A test whose prerequisite is missing (a tool, a library the build left
// out, a binary not built) skips on a developer's machine but fails in CI
// (CI=true), where everything it needs must be installed: a skipped test
// there would be a silent hole in the suite.
#define FLEX_REQUIRE(condition, message)                                                           \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            if (qEnvironmentVariable("CI") == QLatin1String("true"))                               \
                QFAIL(message);                                                                    \
            QSKIP(message);                                                                        \
        }                                                                                          \
    } while (false)
