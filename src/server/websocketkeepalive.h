#pragma once

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>

class QWebSocket;

namespace flex::server {

// Pings every tracked socket each interval and drops a socket that did not
// answer the previous ping (docs/protocol.md §6). One timer for all sockets.
class WebSocketKeepAlive : public QObject
{
    Q_OBJECT
public:
    explicit WebSocketKeepAlive(QObject *parent = nullptr);
    void setInterval(std::chrono::milliseconds interval);
    void track(QWebSocket *socket);
    int tracked() const { return int(m_awaitingPong.size()); }

private:
    void round();

    QTimer m_timer;
    QHash<QWebSocket *, bool> m_awaitingPong;
};

} // namespace flex::server
