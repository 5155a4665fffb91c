#include "server/frontdoor.h"

#include "ops/logcategories.h"
#include "ops/logging.h"
#include "ops/metrics.h"
#include "server/clientframeguard.h"
#include "server/connectionguards.h"
#include "server/flextokenshape.h"
#include "server/flextokenvalidator.h"
#include "server/handoffserver.h"
#include "server/socketlease.h"
#include "server/websocketendpoint.h"
#include "server/websocketframes.h"
#include "server/websocketkeepalive.h"

#include <QHttpServer>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrlQuery>
#include <QWebSocket>
#include <QWebSocketServer>

namespace flex::server {

using namespace Qt::StringLiterals;

namespace {

QString peerKey(const QHostAddress &address, quint16 port)
{
    return address.toString() + u'|' + QString::number(port);
}

ops::Counter &handshakes(const QByteArray &result)
{
    return ops::metrics().counter("flex_websocket_handshakes_total",
                                  "WebSocket upgrade attempts by result", {{"result", result}});
}

// The token may come as the only Sec-WebSocket-Protocol value (browsers),
// a `token` header, Authorization: Bearer, or ?token=.
struct OfferedToken
{
    QString token;
    bool viaSubprotocol = false;
};

OfferedToken tokenOf(const RequestHead &head)
{
    const QByteArray protocols = head.header("sec-websocket-protocol");
    if (!protocols.isEmpty())
        return {QString::fromLatin1(protocols.split(',').first().trimmed()), true};
    const QByteArray header = head.header("token");
    if (!header.isEmpty())
        return {QString::fromLatin1(header), false};
    const QByteArray authorization = head.header("authorization");
    if (authorization.size() > 7 && authorization.left(7).toLower() == "bearer ")
        return {QString::fromLatin1(authorization.mid(7).trimmed()), false};
    const QUrlQuery query(head.url());
    return {query.queryItemValue(u"token"_s, QUrl::FullyDecoded), false};
}

} // namespace

void refuseConnection(QTcpSocket *socket, int status, const QByteArray &reason,
                      const QByteArray &body, const QByteArray &extraHeaders)
{
    if (!socket || socket->state() != QAbstractSocket::ConnectedState)
        return;
    QByteArray text = body.isEmpty() ? reason + '\n' : body;
    socket->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + reason +
                  "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                  QByteArray::number(text.size()) + "\r\n" + extraHeaders +
                  "Connection: close\r\n\r\n" + text);
    socket->disconnectFromHost();
}

FrontDoor::FrontDoor(QHttpServer &http, FlexTokenValidator &validator, QObject *parent)
    : QObject(parent)
    , m_http(http)
    , m_validator(validator)
    , m_handoff(new HandoffServer(this))
    , m_webSockets(new QWebSocketServer(u"flex-backend"_s, QWebSocketServer::NonSecureMode, this))
    , m_keepAlive(new WebSocketKeepAlive(this))
{
    // QHttpServer takes the handoff server as its child.
    m_http.bind(m_handoff);
    // The front door does its own limits and authentication; this server
    // only completes the handshake of sockets handed to it.
    m_webSockets->setMaxPendingConnections(1 << 20);
    m_webSockets->setHandshakeTimeout(std::chrono::milliseconds(m_settings.headTimeout));
    connect(m_webSockets, &QWebSocketServer::newConnection, this, &FrontDoor::onWebSocketReady);
    m_pruneTimer = new QTimer(this);
    connect(m_pruneTimer, &QTimer::timeout, this, [this] { m_budgets.prune(); });
    m_pruneTimer->start(std::chrono::minutes(1));
}

FrontDoor::~FrontDoor() = default;

void FrontDoor::configure(const Settings &settings)
{
    m_settings = settings;
    m_budgets.setAuthRatePerMinute(settings.authRatePerAddress);
    m_budgets.setMaxConnectionsPerAddress(settings.maxConnectionsPerAddress);
    m_keepAlive->setInterval(settings.pingInterval);
    m_webSockets->setHandshakeTimeout(settings.headTimeout);
}

void FrontDoor::setTlsConfiguration(const QSslConfiguration &tls)
{
    m_tls = std::make_unique<QSslConfiguration>(tls);
    if (auto *sslServer = qobject_cast<QSslServer *>(m_listener.get()))
        sslServer->setSslConfiguration(tls);
}

