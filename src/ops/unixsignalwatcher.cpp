#include "ops/unixsignalwatcher.h"

#include "ops/logcategories.h"

#include <QSocketNotifier>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace flex::ops {

namespace {

// Written by the signal handler only; set while a watcher exists.
volatile sig_atomic_t g_writeFd = -1;

constexpr int kSignals[] = {SIGTERM, SIGINT, SIGHUP};

extern "C" void onSignal(int signal)
{
    const int savedErrno = errno;
    const int fd = g_writeFd;
    if (fd >= 0) {
        const unsigned char byte = static_cast<unsigned char>(signal);
        // Nothing useful to do if the pipe is full: a signal is already pending.
        [[maybe_unused]] const ssize_t n = ::write(fd, &byte, 1);
    }
    errno = savedErrno;
}

} // namespace

UnixSignalWatcher::UnixSignalWatcher(QObject *parent)
    : QObject(parent)
{
    Q_ASSERT_X(g_writeFd < 0, "UnixSignalWatcher", "only one instance at a time");
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, m_fds) != 0) {
        qCCritical(lcOps) << "socketpair failed:" << qt_error_string(errno);
        return;
    }
    g_writeFd = m_fds[0];
    m_notifier = new QSocketNotifier(m_fds[1], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &UnixSignalWatcher::drain);

    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int sig : kSignals)
        ::sigaction(sig, &action, nullptr);
}

UnixSignalWatcher::~UnixSignalWatcher()
{
    struct sigaction action = {};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    if (m_notifier) {
        for (int sig : kSignals)
            ::sigaction(sig, &action, nullptr);
    }
    g_writeFd = -1;
    for (int &fd : m_fds) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
}

void UnixSignalWatcher::drain()
{
    unsigned char buffer[64];
    for (;;) {
        const ssize_t n = ::read(m_fds[1], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; // EAGAIN: drained
        for (ssize_t i = 0; i < n; ++i) {
            const int sig = buffer[i];
            qCInfo(lcOps) << "received" << strsignal(sig);
            if (sig == SIGHUP)
                Q_EMIT reloadRequested();
            else
                Q_EMIT terminateRequested(sig);
        }
    }
}

} // namespace flex::ops
