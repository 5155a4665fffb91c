#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QObject>
#include <QString>

namespace flex::bus {

// Carries the two kinds of cross-instance traffic: "deliver this call update
// to identity X" and "publish this stats snapshot". Producers publish; every
// instance (including the publisher) receives through the signals. The
// in-process implementation delivers directly; a Redis implementation can
// fan out to other instances without the producers or consumers changing.
class MessageBus : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    // message is the complete JSON text frame for the identity's dial sockets.
    virtual void publishCallUpdate(const QString &identity, const QByteArray &message) = 0;
    // queues is the full snapshot array, every channel included.
    virtual void publishStatsSnapshot(const QJsonArray &queues) = 0;

    // Whether this instance should poll TaskRouter (one instance of many).
    virtual bool isStatsLeader() const = 0;

Q_SIGNALS:
    void callUpdate(const QString &identity, const QByteArray &message);
    void statsSnapshot(const QJsonArray &queues);
    void statsLeadershipChanged(bool leader);
};

class InProcessBus final : public MessageBus
{
    Q_OBJECT
public:
    using MessageBus::MessageBus;

    void publishCallUpdate(const QString &identity, const QByteArray &message) override
    {
        Q_EMIT callUpdate(identity, message);
    }
    void publishStatsSnapshot(const QJsonArray &queues) override { Q_EMIT statsSnapshot(queues); }
    bool isStatsLeader() const override { return true; }
};

} // namespace flex::bus
