#pragma once

#include "emulator/emulatorconfig.h"

#include <QObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QUrl>

#include <functional>
#include <memory>

namespace flex::bench {

// Starts a process and calls up() once with what follows `marker` on the
// line announcing it is up (up to the first space), or with nothing if it
// exited or failed to start first. Its merged output collects in *output.
void launchProcess(QObject *context, QProcess &process, const QString &binary,
                   const QStringList &args, const QProcessEnvironment &env,
                   const QByteArray &marker, std::shared_ptr<QByteArray> output,
                   std::function<void(const QByteArray &)> up);

// The real service and the emulator (twilio-emulator), each in its own
// process as they would be in production (Twilio is elsewhere): the
// benchmark's own clients do not share a thread with the emulator.
class ServiceRig : public QObject
{
public:
    struct Options
    {
        QStringList emulatorArgs;           // besides --port 0
        QList<QPair<QString, QString>> env; // service settings besides the emulator's
    };

    explicit ServiceRig(Options options);
    ~ServiceRig() override;

    void start(std::function<void(bool)> ready);

    QString webhookBase() const;
    QUrl dialUrl() const;
    QUrl serviceUrl(const QString &path) const;
    QUrl emulatorUrl(const QString &path) const;
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_service.processId(); }
    bool serviceRunning() const { return m_service.state() == QProcess::Running; }
    QByteArray serviceOutput() const { return *m_serviceOutput; }
    const emulator::EmulatorConfig &emulatorConfig() const { return m_config; }

private:
    static QString emulatorBinary();
    void startService(const std::function<void(bool)> &ready);

    const Options m_options;
    const emulator::EmulatorConfig m_config; // the defaults twilio-emulator runs with
    QTemporaryDir m_stateDir;
    QProcess m_emulator;
    QProcess m_service;
    std::shared_ptr<QByteArray> m_serviceOutput = std::make_shared<QByteArray>();
    QUrl m_emulatorUrl;
    quint16 m_port = 0;
};

} // namespace flex::bench
