#pragma once

#include <QHash>
#include <QObject>
#include <QProcess>
#include <QString>

#include <memory>
#include <vector>

namespace flex::bench {

// One snapshot as received by many subscribers: how many got it, and when
// the first and the last did (CLOCK_MONOTONIC ns).
struct Delivery
{
    qint64 firstNs = -1;
    qint64 lastNs = -1;
    int count = 0;
    qint64 bytes = 0;
    void merge(const Delivery &other);
};

// N authenticated /websocket/realtimeStats subscribers spread over child
// processes (`flex-bench stats-clients`), since one process cannot hold more
// descriptors than its limit. Each child connects its share in batches and
// reports, a few times a second, its counts and every snapshot's delivery.
// Children exit when their stdin closes (this object is gone or the bench
// died) or after maxSeconds, whatever happens.
class SubscriberFleet : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        quint16 port = 0;
        QByteArray token;
        int subscribers = 1000;
        int perProcess = 4000;
        int batch = 100;      // concurrent handshakes per child
        int maxSeconds = 900; // children stop by themselves after this
    };

    explicit SubscriberFleet(const Settings &settings, QObject *parent = nullptr);
    ~SubscriberFleet() override;

    void start();
    int processes() const { return int(m_children.size()); }
    int upgraded() const;
    int closed() const;
    int withSnapshot() const; // got at least one message
    int refused() const;
    QHash<quint64, Delivery> deliveries() const; // merged over the children

Q_SIGNALS:
    void childFailed(const QString &why);

private:
    struct Child
    {
        std::unique_ptr<QProcess> process;
        QByteArray pending;
        int upgraded = 0;
        int closed = 0;
        int withSnapshot = 0;
        int refused = 0;
        QHash<quint64, Delivery> deliveries;
    };
    void onOutput(Child &child);

    Settings m_settings;
    std::vector<std::unique_ptr<Child>> m_children;
};

} // namespace flex::bench
