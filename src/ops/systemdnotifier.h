#pragma once

// Talks to systemd through sd_notify(3) for a Type=notify unit.
//
// Wiring (src/app), one object for the life of the process:
//     flex::ops::SystemdNotifier notifier;        // starts the watchdog timer if
//                                                 // WatchdogSec= is set
//     ... config loaded, port listening:  notifier.ready();
//     ... now and then:   notifier.status(u"serving 12 dial sockets, ..."_s);
//     ... on SIGHUP:      notifier.reloading(); reload; notifier.ready();
//     ... on SIGTERM:     notifier.stopping();
//                         notifier.extendTimeout(shutdownTimeout + 5s); // optional
//
// The watchdog pings come from a QTimer on the event loop at half of
// WATCHDOG_USEC, so a stuck loop stops them and systemd restarts the service.
// Built without libsystemd (FLEX_HAVE_SYSTEMD undefined) or run outside
// systemd (no NOTIFY_SOCKET), every call is a cheap no-op.

#include <QObject>
#include <QTimer>

#include <chrono>

namespace flex::ops {

class SystemdNotifier : public QObject
{
    Q_OBJECT
public:
    explicit SystemdNotifier(QObject *parent = nullptr);

    // True when built with libsystemd and NOTIFY_SOCKET is set.
    static bool enabled();

    void ready();                     // READY=1 (also ends a reload)
    void status(const QString &text); // STATUS=..., one line
    void stopping();                  // STOPPING=1
    void reloading();                 // RELOADING=1 (+ MONOTONIC_USEC); then ready()
    void extendTimeout(std::chrono::microseconds by); // EXTEND_TIMEOUT_USEC=
    void mainPid(qint64 pid);                         // MAINPID=, rarely needed

    // Zero when systemd asked for no watchdog (or it is meant for another PID).
    std::chrono::microseconds watchdogTimeout() const { return m_watchdogTimeout; }
    bool watchdogActive() const { return m_watchdogTimer.isActive(); }

    // Sends one raw notification; returns false if nothing was sent.
    bool notify(const QByteArray &state);

Q_SIGNALS:
    void watchdogPinged(); // after each WATCHDOG=1 (tests, debugging)

private:
    void pingWatchdog();

    QTimer m_watchdogTimer;
    std::chrono::microseconds m_watchdogTimeout{0};
};

} // namespace flex::ops
