#pragma once

#include "config/configloader.h"

#include <QStringList>

namespace flex::app {

// What the command line asked for. Setting options become config values
// keyed by their environment-variable names, so the command line wins over
// the environment and the env file in one place (ConfigLoader::load).
struct CommandLine
{
    enum class Action { Run, PrintConfig, Check, Help, Version, Error };
    Action action = Action::Run;
    bool devMode = false;
    bool json = false; // check --json
    QString envFile;
    config::Values values;
    QString text; // help text, version line or error message
};

CommandLine parseCommandLine(const QStringList &arguments);

} // namespace flex::app
