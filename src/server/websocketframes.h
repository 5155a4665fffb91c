#pragma once

#include <QByteArray>

class QTcpSocket;
class QWebSocket;

namespace flex::server {

// Sending one large text message to many sockets: QWebSocket 6.4 converts
// the QString to UTF-8 and copies the payload twice more for every socket.
// A fan-out instead encodes the frame once (server frames are unmasked) and
// writes those bytes to each connection's transport. QWebSocket writes whole
// frames synchronously on the same thread, so frames never interleave.

// A complete, final, unmasked text frame carrying utf8 (RFC 6455 §5.2).
QByteArray encodeTextFrame(const QByteArray &utf8);

// The TCP (or TLS) socket under an upgraded QWebSocket, as recorded by the
// front door; nullptr when unknown (the caller then uses sendTextMessage).
QTcpSocket *transportOf(const QWebSocket *socket);
void setTransport(QWebSocket *socket, QTcpSocket *transport);

// Sends a frame made by encodeTextFrame(); falls back to QWebSocket's own
// path when the transport is unknown. Returns false if nothing was sent.
bool sendEncodedText(QWebSocket *socket, const QByteArray &frame, const QByteArray &utf8);

} // namespace flex::server
