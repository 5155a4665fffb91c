#pragma once

#include "server/flexidentity.h"
#include "server/qt64workarounds.h"

#include <QHostAddress>
#include <QPointer>
#include <QString>

#include <optional>

class QWebSocket;

namespace flex::server {

// Everything the front door knows about one accepted connection, from
// accept() until its socket is destroyed (FrontDoor::forget).
struct ConnectionRecord
{
    enum class State {
        ReadingHead,    // waiting for a request head (first, or an upgrade after HTTP)
        Http,           // handed to QHttpServer
        Authenticating, // an upgrade's token is being checked
        Upgrading,      // authenticated; QWebSocketServer completes the handshake
        Open,           // an open WebSocket, owned by its endpoint
    };

    State state = State::ReadingHead;
    qt64::PeerEndpoint peer; // as the socket reports it
    QHostAddress address;    // the peer, IPv4-mapped addresses as IPv4
    // The client counted against MAX_CONNECTIONS_PER_ADDRESS (the peer, or
    // behind a trusted proxy the client its first request names); released
    // when the record goes.
    std::optional<QHostAddress> counted;
    QString path;                   // the WebSocket path, from Authenticating on
    FlexIdentity who;               // from Upgrading on
    QString subprotocol;            // the token echoed as subprotocol while Upgrading
    QPointer<QWebSocket> webSocket; // Open
};

} // namespace flex::server
