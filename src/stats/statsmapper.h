#pragma once

#include <QJsonObject>
#include <QList>

namespace flex::stats {

// TaskRouter statistics JSON → the field names of docs/protocol.md §5. Pure
// functions. The plugin dereferences several fields without a null check,
// so every null or missing value Twilio may send becomes a zero of the
// right shape (0, {}, [], a zero-filled duration or split object).
class StatsMapper
{
public:
    // realtime (TaskQueue RealTimeStatistics or the "realtime" member of a
    // TaskQueues/Statistics item) → realTimeStats_<channel>.
    static QJsonObject realtime(const QJsonObject &twilio);
    // cumulative → cumulativeStats_<channel>; splitByWaitTime gets one entry
    // per threshold (keys are the thresholds in seconds), zero-filled.
    static QJsonObject cumulative(const QJsonObject &twilio, const QList<int> &slaThresholds);

    static QJsonObject zeroDuration(); // {"avg":0,"min":0,"max":0,"total":0}
    static QJsonObject zeroSplit();    // {"above":{...0},"below":{...0}}
};

} // namespace flex::stats
