#pragma once

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QTcpSocket>

namespace flex::bench {

// A minimal /websocket/realtimeStats client, cheap enough that thousands fit
// in one process: handshake, then only frame headers are parsed; a sampled
// hash of each text message names the snapshot (the same key in every
// subscriber, in every process, for the same snapshot). Answers pings.
class RawSubscriber : public QObject
{
    Q_OBJECT
public:
    RawSubscriber(quint16 port, const QByteArray &token, QObject *parent);

    bool upgraded() const { return m_upgraded; }
    bool closed() const { return m_closed; }
    int messages() const { return m_messages; }
    qint64 lastMessageBytes() const { return m_lastBytes; }
    int refusedStatus() const { return m_refusedStatus; } // HTTP status when not upgraded
    void close();                                         // clean close frame, then abort

Q_SIGNALS:
    void message(quint64 key, qint64 bytes);
    void ended();

private:
    void onRead();
    bool readHead();
    bool finishFrame();
    void markClosed();

    QTcpSocket m_socket;
    QByteArray m_buffer;
    QByteArray m_control;
    bool m_upgraded = false;
    bool m_closed = false;
    int m_refusedStatus = 0;
    quint64 m_remaining = 0;
    int m_opcode = 0;
    bool m_fin = false;
    quint64 m_hash = 0;
    qint64 m_messageBytes = 0;
    qint64 m_lastBytes = 0;
    int m_messages = 0;
    QHash<quint64, int> m_seen;
};

// CLOCK_MONOTONIC in nanoseconds: comparable between processes on one machine.
qint64 monotonicNs();

} // namespace flex::bench
