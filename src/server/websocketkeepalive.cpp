#include "server/websocketkeepalive.h"

#include "ops/logcategories.h"

#include <QWebSocket>

namespace flex::server {

WebSocketKeepAlive::WebSocketKeepAlive(QObject *parent)
    : QObject(parent)
{
    m_timer.setInterval(std::chrono::seconds(30));
    connect(&m_timer, &QTimer::timeout, this, &WebSocketKeepAlive::round);
    m_timer.start();
}

void WebSocketKeepAlive::setInterval(std::chrono::milliseconds interval)
{
    m_timer.setInterval(interval);
}

void WebSocketKeepAlive::track(QWebSocket *socket)
{
    m_awaitingPong.insert(socket, false);
    connect(socket, &QWebSocket::pong, this, [this, socket] { m_awaitingPong[socket] = false; });
    connect(socket, &QObject::destroyed, this, [this, socket] { m_awaitingPong.remove(socket); });
    connect(socket, &QWebSocket::disconnected, this,
            [this, socket] { m_awaitingPong.remove(socket); });
}

void WebSocketKeepAlive::round()
{
    QList<QWebSocket *> silent;
    for (auto it = m_awaitingPong.begin(); it != m_awaitingPong.end(); ++it) {
        if (it.value()) {
            silent << it.key();
        } else {
            it.value() = true;
            it.key()->ping();
        }
    }
    for (QWebSocket *socket : std::as_const(silent)) {
        qCInfo(lcServer) << "dropping a WebSocket that did not answer the last ping";
        m_awaitingPong.remove(socket);
        socket->abort();
    }
}

} // namespace flex::server
