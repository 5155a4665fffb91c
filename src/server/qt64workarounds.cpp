#include "server/qt64workarounds.h"

#include "ops/logcategories.h"
#include "ops/metrics.h"

#include <QMetaObject>
#include <QWebSocketServer>

namespace flex::server::qt64 {

void deleteWhenDisconnected(QTcpSocket *socket)
{
    QObject::disconnect(socket, &QTcpSocket::disconnected, socket, nullptr);
    QObject::connect(socket, &QTcpSocket::disconnected, socket, [socket] {
        if (!socket->parent() || !socket->parent()->inherits("QWebSocket"))
            socket->deleteLater();
    });
}

// --- 2. HandoffServer

HandoffServer::HandoffServer(QObject *parent)
    : QTcpServer(parent)
{
    listen(QHostAddress::LocalHost, 0);
    pauseAccepting();
}

void HandoffServer::handOver(QTcpSocket *socket)
{
    m_queue.emplace_back(socket);
    // pendingConnectionAvailable is a private signal in Qt 6.4 and
    // addPendingConnection() does not emit it; invoking it by name is the
    // only way to wake QHttpServer.
    QMetaObject::invokeMethod(this, "pendingConnectionAvailable", Qt::DirectConnection);
    // Bytes already buffered produce no new readyRead on their own.
    if (socket && socket->bytesAvailable() > 0)
        Q_EMIT socket->readyRead();
}

bool HandoffServer::hasPendingConnections() const
{
    return !m_queue.empty();
}

QTcpSocket *HandoffServer::nextPendingConnection()
{
    while (!m_queue.empty()) {
        QPointer<QTcpSocket> socket = m_queue.front();
        m_queue.pop_front();
        if (socket)
            return socket;
    }
    return nullptr;
}

// --- 3. Upgrade sniffing

bool startsWebSocketUpgrade(QByteArrayView requestStart)
{
    return requestStart.startsWith(QByteArrayView("GET /websocket/"));
}

void takeBackFromHttpServer(QTcpSocket *socket)
{
    QObject::disconnect(socket, &QTcpSocket::readyRead, nullptr, nullptr);
    deleteWhenDisconnected(socket);
}

// --- 4. SubprotocolEcho

SubprotocolEcho::SubprotocolEcho(QWebSocketServer &server)
    : m_server(server)
{}

void SubprotocolEcho::offer(const QString &token)
{
    if (!token.isEmpty() && m_offered[token]++ == 0)
        m_server.setSupportedSubprotocols(m_offered.keys());
}

void SubprotocolEcho::release(const QString &token)
{
    if (token.isEmpty())
        return;
    const auto it = m_offered.find(token);
    if (it == m_offered.end())
        return;
    if (--it.value() <= 0) {
        m_offered.erase(it);
        m_server.setSupportedSubprotocols(m_offered.keys());
    }
}

// --- 5. UpgradePairing

PeerEndpoint PeerEndpoint::of(const QAbstractSocket &socket)
{
    return {socket.peerAddress(), socket.peerPort()};
}

size_t qHash(const PeerEndpoint &peer, size_t seed)
{
    return qHashMulti(seed, peer.address, peer.port);
}

void UpgradePairing::expect(const PeerEndpoint &peer, QTcpSocket *transport)
{
    m_upgrading.insert(peer, transport);
}

QTcpSocket *UpgradePairing::take(const PeerEndpoint &peer)
{
    return m_upgrading.take(peer);
}

void UpgradePairing::forget(const PeerEndpoint &peer, const QObject *transport)
{
    const auto it = m_upgrading.constFind(peer);
    if (it != m_upgrading.cend() && it.value() == transport)
        m_upgrading.erase(it);
}

// --- 6. Unmasked client frames

bool ClientFrameScanner::feed(QByteArrayView bytes)
{
    qsizetype i = 0;
    while (!m_violated && i < bytes.size()) {
        const auto byte = quint8(bytes[i]);
        switch (m_state) {
        case State::Head0:
            ++i;
            m_state = State::Head1;
            break;
        case State::Head1: {
            ++i;
            if (!(byte & 0x80)) {
                m_violated = true;
                break;
            }
            const quint8 length = byte & 0x7f;
            m_lengthBytes = length == 126 ? 2 : length == 127 ? 8 : 0;
            m_length = m_lengthBytes ? 0 : length;
            m_state = m_lengthBytes ? State::Length : State::Mask;
            m_maskBytes = 4;
            break;
        }
        case State::Length:
            ++i;
            m_length = (m_length << 8) | byte;
            if (--m_lengthBytes == 0)
                m_state = State::Mask;
            break;
        case State::Mask:
            ++i;
            if (--m_maskBytes == 0) {
                m_payloadLeft = m_length;
                m_state = m_payloadLeft ? State::Payload : State::Head0;
            }
            break;
        case State::Payload: {
            const quint64 take = std::min<quint64>(m_payloadLeft, quint64(bytes.size() - i));
            i += qsizetype(take);
            m_payloadLeft -= take;
            if (m_payloadLeft == 0)
                m_state = State::Head0;
            break;
        }
        }
    }
    return !m_violated;
}

ClientFrameGuard::ClientFrameGuard(QTcpSocket *transport)
    : QObject(transport)
    , m_transport(transport)
{
    connect(transport, &QTcpSocket::readyRead, this, &ClientFrameGuard::beforeWebSocket);
}

void ClientFrameGuard::arm()
{
    if (!m_transport)
        return;
    m_armed = true;
    m_leftByWebSocket = m_transport->bytesAvailable();
    // Bytes left now belong to a frame QWebSocket has begun reading (a
    // client that did not wait for the 101): their headers are not ours to
    // scan; the scanner starts in step only if nothing is left.
    if (m_leftByWebSocket > 0)
        m_armed = false;
    connect(m_transport, &QTcpSocket::readyRead, this, &ClientFrameGuard::afterWebSocket);
}

void ClientFrameGuard::beforeWebSocket()
{
    if (!m_armed || !m_transport)
        return;
    const qint64 available = m_transport->bytesAvailable();
    const qint64 fresh = available - m_leftByWebSocket;
    if (fresh <= 0)
        return;
    const QByteArray buffered = m_transport->peek(available);
    if (m_scanner.feed(QByteArrayView(buffered).last(fresh)))
        return;
    m_armed = false;
    // Consume it all so QWebSocket, next in line, never sees the frame.
    m_transport->read(available);
    ops::metrics()
        .counter("flex_websocket_protocol_errors_total",
                 "WebSocket connections closed for a protocol error, by kind",
                 {{"kind", "unmasked_frame"}})
        .inc();
    qCInfo(lcServer) << "closed a WebSocket that sent an unmasked frame (1002)";
    m_transport->write(closeFrame(1002, "client frames must be masked"));
    m_transport->disconnectFromHost();
}

void ClientFrameGuard::afterWebSocket()
{
    if (m_transport)
        m_leftByWebSocket = m_transport->bytesAvailable();
}

QByteArray ClientFrameGuard::closeFrame(quint16 code, const QByteArray &reason)
{
    const QByteArray payload =
        QByteArray(1, char(code >> 8)) + char(code & 0xff) + reason.left(123);
    return QByteArray(1, char(0x88)) + char(payload.size()) + payload;
}

// --- 7. Connection: close

bool asksToClose(QByteArrayView start)
{
    const qsizetype headEnd = start.indexOf("\r\n\r\n");
    const QByteArrayView head = start.first(headEnd < 0 ? start.size() : headEnd);
    const qsizetype lineEnd = head.indexOf('\n');
    const bool http10 = lineEnd > 0 && head.first(lineEnd).trimmed().endsWith("HTTP/1.0");
    QByteArray connection;
    for (qsizetype at = head.indexOf('\n'); at >= 0 && at + 1 < head.size();
         at = head.indexOf('\n', at + 1)) {
        const QByteArrayView line = head.sliced(at + 1);
        if (line.size() > 11 && qstrnicmp(line.data(), "connection:", 11) == 0) {
            const qsizetype end = line.indexOf('\r');
            connection = line.first(end < 0 ? line.size() : end)
                             .sliced(11)
                             .trimmed()
                             .toByteArray()
                             .toLower();
            break;
        }
    }
    if (connection.contains("close"))
        return true;
    return http10 && !connection.contains("keep-alive");
}

} // namespace flex::server::qt64
