#include "testenvironment.h"

#include <QDateTime>
#include <QDir>
#include <QNetworkRequest>
#include <QTemporaryDir>
#include <QTest>

namespace flex::testing {

using namespace Qt::StringLiterals;

emulator::EmulatorConfig TestEnvironment::fastConfig()
{
    emulator::EmulatorConfig config;
    config.callStepInterval = std::chrono::milliseconds(20);
    config.talkTime = std::chrono::milliseconds(100);
    config.tickInterval = std::chrono::milliseconds(200);
    return config;
}

TestEnvironment::TestEnvironment(const emulator::EmulatorConfig &config)
    : m_emulator(std::make_unique<emulator::TwilioEmulator>(config))
{
    if (!m_emulator->listen(QHostAddress::LocalHost, 0))
        qFatal("the emulator could not listen");
    const QDateTime expires = QDateTime::currentDateTimeUtc().addSecs(3600);
    m_emulator->addToken(agentToken(), u"alice"_s, {u"agent"_s}, expires);
    m_emulator->addToken(otherAgentToken(), u"bob"_s, {u"agent"_s}, expires);
    m_emulator->addToken(supervisorToken(), u"sam"_s, {u"supervisor"_s}, expires);

    QTemporaryDir dir;
    dir.setAutoRemove(false);
    m_stateDir = dir.path();
    const QList<QPair<QString, QString>> settings = m_emulator->serviceSettings();
    for (const auto &[key, value] : settings)
        m_service.setEnv(key, value);
    // The service binds a free port itself and reports it ("listening on"):
    // no port is probed and released first, so no other process can take it
    // in between. EXTERNAL_HOST's port 0 stands for the port bound.
    m_service.setEnv(u"EXTERNAL_HOST"_s, u"http://127.0.0.1:0"_s);
    m_service.setEnv(u"BIND_ADDRESS"_s, u"127.0.0.1"_s);
    m_service.setEnv(u"PORT"_s, u"0"_s);
    m_service.setEnv(u"STATE_DIR"_s, m_stateDir);
    m_service.setEnv(u"STATS_TIMEZONE"_s, u"UTC"_s);
    m_service.setEnv(u"LOG_LEVEL"_s, u"info"_s);
    // Every test client is 127.0.0.1: one address opening dozens of new
    // tokens a minute. Abuse tests set the real limit themselves.
    m_service.setEnv(u"AUTH_RATE_PER_ADDRESS"_s, u"100000"_s);
    // The start-up self-check sends a few set-up requests (and a made-up
    // token) to the emulator, which tests counting requests or injecting
    // one-shot faults would see; the tests of it turn it on.
    m_service.setEnv(u"SETUP_CHECK_AT_START"_s, u"false"_s);
    m_service.setWorkingDirectory(m_stateDir);
}

TestEnvironment::~TestEnvironment()
{
    if (!m_stateDir.isEmpty())
        QDir(m_stateDir).removeRecursively();
}

bool TestEnvironment::startService(const QStringList &arguments)
{
    if (!m_service.start(arguments))
        return false;
    // A restart (service().start() again) keeps the port: Twilio's callbacks
    // for calls in flight go to the URLs given before.
    const QString port = QString::number(m_service.port());
    m_service.setEnv(u"PORT"_s, port);
    m_service.setEnv(u"EXTERNAL_HOST"_s, u"http://127.0.0.1:"_s + port);
    return true;
}

WsClient::WsClient()
{
    connect(&m_socket, &QWebSocket::textMessageReceived, this,
            [this](const QString &message) { m_messages.append(message); });
}

WsClient::~WsClient() = default;

bool WsClient::open(const QUrl &url, const QString &token, int timeoutMs)
{
    QNetworkRequest request(url);
    if (!token.isEmpty())
        request.setRawHeader("Sec-WebSocket-Protocol", token.toUtf8());
    return open(request, timeoutMs);
}

bool WsClient::open(const QNetworkRequest &request, int timeoutMs)
{
    bool ended = false;
    const auto onEnd = [&ended] { ended = true; };
    const QMetaObject::Connection c1 = connect(&m_socket, &QWebSocket::connected, this, onEnd);
    const QMetaObject::Connection c2 = connect(&m_socket, &QWebSocket::disconnected, this, onEnd);
    const QMetaObject::Connection c3 = connect(
        &m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, onEnd);
    m_socket.open(request);
    (void)QTest::qWaitFor([&] { return ended; }, timeoutMs);
    disconnect(c1);
    disconnect(c2);
    disconnect(c3);
    return m_socket.state() == QAbstractSocket::ConnectedState;
}

void WsClient::sendJson(const QJsonObject &message)
{
    m_socket.sendTextMessage(
        QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
}

void WsClient::sendText(const QString &text)
{
    m_socket.sendTextMessage(text);
}

QJsonDocument WsClient::json(int index) const
{
    if (index < 0 || index >= m_messages.size())
        return {};
    return QJsonDocument::fromJson(m_messages.at(index).toUtf8());
}

int WsClient::waitFor(const std::function<bool(const QJsonDocument &)> &pred, int timeoutMs,
                      int from)
{
    int found = -1;
    int checked = from;
    (void)QTest::qWaitFor(
        [&] {
            for (; checked < m_messages.size(); ++checked) {
                if (pred(json(checked))) {
                    found = checked;
                    return true;
                }
            }
            return false;
        },
        timeoutMs);
    return found;
}

int WsClient::waitForCount(int count, int timeoutMs)
{
    (void)QTest::qWaitFor([&] { return m_messages.size() >= count; }, timeoutMs);
    return int(m_messages.size());
}

bool WsClient::waitForDisconnect(int timeoutMs)
{
    return QTest::qWaitFor([&] { return m_socket.state() == QAbstractSocket::UnconnectedState; },
                           timeoutMs);
}

QString WsClient::dump() const
{
    return m_messages.join(u'\n');
}

} // namespace flex::testing
