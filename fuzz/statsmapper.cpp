// TaskRouter's queue list and statistics answers → the snapshot the
// dashboard gets. Input: a JSON array of items shaped like TaskQueues
// (sid, friendly_name) and TaskQueues/Statistics (realtime, cumulative).
#include "stats/statsmapper.h"
#include "stats/snapshotbuilder.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cstdint>

using namespace flex::stats;
using namespace Qt::StringLiterals;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const QJsonDocument doc = QJsonDocument::fromJson(input);
    const QJsonArray items = doc.isArray() ? doc.array() : QJsonArray{doc.object()};
    SnapshotBuilder builder;
    builder.setChannels({u"all"_s, u"voice"_s});
    QList<QueueInfo> queues;
    for (const QJsonValue &v : items) {
        const QJsonObject o = v.toObject();
        queues.append({o.value(u"sid"_s).toString(), o.value(u"friendly_name"_s).toString()});
    }
    builder.setQueues(queues);
    const QList<int> thresholds{10, 30, 60};
    for (const QJsonValue &v : items) {
        const QJsonObject o = v.toObject();
        const QString sid = o.value(u"sid"_s).toString();
        const QJsonObject realtime = o.value(u"realtime"_s).toObject();
        const QJsonObject cumulative = o.value(u"cumulative"_s).toObject();
        (void)StatsMapper::missingRealtime(realtime);
        (void)StatsMapper::missingCumulative(cumulative, true);
        builder.setRealtime(sid, u"all"_s, StatsMapper::realtime(realtime));
        builder.setRealtime(sid, u"voice"_s, StatsMapper::realtime(o));
        builder.setCumulative(sid, u"all"_s, StatsMapper::cumulative(cumulative, thresholds));
    }
    (void)QJsonDocument(builder.build()).toJson(QJsonDocument::Compact);
    return 0;
}
