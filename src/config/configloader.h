#pragma once

#include "config/config.h"

#include <QHash>
#include <QStringList>

#include <optional>

namespace flex::config {

// A configuration problem: the variable it concerns and what is wrong with it.
// Rendered as one line, e.g. "TWILIO_ACCOUNT_SID: not set (required)".
struct ConfigError
{
    QString variable;
    QString message;
    QString toString() const { return variable + QStringLiteral(": ") + message; }
};

struct LoadResult
{
    std::optional<Config> config;
    std::optional<ConfigError> error;
    bool ok() const { return config.has_value(); }
};

// One row of the setting table: environment variable, command-line option,
// default and help. The table drives parsing, validation, --help and the
// packaged environment file.
struct SettingInfo
{
    QString env;
    QString option; // command-line option name without "--"
    QString defaultValue;
    QString help;
    bool secret = false;
};

// The values the configuration is built from, layered: defaults < env file <
// environment < command line. Keys are environment-variable names.
using Values = QHash<QString, QString>;

class ConfigLoader
{
public:
    static const QList<SettingInfo> &settings();

    // Parses "KEY=VALUE" lines ("export " prefix, quotes and # comments
    // allowed). Unknown keys are kept; malformed lines give an error.
    static std::optional<ConfigError> parseEnvFile(const QByteArray &contents, Values &out);

    // Reads an env file from disk; a missing file is fine when !required.
    static std::optional<ConfigError> readEnvFile(const QString &path, bool required, Values &out);

    // Builds and validates a Config from layered values.
    static LoadResult build(const Values &values, bool devMode);

    // Loads the environment (process env, then env file named by --env-file or
    // ./.env, then command-line values) the way the service does at start and
    // on reload. commandLine holds the values given as options.
    static LoadResult load(const Values &commandLine, const QString &envFile, bool devMode);

    // "TWILIO_ACCOUNT_SID" -> "twilio-account-sid"
    static QString optionName(const QString &env);

    // The effective configuration with secrets masked, one "NAME=value" per entry.
    static QStringList describe(const Config &config);
};

} // namespace flex::config
