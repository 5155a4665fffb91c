#include "server/connectionguards.h"

#include "ops/logcategories.h"
#include "server/frontdoor.h"

#include <QTcpSocket>

namespace flex::server {

namespace {

bool wantsClose(const RequestHead &head)
{
    const QByteArray connection = head.header("connection").toLower();
    if (connection.contains("close"))
        return true;
    return head.version == "HTTP/1.0" && !connection.contains("keep-alive");
}

} // namespace

HeadReader::HeadReader(QTcpSocket *socket, int maxHeadBytes, std::chrono::milliseconds timeout)
    : QObject(socket)
    , m_socket(socket)
    , m_maxHeadBytes(maxHeadBytes)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        qCDebug(lcServer) << "dropping a client that sent no complete request head in time";
        refuseConnection(m_socket, 408, "Request Timeout");
    });
    m_timer.start(timeout);
    connect(socket, &QTcpSocket::readyRead, this, &HeadReader::read);
    if (socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &HeadReader::read, Qt::QueuedConnection);
}

void HeadReader::read()
{
    RequestHead head;
    const QByteArray buffer = m_socket->peek(m_maxHeadBytes + 1);
    switch (parseRequestHead(buffer, m_maxHeadBytes, head)) {
    case HeadParse::Incomplete:
        return;
    case HeadParse::TooLarge:
        m_timer.stop();
        refuseConnection(m_socket, 431, "Request Header Fields Too Large");
        return;
    case HeadParse::Malformed:
        m_timer.stop();
        refuseConnection(m_socket, 400, "Bad Request");
        return;
    case HeadParse::Complete:
        break;
    }
    m_timer.stop();
    disconnect(m_socket, nullptr, this, nullptr);
    Q_EMIT headReceived(m_socket, head);
    deleteLater();
}

HttpConnectionGuard::HttpConnectionGuard(QTcpSocket *socket, qint64 maxRequestBytes,
                                         int maxHeadBytes, std::chrono::milliseconds requestTimeout,
                                         std::chrono::milliseconds idleTimeout)
    : QObject(socket)
    , m_socket(socket)
    , m_maxRequestBytes(maxRequestBytes)
    , m_maxHeadBytes(maxHeadBytes)
{
    m_requestTimer.setSingleShot(true);
    m_requestTimer.setInterval(requestTimeout);
    m_idleTimer.setSingleShot(true);
    m_idleTimer.setInterval(idleTimeout);
    connect(&m_requestTimer, &QTimer::timeout, this, [this] {
        qCDebug(lcServer) << "dropping an HTTP client that stalled in the middle of a request";
        m_socket->abort();
    });
    connect(&m_idleTimer, &QTimer::timeout, this, [this] { m_socket->disconnectFromHost(); });
    // Connected before QHttpServer connects its own slot, so this sees new
    // bytes before QHttpServer consumes them.
    connect(socket, &QTcpSocket::readyRead, this, &HttpConnectionGuard::onReadyRead);
    connect(socket, &QTcpSocket::bytesWritten, this, &HttpConnectionGuard::onAnswered);
    m_idleTimer.start();
}

bool HttpConnectionGuard::atRequestStart()
{
    // Only the first request of a connection passes the front door's head
    // reader; later ones on a keep-alive connection are looked at here.
    static const QByteArray upgradePrefix = "GET /websocket/";
    const QByteArray start = m_socket->peek(m_maxHeadBytes + 1);
    if (start.startsWith(upgradePrefix)) {
        // Detach QHttpServer (its readyRead slot is skipped for this very
        // emission too) and its delete-on-disconnect; the request object it
        // keeps is freed with the socket.
        disconnect(m_socket, &QTcpSocket::readyRead, nullptr, nullptr);
        disconnect(m_socket, &QTcpSocket::disconnected, m_socket, nullptr);
        QTcpSocket *socket = m_socket;
        connect(socket, &QTcpSocket::disconnected, socket, [socket] {
            if (!socket->parent() || !socket->parent()->inherits("QWebSocket"))
                socket->deleteLater();
        });
        disconnect(socket, nullptr, this, nullptr);
        Q_EMIT upgradeRequested(socket);
        deleteLater();
        return false;
    }
    RequestHead head;
    if (parseRequestHead(start, m_maxHeadBytes, head) == HeadParse::Complete)
        m_closeAfterAnswer = wantsClose(head);
    return true;
}

void HttpConnectionGuard::onReadyRead()
{
    m_idleTimer.start();
    if (!m_requestTimer.isActive())
        m_requestTimer.start();
    if (m_unanswered == 0 && !atRequestStart())
        return; // handed back to the front door
    m_unanswered += m_socket->bytesAvailable();
    if (m_unanswered > m_maxRequestBytes) {
        qCInfo(lcServer) << "refusing an HTTP request larger than" << m_maxRequestBytes << "bytes";
        disconnect(m_socket, nullptr, this, nullptr);
        m_socket->readAll(); // leaves QHttpServer nothing more to parse
        refuseConnection(m_socket, 413, "Content Too Large");
    }
}

void HttpConnectionGuard::onAnswered()
{
    if (m_socket->bytesToWrite() > 0)
        return;
    m_unanswered = 0;
    m_requestTimer.stop();
    m_idleTimer.start();
    // QHttpServer 6.4 keeps every connection open; honour the client's wish.
    if (m_closeAfterAnswer)
        m_socket->disconnectFromHost();
}

} // namespace flex::server
