#pragma once

#include "config/config.h"

#include <QList>
#include <QString>

#include <functional>
#include <utility>

namespace flex::config {

// How one setting reaches its Config member: parse writes the value (text is
// trimmed, the default already applied) and answers an error message, empty
// when the text was fine; show renders the member's effective value.
struct Binding
{
    std::function<QString(const QString &text, Config &config)> parse;
    std::function<QString(const Config &config)> show;
};

// One row of the setting table. The table drives parsing, validation,
// --help, --print-config, the effective-configuration log and the README
// check; nothing else names an environment variable's default.
enum SettingFlag : unsigned {
    Secret = 1,       // never shown: logs and --print-config say "(set)"
    Required = 2,     // outside dev mode
    NeedsRestart = 4, // a reload that changes it is refused
};

struct Setting
{
    Setting(const QString &env, const QString &defaultValue, const QString &help, Binding binding,
            unsigned flags = 0, const QString &devDefault = {})
        : env(env)
        , defaultValue(defaultValue)
        , help(help)
        , binding(std::move(binding))
        , flags(flags)
        , devDefault(devDefault)
    {}

    QString env;
    QString defaultValue;
    QString help;
    Binding binding;
    unsigned flags{};
    QString devDefault; // default in dev mode, when different

    bool secret() const { return flags & Secret; }
    bool required() const { return flags & Required; }
    bool needsRestart() const { return flags & NeedsRestart; }
    QString option() const; // command-line option name without "--"
};

// The names other code refers to (cross-checks, dev mode), spelled once.
namespace names {
inline constexpr QLatin1StringView AccountSid{"TWILIO_ACCOUNT_SID"};
inline constexpr QLatin1StringView ApiKey{"TWILIO_API_KEY"};
inline constexpr QLatin1StringView ApiSecret{"TWILIO_API_SECRET"};
inline constexpr QLatin1StringView IamApiKey{"TWILIO_IAM_API_KEY"};
inline constexpr QLatin1StringView IamApiSecret{"TWILIO_IAM_API_SECRET"};
inline constexpr QLatin1StringView ExternalHost{"EXTERNAL_HOST"};
inline constexpr QLatin1StringView Region{"TWILIO_REGION"};
inline constexpr QLatin1StringView Edge{"TWILIO_EDGE"};
inline constexpr QLatin1StringView StateDir{"STATE_DIR"};
inline constexpr QLatin1StringView TlsCertFile{"TLS_CERT_FILE"};
inline constexpr QLatin1StringView TlsKeyFile{"TLS_KEY_FILE"};
} // namespace names

const QList<Setting> &settingTable();

} // namespace flex::config
