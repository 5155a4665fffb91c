#pragma once

// Log output for the whole process: format, verbosity and the redaction net.
//
// Wiring (src/app):
//     flex::ops::configureLogging(config.logLevel, config.logFormat);   // at start
//     flex::ops::registerSecret(config.authToken);                      // every secret known
//     flex::ops::registerSecret(config.apiSecret);
//     flex::ops::registerSecret(config.metricsToken);
//     ... on SIGHUP, after a good reload: configureLogging(...) again and
//     registerSecret() the new secrets (old ones stay masked).
//   The token validator calls registerSecret(token, SecretLifetime::Transient)
//   for each Flex token it sees.
//
// Output, chosen by configureLogging():
//   - LOG_FORMAT=json: one JSON object per line on stderr:
//       {"time":"2026-..Z","level":"info","category":"flex.dial","message":"..","callSid":".."}
//   - text under systemd (JOURNAL_STREAM names our stderr): "<6>flex.dial: message key=value",
//     the <N> syslog priority lets journald keep the level; journald adds the time.
//   - text otherwise: "2026-11-25 14:45:00.123 info flex.dial: message key=value".
// LOG_LEVEL (debug, info, warning, critical) becomes QLoggingCategory filter
// rules; QT_LOGGING_RULES still wins (Qt applies it after ours), so
// QT_LOGGING_RULES="flex.twilio.traffic.debug=true" turns a traffic dump on.
//
// Structured fields: logWithFields(lcDial(), QtInfoMsg, u"call placed"_s,
// {{u"callSid"_s, sid}}) — JSON output gets them as members, text output as
// " callSid=CA.." after the message. Every line, whatever its origin (qCInfo,
// qWarning from Qt itself, ...), passes through redact() before it is written.

#include <QJsonObject>
#include <QLoggingCategory>
#include <QString>

#include <functional>

namespace flex::ops {

enum class LogOutput { Journal, Text, Json };

// Installs the message handler on first use and applies the level and format.
// Idempotent; call again on reload. Returns false (and changes nothing) for an
// unknown level or format; *error then says which.
bool configureLogging(const QString &level, const QString &format, QString *error = nullptr);

// The output configureLogging() chose.
LogOutput logOutput();

// Filter rules for a LOG_LEVEL value ("" for an unknown level).
QString filterRulesForLevel(const QString &level);

enum class SecretLifetime {
    Permanent, // configured secrets: auth token, API secret, metrics token
    Transient  // seen at run time (Flex tokens): the most recent 512 are kept
};

// Remembers a secret so that no log line ever shows it. Strings shorter than
// 6 characters are ignored (masking them would shred ordinary text).
void registerSecret(const QString &secret, SecretLifetime lifetime = SecretLifetime::Permanent);
void forgetSecrets(); // tests

// Masks registered secrets, JWTs (Flex tokens), Authorization header values,
// X-Twilio-Signature values and passwords in URLs.
QString redact(QString text);

// Logs message with structured fields through category (honouring its filter).
// QtFatalMsg is not supported here; use qFatal.
void logWithFields(const QLoggingCategory &category, QtMsgType type, const QString &message,
                   const QJsonObject &fields);

// Formats one line the way the installed handler does (with trailing newline).
QByteArray formatLogLine(LogOutput output, QtMsgType type, const char *category,
                         const QString &message, const QJsonObject &fields = {});

// Tests: send formatted lines somewhere else than stderr (empty function: stderr).
void setLogSink(std::function<void(const QByteArray &line)> sink);

} // namespace flex::ops
