#include "ops/systemdnotifier.h"

#include "ops/logcategories.h"

#ifdef FLEX_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <time.h>

namespace flex::ops {

using namespace std::chrono;

SystemdNotifier::SystemdNotifier(QObject *parent)
    : QObject(parent)
{
    m_watchdogTimer.setTimerType(Qt::CoarseTimer);
    connect(&m_watchdogTimer, &QTimer::timeout, this, &SystemdNotifier::pingWatchdog);
#ifdef FLEX_HAVE_SYSTEMD
    // sd_watchdog_enabled() checks WATCHDOG_PID against our PID for us.
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        m_watchdogTimeout = microseconds(usec);
        const auto interval = duration_cast<milliseconds>(m_watchdogTimeout / 2);
        m_watchdogTimer.start(std::max(interval, milliseconds(1)));
        qCInfo(lcOps) << "systemd watchdog: ping every" << interval.count() << "ms";
    }
#endif
}

bool SystemdNotifier::enabled()
{
#ifdef FLEX_HAVE_SYSTEMD
    return qEnvironmentVariableIsSet("NOTIFY_SOCKET");
#else
    return false;
#endif
}

bool SystemdNotifier::notify(const QByteArray &state)
{
#ifdef FLEX_HAVE_SYSTEMD
    if (!enabled())
        return false;
    const int r = sd_notify(0, state.constData());
    if (r < 0)
        qCWarning(lcOps) << "sd_notify failed:" << qt_error_string(-r);
    return r > 0;
#else
    Q_UNUSED(state);
    return false;
#endif
}

void SystemdNotifier::ready()
{
    notify(QByteArrayLiteral("READY=1"));
}

void SystemdNotifier::status(const QString &text)
{
    QByteArray line = text.toUtf8();
    line.replace('\n', ' ');
    notify("STATUS=" + line);
}

void SystemdNotifier::stopping()
{
    notify(QByteArrayLiteral("STOPPING=1"));
}

void SystemdNotifier::reloading()
{
    // systemd >= 253 (Type=notify-reload) wants the CLOCK_MONOTONIC time of
    // the reload start; older versions ignore the extra line.
    timespec ts = {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const auto now = seconds(ts.tv_sec) + nanoseconds(ts.tv_nsec);
    notify("RELOADING=1\nMONOTONIC_USEC=" +
           QByteArray::number(qint64(duration_cast<microseconds>(now).count())));
}

void SystemdNotifier::extendTimeout(microseconds by)
{
    notify("EXTEND_TIMEOUT_USEC=" + QByteArray::number(qint64(by.count())));
}

void SystemdNotifier::mainPid(qint64 pid)
{
    notify("MAINPID=" + QByteArray::number(pid));
}

void SystemdNotifier::pingWatchdog()
{
    if (notify(QByteArrayLiteral("WATCHDOG=1")))
        Q_EMIT watchdogPinged();
}

} // namespace flex::ops