bool FrontDoor::listen(QString *error)
{
    if (m_tls) {
        auto sslServer = std::make_unique<QSslServer>();
        sslServer->setSslConfiguration(*m_tls);
        sslServer->setHandshakeTimeout(int(m_settings.headTimeout.count()));
        m_listener = std::move(sslServer);
    } else {
        m_listener = std::make_unique<QTcpServer>();
    }
    m_listener->setMaxPendingConnections(1024);
    // Qt's default accept queue of 50 drops SYNs in a reconnect storm (each
    // dropped one waits 1 s, then 3 s, for the retry); the kernel caps it
    // at net.core.somaxconn.
    m_listener->setListenBacklogSize(4096);
    connect(m_listener.get(), &QTcpServer::pendingConnectionAvailable, this,
            &FrontDoor::acceptPending);
    if (!m_listener->listen(m_settings.address, m_settings.port)) {
        if (error)
            *error = m_listener->errorString();
        return false;
    }
    return true;
}

quint16 FrontDoor::port() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

bool FrontDoor::isListening() const
{
    return m_listener && m_listener->isListening();
}

void FrontDoor::stopAccepting()
{
    if (m_listener)
        m_listener->close();
}

void FrontDoor::closeWebSockets()
{
    const QList<QPointer<QWebSocket>> sockets = m_webSocketsOpen;
    for (const QPointer<QWebSocket> &socket : sockets) {
        if (socket && socket->state() == QAbstractSocket::ConnectedState)
            socket->close(QWebSocketProtocol::CloseCodeGoingAway, u"server shutting down"_s);
    }
}

void FrontDoor::registerWebSocketEndpoint(const QString &path, WebSocketEndpoint *endpoint)
{
    m_endpoints.insert(path, endpoint);
}

void FrontDoor::acceptPending()
{
    while (QTcpSocket *socket = m_listener->nextPendingConnection()) {
        if (m_open >= m_settings.maxConnections) {
            ops::metrics()
                .counter("flex_connections_refused_total", "Connections refused over the limit")
                .inc();
            refuseConnection(socket, 503, "Service Unavailable");
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            continue;
        }
        // A trusted proxy carries many clients: those count once their
        // request head names them (admitClient).
        const QHostAddress peer = normalizedAddress(socket->peerAddress());
        const bool proxied = isTrusted(peer, m_settings.trustedProxies);
        if (!proxied && !countConnection(socket, peer)) {
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            continue;
        }
        ++m_open;
        // Answers are small and latency matters (webhooks, call updates): no Nagle delay.
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        new SocketLease(socket, [door = QPointer<FrontDoor>(this)] {
            if (door)
                --door->m_open;
        });
        connect(socket, &QTcpSocket::disconnected, socket, [socket] {
            // Sockets upgraded to WebSockets are owned by the QWebSocket.
            if (!qobject_cast<QWebSocket *>(socket->parent()))
                socket->deleteLater();
        });
        auto *reader = new HeadReader(socket, m_settings.maxHeadBytes, m_settings.headTimeout);
        connect(reader, &HeadReader::headReceived, this, &FrontDoor::onHead);
    }
}

std::optional<QHostAddress> FrontDoor::admitClient(QTcpSocket *socket, const RequestHead &head)
{
    const QHostAddress peer = normalizedAddress(socket->peerAddress());
    const QHostAddress client =
        clientAddress(peer, head.header("x-forwarded-for"), m_settings.trustedProxies);
    constexpr char Counted[] = "flexClientCounted";
    if (!isTrusted(peer, m_settings.trustedProxies) || socket->property(Counted).toBool())
        return client;
    // Through a trusted proxy: the client counts from its first request on
    // this connection until the connection closes.
    if (!countConnection(socket, client))
        return std::nullopt;
    socket->setProperty(Counted, true);
    return client;
}

// One more connection of `client` until the socket is destroyed; false
// (and refused with 429) when it already holds MAX_CONNECTIONS_PER_ADDRESS.
bool FrontDoor::countConnection(QTcpSocket *socket, const QHostAddress &client)
{
    if (!m_budgets.addConnection(client)) {
        ops::metrics()
            .counter("flex_connections_refused_per_address_total",
                     "Connections refused over MAX_CONNECTIONS_PER_ADDRESS")
            .inc();
        refuseConnection(socket, 429, "Too Many Requests",
                         "Too many connections from this address.\n", "Retry-After: 1\r\n");
        return false;
    }
    new SocketLease(socket, [door = QPointer<FrontDoor>(this), client] {
        if (door)
            door->m_budgets.releaseConnection(client);
    });
    return true;
}

