#include "bus/callstream.h"

#include "ops/logcategories.h"

#include <QTimer>

namespace flex::bus {

using namespace std::chrono_literals;

namespace {

constexpr auto Block = 2000ms;

RedisConnection::Settings blocking(RedisConnection::Settings s)
{
    s.name = "calls";
    s.commandTimeout += Block; // XREAD waits up to Block before it answers
    return s;
}

} // namespace

CallStream::CallStream(RedisConnection::Settings settings, QByteArray key, QObject *parent)
    : QObject(parent)
    , m_redis(new RedisConnection(blocking(std::move(settings)), this))
    , m_key(std::move(key))
{
    connect(m_redis, &RedisConnection::connected, this, [this] {
        Q_EMIT connected();
        if (m_lastId.isEmpty())
            findStart();
        else
            readNext();
    });
    connect(m_redis, &RedisConnection::disconnected, this, &CallStream::disconnected);
}

void CallStream::start()
{
    m_redis->open();
}

QByteArrayList CallStream::appendCommand(const QByteArray &key, const QByteArray &message)
{
    return {"XADD", key, "MAXLEN", "~", QByteArray::number(MaxLength), "*", "m", message};
}

void CallStream::findStart()
{
    // Only what comes after this instance started; from then on, everything.
    m_redis->command(
        {"XREVRANGE", m_key, "+", "-", "COUNT", "1"}, this, [this](const RedisResult &r) {
            if (!r.ok())
                return; // reconnects, then tries again
            m_lastId = r.reply->elements.isEmpty() ? QByteArray("0-0")
                                                   : r.reply->elements.at(0).elements.value(0).text;
            readNext();
        });
}

void CallStream::readNext()
{
    if (m_reading || !m_redis->isConnected())
        return;
    m_reading = true;
    m_redis->command({"XREAD", "COUNT", "1000", "BLOCK", QByteArray::number(qint64(Block.count())),
                      "STREAMS", m_key, m_lastId},
                     this, [this](const RedisResult &r) {
                         m_reading = false;
                         if (!r.reply)
                             return; // connection lost: connected() resumes from m_lastId
                         if (r.reply->isError()) {
                             qCWarning(lcBus).noquote()
                                 << "reading the call updates failed:" << r.error();
                             QTimer::singleShot(1s, this, &CallStream::readNext);
                             return;
                         }
                         // [[key, [[id, [field, value, ...]], ...]]] or nil after Block.
                         for (const RedisReply &stream : std::as_const(r.reply->elements)) {
                             for (const RedisReply &entry : stream.elements.value(1).elements) {
                                 m_lastId = entry.elements.value(0).text;
                                 const QList<RedisReply> fields = entry.elements.value(1).elements;
                                 for (qsizetype i = 0; i + 1 < fields.size(); i += 2) {
                                     if (fields.at(i).text == "m")
                                         Q_EMIT message(fields.at(i + 1).text);
                                 }
                             }
                         }
                         readNext();
                     });
}

} // namespace flex::bus
