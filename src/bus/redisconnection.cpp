#include "bus/redisconnection.h"

#include "ops/logcategories.h"
#include "ops/metrics.h"

#include <QLocalSocket>
#include <QRandomGenerator>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <vector>

namespace flex::bus {

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

void ReaderDeleter::operator()(void *reader) const
{
    redisReaderFree(static_cast<redisReader *>(reader));
}

namespace {

RedisReply convert(const redisReply *r)
{
    RedisReply out;
    switch (r->type) {
    case REDIS_REPLY_STRING:
        out.type = RedisReply::Type::String;
        out.text = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_STATUS:
        out.type = RedisReply::Type::Status;
        out.text = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_ERROR:
        out.type = RedisReply::Type::Error;
        out.text = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_INTEGER:
        out.type = RedisReply::Type::Integer;
        out.integer = r->integer;
        break;
    case REDIS_REPLY_ARRAY:
        out.type = RedisReply::Type::Array;
        out.elements.reserve(qsizetype(r->elements));
        for (size_t i = 0; i < r->elements; ++i)
            out.elements.append(convert(r->element[i]));
        break;
    default:
        out.type = RedisReply::Type::Nil;
        break;
    }
    return out;
}

QByteArray format(const QByteArrayList &args)
{
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    argv.reserve(size_t(args.size()));
    lengths.reserve(size_t(args.size()));
    for (const QByteArray &arg : args) {
        argv.push_back(arg.constData());
        lengths.push_back(size_t(arg.size()));
    }
    char *command = nullptr;
    const int length =
        redisFormatCommandArgv(&command, int(argv.size()), argv.data(), lengths.data());
    if (length < 0)
        return {};
    QByteArray out(command, length);
    redisFreeCommand(command);
    return out;
}

bool isPush(const RedisReply &reply)
{
    return reply.type == RedisReply::Type::Array && reply.elements.size() == 3 &&
           reply.elements.at(0).text == "message";
}

ops::Labels labels(const QByteArray &name)
{
    return {{"connection", name}};
}

} // namespace

RedisConnection::RedisConnection(Settings settings, QObject *parent)
    : QObject(parent)
    , m_settings(std::move(settings))
{
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RedisConnection::connectNow);
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        fail(u"no connection within %1 ms"_s.arg(m_settings.connectTimeout.count()));
    });
    m_timeoutTimer.setInterval(
        std::clamp(m_settings.commandTimeout / 4, milliseconds(10), milliseconds(250)));
    connect(&m_timeoutTimer, &QTimer::timeout, this, &RedisConnection::checkTimeout);
    setConnectedGauge(false);
}

RedisConnection::~RedisConnection()
{
    m_state = State::Closed;
    teardown();
}

void RedisConnection::open()
{
    if (m_state != State::Closed)
        return;
    m_state = State::Waiting;
    m_backoff = 0ms;
    connectNow();
}

void RedisConnection::close()
{
    const bool wasReady = m_state == State::Ready;
    m_state = State::Closed;
    m_reconnectTimer.stop();
    teardown();
    setConnectedGauge(false);
    if (wasReady)
        Q_EMIT disconnected(u"closed"_s);
}

void RedisConnection::addScript(const RedisScript &script)
{
    m_scripts.append(script);
}

void RedisConnection::setSubscriptions(const QByteArrayList &channels)
{
    m_channels = channels;
}

void RedisConnection::connectNow()
{
    if (m_state == State::Closed)
        return;
    teardown();
    m_state = State::Connecting;
    m_reader.reset(redisReaderCreate());
    const config::RedisEndpoint &e = m_settings.endpoint;
    if (e.transport == config::RedisEndpoint::Transport::Unix) {
        auto *socket = new QLocalSocket(this);
        m_device = socket;
        connect(socket, &QLocalSocket::connected, this, &RedisConnection::onTransportUp);
        connect(socket, &QLocalSocket::disconnected, this,
                [this] { fail(u"connection closed by Redis"_s); });
        connect(socket, &QLocalSocket::errorOccurred, this,
                [this, socket] { fail(socket->errorString()); });
        connect(socket, &QIODevice::readyRead, this, &RedisConnection::onReadyRead);
        socket->connectToServer(e.socketPath);
    } else {
        const bool tls = e.transport == config::RedisEndpoint::Transport::Tls;
        QTcpSocket *socket = tls ? new QSslSocket(this) : new QTcpSocket(this);
        m_device = socket;
        connect(socket, &QAbstractSocket::disconnected, this,
                [this] { fail(u"connection closed by Redis"_s); });
        connect(socket, &QAbstractSocket::errorOccurred, this,
                [this, socket] { fail(socket->errorString()); });
        connect(socket, &QIODevice::readyRead, this, &RedisConnection::onReadyRead);
        if (auto *ssl = qobject_cast<QSslSocket *>(socket)) {
            QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
            if (!m_settings.extraCaCertificates.isEmpty())
                conf.addCaCertificates(m_settings.extraCaCertificates);
            conf.setPeerVerifyMode(QSslSocket::VerifyPeer);
            ssl->setSslConfiguration(conf);
            connect(ssl, &QSslSocket::encrypted, this, &RedisConnection::onTransportUp);
            ssl->connectToHostEncrypted(e.host, e.port);
        } else {
            connect(socket, &QAbstractSocket::connected, this, &RedisConnection::onTransportUp);
            socket->connectToHost(e.host, e.port);
        }
    }
    m_connectTimer.start(m_settings.connectTimeout);
}

