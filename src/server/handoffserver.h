#pragma once

#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

#include <deque>

namespace flex::server {

// Feeds already-accepted sockets to a QHttpServer (Qt 6.4 can only take
// connections from a QTcpServer given to bind()). It listens on a loopback
// port with accepting paused only because QHttpServer::bind() insists on a
// listening server; nothing is ever accepted from that port.
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

} // namespace flex::server
