#pragma once

// Turns SIGTERM, SIGINT and SIGHUP into Qt signals on the event loop.
//
// Wiring (src/app), one object, created before the event loop runs:
//     flex::ops::UnixSignalWatcher unixSignals;
//     connect(&unixSignals, &UnixSignalWatcher::terminateRequested, &app, [&](int sig) {
//         // first time: graceful shutdown; a second SIGTERM/SIGINT may force exit
//     });
//     connect(&unixSignals, &UnixSignalWatcher::reloadRequested, &app, [&] { reload(); });
//
// The handler only write()s the signal number to one end of a socketpair (the
// self-pipe trick); a QSocketNotifier on the other end reads it on the loop.
// Only one instance may exist at a time; destroying it restores the default
// dispositions.

#include <QObject>

#include <memory>

class QSocketNotifier;

namespace flex::ops {

class UnixSignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit UnixSignalWatcher(QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

    bool isValid() const { return m_notifier != nullptr; }

Q_SIGNALS:
    void terminateRequested(int signal); // SIGTERM or SIGINT
    void reloadRequested();              // SIGHUP

private:
    void drain();

    int m_fds[2] = {-1, -1};
    QSocketNotifier *m_notifier = nullptr; // child of this
};

} // namespace flex::ops
