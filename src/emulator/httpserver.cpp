#include "httpserver.h"

#include <QDateTime>
#include <QLocale>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

constexpr qsizetype MaxHeadBytes = 64 * 1024;
constexpr qsizetype MaxBodyBytes = 1024 * 1024;
constexpr int MaxHeaders = 100;
constexpr int IdleTimeoutMs = 120 * 1000;

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

QByteArray httpDate()
{
    return QLocale::c()
        .toString(QDateTime::currentDateTimeUtc(), u"ddd, dd MMM yyyy HH:mm:ss 'GMT'"_s)
        .toLatin1();
}

} // namespace

HttpConnection::HttpConnection(QTcpSocket *socket, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_idleTimer(new QTimer(this))
{
    m_socket->setParent(this);
    m_idleTimer->setSingleShot(true);
    m_idleTimer->setInterval(IdleTimeoutMs);
    connect(m_idleTimer, &QTimer::timeout, this, [this] {
        if (!m_busy)
            close();
    });
    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, &HttpConnection::close);
    m_idleTimer->start();
}

void HttpConnection::onReadyRead()
{
    m_buffer.append(m_socket->readAll());
    m_idleTimer->start();
    processBuffer();
}

void HttpConnection::processBuffer()
{
    if (m_busy || m_closed)
        return;
    const qsizetype headEnd = m_buffer.indexOf("\r\n\r\n");
    if (headEnd < 0) {
        if (m_buffer.size() > MaxHeadBytes)
            fail(431, "request head too large");
        return;
    }
    if (headEnd > MaxHeadBytes) {
        fail(431, "request head too large");
        return;
    }
    const QList<QByteArray> lines = m_buffer.left(headEnd).split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1.")) {
        fail(400, "malformed request line");
        return;
    }
    HttpRequest request;
    request.method = requestLine.at(0);
    request.rawTarget = requestLine.at(1);
    const bool http10 = requestLine.at(2) == "HTTP/1.0";
    if (lines.size() - 1 > MaxHeaders) {
        fail(431, "too many headers");
        return;
    }
    qsizetype contentLength = 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        if (line.isEmpty())
            continue;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            fail(400, "malformed header");
            return;
        }
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        request.headers.append({name, value});
        if (name == "content-length") {
            bool ok = false;
            contentLength = value.toLongLong(&ok);
            if (!ok || contentLength < 0) {
                fail(400, "bad content-length");
                return;
            }
        } else if (name == "transfer-encoding") {
            fail(501, "transfer-encoding not supported");
            return;
        }
    }
    if (contentLength > MaxBodyBytes) {
        fail(413, "body too large");
        return;
    }
    const qsizetype total = headEnd + 4 + contentLength;
    if (m_buffer.size() < total)
        return; // wait for the rest of the body
    request.body = m_buffer.mid(headEnd + 4, contentLength);
    m_buffer.remove(0, total);

    const QByteArray connectionHeader = request.header("connection").toLower();
    m_keepAlive =
        http10 ? connectionHeader.contains("keep-alive") : !connectionHeader.contains("close");

    const qsizetype q = request.rawTarget.indexOf('?');
    const QByteArray rawPath = q < 0 ? request.rawTarget : request.rawTarget.left(q);
    request.path = QUrl::fromPercentEncoding(rawPath);
    if (q >= 0) {
        // '+' means space in query strings produced by form encoders.
        QByteArray rawQuery = request.rawTarget.mid(q + 1);
        rawQuery.replace('+', "%20");
        request.query.setQuery(QString::fromLatin1(rawQuery));
    }
    m_busy = true;
    Q_EMIT requestReceived(this, request);
}

void HttpConnection::respond(const HttpResponse &response)
{
    if (!m_busy || m_closed)
        return;
    QByteArray out;
    out.reserve(256 + response.body.size());
    out += "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) +
           "\r\n";
    out += "Date: " + httpDate() + "\r\n";
    if (!response.body.isEmpty() || response.status != 204)
        out += "Content-Type: " + response.contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    for (const auto &h : response.headers)
        out += h.first + ": " + h.second + "\r\n";
    out += m_keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    out += "\r\n";
    out += response.body;
    m_socket->write(out);
    m_busy = false;
    m_idleTimer->start();
    if (!m_keepAlive) {
        m_socket->disconnectFromHost();
        return;
    }
    // A pipelined request may already be waiting in the buffer.
    QTimer::singleShot(0, this, &HttpConnection::processBuffer);
}

void HttpConnection::drop()
{
    if (m_closed)
        return;
    m_socket->abort();
    close();
}

void HttpConnection::fail(int status, const QByteArray &message)
{
    m_busy = true;
    m_keepAlive = false;
    HttpResponse response;
    response.status = status;
    response.contentType = "text/plain";
    response.body = message + '\n';
    respond(response);
}

void HttpConnection::close()
{
    if (m_closed)
        return;
    m_closed = true;
    if (m_busy) {
        m_busy = false;
        Q_EMIT requestAbandoned(this);
    }
    m_idleTimer->stop();
    if (m_socket->state() != QAbstractSocket::UnconnectedState)
        m_socket->disconnectFromHost();
    Q_EMIT closed();
    deleteLater();
}

HttpServer::HttpServer(QObject *parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &HttpServer::onNewConnection);
}

bool HttpServer::listen(const QHostAddress &address, quint16 port)
{
    return m_server->listen(address, port);
}

quint16 HttpServer::port() const
{
    return m_server->serverPort();
}

void HttpServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        if (m_connections >= MaxConnections) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        ++m_connections;
        // Like Twilio's edge: answers leave at once (no Nagle/delayed-ACK stall).
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        auto *connection = new HttpConnection(socket, this);
        connect(connection, &HttpConnection::requestReceived, this, &HttpServer::requestReceived);
        connect(connection, &HttpConnection::requestAbandoned, this, &HttpServer::requestAbandoned);
        connect(connection, &HttpConnection::closed, this, [this] { --m_connections; });
    }
}

} // namespace flex::emulator
