#include "serviceprocess.h"

#include <QRegularExpression>
#include <QTcpServer>
#include <QTest>

#include <signal.h>

namespace flex::testing {

using namespace Qt::StringLiterals;

ServiceProcess::ServiceProcess()
    : m_process(std::make_unique<QProcess>())
{
    const QProcessEnvironment system = QProcessEnvironment::systemEnvironment();
    // The sanitizer settings too: a sanitizer build's service reports like the test does.
    for (const QString &keep : {u"PATH"_s, u"HOME"_s, u"LANG"_s, u"TZ"_s, u"ASAN_OPTIONS"_s,
                                u"UBSAN_OPTIONS"_s, u"LSAN_OPTIONS"_s}) {
        if (system.contains(keep))
            m_env.insert(keep, system.value(keep));
    }
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    QObject::connect(m_process.get(), &QProcess::readyReadStandardOutput, m_process.get(),
                     [this] { collect(); });
}

ServiceProcess::~ServiceProcess()
{
    if (isRunning()) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

QString ServiceProcess::binary()
{
    return qEnvironmentVariable("FLEX_BACKEND_BIN");
}

void ServiceProcess::setEnv(const QString &name, const QString &value)
{
    m_env.insert(name, value);
}

void ServiceProcess::unsetEnv(const QString &name)
{
    m_env.remove(name);
}

void ServiceProcess::setWorkingDirectory(const QString &dir)
{
    m_process->setWorkingDirectory(dir);
}

void ServiceProcess::collect()
{
    m_output += m_process->readAllStandardOutput();
}

bool ServiceProcess::start(const QStringList &arguments, int timeoutMs)
{
    m_process->setProcessEnvironment(m_env);
    m_process->start(binary(), arguments);
    static const QRegularExpression listening(u"listening on (https?://[^ \\n]+)"_s);
    QRegularExpressionMatch match;
    const bool ok = QTest::qWaitFor(
        [&] {
            match = listening.match(QString::fromUtf8(m_output));
            return match.hasMatch() || m_process->state() == QProcess::NotRunning;
        },
        timeoutMs);
    if (!ok || !match.hasMatch()) {
        qWarning().noquote() << "flex-backend did not start; its output:\n"
                             << QString::fromUtf8(m_output);
        return false;
    }
    m_url = QUrl(match.captured(1));
    return true;
}

bool ServiceProcess::run(const QStringList &arguments, int timeoutMs)
{
    m_process->setProcessEnvironment(m_env);
    m_process->start(binary(), arguments);
    return waitForExit(timeoutMs);
}

bool ServiceProcess::waitForOutput(const QByteArray &needle, int timeoutMs)
{
    return QTest::qWaitFor([&] { return m_output.contains(needle); }, timeoutMs);
}

bool ServiceProcess::waitForExit(int timeoutMs)
{
    const bool ok =
        QTest::qWaitFor([&] { return m_process->state() == QProcess::NotRunning; }, timeoutMs);
    collect();
    return ok;
}

void ServiceProcess::terminate()
{
    m_process->terminate();
}

void ServiceProcess::signal(int signo)
{
    if (m_process->processId() > 0)
        ::kill(pid_t(m_process->processId()), signo);
}

bool ServiceProcess::isRunning() const
{
    return m_process->state() != QProcess::NotRunning;
}

QUrl ServiceProcess::wsUrl(const QString &path) const
{
    QUrl ws = m_url;
    ws.setScheme(m_url.scheme() == u"https" ? u"wss"_s : u"ws"_s);
    ws.setPath(path);
    return ws;
}

int ServiceProcess::exitCode() const
{
    return m_process->exitCode();
}

QProcess::ExitStatus ServiceProcess::exitStatus() const
{
    return m_process->exitStatus();
}

QByteArray ServiceProcess::output() const
{
    return m_output;
}

qint64 ServiceProcess::pid() const
{
    return m_process->processId();
}

quint16 freeLoopbackPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

} // namespace flex::testing