void RedisConnection::onTransportUp()
{
    m_state = State::Handshaking;
    const config::RedisEndpoint &e = m_settings.endpoint;
    QList<QByteArrayList> steps;
    if (!e.password.isEmpty()) {
        steps.append(e.user.isEmpty()
                         ? QByteArrayList{"AUTH", e.password.toUtf8()}
                         : QByteArrayList{"AUTH", e.user.toUtf8(), e.password.toUtf8()});
    }
    if (e.db != 0)
        steps.append({"SELECT", QByteArray::number(e.db)});
    for (const RedisScript &script : std::as_const(m_scripts))
        steps.append({"SCRIPT", "LOAD", script.source});
    for (const QByteArray &channel : std::as_const(m_channels))
        steps.append({"SUBSCRIBE", channel});
    steps.append({"PING"});
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const bool last = i == steps.size() - 1;
        const QByteArray what = steps.at(i).first();
        send(steps.at(i), this, [this, last, what](const RedisResult &r) {
            if (m_state != State::Handshaking)
                return;
            if (!r.ok()) {
                // AUTH errors name no secret ("WRONGPASS invalid username-password pair").
                fail(QString::fromLatin1(what) + u" failed: "_s + r.error());
                return;
            }
            if (!last)
                return;
            m_connectTimer.stop();
            m_state = State::Ready;
            m_backoff = 0ms;
            m_lastError.clear();
            setConnectedGauge(true);
            if (m_everConnected)
                ops::metrics()
                    .counter("flex_redis_reconnects_total",
                             "Connections to Redis made again after a loss",
                             labels(m_settings.name))
                    .inc();
            if (m_everConnected)
                qCInfo(lcBus).noquote() << "Redis connection" << m_settings.name << "restored";
            m_everConnected = true;
            Q_EMIT connected();
        });
    }
}

void RedisConnection::onReadyRead()
{
    if (!m_device || !m_reader)
        return;
    const QByteArray data = m_device->readAll();
    auto *reader = static_cast<redisReader *>(m_reader.get());
    if (redisReaderFeed(reader, data.constData(), size_t(data.size())) != REDIS_OK) {
        fail(u"protocol error"_s);
        return;
    }
    for (;;) {
        void *raw = nullptr;
        if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
            fail(u"protocol error: "_s + QString::fromLatin1(reader->errstr));
            return;
        }
        if (!raw)
            return;
        RedisReply reply = convert(static_cast<redisReply *>(raw));
        freeReplyObject(raw);
        const QPointer<RedisConnection> alive(this);
        handleReply(std::move(reply));
        // A callback may have closed or failed the connection.
        if (!alive || !m_reader || m_reader.get() != reader)
            return;
    }
}

void RedisConnection::handleReply(RedisReply reply)
{
    if (isPush(reply)) {
        Q_EMIT message(reply.elements.at(1).text, reply.elements.at(2).text);
        return;
    }
    if (m_pending.empty()) {
        fail(u"a reply nobody asked for"_s);
        return;
    }
    Pending pending = std::move(m_pending.front());
    m_pending.pop_front();
    if (m_pending.empty())
        m_timeoutTimer.stop();
    ops::metrics()
        .histogram("flex_redis_command_seconds", "Time from sending a Redis command to its reply",
                   {0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1},
                   labels(m_settings.name))
        .observe(double(pending.sent.nsecsElapsed()) / 1e9);
    RedisResult result;
    result.reply = std::move(reply);
    finish(pending, result);
}

