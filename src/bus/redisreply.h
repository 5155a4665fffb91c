#pragma once

#include <QByteArray>
#include <QCryptographicHash>
#include <QList>
#include <QString>

#include <optional>

namespace flex::bus {

// One RESP2 reply, copied out of hiredis's reader into value types.
struct RedisReply
{
    enum class Type { Nil, Status, Error, Integer, String, Array };
    Type type = Type::Nil;
    qint64 integer = 0;
    QByteArray text; // Status, Error and String
    QList<RedisReply> elements;

    bool isError() const { return type == Type::Error; }
    bool isNil() const { return type == Type::Nil; }
    // Integer replies, and strings holding a number (Lua returns either).
    qint64 toInteger(qint64 fallback = 0) const;
};

// What a command's callback gets: a reply (possibly a Redis error reply) or
// no reply at all because the connection failed, timed out or was not up.
struct RedisResult
{
    std::optional<RedisReply> reply;
    QString failure; // set when there is no reply

    bool ok() const { return reply && !reply->isError(); }
    // The transport failure or the error reply's text; empty when ok().
    QString error() const;
};

// A Lua script, called by its SHA1 (EVALSHA) with EVAL as the fallback.
struct RedisScript
{
    explicit RedisScript(QByteArray lua)
        : source(std::move(lua))
        , sha1(QCryptographicHash::hash(source, QCryptographicHash::Sha1).toHex())
    {}
    QByteArray source;
    QByteArray sha1;
};

} // namespace flex::bus
