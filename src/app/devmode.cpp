#include "app/devmode.h"

#include "emulator/twilioemulator.h"
#include "server/flextokenshape.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>

namespace flex::app {

using namespace Qt::StringLiterals;

namespace {

// Flex-token-shaped (the service refuses anything else before asking
// Twilio), unguessable, accepted by the embedded emulator only.
QString randomToken(const QString &prefix)
{
    QByteArray bytes(24, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()),
                                          bytes.size() / 4);
    return server::FlexTokenShape::unsignedExample(prefix, bytes);
}

} // namespace

DevMode::DevMode(QObject *parent)
    : QObject(parent)
    , m_agentToken(randomToken(u"dev-agent-"_s))
    , m_supervisorToken(randomToken(u"dev-supervisor-"_s))
{}

DevMode::~DevMode() = default;

std::optional<StartupError> DevMode::start()
{
    emulator::EmulatorConfig config;
    config.callStepInterval = std::chrono::milliseconds(1500);
    config.talkTime = std::chrono::seconds(20);
    m_emulator = new emulator::TwilioEmulator(config, this);
    if (!m_emulator->listen(QHostAddress::LocalHost, 0))
        return StartupError::failure(
            u"the embedded Twilio emulator could not listen on 127.0.0.1"_s);
    const QDateTime expires = QDateTime::currentDateTimeUtc().addDays(1);
    m_emulator->addToken(m_agentToken, u"alice"_s, {u"agent"_s}, expires);
    m_emulator->addToken(m_supervisorToken, u"sam"_s, {u"supervisor"_s, u"agent"_s}, expires);
    return std::nullopt;
}

config::Values DevMode::overrides() const
{
    // The emulator is Twilio here: its identity always wins.
    config::Values values;
    const QList<QPair<QString, QString>> settings = m_emulator->serviceSettings();
    for (const auto &[key, value] : settings)
        values.insert(key, value);
    for (QLatin1StringView unused : {config::names::ApiKey, config::names::ApiSecret,
                                     config::names::IamApiKey, config::names::IamApiSecret})
        values.insert(QString(unused), QString());
    return values;
}

config::Values DevMode::fallbacks() const
{
    // Port 0: the service puts in the port it listens on.
    return {{QString(config::names::ExternalHost), u"http://127.0.0.1:0"_s},
            {QString(config::names::StateDir), u"state-dev"_s}};
}

QString DevMode::writeCheckEnvFile(const QString &stateDir, const QUrl &serviceUrl,
                                   QString *error) const
{
    const QString dir = stateDir.isEmpty() ? u"state-dev"_s : stateDir;
    if (!QDir().mkpath(dir)) {
        *error = u"cannot create "_s + dir;
        return {};
    }
    QByteArray text = "# Written by flex-backend --dev: `flex-backend check --env-file` this file\n"
                      "# checks the embedded emulator and the running dev service.\n";
    const QList<QPair<QString, QString>> settings = m_emulator->serviceSettings();
    for (const auto &[key, value] : settings)
        text += (key + u'=' + value + u'\n').toUtf8();
    text += "EXTERNAL_HOST=" + serviceUrl.toString(QUrl::StripTrailingSlash).toUtf8() + '\n';
    QFile file(QDir(dir).filePath(u"check.env"_s));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        !file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
        file.write(text) != text.size()) {
        *error = u"cannot write %1: %2"_s.arg(file.fileName(), file.errorString());
        return {};
    }
    return file.fileName();
}

QString DevMode::welcome(const QUrl &serviceUrl, const QString &checkEnvFile) const
{
    const QString url = serviceUrl.toString(QUrl::StripTrailingSlash);
    const QString check =
        checkEnvFile.isEmpty()
            ? QString()
            : u"  - Check the Twilio set-up (the emulator's):  flex-backend check --env-file "_s +
                  checkEnvFile + u'\n';
    return uR"(
flex-backend is running in dev mode against an embedded Twilio emulator
(%2). Nothing here reaches the real Twilio.

  Open in a browser:    %1/
  Dialpad (agent):      %1/dialpad#token=%3
  Dashboard:            %1/dashboard#token=%4

  Agent token:          %3   (identity alice, worker client:alice)
  Supervisor token:     %4   (identity sam)

Try:
  - Dialpad: call +15551230000 and watch queued -> ringing -> in-progress ->
    completed; hang up while it rings. Numbers ending 0001 are busy, 0002 do
    not answer, 0003 fail.
  - Dashboard: the simulated contact centre's queues update every 5 s
    (realtime) and 30 s (today's totals).
  - Health and metrics:  curl %1/healthz ; curl %1/metrics
  - A raw socket:  websocat -H 'Sec-WebSocket-Protocol: %3' %5/websocket/outboundDial
%6Stop with Ctrl-C.
)"_s.arg(url, m_emulator->baseUrl().toString(QUrl::StripTrailingSlash), m_agentToken,
         m_supervisorToken, QString(url).replace(u"http"_s, u"ws"_s), check);
}

} // namespace flex::app
