#pragma once

#include "config/configloader.h"

#include <QObject>
#include <QString>
#include <QUrl>

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

    bool start(QString *error);
    // Fills in every value the emulator stands in for, unless already given.
    void applyTo(config::Values &values) const;
    // Once the service listens: EXTERNAL_HOST must point at the real port.
    void setServicePort(quint16 port);
    QString welcome(const QUrl &serviceUrl) const;

    QString agentToken() const { return m_agentToken; }
    QString supervisorToken() const { return m_supervisorToken; }

private:
    emulator::TwilioEmulator *m_emulator = nullptr;
    QString m_agentToken;
    QString m_supervisorToken;
};

} // namespace flex::app