// An unknown token costs a Twilio request: each client address has a
// budget of those (AUTH_RATE_PER_ADDRESS a minute). Known tokens (cached,
// or being checked) are free, so a reconnect storm of real agents is not
// refused. false: refused with 429 and Retry-After.
bool FrontDoor::spendValidation(QTcpSocket *socket, const QHostAddress &client,
                                const QString &token)
{
    if (m_validator.isKnown(token))
        return true;
    const std::optional<std::chrono::seconds> wait = m_budgets.takeValidation(client);
    if (!wait)
        return true;
    handshakes("rate_limited").inc();
    refuseConnection(socket, 429, "Too Many Requests",
                     "Too many unknown Flex tokens from this address; try again later.\n",
                     "Retry-After: " + QByteArray::number(qint64(wait->count())) + "\r\n");
    return false;
}

void FrontDoor::onHead(QTcpSocket *socket, const RequestHead &head)
{
    if (head.isWebSocketUpgrade() || head.path().startsWith("/websocket/"))
        upgrade(socket, head);
    else
        handToHttp(socket, head);
}

bool FrontDoor::originAllowed(const RequestHead &head) const
{
    if (m_settings.allowedOrigins.isEmpty())
        return true;
    const QString origin = QString::fromLatin1(head.header("origin"));
    // Non-browser clients send no Origin; the token still protects them.
    return origin.isEmpty() || m_settings.allowedOrigins.contains(origin);
}

void FrontDoor::upgrade(QTcpSocket *socket, const RequestHead &head)
{
    const QString path = QString::fromUtf8(head.path());
    if (!head.isWebSocketUpgrade() || head.method != "GET") {
        handshakes("not_websocket").inc();
        refuseConnection(socket, 400, "Bad Request", "A WebSocket upgrade is required here.\n");
        return;
    }
    if (!m_endpoints.contains(path)) {
        handshakes("unknown_path").inc();
        refuseConnection(socket, 404, "Not Found", "No WebSocket is served at this path.\n");
        return;
    }
    if (!originAllowed(head)) {
        handshakes("origin_refused").inc();
        refuseConnection(socket, 403, "Forbidden", "Origin not allowed.\n");
        return;
    }
    const std::optional<QHostAddress> client = admitClient(socket, head);
    if (!client)
        return;
    const OfferedToken offered = tokenOf(head);
    ops::registerSecret(offered.token, ops::SecretLifetime::Transient);
    if (offered.token.isEmpty()) {
        handshakes("bad_token").inc();
        refuseConnection(socket, 403, "Forbidden", "A Flex token is required.\n");
        return;
    }
    // Cheap before costly: a token that is not even JWT-shaped is refused
    // without asking Twilio or spending the address's budget.
    if (!FlexTokenShape::isPlausible(offered.token)) {
        handshakes("bad_token").inc();
        refuseConnection(socket, 403, "Forbidden", "Flex token not valid.\n");
        return;
    }
    if (!spendValidation(socket, *client, offered.token))
        return;
    // Hold the socket's data until the token is checked.
    QPointer<QTcpSocket> guarded(socket);
    m_validator.validate(
        offered.token, this,
        [this, guarded, path, offered](const FlexTokenValidator::Result &result) {
            if (!guarded || guarded->state() != QAbstractSocket::ConnectedState)
                return;
            if (result.fromCache)
                ops::metrics()
                    .counter("flex_token_cache_hits_total", "Flex token checks answered from cache")
                    .inc();
            switch (result.outcome) {
            case FlexTokenValidator::Outcome::Invalid:
                handshakes("bad_token").inc();
                qCInfo(lcAuth) << "refused a WebSocket on" << path << ":" << result.reason;
                refuseConnection(guarded, 403, "Forbidden", "Flex token not valid.\n");
                return;
            case FlexTokenValidator::Outcome::Unavailable:
                handshakes("iam_unavailable").inc();
                refuseConnection(guarded, 503, "Service Unavailable",
                                 "Flex token validation is unavailable; try again.\n");
                return;
            case FlexTokenValidator::Outcome::Valid:
                break;
            }
            const QString key = peerKey(guarded->peerAddress(), guarded->peerPort());
            PendingUpgrade pending{path, result.who,
                                   offered.viaSubprotocol ? offered.token : QString(), guarded};
            if (!pending.subprotocol.isEmpty()) {
                if (m_offeredSubprotocols[pending.subprotocol]++ == 0)
                    m_webSockets->setSupportedSubprotocols(m_offeredSubprotocols.keys());
            }
            m_pendingUpgrades.insert(key, pending);
            connect(guarded, &QObject::destroyed, this, [this, key] {
                const auto it = m_pendingUpgrades.constFind(key);
                if (it != m_pendingUpgrades.cend()) {
                    releaseSubprotocol(it->subprotocol);
                    m_pendingUpgrades.erase(it);
                }
            });
            // Before QWebSocket connects to the transport: the guard's slot runs first.
            new ClientFrameGuard(guarded);
            m_webSockets->handleConnection(guarded);
        });
}

