#pragma once

#include "app/commandline.h"
#include "app/startuperror.h"
#include "config/configloader.h"

#include <QObject>
#include <QTimer>

#include <memory>
#include <optional>

namespace flex::ops {
class SystemdNotifier;
class UnixSignalWatcher;
} // namespace flex::ops

namespace flex::app {

class DevMode;
class Service;

// The process around the service: loads the configuration (with dev mode's
// emulator when asked), starts the service, tells systemd, and handles
// SIGTERM/SIGINT (graceful stop) and SIGHUP (reload).
class Application : public QObject
{
    Q_OBJECT
public:
    explicit Application(const CommandLine &commandLine, QObject *parent = nullptr);
    ~Application() override;

    // Runs until stopped; answers the process exit code.
    int run();

private:
    std::optional<StartupError> start();
    config::LoadResult loadConfig() const;
    void announce(const config::Config &config);
    void watchSignals();
    void onTerminate(int signal);
    void onReload();

    CommandLine m_commandLine;
    std::unique_ptr<DevMode> m_dev;
    std::unique_ptr<Service> m_service;
    std::unique_ptr<ops::SystemdNotifier> m_notifier;
    std::unique_ptr<ops::UnixSignalWatcher> m_signals;
    QTimer m_statusTimer;
    bool m_stopping = false;
};

} // namespace flex::app
