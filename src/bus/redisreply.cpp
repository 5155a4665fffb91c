#include "bus/redisreply.h"

namespace flex::bus {

using namespace Qt::StringLiterals;

qint64 RedisReply::toInteger(qint64 fallback) const
{
    if (type == Type::Integer)
        return integer;
    if (type == Type::String || type == Type::Status) {
        bool ok = false;
        const qint64 value = text.toLongLong(&ok);
        return ok ? value : fallback;
    }
    return fallback;
}

QString RedisResult::error() const
{
    if (!reply)
        return failure.isEmpty() ? u"no reply"_s : failure;
    return reply->isError() ? QString::fromUtf8(reply->text) : QString();
}

} // namespace flex::bus
