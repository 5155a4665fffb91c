#pragma once

#include "server/addressbudgets.h"
#include "server/authenticator.h"
#include "server/clientaddress.h"
#include "server/connectionrecord.h"
#include "server/qt64workarounds.h"
#include "server/requesthead.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
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

class WebSocketEndpoint;
class WebSocketKeepAlive;

// The one listening port. Reads each connection's first request head (with a
// size limit and a timeout), then either authenticates a WebSocket upgrade
// to a registered path and completes it with QWebSocketServer (echoing the
// token offered as subprotocol, as browsers require), or hands the
// connection to QHttpServer for the HTTP routes. Keeps one record per
// accepted socket (ConnectionRecord), dropped in one place (forget) when the
// socket is destroyed; the counts below are kept there too.
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

    FrontDoor(QHttpServer &http, Authenticator &authenticator, QObject *parent = nullptr);
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

    int openConnections() const { return int(m_connections.size()); }
    int openWebSockets() const { return m_openWebSockets; }
    int openWebSockets(const QString &path) const { return m_openByPath.value(path); }
    // Shutdown: sends a close frame with code 1001 (Going Away) to every socket.
    void closeWebSockets();

Q_SIGNALS:
    // An authenticated WebSocket was opened on path.
    void webSocketOpened(const QString &path, QWebSocket *socket);

private:
    void acceptPending();
    void admit(QTcpSocket *socket, const QHostAddress &address,
               const std::optional<QHostAddress> &counted);
    void readHead(QTcpSocket *socket);
    void onHead(QTcpSocket *socket, const RequestHead &head);
    void upgrade(QTcpSocket *socket, const RequestHead &head);
    void onAuthenticated(QTcpSocket *socket, const Authenticator::Answer &answer,
                         const QString &subprotocol);
    void handToHttp(QTcpSocket *socket, const RequestHead &head);
    void onWebSocketReady();
    void open(QWebSocket *socket, QTcpSocket *transport, ConnectionRecord &record);
    // The one cleanup path: the socket is being destroyed.
    void forget(QTcpSocket *socket);
    // The client behind a connection (X-Forwarded-For from trusted proxies);
    // counts it against its per-address connection cap once per connection.
    std::optional<QHostAddress> admitClient(QTcpSocket *socket, const RequestHead &head);
    bool countConnection(QTcpSocket *socket, const QHostAddress &client);

    QHttpServer &m_http;
    Authenticator &m_authenticator;
    Settings m_settings;
    qt64::HandoffServer *m_handoff = nullptr; // QHttpServer's child
    QWebSocketServer *m_webSockets = nullptr;
    WebSocketKeepAlive *m_keepAlive = nullptr;
    // Before m_listener: sockets it still owns are forgotten when it
    // deletes them.
    AddressBudgets m_budgets;
    qt64::SubprotocolEcho m_subprotocols;
    qt64::UpgradePairing m_upgrading;
    QHash<QTcpSocket *, ConnectionRecord> m_connections;
    int m_openWebSockets = 0;
    QHash<QString, int> m_openByPath;
    std::unique_ptr<QTcpServer> m_listener;
    std::unique_ptr<QSslConfiguration> m_tls;
    QHash<QString, WebSocketEndpoint *> m_endpoints;
    QTimer *m_pruneTimer = nullptr;
};

} // namespace flex::server
