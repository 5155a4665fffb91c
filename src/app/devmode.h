#pragma once

#include "app/startuperror.h"
#include "config/configloader.h"

#include <QObject>
#include <QString>
#include <QUrl>

#include <optional>

namespace flex::emulator {
class TwilioEmulator;
}

namespace flex::app {

// `flex-backend --dev`: an in-process Twilio emulator on loopback stands in
// for Twilio, and the service configures itself against it. Two fresh random
// tokens (an agent and a supervisor) are registered with the emulator's IAM.
class DevMode : public QObject
{
    Q_OBJECT
public:
    explicit DevMode(QObject *parent = nullptr);
    ~DevMode() override;

    std::optional<StartupError> start();
    // Values the emulator stands in for (they win over every other source),
    // and values used when nothing else sets them.
    config::Values overrides() const;
    config::Values fallbacks() const;
    // The banner; checkEnvFile (when not empty) is the env file that points
    // `flex-backend check` at this emulator and service.
    QString welcome(const QUrl &serviceUrl, const QString &checkEnvFile = {}) const;
    // Writes <stateDir>/check.env: the emulator's settings and EXTERNAL_HOST
    // = the service, owner-only. Answers its path, or empty (and *error).
    QString writeCheckEnvFile(const QString &stateDir, const QUrl &serviceUrl,
                              QString *error) const;

    QString agentToken() const { return m_agentToken; }
    QString supervisorToken() const { return m_supervisorToken; }

private:
    emulator::TwilioEmulator *m_emulator = nullptr;
    QString m_agentToken;
    QString m_supervisorToken;
};

} // namespace flex::app
