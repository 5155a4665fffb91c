#include "server/frontdoor.h"

#include "ops/logcategories.h"
#include "ops/logging.h"
#include "ops/metrics.h"
#include "server/connectionguards.h"
#include "server/upgraderequest.h"
#include "server/websocketendpoint.h"
#include "server/websocketframes.h"
#include "server/websocketkeepalive.h"

#include <QHttpServer>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

namespace flex::server {

using namespace Qt::StringLiterals;
using State = ConnectionRecord::State;

namespace {

ops::Gauge &openGauge(const QString &path)
{
    const QByteArray kind = path.section(u'/', -1).toUtf8();
    return ops::metrics().gauge("flex_websocket_connections",
                                "Open WebSocket connections by socket kind", {{"kind", kind}});
}

} // namespace

FrontDoor::FrontDoor(QHttpServer &http, Authenticator &authenticator, QObject *parent)
    : QObject(parent)
    , m_http(http)
    , m_authenticator(authenticator)
    , m_handoff(new qt64::HandoffServer(this))
    , m_webSockets(new QWebSocketServer(u"flex-backend"_s, QWebSocketServer::NonSecureMode, this))
    , m_keepAlive(new WebSocketKeepAlive(this))
    , m_subprotocols(*m_webSockets)
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
    QList<QPointer<QWebSocket>> sockets;
    for (const ConnectionRecord &record : std::as_const(m_connections)) {
        if (record.state == ConnectionRecord::State::Open && record.webSocket)
            sockets.append(record.webSocket);
    }
    for (const QPointer<QWebSocket> &socket : std::as_const(sockets)) {
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
        if (m_connections.size() >= m_settings.maxConnections) {
            ops::metrics()
                .counter("flex_connections_refused_total", "Connections refused over the limit")
                .inc();
            refuseConnection(socket, 503, "Service Unavailable");
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            continue;
        }
        // A trusted proxy carries many clients: those count once their
        // request head names them (admitClient).
        const QHostAddress address = normalizedAddress(socket->peerAddress());
        const bool proxied = isTrusted(address, m_settings.trustedProxies);
        if (!proxied && !countConnection(socket, address)) {
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            continue;
        }
        admit(socket, address, proxied ? std::nullopt : std::optional<QHostAddress>(address));
    }
}

void FrontDoor::admit(QTcpSocket *socket, const QHostAddress &address,
                      const std::optional<QHostAddress> &counted)
{
    ConnectionRecord &record = m_connections[socket];
    record.peer = qt64::PeerEndpoint::of(*socket);
    record.address = address;
    record.counted = counted;
    new qt64::SocketLease(socket, [door = QPointer<FrontDoor>(this), socket] {
        if (door)
            door->forget(socket);
    });
    qt64::deleteWhenDisconnected(socket);
    // Answers are small and latency matters (webhooks, call updates): no Nagle delay.
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    readHead(socket);
}

void FrontDoor::forget(QTcpSocket *socket)
{
    const auto it = m_connections.constFind(socket);
    if (it == m_connections.cend())
        return;
    const ConnectionRecord record = it.value();
    m_connections.erase(it);
    if (record.counted)
        m_budgets.releaseConnection(*record.counted);
    if (record.state == State::Upgrading) {
        m_upgrading.forget(record.peer, socket);
        m_subprotocols.release(record.subprotocol);
    } else if (record.state == State::Open) {
        --m_openWebSockets;
        --m_openByPath[record.path];
        openGauge(record.path).dec();
    }
}

// Every socket past acceptPending() has a record (m_connections[socket]
// below never adds one) until forget().
void FrontDoor::readHead(QTcpSocket *socket)
{
    m_connections[socket].state = State::ReadingHead;
    auto *reader = new HeadReader(socket, m_settings.maxHeadBytes, m_settings.headTimeout);
    connect(reader, &HeadReader::headReceived, this, &FrontDoor::onHead);
}

std::optional<QHostAddress> FrontDoor::admitClient(QTcpSocket *socket, const RequestHead &head)
{
    ConnectionRecord &record = m_connections[socket];
    const QHostAddress client =
        clientAddress(record.address, head.header("x-forwarded-for"), m_settings.trustedProxies);
    if (record.counted || !isTrusted(record.address, m_settings.trustedProxies))
        return client;
    // Through a trusted proxy: the client counts from its first request on
    // this connection until the connection closes.
    if (!countConnection(socket, client))
        return std::nullopt;
    record.counted = client;
    return client;
}

// One more connection of `client` (released by forget()); false, and
// refused with 429, when it already holds MAX_CONNECTIONS_PER_ADDRESS.
bool FrontDoor::countConnection(QTcpSocket *socket, const QHostAddress &client)
{
    if (m_budgets.addConnection(client))
        return true;
    ops::metrics()
        .counter("flex_connections_refused_per_address_total",
                 "Connections refused over MAX_CONNECTIONS_PER_ADDRESS")
        .inc();
    refuseConnection(socket, 429, "Too Many Requests", "Too many connections from this address.\n",
                     "Retry-After: 1\r\n");
    return false;
}

