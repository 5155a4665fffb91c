// Text messages of /websocket/realtimeStats subscribers: the subscribe
// extension, then the snapshot filtered to what was asked for.
#include "stats/statsfanout.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cstdint>
#include <cstdlib>

using namespace flex::stats;
using namespace Qt::StringLiterals;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const SubscribeMessage message = parseSubscribeMessage(text);
    if (message.kind != SubscribeMessage::Kind::Subscribe) {
        if (!message.channels.isEmpty())
            std::abort();
        return 0;
    }
    if (message.channels.isEmpty() || message.channels.size() > 64)
        std::abort();
    static const QJsonArray queues{QJsonObject{
        {u"sid"_s, u"WQ1"_s},
        {u"friendly_name"_s, u"Support"_s},
        {u"realTimeStats_all"_s, QJsonObject{{u"totalTasks"_s, 3}}},
        {u"cumulativeStats_voice"_s, QJsonObject{{u"tasksEntered"_s, 1}}},
    }};
    (void)StatsFanout::filtered(queues, message.channels);
    return 0;
}
