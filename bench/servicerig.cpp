#include "servicerig.h"

#include "emulator/twilioemulator.h"
#include "scenario.h"

#include <QCoreApplication>

#include <cstdio>

namespace flex::bench {

using namespace Qt::StringLiterals;

ServiceRig::ServiceRig(Options options)
    : m_options(std::move(options))
    , m_port(freePort())
{}

ServiceRig::~ServiceRig()
{
    // The benchmark, not the service: blocking here is fine.
    for (QProcess *process : {&m_service, &m_emulator}) {
        if (process->state() != QProcess::NotRunning) {
            process->terminate();
            process->waitForFinished(5000);
        }
    }
}

void ServiceRig::start(std::function<void(bool)> ready)
{
    const QStringList args = QStringList{u"--port"_s, u"0"_s} + m_options.emulatorArgs;
    launchProcess(this, m_emulator, emulatorBinary(), args,
                  QProcessEnvironment::systemEnvironment(), "listening on ",
                  std::make_shared<QByteArray>(), [this, ready](const QByteArray &line) {
                      if (line.isEmpty())
                          return ready(false);
                      m_emulatorUrl = QUrl(QString::fromUtf8(line.trimmed()));
                      startService(ready);
                  });
}

QString ServiceRig::webhookBase() const
{
    return u"http://127.0.0.1:%1"_s.arg(m_port);
}

QUrl ServiceRig::dialUrl() const
{
    return QUrl(u"ws://127.0.0.1:%1/websocket/outboundDial"_s.arg(m_port));
}

QUrl ServiceRig::serviceUrl(const QString &path) const
{
    return QUrl(webhookBase() + path);
}

QUrl ServiceRig::emulatorUrl(const QString &path) const
{
    QUrl url = m_emulatorUrl;
    url.setPath(path);
    return url;
}

QString ServiceRig::emulatorBinary()
{
    const QString env = qEnvironmentVariable("TWILIO_EMULATOR_BIN");
    if (!env.isEmpty())
        return env;
    return QCoreApplication::applicationDirPath() + u"/../src/emulator/twilio-emulator"_s;
}

void ServiceRig::startService(const std::function<void(bool)> &ready)
{
    QProcessEnvironment env;
    env.insert(u"PATH"_s, qEnvironmentVariable("PATH"));
    const auto settings = emulator::TwilioEmulator::serviceSettings(m_config, m_emulatorUrl);
    for (const auto &[key, value] : settings)
        env.insert(key, value);
    env.insert(u"EXTERNAL_HOST"_s, webhookBase());
    env.insert(u"BIND_ADDRESS"_s, u"127.0.0.1"_s);
    env.insert(u"PORT"_s, QString::number(m_port));
    env.insert(u"STATE_DIR"_s, m_stateDir.path());
    for (const auto &[key, value] : m_options.env)
        env.insert(key, value);
    m_service.setWorkingDirectory(m_stateDir.path());
    launchProcess(this, m_service, backendBinary(), {}, env, "listening on ", m_serviceOutput,
                  [ready](const QByteArray &line) { ready(!line.isEmpty()); });
}

void launchProcess(QObject *context, QProcess &process, const QString &binary,
                   const QStringList &args, const QProcessEnvironment &env,
                   const QByteArray &marker, std::shared_ptr<QByteArray> output,
                   std::function<void(const QByteArray &)> up)
{
    auto announced = std::make_shared<bool>(false);
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::MergedChannels);
    QObject::connect(
        &process, &QProcess::readyRead, context, [&process, output, announced, marker, up] {
            *output += process.readAll();
            if (output->size() > 4 * 1024 * 1024) // a long soak: keep the tail
                output->remove(0, output->size() - 1024 * 1024);
            const qsizetype at = output->indexOf(marker);
            const qsizetype end = at < 0 ? -1 : output->indexOf('\n', at);
            if (*announced || end < 0)
                return;
            *announced = true;
            const QByteArray rest = output->mid(at + marker.size(), end - at - marker.size());
            up(rest.split(' ').first());
        });
    QObject::connect(&process, &QProcess::finished, context, [binary, output, announced, up] {
        if (*announced)
            return;
        *announced = true;
        std::fprintf(stderr, "%s did not start:\n%s\n", qPrintable(binary), output->constData());
        up({});
    });
    QObject::connect(&process, &QProcess::errorOccurred, context,
                     [binary, announced, up](QProcess::ProcessError error) {
                         if (error != QProcess::FailedToStart || *announced)
                             return;
                         *announced = true;
                         std::fprintf(stderr, "%s could not be started\n", qPrintable(binary));
                         up({});
                     });
    process.start(binary, args);
}

} // namespace flex::bench
