#pragma once

// Every workaround the front door needs for limits of Qt 6.4 (the Qt of
// Debian 12), in one place. Each says what it works around and which Qt
// makes it unnecessary. Checked against the sources of qtwebsockets and
// qthttpserver 6.4.2, 6.5 ... 6.8.0 and their dev branches of October 2024:
// none of these limits is lifted in a Qt released by then, so each says
// "no Qt up to 6.8" and names the change that would lift it. Remove a
// workaround only after reading the sources of the Qt you move to.
// (websocketframes.h, which encodes a fan-out frame once instead of letting
// each QWebSocket copy it, avoids a cost, not a limit: it stays useful.)

#include <QByteArrayView>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTcpServer>
#include <QTcpSocket>

#include <deque>
#include <functional>

class QWebSocketServer;

namespace flex::server::qt64 {

// 1. QWebSocket does not own the socket it was upgraded from, and calls
// disconnect() on it (QWebSocketPrivate::releaseConnections): every
// connection to the transport's signals, destroyed() included, is dropped
// silently. So the front door
//  - learns of a socket's end from a child object (SocketLease), not from
//    destroyed(), and
//  - parents an upgraded transport to its QWebSocket and deletes other
//    sockets when they disconnect (deleteWhenDisconnected).
// Still so in qtwebsockets dev (October 2024); unnecessary once QWebSocket
// takes ownership of its transport and stops disconnecting its signals.

// Runs `release` when the socket it is a child of is destroyed (the socket
// is then half destroyed: use its address as a key only).
class SocketLease : public QObject
{
public:
    SocketLease(QObject *socket, std::function<void()> release)
        : QObject(socket)
        , m_release(std::move(release))
    {}
    ~SocketLease() override
    {
        if (m_release)
            m_release();
    }
    Q_DISABLE_COPY_MOVE(SocketLease)

private:
    std::function<void()> m_release;
};

// deleteLater() when it disconnects, unless a QWebSocket owns it by then.
// Replaces any earlier connection of this kind (and QHttpServer's).
void deleteWhenDisconnected(QTcpSocket *socket);

// 2. QHttpServer only takes connections from a listening server it was
// bound to (bind(QTcpServer *); later Qt adds bind(QLocalServer *)); it
// cannot be handed an accepted socket whose first request the front door
// has already read. HandoffServer is that server: it listens on a loopback
// port with accepting paused (bind() insists on a listening server) and
// feeds QHttpServer the sockets given to handOver(). Unnecessary once
// QHttpServer accepts an already connected socket (no Qt up to 6.8 does).
class HandoffServer : public QTcpServer
{
    Q_OBJECT
public:
    explicit HandoffServer(QObject *parent = nullptr);

    // The socket may already hold bytes of the first request.
    void handOver(QTcpSocket *socket);

    bool hasPendingConnections() const override;
    QTcpSocket *nextPendingConnection() override;

private:
    std::deque<QPointer<QTcpSocket>> m_queue;
};

// 3. Upgrade sniffing. Only a connection's first request passes the front
// door's head reader; QHttpServer answers a WebSocket upgrade later on a
// keep-alive connection with 404 (6.4), and from 6.8 accepts upgrades only
// through synchronous verifiers, which cannot wait for the asynchronous
// check of a Flex token with Twilio. So HttpConnectionGuard looks at the
// start of each request and takes an upgrade back from QHttpServer.
// Unnecessary once QHttpServer lets an upgrade be verified asynchronously.
bool startsWebSocketUpgrade(QByteArrayView requestStart);
// Detaches QHttpServer from the socket (its readyRead slot is skipped for
// the emission in progress too) and from deleting it on disconnect; the
// request object QHttpServer keeps is freed with the socket.
void takeBackFromHttpServer(QTcpSocket *socket);

// 4. QWebSocketServer echoes a subprotocol only from one server-wide list
// (setSupportedSubprotocols), and browsers send the Flex token as the only
// subprotocol and require it echoed. So each authenticated token is on the
// list while its upgrade is pending. Unnecessary once QWebSocketServer lets
// the subprotocol be chosen per connection (no Qt up to 6.8 does).
class SubprotocolEcho
{
public:
    explicit SubprotocolEcho(QWebSocketServer &server);
    // Each offer() is undone by one release(); empty tokens are ignored.
    void offer(const QString &token);
    void release(const QString &token);

private:
    QWebSocketServer &m_server;
    QHash<QString, int> m_offered; // token -> upgrades waiting on it
};

// 5. QWebSocketServer hands out the upgraded QWebSocket without the socket
// it came from (nextPendingConnection()), and QWebSocket does not expose
// its transport. The front door finds the transport again by the peer's
// address and port, which QWebSocket reports from its transport. Unnecessary
// once QWebSocket exposes its transport (no Qt up to 6.8 does).
struct PeerEndpoint
{
    QHostAddress address;
    quint16 port = 0;

