#pragma once

#include "httpmessage.h"

#include <QObject>
#include <QPointer>
#include <QTcpServer>

class QTcpSocket;
class QTimer;

namespace flex::emulator {

// One accepted TCP connection speaking HTTP/1.1 (keep-alive, Content-Length
// bodies only). Requests are handled one at a time: bytes of a pipelined next
// request wait in the buffer until the current one is answered, so an
// answer can be given later (delay fault) or never (drop fault).
class HttpConnection : public QObject
{
    Q_OBJECT
public:
    explicit HttpConnection(QTcpSocket *socket, QObject *parent);

    void respond(const HttpResponse &response);
    // Close the connection without answering the current request.
    void drop();

Q_SIGNALS:
    void requestReceived(flex::emulator::HttpConnection *connection,
                         const flex::emulator::HttpRequest &request);
    // The current request will never be answered (peer gone or dropped).
    void requestAbandoned(flex::emulator::HttpConnection *connection);
    void closed();

private:
    void onReadyRead();
    void processBuffer();
    void fail(int status, const QByteArray &message);
    void close();

    QTcpSocket *m_socket;
    QTimer *m_idleTimer;
    QByteArray m_buffer;
    bool m_busy = false;
    bool m_keepAlive = true;
    bool m_closed = false;
};

// Loopback HTTP server: owns its connections; emits one signal per request.
class HttpServer : public QObject
{
    Q_OBJECT
public:
    explicit HttpServer(QObject *parent = nullptr);

    bool listen(const QHostAddress &address, quint16 port);
    quint16 port() const;

    static constexpr int MaxConnections = 512;

Q_SIGNALS:
    void requestReceived(flex::emulator::HttpConnection *connection,
                         const flex::emulator::HttpRequest &request);
    void requestAbandoned(flex::emulator::HttpConnection *connection);

private:
    void onNewConnection();

    QTcpServer *m_server;
    int m_connections = 0;
};

} // namespace flex::emulator
