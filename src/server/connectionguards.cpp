#include "server/connectionguards.h"

#include "ops/logcategories.h"
#include "server/qt64workarounds.h"

#include <QTcpSocket>

namespace flex::server {

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
    const QByteArray start =
        m_socket->peek(qMin<qint64>(m_socket->bytesAvailable(), m_maxHeadBytes));
    if (qt64::startsWebSocketUpgrade(start)) {
        QTcpSocket *socket = m_socket;
        qt64::takeBackFromHttpServer(socket);
        disconnect(socket, nullptr, this, nullptr);
        Q_EMIT upgradeRequested(socket);
        deleteLater();
        return false;
    }
    m_closeAfterAnswer = qt64::asksToClose(start);
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
    // QHttpServer keeps every connection open (qt64 §7).
    if (m_closeAfterAnswer)
        m_socket->disconnectFromHost();
}

} // namespace flex::server
