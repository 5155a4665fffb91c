#include "server/clientframeguard.h"

#include "ops/logcategories.h"
#include "ops/metrics.h"

#include <QTcpSocket>

namespace flex::server {

bool ClientFrameScanner::feed(QByteArrayView bytes)
{
    qsizetype i = 0;
    while (!m_violated && i < bytes.size()) {
        const auto byte = quint8(bytes[i]);
        switch (m_state) {
        case State::Head0:
            ++i;
            m_state = State::Head1;
            break;
        case State::Head1: {
            ++i;
            if (!(byte & 0x80)) {
                m_violated = true;
                break;
            }
            const quint8 length = byte & 0x7f;
            m_lengthBytes = length == 126 ? 2 : length == 127 ? 8 : 0;
            m_length = m_lengthBytes ? 0 : length;
            m_state = m_lengthBytes ? State::Length : State::Mask;
            m_maskBytes = 4;
            break;
        }
        case State::Length:
            ++i;
            m_length = (m_length << 8) | byte;
            if (--m_lengthBytes == 0)
                m_state = State::Mask;
            break;
        case State::Mask:
            ++i;
            if (--m_maskBytes == 0) {
                m_payloadLeft = m_length;
                m_state = m_payloadLeft ? State::Payload : State::Head0;
            }
            break;
        case State::Payload: {
            const quint64 take = std::min<quint64>(m_payloadLeft, quint64(bytes.size() - i));
            i += qsizetype(take);
            m_payloadLeft -= take;
            if (m_payloadLeft == 0)
                m_state = State::Head0;
            break;
        }
        }
    }
    return !m_violated;
}

ClientFrameGuard::ClientFrameGuard(QTcpSocket *transport)
    : QObject(transport)
    , m_transport(transport)
{
    connect(transport, &QTcpSocket::readyRead, this, &ClientFrameGuard::beforeWebSocket);
}

void ClientFrameGuard::arm()
{
    if (!m_transport)
        return;
    m_armed = true;
    m_leftByWebSocket = m_transport->bytesAvailable();
    // Bytes left now belong to a frame QWebSocket has begun reading (a
    // client that did not wait for the 101): their headers are not ours to
    // scan; the scanner starts in step only if nothing is left.
    if (m_leftByWebSocket > 0)
        m_armed = false;
    connect(m_transport, &QTcpSocket::readyRead, this, &ClientFrameGuard::afterWebSocket);
}

void ClientFrameGuard::beforeWebSocket()
{
    if (!m_armed || !m_transport)
        return;
    const qint64 available = m_transport->bytesAvailable();
    const qint64 fresh = available - m_leftByWebSocket;
    if (fresh <= 0)
        return;
    const QByteArray buffered = m_transport->peek(available);
    if (m_scanner.feed(QByteArrayView(buffered).last(fresh)))
        return;
    m_armed = false;
    // Consume it all so QWebSocket, next in line, never sees the frame.
    m_transport->read(available);
    ops::metrics()
        .counter("flex_websocket_protocol_errors_total",
                 "WebSocket connections closed for a protocol error, by kind",
                 {{"kind", "unmasked_frame"}})
        .inc();
    qCInfo(lcServer) << "closed a WebSocket that sent an unmasked frame (1002)";
    m_transport->write(closeFrame(1002, "client frames must be masked"));
    m_transport->disconnectFromHost();
}

void ClientFrameGuard::afterWebSocket()
{
    if (m_transport)
        m_leftByWebSocket = m_transport->bytesAvailable();
}

QByteArray ClientFrameGuard::closeFrame(quint16 code, const QByteArray &reason)
{
    const QByteArray payload =
        QByteArray(1, char(code >> 8)) + char(code & 0xff) + reason.left(123);
    return QByteArray(1, char(0x88)) + char(payload.size()) + payload;
}

} // namespace flex::server
