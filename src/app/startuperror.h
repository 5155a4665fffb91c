#pragma once

#include <QString>

namespace flex::app {

// Why the service could not start; main maps the kind to the exit code.
struct StartupError
{
    enum class Kind {
        Usage,         // the command line is wrong: exit 64 (EX_USAGE)
        Configuration, // a setting or a file it names is wrong: 78 (EX_CONFIG), no restart loop
        Failure,       // anything else (a port in use, ...): 1
    };
    Kind kind = Kind::Failure;
    QString message;

    static StartupError configuration(const QString &message)
    {
        return {Kind::Configuration, message};
    }
    static StartupError failure(const QString &message) { return {Kind::Failure, message}; }
    int exitCode() const
    {
        switch (kind) {
        case Kind::Usage:
            return 64;
        case Kind::Configuration:
            return 78;
        case Kind::Failure:
            break;
        }
        return 1;
    }
};

} // namespace flex::app
