#pragma once

#include "dial/dialprotocol.h"
#include "server/flexidentity.h"

#include <QObject>

class QWebSocket;

namespace flex::dial {

// One open /websocket/outboundDial socket: parses what the client sends,
// writes frames back. Owns the socket; deletes itself when it closes.
class DialSession : public QObject
{
    Q_OBJECT
public:
    DialSession(QWebSocket *socket, const server::FlexIdentity &who, QObject *parent = nullptr);
    ~DialSession() override;

    const QString &identity() const { return m_who.identity; }
    const server::FlexIdentity &who() const { return m_who; }

    void sendFrame(const QByteArray &frame);
    // The one place where a failure becomes {"messageType":"error","message":...}.
    void sendError(const DialError &error);

Q_SIGNALS:
    void callRequested(const flex::dial::CallRequest &request);
    void hangupRequested(const QString &callSid);

private:
    void onText(const QString &text);
    void sendText(const QString &text);

    QWebSocket *m_socket;
    server::FlexIdentity m_who;
};

} // namespace flex::dial
