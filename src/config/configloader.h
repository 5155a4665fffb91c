#pragma once

#include "config/config.h"
#include "config/settingtable.h"

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
    QString toString() const
    {
        using namespace Qt::StringLiterals;
        return variable + u": "_s + message;
    }
};

struct LoadResult
{
    std::optional<Config> config;
    std::optional<ConfigError> error;
    bool ok() const { return config.has_value(); }
};

// Raw values keyed by environment-variable name.
using Values = QHash<QString, QString>;

// Values layered by where they came from: each layer added wins over the
// ones added before it.
class LayeredValues
{
public:
    void add(Source source, const Values &values);
    // The text and source of the strongest layer that holds env.
    std::optional<QPair<QString, Source>> find(const QString &env) const;
    QString text(const QString &env) const { return m_values.value(env).first; }

private:
    QHash<QString, QPair<QString, Source>> m_values;
};

// What start-up loads the configuration from.
struct LoadRequest
{
    Values commandLine;
    QString envFile; // --env-file; empty: ./.env when present
    bool devMode = false;
    Values devFallbacks; // dev mode: used when nothing else sets them
    Values devOverrides; // dev mode: the emulator stands in for Twilio, always wins
};

class ConfigLoader
{
public:
    // Parses "KEY=VALUE" lines ("export " prefix, quotes and # comments
    // allowed). Unknown keys are kept; malformed lines give an error.
    static std::optional<ConfigError> parseEnvFile(const QByteArray &contents, Values &out);

    // Reads an env file from disk; a missing or unreadable file is an error.
    static std::optional<ConfigError> readEnvFile(const QString &path, Values &out);

    // Builds and validates a Config from values (all taken as the environment).
    static LoadResult build(const Values &values, bool devMode);
    static LoadResult build(const LayeredValues &values, bool devMode);

    // Loads what the service starts with (and re-reads on reload): defaults <
    // dev-mode fallbacks < env file < process environment < command line <
    // dev-mode overrides. A named --env-file must exist; ./.env may be absent.
    static LoadResult load(const LoadRequest &request);

    // The effective configuration, one "NAME=value (source)" per setting,
    // secrets masked, then the derived Twilio base URLs.
    static QStringList describe(const Config &config);
};

} // namespace flex::config
