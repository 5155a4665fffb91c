#include "redisserver.h"

#include "serviceprocess.h"

#include <QStandardPaths>
#include <QTest>

namespace flex::testing {

using namespace Qt::StringLiterals;

RedisServer::RedisServer()
    : m_process(std::make_unique<QProcess>())
{
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    QObject::connect(m_process.get(), &QProcess::readyReadStandardOutput, m_process.get(),
                     [this] { m_output += m_process->readAllStandardOutput(); });
}

RedisServer::~RedisServer()
{
    kill();
}

QString RedisServer::binary()
{
    return QStandardPaths::findExecutable(u"redis-server"_s);
}

QString RedisServer::missingReason(bool *mustFail)
{
    *mustFail = qEnvironmentVariable("CI") == u"true"_s;
    if (!binary().isEmpty())
        return {};
    return u"redis-server is not installed (scripts/deps --test installs it)"_s;
}

QString RedisServer::unixSocket() const
{
    return m_dir.filePath(u"redis.sock"_s);
}

QString RedisServer::url() const
{
    return u"redis://127.0.0.1:%1"_s.arg(m_port);
}

bool RedisServer::start(const QStringList &extraArguments, int timeoutMs)
{
    if (isRunning())
        return true;
    if (!extraArguments.isEmpty() || m_lastArguments.isEmpty())
        m_lastArguments = extraArguments;
    // A port probed free may be taken before redis binds it: try a few.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (m_port == 0 || attempt > 0)
            m_port = freeLoopbackPort();
        QStringList args{u"--port"_s,
                         QString::number(m_port),
                         u"--bind"_s,
                         u"127.0.0.1"_s,
                         u"--save"_s,
                         u""_s,
                         u"--appendonly"_s,
                         u"no"_s,
                         u"--dir"_s,
                         m_dir.path(),
                         u"--unixsocket"_s,
                         unixSocket(),
                         u"--daemonize"_s,
                         u"no"_s,
                         u"--protected-mode"_s,
                         u"no"_s};
        args += m_lastArguments;
        m_output.clear();
        m_process->start(binary(), args);
        const bool ready = QTest::qWaitFor(
            [&] {
                return m_output.contains("Ready to accept connections") ||
                       m_process->state() == QProcess::NotRunning;
            },
            timeoutMs);
        if (ready && m_process->state() == QProcess::Running)
            return true;
        m_process->kill();
        m_process->waitForFinished(5000);
        if (!m_output.contains("Address already in use"))
            break;
    }
    qWarning().noquote() << "redis-server did not start:\n" << QString::fromUtf8(m_output);
    return false;
}

void RedisServer::stop()
{
    if (!isRunning())
        return;
    m_process->terminate();
    if (!m_process->waitForFinished(10000)) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

void RedisServer::kill()
{
    if (!isRunning())
        return;
    m_process->kill();
    m_process->waitForFinished(5000);
}

bool RedisServer::isRunning() const
{
    return m_process->state() != QProcess::NotRunning;
}

} // namespace flex::testing
