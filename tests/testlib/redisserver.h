#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace flex::testing {

// A private redis-server for one test: loopback, a free port, no
// persistence, in a temporary directory; stopped with the object. The
// system's Redis service is never used.
class RedisServer
{
public:
    RedisServer();
    ~RedisServer();

    // redis-server from PATH, or empty.
    static QString binary();
    // What a test does without redis-server: "" when present; otherwise the
    // reason, and whether it must fail (CI=true) rather than skip.
    static QString missingReason(bool *mustFail);

    // Starts (again on the same port and socket after stop/kill) and waits
    // until it accepts connections.
    bool start(const QStringList &extraArguments = {}, int timeoutMs = 20000);
    void stop(); // SIGTERM, waits
    void kill(); // SIGKILL, waits
    bool isRunning() const;

    quint16 port() const { return m_port; }
    QString unixSocket() const;
    QString url() const; // redis://127.0.0.1:PORT
    QByteArray output() const { return m_output; }

private:
    std::unique_ptr<QProcess> m_process;
    QTemporaryDir m_dir;
    quint16 m_port = 0;
    QStringList m_lastArguments;
    QByteArray m_output;
};

} // namespace flex::testing

// Skips the test without redis-server, or fails it when CI=true.
#define FLEX_REQUIRE_REDIS()                                                                       \
    do {                                                                                           \
        bool mustFail_ = false;                                                                    \
        const QString why_ = flex::testing::RedisServer::missingReason(&mustFail_);                \
        if (!why_.isEmpty()) {                                                                     \
            if (mustFail_)                                                                         \
                QFAIL(qPrintable(why_));                                                           \
            QSKIP(qPrintable(why_));                                                               \
        }                                                                                          \
    } while (false)
