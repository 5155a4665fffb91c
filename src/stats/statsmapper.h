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

    // The TaskRouter fields behind what the plugin shows that `twilio` does
    // not carry (empty: complete). The list answer may be thinner than the
    // per-queue endpoints: the official example has no split_by_wait_time,
    // wait_duration_*, tasks_completed or tasks_by_priority.
    static QStringList missingRealtime(const QJsonObject &twilio);
    static QStringList missingCumulative(const QJsonObject &twilio, bool withSplit);

    // TaskRouter computes SplitByWaitTime over at most this many tasks.
    static constexpr int SplitTaskCap = 10'000;

    static QJsonObject zeroDuration(); // {"avg":0,"min":0,"max":0,"total":0}
    static QJsonObject zeroSplit();    // {"above":{...0},"below":{...0}}
};

} // namespace flex::stats
