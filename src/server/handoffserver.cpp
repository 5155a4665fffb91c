#include "server/handoffserver.h"

#include <QMetaObject>

namespace flex::server {

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

} // namespace flex::server