void FrontDoor::onHead(QTcpSocket *socket, const RequestHead &head)
{
    if (head.isWebSocketUpgrade() || head.path().startsWith("/websocket/"))
        upgrade(socket, head);
    else
        handToHttp(socket, head);
}

void FrontDoor::upgrade(QTcpSocket *socket, const RequestHead &head)
{
    const QString path = QString::fromUtf8(head.path());
    if (const auto refusal =
            refusalOfUpgrade(head, m_endpoints.contains(path), m_settings.allowedOrigins)) {
        refuseHandshake(socket, *refusal);
        return;
    }
    const std::optional<QHostAddress> client = admitClient(socket, head);
    if (!client)
        return;
    const OfferedToken offered = offeredToken(head);
    ops::registerSecret(offered.token, ops::SecretLifetime::Transient);
    if (const auto refusal = refusalOfToken(offered.token)) {
        refuseHandshake(socket, *refusal);
        return;
    }
    ConnectionRecord &record = m_connections[socket];
    record.state = State::Authenticating;
    record.path = path;
    // An unknown token costs a Twilio request: each client address has a
    // budget of those (AUTH_RATE_PER_ADDRESS a minute). Known tokens are
    // free, so a reconnect storm of real agents is not refused.
    const auto budget = [this, client = *client] { return m_budgets.takeValidation(client); };
    const QString subprotocol = offered.viaSubprotocol ? offered.token : QString();
    // The socket's data waits in its buffer until the token is checked.
    m_authenticator.authenticate(offered.token, budget, socket,
                                 [this, guarded = QPointer<QTcpSocket>(socket),
                                  subprotocol](const Authenticator::Answer &answer) {
                                     onAuthenticated(guarded, answer, subprotocol);
                                 });
}

void FrontDoor::onAuthenticated(QTcpSocket *socket, const Authenticator::Answer &answer,
                                const QString &subprotocol)
{
    if (!socket || socket->state() != QAbstractSocket::ConnectedState)
        return;
    const auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    if (const auto refusal = refusalOfAnswer(answer)) {
        if (answer.outcome == Authenticator::Outcome::Invalid)
            qCInfo(lcAuth) << "refused a WebSocket on" << it->path << ":" << answer.reason;
        refuseHandshake(socket, *refusal);
        return;
    }
    it->who = answer.who;
    it->subprotocol = subprotocol;
    it->state = State::Upgrading;
    m_subprotocols.offer(subprotocol);
    m_upgrading.expect(it->peer, socket);
    // Before QWebSocket connects to the transport: the guard's slot runs first.
    new qt64::ClientFrameGuard(socket);
    m_webSockets->handleConnection(socket);
}

void FrontDoor::onWebSocketReady()
{
    while (QWebSocket *socket = m_webSockets->nextPendingConnection()) {
        QTcpSocket *transport =
            m_upgrading.take(qt64::PeerEndpoint{socket->peerAddress(), socket->peerPort()});
        const auto it = transport ? m_connections.find(transport) : m_connections.end();
        if (it == m_connections.end() || it->state != State::Upgrading) {
            qCWarning(lcServer) << "an upgraded WebSocket had no pending authentication; closing";
            socket->abort();
            socket->deleteLater();
            continue;
        }
        open(socket, transport, it.value());
    }
}

void FrontDoor::open(QWebSocket *socket, QTcpSocket *transport, ConnectionRecord &record)
{
    m_subprotocols.release(record.subprotocol);
    record.subprotocol.clear();
    // The transport lives exactly as long as its WebSocket (qt64 §1).
    transport->setParent(socket);
    WebSocketEndpoint *endpoint = m_endpoints.value(record.path);
    if (!endpoint) {
        socket->close(QWebSocketProtocol::CloseCodeGoingAway);
        socket->deleteLater();
        return;
    }
    handshakes("accepted").inc();
    setTransport(socket, transport);
    if (auto *guard = transport->findChild<qt64::ClientFrameGuard *>())
        guard->arm();
    socket->setMaxAllowedIncomingMessageSize(quint64(m_settings.wsMaxMessageBytes));
    socket->setMaxAllowedIncomingFrameSize(quint64(m_settings.wsMaxMessageBytes));
    record.state = State::Open;
    record.webSocket = socket;
    ++m_openWebSockets;
    ++m_openByPath[record.path];
    openGauge(record.path).inc();
    m_keepAlive->track(socket);
    // The record may go while the endpoint takes the socket: copies.
    const QString path = record.path;
    const FlexIdentity who = record.who;
    qCInfo(lcServer).noquote() << "WebSocket opened on" << path << "for" << who.identity;
    endpoint->acceptSocket(socket, who);
    Q_EMIT webSocketOpened(path, socket);
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
    m_connections[socket].state = ConnectionRecord::State::Http;
    auto *guard = new HttpConnectionGuard(socket, m_settings.maxHeadBytes + m_settings.maxBodyBytes,
                                          m_settings.maxHeadBytes, m_settings.headTimeout,
                                          m_settings.idleTimeout);
    connect(guard, &HttpConnectionGuard::upgradeRequested, this, &FrontDoor::readHead);
    m_handoff->handOver(socket);
}

} // namespace flex::server
