#pragma once

#include "server/addressbudgets.h"
#include "server/clientaddress.h"
#include "server/flexidentity.h"
#include "server/requesthead.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QStringList>

#include <chrono>
#include <memory>
#include <optional>

class QHttpServer;
class QTcpServer;
class QTimer;
class QTcpSocket;
class QWebSocket;
class QWebSocketServer;

namespace flex::server {

class FlexTokenValidator;
class HandoffServer;
class WebSocketEndpoint;
class WebSocketKeepAlive;

// The one listening port. Reads each connection's first request head (with a
// size limit and a timeout), then either authenticates a WebSocket upgrade
// to a registered path and completes it with QWebSocketServer (echoing the
// token offered as subprotocol, as browsers require), or hands the
// connection to QHttpServer for the HTTP routes.
class FrontDoor : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        // Every field is filled from config::Config (src/app/service.cpp).
        QHostAddress address;
        quint16 port{};
        int maxConnections{};
        int maxHeadBytes{};
        int maxBodyBytes{};
        std::chrono::milliseconds headTimeout{};
        std::chrono::milliseconds idleTimeout{};
        int wsMaxMessageBytes{};
        std::chrono::milliseconds pingInterval{};
        QStringList allowedOrigins;
        int maxConnectionsPerAddress{};
        int authRatePerAddress{}; // validations of unknown tokens per address and minute
        AddressRanges trustedProxies;
    };

    FrontDoor(QHttpServer &http, FlexTokenValidator &validator, QObject *parent = nullptr);
    ~FrontDoor() override;

    // Limits apply to connections accepted afterwards; address and port on listen().
    void configure(const Settings &settings);
    // Native TLS on the same port; call before listen(), or later to swap the certificate.
    void setTlsConfiguration(const QSslConfiguration &tls);
    bool listen(QString *error);
    quint16 port() const;
    bool isListening() const;
    void stopAccepting();

    void registerWebSocketEndpoint(const QString &path, WebSocketEndpoint *endpoint);

    int openConnections() const { return m_open; }
    int openWebSockets() const { return int(m_webSocketsOpen.size()); }
    int openWebSockets(const QString &path) const { return m_openByPath.value(path); }
    // Shutdown: sends a close frame with code 1001 (Going Away) to every socket.
    void closeWebSockets();

Q_SIGNALS:
    // An authenticated WebSocket was opened on path.
    void webSocketOpened(const QString &path, QWebSocket *socket);

private:
    void acceptPending();
    void onHead(QTcpSocket *socket, const RequestHead &head);
    void upgrade(QTcpSocket *socket, const RequestHead &head);
    void handToHttp(QTcpSocket *socket, const RequestHead &head);
    void onWebSocketReady();
    void releaseSubprotocol(const QString &token);
    bool originAllowed(const RequestHead &head) const;
    // The client behind a connection (X-Forwarded-For from trusted proxies);
    // counts it against its per-address connection cap once per connection.
    std::optional<QHostAddress> admitClient(QTcpSocket *socket, const RequestHead &head);
    bool countConnection(QTcpSocket *socket, const QHostAddress &client);
    bool spendValidation(QTcpSocket *socket, const QHostAddress &client, const QString &token);

    struct PendingUpgrade
    {
        QString path;
        FlexIdentity who;
        QString subprotocol; // empty when the token came another way
        QPointer<QTcpSocket> transport;
    };

    QHttpServer &m_http;
    FlexTokenValidator &m_validator;
    Settings m_settings;
    // Before m_listener: sockets it still owns release their budget when
    // it deletes them.
    AddressBudgets m_budgets;
    std::unique_ptr<QTcpServer> m_listener;
    std::unique_ptr<QSslConfiguration> m_tls;
    HandoffServer *m_handoff = nullptr;
    QWebSocketServer *m_webSockets = nullptr;
    WebSocketKeepAlive *m_keepAlive = nullptr;
    QHash<QString, WebSocketEndpoint *> m_endpoints;
    QHash<QString, PendingUpgrade> m_pendingUpgrades; // by peer "address|port"
    QHash<QString, int> m_offeredSubprotocols;        // token -> upgrades waiting on it
    QList<QPointer<QWebSocket>> m_webSocketsOpen;
    QHash<QString, int> m_openByPath;
    int m_open = 0;
    QTimer *m_pruneTimer = nullptr;
};

// Writes a complete minimal HTTP answer and closes the connection.
void refuseConnection(QTcpSocket *socket, int status, const QByteArray &reason,
                      const QByteArray &body = {}, const QByteArray &extraHeaders = {});

} // namespace flex::server
