#pragma once

#include "emulator/twilioemulator.h"
#include "server/flextokenshape.h"
#include "serviceprocess.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QNetworkRequest>
#include <QObject>
#include <QWebSocket>

#include <memory>

namespace flex::testing {

// A Flex-token-shaped (JWT) test token, unique per name; the service refuses
// tokens of any other shape before asking Twilio.
inline QString flexToken(const QString &name)
{
    return server::FlexTokenShape::unsignedExample(name, QByteArrayLiteral("test"));
}

// An in-process Twilio emulator (fast call steps) plus the real service
// configured against it, on free loopback ports. Tokens: agentToken()
// (identity "alice"), otherAgentToken() ("bob"), supervisorToken() ("sam").
class TestEnvironment
{
public:
    explicit TestEnvironment(const emulator::EmulatorConfig &config = fastConfig());
    ~TestEnvironment();

    static emulator::EmulatorConfig fastConfig();

    emulator::TwilioEmulator &emulator() { return *m_emulator; }
    ServiceProcess &service() { return m_service; }

    // Environment for the service (emulator URLs, SIDs, PORT=0 with
    // EXTERNAL_HOST on the port bound, a fresh STATE_DIR); change before
    // startService().
    void setEnv(const QString &name, const QString &value) { m_service.setEnv(name, value); }
    bool startService(const QStringList &arguments = {});

    static QString agentToken() { return flexToken(QStringLiteral("alice")); }
    static QString otherAgentToken() { return flexToken(QStringLiteral("bob")); }
    static QString supervisorToken() { return flexToken(QStringLiteral("sam")); }
    QString stateDir() const { return m_stateDir; }
    quint16 servicePort() const { return m_service.port(); } // once started

private:
    std::unique_ptr<emulator::TwilioEmulator> m_emulator;
    ServiceProcess m_service;
    QString m_stateDir;
};

// A WebSocket client that records every text message it receives.
class WsClient : public QObject
{
    Q_OBJECT
public:
    WsClient();
    ~WsClient() override;

    // Opens url offering token as the only subprotocol, as the Flex plugins do.
    // Returns true once connected (false on refusal/timeout).
    bool open(const QUrl &url, const QString &token, int timeoutMs = 15000);
    // Opens with an arbitrary prepared request (other token placements).
    bool open(const QNetworkRequest &request, int timeoutMs = 15000);

    QWebSocket &socket() { return m_socket; }
    void sendJson(const QJsonObject &message);
    void sendText(const QString &text);

    QList<QString> messages() const { return m_messages; }
    // Waits until a message satisfying pred arrived (searching from index
    // `from`); returns its index or -1.
    int waitFor(const std::function<bool(const QJsonDocument &)> &pred, int timeoutMs = 15000,
                int from = 0);
    int waitForCount(int count, int timeoutMs = 15000);
    QJsonDocument json(int index) const;
    bool waitForDisconnect(int timeoutMs = 15000);
    QString dump() const; // every message, for failure output

private:
    QWebSocket m_socket;
    QList<QString> m_messages;
};

} // namespace flex::testing
