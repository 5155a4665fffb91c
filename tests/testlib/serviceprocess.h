#pragma once

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>
#include <QUrl>

#include <memory>

namespace flex::testing {

// The real flex-backend binary (FLEX_BACKEND_BIN) started as a child process.
// start() waits, on the event loop, for its "listening on URL" line.
// Everything it prints is kept in output() for assertions.
class ServiceProcess
{
public:
    ServiceProcess();
    ~ServiceProcess(); // kills the process if still running

    static QString binary();

    // Environment starts empty except PATH/HOME/LANG so that the developer's
    // own variables cannot leak in; set what the test needs.
    void setEnv(const QString &name, const QString &value);
    void unsetEnv(const QString &name);
    void setWorkingDirectory(const QString &dir);

    bool start(const QStringList &arguments = {}, int timeoutMs = 20000);
    // Starts and waits for exit (for --help, config errors).
    bool run(const QStringList &arguments, int timeoutMs = 20000);

    bool waitForOutput(const QByteArray &needle, int timeoutMs = 20000);
    bool waitForExit(int timeoutMs = 20000);
    void terminate();       // SIGTERM
    void signal(int signo); // any signal
    bool isRunning() const;

    QUrl url() const { return m_url; } // http://127.0.0.1:PORT
    quint16 port() const { return quint16(m_url.port()); }
    QUrl wsUrl(const QString &path) const;
    int exitCode() const;
    QProcess::ExitStatus exitStatus() const;
    QByteArray output() const; // stdout and stderr merged
    qint64 pid() const;

private:
    void collect();

    std::unique_ptr<QProcess> m_process;
    QProcessEnvironment m_env;
    QByteArray m_output;
    QUrl m_url;
};

// A free TCP port on 127.0.0.1, bound and released: another process may take
// it before it is used. Prefer PORT=0 and port() (TestEnvironment does).
quint16 freeLoopbackPort();

} // namespace flex::testing
