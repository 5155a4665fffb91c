#pragma once

#include <QByteArray>
#include <QList>
#include <QSocketNotifier>
#include <QString>

#include <memory>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace flex::testing {

// A datagram socket standing in for systemd's notification socket: point
// NOTIFY_SOCKET at path and read what the service sent (READY=1, STATUS=...).
class NotifySocket
{
public:
    explicit NotifySocket(const QString &path)
    {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        const QByteArray p = path.toLocal8Bit();
        qstrncpy(addr.sun_path, p.constData(), sizeof addr.sun_path);
        m_ok = m_fd >= 0 && ::bind(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
        if (m_ok) {
            m_notifier = std::make_unique<QSocketNotifier>(m_fd, QSocketNotifier::Read);
            QObject::connect(m_notifier.get(), &QSocketNotifier::activated, m_notifier.get(),
                             [this] {
                                 char buffer[4096];
                                 ssize_t n;
                                 while ((n = ::recv(m_fd, buffer, sizeof buffer, 0)) > 0)
                                     m_messages << QByteArray(buffer, n);
                             });
        }
    }
    ~NotifySocket()
    {
        m_notifier.reset();
        if (m_fd >= 0)
            ::close(m_fd);
    }
    bool ok() const { return m_ok; }
    bool received(const QByteArray &line) const
    {
        for (const QByteArray &m : m_messages) {
            if (m.split('\n').contains(line))
                return true;
        }
        return false;
    }
    bool receivedPrefix(const QByteArray &prefix) const
    {
        for (const QByteArray &m : m_messages) {
            for (const QByteArray &line : m.split('\n')) {
                if (line.startsWith(prefix))
                    return true;
            }
        }
        return false;
    }
    int count(const QByteArray &line) const
    {
        int n = 0;
        for (const QByteArray &m : m_messages)
            n += m.split('\n').count(line);
        return n;
    }
    QByteArray dump() const { return m_messages.join("\n---\n"); }
    // Every line starting with prefix, oldest first (several senders may share it).
    QList<QByteArray> linesWithPrefix(const QByteArray &prefix) const
    {
        QList<QByteArray> out;
        for (const QByteArray &m : m_messages) {
            for (const QByteArray &line : m.split('\n')) {
                if (line.startsWith(prefix))
                    out << line;
            }
        }
        return out;
    }
    void clear() { m_messages.clear(); }

private:
    int m_fd = -1;
    bool m_ok = false;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QList<QByteArray> m_messages;
};

} // namespace flex::testing
