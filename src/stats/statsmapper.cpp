#include "stats/statsmapper.h"

#include <QJsonArray>

#include <cmath>

namespace flex::stats {

using namespace Qt::StringLiterals;

namespace {

// Numbers pass unchanged. Twilio documents some counts as strings
// ({"pending": "1"}) and the plugin does arithmetic on them, so those become
// numbers; null and anything else become 0.
QJsonValue integer(const QJsonValue &v)
{
    if (v.isDouble())
        return std::isfinite(v.toDouble()) ? v : QJsonValue(0);
    if (v.isString()) {
        bool ok = false;
        const double n = v.toString().trimmed().toDouble(&ok);
        return ok && std::isfinite(n) ? QJsonValue(n) : QJsonValue(0);
    }
    return 0;
}

QJsonObject countsObject(const QJsonValue &v, const QStringList &always = {})
{
    QJsonObject out;
    for (const QString &key : always)
        out.insert(key, 0);
    const QJsonObject in = v.toObject();
    for (auto it = in.begin(); it != in.end(); ++it)
        out.insert(it.key(), integer(it.value()));
    return out;
}

QJsonObject duration(const QJsonValue &v)
{
    const QJsonObject in = v.toObject();
    QJsonObject out;
    for (const QString &key : {u"avg"_s, u"min"_s, u"max"_s, u"total"_s})
        out.insert(key, integer(in.value(key)));
    return out;
}

QJsonObject splitSide(const QJsonValue &v)
{
    const QJsonObject in = v.toObject();
    return QJsonObject{
        {u"tasks_canceled"_s, integer(in.value(u"tasks_canceled"_s))},
        {u"reservations_accepted"_s, integer(in.value(u"reservations_accepted"_s))},
    };
}

QJsonObject split(const QJsonValue &v, const QList<int> &thresholds)
{
    const QJsonObject in = v.toObject();
    QJsonObject out;
    for (int t : thresholds) {
        const QJsonObject entry = in.value(QString::number(t)).toObject();
        out.insert(QString::number(t),
                   QJsonObject{{u"above"_s, splitSide(entry.value(u"above"_s))},
                               {u"below"_s, splitSide(entry.value(u"below"_s))}});
    }
    return out;
}

QString text(const QJsonValue &v)
{
    return v.isString() ? v.toString() : QString();
}

} // namespace

namespace {

QStringList missing(const QJsonObject &o, const QStringList &keys)
{
    QStringList out;
    for (const QString &key : keys) {
        if (!o.contains(key))
            out << key;
    }
    return out;
}

} // namespace

QStringList StatsMapper::missingRealtime(const QJsonObject &t)
{
    return missing(t, {u"activity_statistics"_s, u"longest_task_waiting_age"_s,
                       u"tasks_by_priority"_s, u"tasks_by_status"_s, u"total_available_workers"_s,
                       u"total_eligible_workers"_s, u"total_tasks"_s});
}

QStringList StatsMapper::missingCumulative(const QJsonObject &t, bool withSplit)
{
    QStringList keys{u"reservations_created"_s,
                     u"reservations_rejected"_s,
                     u"reservations_accepted"_s,
                     u"reservations_timed_out"_s,
                     u"reservations_canceled"_s,
                     u"reservations_rescinded"_s,
                     u"tasks_completed"_s,
                     u"tasks_moved"_s,
                     u"tasks_entered"_s,
                     u"tasks_canceled"_s,
                     u"tasks_deleted"_s,
                     u"wait_duration_until_canceled"_s,
                     u"wait_duration_until_accepted"_s,
                     u"avg_task_acceptance_time"_s,
                     u"start_time"_s,
                     u"end_time"_s};
    if (withSplit)
        keys << u"split_by_wait_time"_s;
    return missing(t, keys);
}

QJsonObject StatsMapper::zeroDuration()
{
    return duration(QJsonValue::Null);
}

QJsonObject StatsMapper::zeroSplit()
{
    return QJsonObject{{u"above"_s, splitSide(QJsonValue::Null)},
                       {u"below"_s, splitSide(QJsonValue::Null)}};
}

QJsonObject StatsMapper::realtime(const QJsonObject &t)
{
    QJsonArray activities;
    const QJsonArray in = t.value(u"activity_statistics"_s).toArray();
    for (const QJsonValue &v : in) {
        const QJsonObject a = v.toObject();
        activities.append(QJsonObject{{u"friendly_name"_s, text(a.value(u"friendly_name"_s))},
                                      {u"workers"_s, integer(a.value(u"workers"_s))}});
    }
    return QJsonObject{
        {u"activityStatistics"_s, activities},
        {u"oldestTask"_s, integer(t.value(u"longest_task_waiting_age"_s))},
        {u"tasksByPriority"_s, countsObject(t.value(u"tasks_by_priority"_s))},
        {u"tasksByStatus"_s,
         countsObject(t.value(u"tasks_by_status"_s),
                      {u"pending"_s, u"reserved"_s, u"assigned"_s, u"wrapping"_s})},
        {u"availableWorkers"_s, integer(t.value(u"total_available_workers"_s))},
        {u"eligibleWorkers"_s, integer(t.value(u"total_eligible_workers"_s))},
        {u"totalTasks"_s, integer(t.value(u"total_tasks"_s))},
    };
}

QJsonObject StatsMapper::cumulative(const QJsonObject &t, const QList<int> &slaThresholds)
{
    return QJsonObject{
        {u"rCreated"_s, integer(t.value(u"reservations_created"_s))},
        {u"rRej"_s, integer(t.value(u"reservations_rejected"_s))},
        {u"rAccepted"_s, integer(t.value(u"reservations_accepted"_s))},
        {u"rTimedOut"_s, integer(t.value(u"reservations_timed_out"_s))},
        {u"rCancel"_s, integer(t.value(u"reservations_canceled"_s))},
        {u"rRescind"_s, integer(t.value(u"reservations_rescinded"_s))},
        {u"tCompl"_s, integer(t.value(u"tasks_completed"_s))},
        {u"tMoved"_s, integer(t.value(u"tasks_moved"_s))},
        {u"tEnter"_s, integer(t.value(u"tasks_entered"_s))},
        {u"tCanc"_s, integer(t.value(u"tasks_canceled"_s))},
        {u"tDel"_s, integer(t.value(u"tasks_deleted"_s))},
        {u"waitUntilCancel"_s, duration(t.value(u"wait_duration_until_canceled"_s))},
        {u"waitUntilAccept"_s, duration(t.value(u"wait_duration_until_accepted"_s))},
        {u"splitByWaitTime"_s, split(t.value(u"split_by_wait_time"_s), slaThresholds)},
        {u"startTime"_s, text(t.value(u"start_time"_s))},
        {u"endTime"_s, text(t.value(u"end_time"_s))},
        {u"avgTaskAcceptanceTime"_s, integer(t.value(u"avg_task_acceptance_time"_s))},
    };
}

} // namespace flex::stats