void FrontDoor::releaseSubprotocol(const QString &token)
{
    if (token.isEmpty())
        return;
    const auto it = m_offeredSubprotocols.find(token);
    if (it == m_offeredSubprotocols.end())
        return;
    if (--it.value() <= 0) {
        m_offeredSubprotocols.erase(it);
        m_webSockets->setSupportedSubprotocols(m_offeredSubprotocols.keys());
    }
}

void FrontDoor::onWebSocketReady()
{
    while (QWebSocket *socket = m_webSockets->nextPendingConnection()) {
        const QString key = peerKey(socket->peerAddress(), socket->peerPort());
        const auto it = m_pendingUpgrades.find(key);
        if (it == m_pendingUpgrades.end()) {
            qCWarning(lcServer) << "an upgraded WebSocket had no pending authentication; closing";
            socket->abort();
            socket->deleteLater();
            continue;
        }
        const PendingUpgrade pending = it.value();
        m_pendingUpgrades.erase(it);
        releaseSubprotocol(pending.subprotocol);
        WebSocketEndpoint *endpoint = m_endpoints.value(pending.path);
        if (!endpoint) {
            socket->close(QWebSocketProtocol::CloseCodeGoingAway);
            socket->deleteLater();
            continue;
        }
        handshakes("accepted").inc();
        if (pending.transport) {
            // The transport lives exactly as long as its WebSocket (Qt 6.4's
            // QWebSocket does not delete it, and disconnects its signals).
            pending.transport->setParent(socket);
            setTransport(socket, pending.transport);
            if (auto *guard = pending.transport->findChild<ClientFrameGuard *>())
                guard->arm();
        }
        socket->setMaxAllowedIncomingMessageSize(quint64(m_settings.wsMaxMessageBytes));
        socket->setMaxAllowedIncomingFrameSize(quint64(m_settings.wsMaxMessageBytes));
        const QByteArray kind = pending.path.section(u'/', -1).toUtf8();
        ops::Gauge &open =
            ops::metrics().gauge("flex_websocket_connections",
                                 "Open WebSocket connections by socket kind", {{"kind", kind}});
        open.inc();
        connect(socket, &QObject::destroyed, this, [&open] { open.dec(); });
        m_keepAlive->track(socket);
        m_webSocketsOpen.append(socket);
        ++m_openByPath[pending.path];
        connect(socket, &QObject::destroyed, this,
                [this, path = pending.path] { --m_openByPath[path]; });
        connect(socket, &QObject::destroyed, this, [this] {
            m_webSocketsOpen.removeIf([](const QPointer<QWebSocket> &p) { return p.isNull(); });
        });
        qCInfo(lcServer).noquote()
            << "WebSocket opened on" << pending.path << "for" << pending.who.identity;
        endpoint->acceptSocket(socket, pending.who);
        Q_EMIT webSocketOpened(pending.path, socket);
    }
}

void FrontDoor::handToHttp(QTcpSocket *socket, const RequestHead &head)
{
    if (!admitClient(socket, head))
        return;
    const std::optional<qint64> length = head.contentLength();
    if (length && *length < 0) {
        refuseConnection(socket, 400, "Bad Request", "Malformed Content-Length.\n");
        return;
    }
    if (length && *length > m_settings.maxBodyBytes) {
        refuseConnection(socket, 413, "Content Too Large");
        return;
    }
    if (length && head.isChunked()) {
        refuseConnection(socket, 400, "Bad Request",
                         "Content-Length and chunked encoding together.\n");
        return;
    }
    auto *guard = new HttpConnectionGuard(socket, m_settings.maxHeadBytes + m_settings.maxBodyBytes,
                                          m_settings.maxHeadBytes, m_settings.headTimeout,
                                          m_settings.idleTimeout);
    connect(guard, &HttpConnectionGuard::upgradeRequested, this, [this](QTcpSocket *s) {
        auto *reader = new HeadReader(s, m_settings.maxHeadBytes, m_settings.headTimeout);
        connect(reader, &HeadReader::headReceived, this, &FrontDoor::onHead);
    });
    m_handoff->handOver(socket);
}

} // namespace flex::server