    static PeerEndpoint of(const QAbstractSocket &socket);
    friend bool operator==(const PeerEndpoint &a, const PeerEndpoint &b)
    {
        return a.port == b.port && a.address == b.address;
    }
};
size_t qHash(const PeerEndpoint &peer, size_t seed = 0);

class UpgradePairing
{
public:
    // The transport (whose peer this is) is being upgraded by QWebSocketServer.
    void expect(const PeerEndpoint &peer, QTcpSocket *transport);
    // The transport of a socket from QWebSocketServer::nextPendingConnection().
    QTcpSocket *take(const PeerEndpoint &peer);
    // The transport went away before its upgrade completed.
    void forget(const PeerEndpoint &peer, const QObject *transport);

private:
    QHash<PeerEndpoint, QTcpSocket *> m_upgrading;
};

// 6. QWebSocket accepts unmasked client frames as if they were masked
// (QWebSocketFrame::readFrame never checks the bit; RFC 6455 §5.1 says the
// server MUST close the connection). Still so in qtwebsockets dev (October
// 2024); unnecessary once QWebSocket refuses unmasked client frames.

// Follows the frame headers of a client's WebSocket byte stream and says
// when a frame is not masked. Pure: fed any chunking of the stream.
class ClientFrameScanner
{
public:
    // false once an unmasked frame header was seen (and from then on).
    bool feed(QByteArrayView bytes);
    bool violated() const { return m_violated; }

private:
    enum class State { Head0, Head1, Length, Mask, Payload };
    State m_state = State::Head0;
    int m_lengthBytes = 0; // extended length bytes still to read
    quint64 m_length = 0;
    int m_maskBytes = 0;
    quint64 m_payloadLeft = 0;
    bool m_violated = false;
};

// Sits on the upgraded connection's transport: its first slot runs before
// QWebSocket's own readyRead handler (it is connected earlier), scans only
// the bytes that arrived since QWebSocket last read, and on an unmasked
// frame consumes them, sends a close frame 1002 and closes the connection,
// so the frame never reaches the application.
class ClientFrameGuard : public QObject
{
    Q_OBJECT
public:
    // Connect before the socket is handed to QWebSocketServer.
    explicit ClientFrameGuard(QTcpSocket *transport);
    // Once QWebSocket owns the transport (after the handshake).
    void arm();

    static QByteArray closeFrame(quint16 code, const QByteArray &reason);

private:
    void beforeWebSocket();
    void afterWebSocket();

    QPointer<QTcpSocket> m_transport;
    ClientFrameScanner m_scanner;
    qint64 m_leftByWebSocket = 0; // bytes QWebSocket left unread (partial frames)
    bool m_armed = false;
};

// 7. QHttpServer keeps every connection open after its answer, even when
// the client asked for Connection: close or spoke HTTP/1.0 without
// keep-alive (6.8.0's HTTP/1 handler still never closes after an answer), so
// HttpConnectionGuard closes it once the answer is written. Unnecessary
// once QHttpServer honours Connection: close.
// Whether the request starting `start` asks for that. A cheap scan: it runs
// for every request on a keep-alive connection.
bool asksToClose(QByteArrayView start);

} // namespace flex::server::qt64
