#pragma once

#include "server/flexidentity.h"

class QWebSocket;

namespace flex::server {

// A feature that serves one WebSocket path (e.g. /websocket/outboundDial).
// The front door authenticates the client and completes the upgrade, then
// hands the open socket over; the endpoint owns it from then on (setParent)
// and deletes it with deleteLater() when it disconnects.
class WebSocketEndpoint
{
public:
    virtual ~WebSocketEndpoint() = default;
    virtual void acceptSocket(QWebSocket *socket, const FlexIdentity &who) = 0;
};

} // namespace flex::server
