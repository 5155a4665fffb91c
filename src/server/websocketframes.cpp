#include "server/websocketframes.h"

#include <QPointer>
#include <QTcpSocket>
#include <QVariant>
#include <QWebSocket>

namespace flex::server {

namespace {
constexpr char TransportProperty[] = "flexTransport";
}

QByteArray encodeTextFrame(const QByteArray &utf8)
{
    QByteArray frame;
    const quint64 size = quint64(utf8.size());
    frame.reserve(utf8.size() + 10);
    frame.append(char(0x81)); // FIN + text
    if (size < 126) {
        frame.append(char(size));
    } else if (size <= 0xffff) {
        frame.append(char(126));
        frame.append(char((size >> 8) & 0xff));
        frame.append(char(size & 0xff));
    } else {
        frame.append(char(127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((size >> shift) & 0xff));
    }
    frame.append(utf8);
    return frame;
}

QTcpSocket *transportOf(const QWebSocket *socket)
{
    return qobject_cast<QTcpSocket *>(socket->property(TransportProperty).value<QObject *>());
}

void setTransport(QWebSocket *socket, QTcpSocket *transport)
{
    socket->setProperty(TransportProperty, QVariant::fromValue<QObject *>(transport));
}

bool sendEncodedText(QWebSocket *socket, const QByteArray &frame, const QByteArray &utf8)
{
    if (socket->state() != QAbstractSocket::ConnectedState)
        return false;
    QTcpSocket *transport = transportOf(socket);
    if (transport && transport->state() == QAbstractSocket::ConnectedState) {
        if (transport->write(frame) != frame.size())
            return false;
        // Hand it to the kernel now rather than one event-loop turn per
        // socket later: the spread across a fan-out shrinks.
        transport->flush();
        return true;
    }
    return socket->sendTextMessage(QString::fromUtf8(utf8)) > 0;
}

} // namespace flex::server
