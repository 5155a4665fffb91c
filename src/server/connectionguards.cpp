#include "server/connectionguards.h"

#include "ops/logcategories.h"
#include "server/frontdoor.h"

#include <QTcpSocket>

namespace flex::server {

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
                                         std::chrono::milliseconds requestTimeout,
                                         std::chrono::milliseconds idleTimeout)
    : QObject(socket)
    , m_socket(socket)
    , m_maxRequestBytes(maxRequestBytes)
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

void HttpConnectionGuard::onReadyRead()
{
    m_idleTimer.start();
    if (!m_requestTimer.isActive())
        m_requestTimer.start();
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
}

} // namespace flex::server
