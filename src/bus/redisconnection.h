#pragma once

#include "bus/redisreply.h"
#include "config/config.h"

#include <QByteArrayList>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QSslCertificate>
#include <QTimer>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>

class QIODevice;

namespace flex::bus {

struct ReaderDeleter
{
    void operator()(void *reader) const;
};

// One connection to Redis on the event loop: hiredis formats the commands
// (redisFormatCommandArgv) and parses the replies (redisReader), the bytes
// travel over QTcpSocket, QSslSocket (rediss://, system CA store) or
// QLocalSocket (unix://). Commands are pipelined; each gets its callback
// once: with the reply, or with a failure when the connection is not up,
// breaks, or the oldest command waits longer than the command timeout (the
// connection is then dropped, since RESP answers in order). After a loss it
// reconnects with exponential backoff; on every connect it authenticates,
// selects the database, subscribes to the channels set and loads the scripts
// added, and only then reports connected().
//
// A connection with subscriptions carries nothing but them (Redis allows
// only SUBSCRIBE and the like on it): messages arrive through message().
class RedisConnection : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        config::RedisEndpoint endpoint;
        QByteArray name = "commands"; // logs and the metrics' label
        std::chrono::milliseconds commandTimeout{3000};
        std::chrono::milliseconds connectTimeout{3000};
        std::chrono::milliseconds minBackoff{100};
        std::chrono::milliseconds maxBackoff{5000};
        // Trusted besides the system CA store (tests with a private CA).
        QList<QSslCertificate> extraCaCertificates;
    };
    using Callback = std::function<void(const RedisResult &)>;

    explicit RedisConnection(Settings settings, QObject *parent = nullptr);
    ~RedisConnection() override;

    // Starts connecting, and reconnecting after every loss, until close().
    void open();
    // Fails what is pending and stays closed.
    void close();
    bool isConnected() const { return m_state == State::Ready; }
    QString lastError() const { return m_lastError; }
    int pending() const { return int(m_pending.size()); }
    const Settings &settings() const { return m_settings; }

    // Sends args as one command. The callback runs later (never inside this
    // call), on the event loop, unless context is destroyed first.
    void command(const QByteArrayList &args, QObject *context, Callback callback);
    // EVALSHA, falling back to EVAL when Redis does not know the script.
    void eval(const RedisScript &script, const QByteArrayList &keys, const QByteArrayList &args,
              QObject *context, Callback callback);
    // Loaded (SCRIPT LOAD) on every connect; eval() works without it.
    void addScript(const RedisScript &script);
    // Subscribed on every connect, before connected() is emitted.
    void setSubscriptions(const QByteArrayList &channels);

Q_SIGNALS:
    void connected();
    void disconnected(const QString &reason);
    // A connection attempt failed before it was up (refused, timed out, AUTH
    // refused); a retry follows unless close() is called.
    void connectFailed(const QString &reason);
    void message(const QByteArray &channel, const QByteArray &payload);

private:
    enum class State { Closed, Waiting, Connecting, Handshaking, Ready };
    struct Pending
    {
        Callback callback;
        QPointer<QObject> context;
        bool hasContext = false;
        QElapsedTimer sent;
    };

    void connectNow();
    void onTransportUp();
    void onReadyRead();
    void handleReply(RedisReply reply);
    void fail(const QString &reason);
    void teardown();
    void send(const QByteArrayList &args, QObject *context, Callback callback);
    void checkTimeout();
    static void finish(Pending &pending, const RedisResult &result);
    void setConnectedGauge(bool up) const;

    Settings m_settings;
    State m_state = State::Closed;
    QPointer<QIODevice> m_device;
    std::unique_ptr<void, ReaderDeleter> m_reader;
    std::deque<Pending> m_pending;
    QByteArrayList m_channels;
    QList<RedisScript> m_scripts;
    QTimer m_reconnectTimer;
    QTimer m_connectTimer;
    QTimer m_timeoutTimer;
    std::chrono::milliseconds m_backoff{0};
    QString m_lastError;
    bool m_everConnected = false;
};

} // namespace flex::bus
