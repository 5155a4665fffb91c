#pragma once

#include "server/authenticator.h"
#include "server/requesthead.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

class QTcpSocket;

namespace flex::ops {
class Counter;
}

namespace flex::server {

// The rules a WebSocket upgrade request passes before its token is checked
// (pure), and how a refused handshake is answered and counted.

// flex_websocket_handshakes_total{result}
ops::Counter &handshakes(const QByteArray &result);

struct HandshakeRefusal
{
    QByteArray result; // the metric's label
    int status = 0;
    QByteArray reason;
    QByteArray body;
    QByteArray extraHeaders;
};
// Counts it and answers it (refuseConnection).
void refuseHandshake(QTcpSocket *socket, const HandshakeRefusal &refusal);

// In this order: a GET upgrade, to a served path, from an allowed Origin
// (an empty list allows all; clients without Origin are not browsers).
std::optional<HandshakeRefusal> refusalOfUpgrade(const RequestHead &head, bool pathServed,
                                                 const QStringList &allowedOrigins);

// The token may come as the only Sec-WebSocket-Protocol value (browsers),
// a `token` header, Authorization: Bearer, or ?token=.
struct OfferedToken
{
    QString token;
    bool viaSubprotocol = false;
};
OfferedToken offeredToken(const RequestHead &head);

// Cheap before costly: no token, or one that is not even JWT-shaped, is
// refused without asking Twilio or spending the client's budget.
std::optional<HandshakeRefusal> refusalOfToken(const QString &token);

// The refusal of an authenticator's answer; nullopt for Valid.
std::optional<HandshakeRefusal> refusalOfAnswer(const Authenticator::Answer &answer);

} // namespace flex::server