void RedisConnection::finish(Pending &pending, const RedisResult &result)
{
    if (pending.hasContext && !pending.context)
        return;
    if (pending.callback)
        pending.callback(result);
}

void RedisConnection::fail(const QString &reason)
{
    if (m_state == State::Closed || m_state == State::Waiting)
        return;
    const bool wasReady = m_state == State::Ready;
    if (wasReady || m_lastError.isEmpty())
        qCWarning(lcBus).noquote()
            << "Redis connection" << m_settings.name << "to" << m_settings.endpoint.redactedUrl()
            << (wasReady ? "lost:" : "failed:") << reason << "- retrying with backoff";
    m_lastError = reason;
    m_state = State::Waiting;
    teardown();
    setConnectedGauge(false);
    m_backoff = std::clamp(m_backoff * 2, m_settings.minBackoff, m_settings.maxBackoff);
    const auto jitter =
        milliseconds(QRandomGenerator::global()->bounded(qint64(m_backoff.count()) / 4 + 1));
    m_reconnectTimer.start(m_backoff - jitter);
    // Everything sent is lost with the connection: its callers hear so now.
    std::deque<Pending> lost = std::exchange(m_pending, {});
    RedisResult failed;
    failed.failure = u"Redis connection lost: "_s + reason;
    const QPointer<RedisConnection> alive(this);
    for (Pending &p : lost)
        finish(p, failed);
    if (alive && wasReady)
        Q_EMIT disconnected(reason);
    else if (alive)
        Q_EMIT connectFailed(reason);
}

void RedisConnection::teardown()
{
    m_connectTimer.stop();
    m_timeoutTimer.stop();
    m_reader.reset();
    if (m_device) {
        m_device->disconnect(this);
        if (auto *socket = qobject_cast<QAbstractSocket *>(m_device.data()))
            socket->abort();
        else if (auto *local = qobject_cast<QLocalSocket *>(m_device.data()))
            local->abort();
        m_device->deleteLater();
        m_device = nullptr;
    }
}

void RedisConnection::command(const QByteArrayList &args, QObject *context, Callback callback)
{
    if (m_state != State::Ready) {
        const QString why = m_lastError.isEmpty() ? u"Redis is not connected"_s
                                                  : u"Redis is not connected: "_s + m_lastError;
        QTimer::singleShot(0, context ? context : this, [callback = std::move(callback), why] {
            RedisResult r;
            r.failure = why;
            if (callback)
                callback(r);
        });
        return;
    }
    send(args, context, std::move(callback));
}

void RedisConnection::eval(const RedisScript &script, const QByteArrayList &keys,
                           const QByteArrayList &args, QObject *context, Callback callback)
{
    QByteArrayList tail{QByteArray::number(keys.size())};
    tail += keys;
    tail += args;
    QByteArrayList evalsha{"EVALSHA", script.sha1};
    evalsha += tail;
    QPointer<QObject> guard(context);
    const bool hasContext = context != nullptr;
    command(evalsha, context,
            [this, tail, source = script.source, guard, hasContext,
             callback = std::move(callback)](const RedisResult &r) {
                if (r.reply && r.reply->isError() && r.reply->text.startsWith("NOSCRIPT")) {
                    if (hasContext && !guard)
                        return;
                    QByteArrayList evalArgs{"EVAL", source};
                    evalArgs += tail;
                    command(evalArgs, guard, callback);
                    return;
                }
                if (callback)
                    callback(r);
            });
}

void RedisConnection::send(const QByteArrayList &args, QObject *context, Callback callback)
{
    const QByteArray bytes = format(args);
    Pending pending;
    pending.callback = std::move(callback);
    pending.context = context;
    pending.hasContext = context != nullptr;
    pending.sent.start();
    m_pending.push_back(std::move(pending));
    if (!m_timeoutTimer.isActive())
        m_timeoutTimer.start();
    m_device->write(bytes);
}

void RedisConnection::checkTimeout()
{
    if (m_pending.empty()) {
        m_timeoutTimer.stop();
        return;
    }
    if (m_pending.front().sent.elapsed() > m_settings.commandTimeout.count())
        fail(u"no answer within %1 ms"_s.arg(m_settings.commandTimeout.count()));
}

void RedisConnection::setConnectedGauge(bool up) const
{
    ops::metrics()
        .gauge("flex_redis_connected", "Whether the connection to Redis is up (1) or not (0)",
               labels(m_settings.name))
        .set(up ? 1 : 0);
}

} // namespace flex::bus
