#pragma once

#include <QByteArrayView>
#include <QObject>
#include <QPointer>

class QTcpSocket;

namespace flex::server {

// Follows the frame headers of a client's WebSocket byte stream and says
// when a frame is not masked (RFC 6455 §5.1: the server MUST close the
// connection with 1002). Pure: fed any chunking of the stream.
class ClientFrameScanner
{
public:
    // false once an unmasked frame header was seen (and from then on).
    bool feed(QByteArrayView bytes);
    bool violated() const { return m_violated; }

private:
    enum class State { Head0, Head1, Length, Mask, Payload };
    State m_state = State::Head0;
    int m_lengthBytes = 0; // extended length bytes still to read
    quint64 m_length = 0;
    int m_maskBytes = 0;
    quint64 m_payloadLeft = 0;
    bool m_violated = false;
};

// Qt 6.4's QWebSocket accepts unmasked client frames as if they were masked
// (qtwebsockets 6.4 QWebSocketFrame::readFrame never checks the bit). This
// guard sits on the upgraded connection's transport: its first slot runs
// before QWebSocket's own readyRead handler (it is connected earlier), scans
// only the bytes that arrived since QWebSocket last read, and on an unmasked
// frame consumes them, sends a close frame 1002 and closes the connection,
// so the frame never reaches the application.
class ClientFrameGuard : public QObject
{
    Q_OBJECT
public:
    // Connect before the socket is handed to QWebSocketServer.
    explicit ClientFrameGuard(QTcpSocket *transport);
    // Once QWebSocket owns the transport (after the handshake).
    void arm();

    static QByteArray closeFrame(quint16 code, const QByteArray &reason);

private:
    void beforeWebSocket();
    void afterWebSocket();

    QPointer<QTcpSocket> m_transport;
    ClientFrameScanner m_scanner;
    qint64 m_leftByWebSocket = 0; // bytes QWebSocket left unread (partial frames)
    bool m_armed = false;
};

} // namespace flex::server
