#pragma once

#include "server/requesthead.h"

#include <QObject>
#include <QTimer>

#include <chrono>

class QTcpSocket;

namespace flex::server {

// Writes a complete minimal HTTP answer and closes the connection.
void refuseConnection(QTcpSocket *socket, int status, const QByteArray &reason,
                      const QByteArray &body = {}, const QByteArray &extraHeaders = {});

// Lives on a fresh connection until its first request head is complete:
// drops clients that are too slow or send too much, then reports the head.
class HeadReader : public QObject
{
    Q_OBJECT
public:
    HeadReader(QTcpSocket *socket, int maxHeadBytes, std::chrono::milliseconds timeout);

Q_SIGNALS:
    void headReceived(QTcpSocket *socket, const RequestHead &head);

private:
    void read();

    QTcpSocket *m_socket;
    int m_maxHeadBytes;
    QTimer m_timer;
};

// Watches a connection after it went to QHttpServer: bounds the bytes one
// request may send before it is answered, drops a client that stalls in the
// middle of a request, and closes idle keep-alive connections.
class HttpConnectionGuard : public QObject
{
    Q_OBJECT
public:
    HttpConnectionGuard(QTcpSocket *socket, qint64 maxRequestBytes, int maxHeadBytes,
                        std::chrono::milliseconds requestTimeout,
                        std::chrono::milliseconds idleTimeout);

Q_SIGNALS:
    // A later request on this keep-alive connection is a WebSocket upgrade:
    // QHttpServer has been detached from the socket and the front door must
    // read the head again (qt64::startsWebSocketUpgrade).
    void upgradeRequested(QTcpSocket *socket);

private:
    void onReadyRead();
    void onAnswered();
    bool atRequestStart(); // false: the connection went back to the front door

    QTcpSocket *m_socket;
    qint64 m_maxRequestBytes;
    int m_maxHeadBytes;
    qint64 m_unanswered = 0;
    bool m_closeAfterAnswer = false; // the client asked for Connection: close (or HTTP/1.0)
    QTimer m_requestTimer;
    QTimer m_idleTimer;
};

} // namespace flex::server
