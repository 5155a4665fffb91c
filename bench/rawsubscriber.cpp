#include "rawsubscriber.h"

#include <algorithm>
#include <chrono>

namespace flex::bench {

qint64 monotonicNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

RawSubscriber::RawSubscriber(quint16 port, const QByteArray &token, QObject *parent)
    : QObject(parent)
{
    connect(&m_socket, &QTcpSocket::connected, this, [this, port, token] {
        m_socket.write(
            "GET /websocket/realtimeStats HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) +
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " +
            token + "\r\n\r\n");
    });
    connect(&m_socket, &QTcpSocket::readyRead, this, &RawSubscriber::onRead);
    connect(&m_socket, &QTcpSocket::disconnected, this, &RawSubscriber::markClosed);
    connect(&m_socket, &QTcpSocket::errorOccurred, this, &RawSubscriber::markClosed);
    m_socket.connectToHost(QHostAddress::LocalHost, port);
}

void RawSubscriber::markClosed()
{
    if (m_closed)
        return;
    m_closed = true;
    Q_EMIT ended();
}

void RawSubscriber::close()
{
    if (m_closed)
        return;
    if (m_upgraded) {
        // Masked close frame, code 1000, zero mask.
        static const char frame[] = {char(0x88), char(0x82), 0, 0, 0, 0, char(0x03), char(0xe8)};
        m_socket.write(frame, sizeof frame);
        m_socket.flush();
    }
    m_socket.abort();
    markClosed();
}

bool RawSubscriber::readHead()
{
    const qsizetype end = m_buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return false;
    if (!m_buffer.startsWith("HTTP/1.1 101")) {
        m_refusedStatus = m_buffer.mid(9, 3).toInt();
        m_socket.abort();
        markClosed();
        return false;
    }
    m_upgraded = true;
    m_buffer.remove(0, end + 4);
    return true;
}

void RawSubscriber::onRead()
{
    m_buffer += m_socket.readAll();
    if (!m_upgraded && !readHead())
        return;
    qsizetype pos = 0;
    for (;;) {
        if (m_remaining == 0) {
            // Need a whole header.
            if (m_buffer.size() - pos < 2)
                break;
            const auto *h = reinterpret_cast<const uchar *>(m_buffer.constData() + pos);
            qsizetype headerLen = 2;
            quint64 len = h[1] & 0x7f;
            if (len == 126)
                headerLen = 4;
            else if (len == 127)
                headerLen = 10;
            if (m_buffer.size() - pos < headerLen)
                break;
            if (len == 126) {
                len = (quint64(h[2]) << 8) | h[3];
            } else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; ++i)
                    len = (len << 8) | h[2 + i];
            }
            m_opcode = h[0] & 0x0f;
            m_fin = h[0] & 0x80;
            pos += headerLen;
            m_remaining = len;
            m_control.clear();
            if (m_opcode == 0x1 || m_opcode == 0x2) {
                m_hash = 1469598103934665603ULL;
                m_messageBytes = 0;
            }
            if (len == 0 && !finishFrame())
                return;
            continue;
        }
        const qsizetype take =
            qsizetype(std::min<quint64>(m_remaining, quint64(m_buffer.size() - pos)));
        if (take == 0)
            break;
        if (m_opcode >= 0x8) {
            m_control.append(m_buffer.constData() + pos, take);
        } else {
            // Sampled FNV-1a: every 61st byte plus the length names the snapshot.
            const char *data = m_buffer.constData() + pos;
            for (qint64 off = (61 - m_messageBytes % 61) % 61; off < take; off += 61) {
                m_hash ^= uchar(data[off]);
                m_hash *= 1099511628211ULL;
            }
            m_messageBytes += take;
        }
        pos += take;
        m_remaining -= quint64(take);
        if (m_remaining == 0 && !finishFrame())
            return;
    }
    m_buffer.remove(0, pos);
}

bool RawSubscriber::finishFrame()
{
    if (m_opcode == 0x9) { // ping → masked pong (zero mask)
        QByteArray pong;
        pong.append(char(0x8a));
        pong.append(char(0x80 | m_control.size()));
        pong.append(4, '\0');
        pong.append(m_control);
        m_socket.write(pong);
    } else if (m_opcode == 0x8) {
        m_socket.abort();
        markClosed();
        return false;
    } else if (m_opcode < 0x8 && m_fin) {
        ++m_messages;
        m_lastBytes = m_messageBytes;
        // The same content may come back later (A, B, A): count repeats.
        const quint64 content = m_hash ^ quint64(m_messageBytes);
        const quint64 occurrence = quint64(m_seen[content]++);
        Q_EMIT message(content ^ (occurrence * 0x9e3779b97f4a7c15ULL), m_messageBytes);
    }
    return true;
}

} // namespace flex::bench
