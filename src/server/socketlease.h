#pragma once

#include <QObject>

#include <functional>

namespace flex::server {

// Runs `release` when the socket it is a child of is destroyed. A child, not
// a connection to the socket's destroyed() signal: QWebSocket 6.4 calls
// disconnect() on its transport when it goes away (releaseConnections),
// which would silently drop such a connection, and with it the count of
// open connections.
class SocketLease : public QObject
{
public:
    SocketLease(QObject *socket, std::function<void()> release)
        : QObject(socket)
        , m_release(std::move(release))
    {}
    ~SocketLease() override
    {
        if (m_release)
            m_release();
    }
    Q_DISABLE_COPY_MOVE(SocketLease)

private:
    std::function<void()> m_release;
};

} // namespace flex::server
