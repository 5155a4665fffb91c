#pragma once

#include "server/websocketendpoint.h"

#include <QMultiHash>
#include <QObject>
#include <QString>

namespace flex::dial {

class DialSession;

// /websocket/outboundDial: turns each authenticated socket into a
// DialSession and delivers frames to every open socket of one identity
// (an agent may have several tabs) on this instance.
class DialEndpoint : public QObject, public server::WebSocketEndpoint
{
    Q_OBJECT
public:
    explicit DialEndpoint(QObject *parent = nullptr);
    ~DialEndpoint() override;

    void acceptSocket(QWebSocket *socket, const server::FlexIdentity &who) override;

    // Returns how many sockets it went to.
    int deliver(const QString &identity, const QByteArray &frame);
    int sessionCount() const { return int(m_sessions.size()); }

Q_SIGNALS:
    void sessionOpened(flex::dial::DialSession *session);

private:
    QMultiHash<QString, DialSession *> m_sessions; // by identity
};

} // namespace flex::dial
