// SystemdNotifier against a NOTIFY_SOCKET datagram socket the test owns, and
// UnixSignalWatcher with real signals.
#include "ops/systemdnotifier.h"
#include "ops/unixsignalwatcher.h"
#include "prerequisite.h"

#include <QSignalSpy>
#include <QSocketNotifier>
#include <QTemporaryDir>
#include <QTest>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace flex::ops;

// A datagram socket standing in for systemd's notification socket.
class NotifySocket : public QObject
{
    Q_OBJECT
public:
    explicit NotifySocket(const QString &path)
    {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        sockaddr_un addr = {};
        addr.sun_family = AF_UNIX;
        const QByteArray p = QFile::encodeName(path);
        qstrncpy(addr.sun_path, p.constData(), sizeof addr.sun_path);
        m_ok = m_fd >= 0 && ::bind(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
        m_notifier = std::make_unique<QSocketNotifier>(m_fd, QSocketNotifier::Read);
        connect(m_notifier.get(), &QSocketNotifier::activated, this, [this] {
            char buffer[4096];
            ssize_t n;
            while ((n = ::recv(m_fd, buffer, sizeof buffer, 0)) > 0) {
                messages << QByteArray(buffer, int(n));
                Q_EMIT received();
            }
        });
    }
    ~NotifySocket() override
    {
        m_notifier.reset();
        if (m_fd >= 0)
            ::close(m_fd);
    }
    bool ok() const { return m_ok; }
    QList<QByteArray> messages;

Q_SIGNALS:
    void received();

private:
    int m_fd = -1;
    bool m_ok = false;
    std::unique_ptr<QSocketNotifier> m_notifier;
};

class tst_OpsSystemd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void notifications()
    {
        FLEX_REQUIRE(SystemdNotifier::enabled() || !qEnvironmentVariableIsSet("NOTIFY_SOCKET"),
                     "built without libsystemd");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        NotifySocket socket(dir.filePath(u"notify"_s));
        QVERIFY(socket.ok());
        qputenv("NOTIFY_SOCKET", QFile::encodeName(dir.filePath(u"notify"_s)));
        qputenv("WATCHDOG_USEC", "200000"); // 200 ms: pings every 100 ms
        qputenv("WATCHDOG_PID", QByteArray::number(qint64(getpid())));

        SystemdNotifier notifier;
        FLEX_REQUIRE(SystemdNotifier::enabled(),
                     "built without libsystemd: SystemdNotifier is a no-op");
        QCOMPARE(notifier.watchdogTimeout(), std::chrono::microseconds(200000));
        QVERIFY(notifier.watchdogActive());

        notifier.ready();
        notifier.status(u"serving 2 dial sockets\nsecond line"_s);
        QTRY_VERIFY_WITH_TIMEOUT(socket.messages.size() >= 2, 5000);
        QVERIFY(socket.messages.contains("READY=1"));
        QVERIFY(socket.messages.contains("STATUS=serving 2 dial sockets second line"));

        QSignalSpy pinged(&notifier, &SystemdNotifier::watchdogPinged);
        QVERIFY(pinged.wait(5000));
        QTRY_VERIFY_WITH_TIMEOUT(socket.messages.contains("WATCHDOG=1"), 5000);

        notifier.reloading();
        notifier.stopping();
        QTRY_VERIFY_WITH_TIMEOUT(socket.messages.contains("STOPPING=1"), 5000);
        bool sawReloading = false;
        for (const QByteArray &m : std::as_const(socket.messages))
            sawReloading |= m.startsWith("RELOADING=1\nMONOTONIC_USEC=");
        QVERIFY(sawReloading);

        qunsetenv("NOTIFY_SOCKET");
        qunsetenv("WATCHDOG_USEC");
        qunsetenv("WATCHDOG_PID");
    }

    void watchdogForAnotherPid()
    {
        qputenv("NOTIFY_SOCKET", "/nonexistent/notify");
        qputenv("WATCHDOG_USEC", "200000");
        qputenv("WATCHDOG_PID", "1");
        SystemdNotifier notifier;
        QVERIFY(!notifier.watchdogActive());
        QCOMPARE(notifier.watchdogTimeout().count(), 0);
        qunsetenv("NOTIFY_SOCKET");
        qunsetenv("WATCHDOG_USEC");
        qunsetenv("WATCHDOG_PID");
    }

    void noSocketIsNoOp()
    {
        qunsetenv("NOTIFY_SOCKET");
        SystemdNotifier notifier;
        QVERIFY(!SystemdNotifier::enabled());
        QVERIFY(!notifier.notify("READY=1"));
        notifier.ready(); // must not crash or block
    }

    void unixSignals()
    {
        UnixSignalWatcher watcher;
        QVERIFY(watcher.isValid());
        QSignalSpy reload(&watcher, &UnixSignalWatcher::reloadRequested);
        QSignalSpy terminate(&watcher, &UnixSignalWatcher::terminateRequested);

        ::raise(SIGHUP);
        QVERIFY(reload.wait(5000));
        QCOMPARE(terminate.size(), 0);

        ::raise(SIGTERM);
        QTRY_COMPARE_WITH_TIMEOUT(terminate.size(), 1, 5000);
        QCOMPARE(terminate.at(0).at(0).toInt(), SIGTERM);

        ::raise(SIGINT);
        ::raise(SIGHUP);
        QTRY_COMPARE_WITH_TIMEOUT(terminate.size(), 2, 5000);
        QCOMPARE(terminate.at(1).at(0).toInt(), SIGINT);
        QTRY_COMPARE_WITH_TIMEOUT(reload.size(), 2, 5000);
    }
};

QTEST_GUILESS_MAIN(tst_OpsSystemd)
#include "tst_opssystemd.moc"
