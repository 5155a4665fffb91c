#include "statscalculator.h"

#include "contactcentre.h"

#include <QJsonArray>
#include <QMap>

#include <algorithm>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

// The window and reservation counts that queue and worker cumulative
// statistics share.
QJsonObject windowAndReservations(const QString &start, const QString &end,
                                  const QMap<TaskEvent::Type, int> &counts)
{
    using Type = TaskEvent::Type;
    return QJsonObject{
        {u"start_time"_s, start},
        {u"end_time"_s, end},
        {u"reservations_created"_s, counts.value(Type::ReservationCreated)},
        {u"reservations_accepted"_s, counts.value(Type::ReservationAccepted)},
        {u"reservations_rejected"_s, counts.value(Type::ReservationRejected)},
        {u"reservations_timed_out"_s, counts.value(Type::ReservationTimedOut)},
        {u"reservations_canceled"_s, counts.value(Type::ReservationCanceled)},
        {u"reservations_rescinded"_s, counts.value(Type::ReservationRescinded)},
    };
}

// TaskRouter computes SplitByWaitTime over at most this many tasks per threshold.
constexpr int kSplitCap = 10'000;

struct Durations
{
    qint64 count = 0;
    qint64 total = 0;
    qint64 min = 0;
    qint64 max = 0;

    void add(qint64 seconds)
    {
        min = count == 0 ? seconds : std::min(min, seconds);
        max = count == 0 ? seconds : std::max(max, seconds);
        total += seconds;
        ++count;
    }
    QJsonValue toJson() const
    {
        if (count == 0)
            return QJsonValue::Null; // what Twilio sends when nothing happened
        return QJsonObject{{u"avg"_s, qint64(total / count)},
                           {u"min"_s, min},
                           {u"max"_s, max},
                           {u"total"_s, total}};
    }
};

QDateTime parseIso(const QString &text)
{
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(text, Qt::ISODate);
    if (!t.isValid()) {
        // A bare date means midnight UTC.
        const QDate d = QDate::fromString(text, Qt::ISODate);
        if (d.isValid())
            t = QDateTime(d, QTime(0, 0), Qt::UTC);
    }
    return t.toUTC();
}

} // namespace

QString StatsCalculator::isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(u"yyyy-MM-ddTHH:mm:ssZ"_s);
}

QJsonObject StatsCalculator::realtime(const QString &queueSid, const QString &channel) const
{
    const qint64 now = m_model.nowMs();
    int pending = 0, reserved = 0, assigned = 0, wrapping = 0;
    qint64 oldestAge = -1;
    QString oldestSid;
    QMap<int, int> byPriority;
    for (const Task &t : m_model.tasks()) {
        if (t.queueSid != queueSid || (!channel.isEmpty() && t.channel != channel))
            continue;
        switch (t.status) {
        case TaskStatus::Pending:
            ++pending;
            break;
        case TaskStatus::Reserved:
            ++reserved;
            break;
        case TaskStatus::Assigned:
            ++assigned;
            break;
        case TaskStatus::Wrapping:
            ++wrapping;
            break;
        }
        if (t.status == TaskStatus::Pending || t.status == TaskStatus::Reserved) {
            ++byPriority[t.priority];
            const qint64 age = now - t.createdMs;
            if (age > oldestAge) {
                oldestAge = age;
                oldestSid = t.sid;
            }
        }
    }
    QJsonObject priorities;
    for (auto it = byPriority.cbegin(); it != byPriority.cend(); ++it)
        priorities.insert(QString::number(it.key()), it.value());

    const QList<Activity> &activities = m_model.activities();
    QList<int> perActivity(activities.size(), 0);
    int eligible = 0, available = 0;
    for (const Worker &w : m_model.workers()) {
        if (!w.queueSids.contains(queueSid))
            continue;
        ++eligible;
        ++perActivity[w.activity];
        // TaskRouter counts workers in an available activity, busy or not.
        if (activities.at(w.activity).available)
            ++available;
    }
    QJsonArray activityStats;
    for (qsizetype i = 0; i < activities.size(); ++i) {
        activityStats.append(QJsonObject{{u"friendly_name"_s, activities.at(i).friendlyName},
                                         {u"sid"_s, activities.at(i).sid},
                                         {u"workers"_s, perActivity.at(i)}});
    }
    const qint64 oldestSeconds = oldestAge < 0 ? 0 : oldestAge / 1000;
    const QJsonValue oldest = oldestSid.isEmpty() ? QJsonValue(QJsonValue::Null) : oldestSid;
    return QJsonObject{
        {u"activity_statistics"_s, activityStats},
        {u"longest_task_waiting_age"_s, oldestSeconds},
        {u"longest_task_waiting_sid"_s, oldest},
        {u"longest_relative_task_age_in_queue"_s, oldestSeconds},
        {u"longest_relative_task_sid_in_queue"_s, oldest},
        {u"tasks_by_priority"_s, priorities},
        {u"tasks_by_status"_s, QJsonObject{{u"pending"_s, pending},
                                           {u"reserved"_s, reserved},
                                           {u"assigned"_s, assigned},
                                           {u"wrapping"_s, wrapping}}},
        {u"total_available_workers"_s, available},
        {u"total_eligible_workers"_s, eligible},
        {u"total_tasks"_s, pending + reserved + assigned + wrapping},
    };
}

QJsonObject StatsCalculator::cumulative(const QString &queueSid, const CumulativeQuery &query) const
{
    using Type = TaskEvent::Type;
    const qint64 from = query.start.toMSecsSinceEpoch();
    const qint64 to = query.end.toMSecsSinceEpoch();
    QMap<Type, int> counts;
    Durations accepted, canceled, acceptedInQueue;
    struct Split
    {
        int canceledAbove = 0, canceledBelow = 0, acceptedAbove = 0, acceptedBelow = 0;
    };
    QList<Split> splits(query.splitByWaitTime.size());

    const QList<TaskEvent> events = m_model.events(queueSid);
    auto it = std::lower_bound(events.cbegin(), events.cend(), from,
                               [](const TaskEvent &e, qint64 t) { return e.timeMs < t; });
    for (; it != events.cend() && it->timeMs < to; ++it) {
        const TaskEvent &e = *it;
        if (!query.channel.isEmpty() && e.channel != query.channel)
            continue;
        ++counts[e.type];
        const qint64 waitSeconds = e.waitMs / 1000;
        if (e.type == Type::ReservationAccepted || e.type == Type::TaskCanceled) {
            const bool isAccept = e.type == Type::ReservationAccepted;
            (isAccept ? accepted : canceled).add(waitSeconds);
            if (isAccept)
                acceptedInQueue.add(e.queueWaitMs / 1000);
            for (qsizetype i = 0; i < splits.size(); ++i) {
                Split &s = splits[i];
                // "up to 10,000 Tasks/Reservations for any given threshold"
                if (s.canceledAbove + s.canceledBelow + s.acceptedAbove + s.acceptedBelow >=
                    kSplitCap)
                    continue;
                // "below" = waited less than the threshold.
                const bool below = waitSeconds < query.splitByWaitTime.at(i);
                int &slot = isAccept ? (below ? s.acceptedBelow : s.acceptedAbove)
                                     : (below ? s.canceledBelow : s.canceledAbove);
                ++slot;
            }
        }
    }
    QJsonValue split = QJsonValue::Null;
    if (!query.splitByWaitTime.isEmpty()) {
        QJsonObject o;
        for (qsizetype i = 0; i < splits.size(); ++i) {
            const Split &s = splits.at(i);
            o.insert(QString::number(query.splitByWaitTime.at(i)),
                     QJsonObject{
                         {u"above"_s, QJsonObject{{u"tasks_canceled"_s, s.canceledAbove},
                                                  {u"reservations_accepted"_s, s.acceptedAbove}}},
                         {u"below"_s, QJsonObject{{u"tasks_canceled"_s, s.canceledBelow},
                                                  {u"reservations_accepted"_s, s.acceptedBelow}}}});
        }
        split = o;
    }
    QJsonObject out = windowAndReservations(isoTime(from), isoTime(to), counts);
    const QJsonObject rest{
        {u"avg_task_acceptance_time"_s, accepted.count ? accepted.total / accepted.count : 0},
        {u"split_by_wait_time"_s, split},
        {u"wait_duration_until_accepted"_s, accepted.toJson()},
        {u"wait_duration_until_canceled"_s, canceled.toJson()},
        {u"wait_duration_in_queue_until_accepted"_s, acceptedInQueue.toJson()},
        {u"tasks_canceled"_s, counts.value(Type::TaskCanceled)},
        {u"tasks_completed"_s, counts.value(Type::TaskCompleted)},
        {u"tasks_deleted"_s, counts.value(Type::TaskDeleted)},
        {u"tasks_entered"_s, counts.value(Type::TaskEntered)},
        {u"tasks_moved"_s, counts.value(Type::TaskMoved)},
    };
    for (auto it = rest.begin(); it != rest.end(); ++it)
        out.insert(it.key(), it.value());
    return out;
}

QJsonObject StatsCalculator::workersRealtime(const QString &queueSid) const
{
    const QList<Activity> &activities = m_model.activities();
    QList<int> perActivity(activities.size(), 0);
    int total = 0;
    for (const Worker &w : m_model.workers()) {
        if (!queueSid.isEmpty() && !w.queueSids.contains(queueSid))
            continue;
        ++total;
        ++perActivity[w.activity];
    }
    QJsonArray stats;
    for (qsizetype i = 0; i < activities.size(); ++i) {
        stats.append(QJsonObject{{u"friendly_name"_s, activities.at(i).friendlyName},
                                 {u"sid"_s, activities.at(i).sid},
                                 {u"workers"_s, perActivity.at(i)}});
    }
    return QJsonObject{{u"total_workers"_s, total}, {u"activity_statistics"_s, stats}};
}

QJsonObject StatsCalculator::workersCumulative(const QString &queueSid,
                                               const CumulativeQuery &query) const
{
    // Reservation counts come from the queues' history; activity durations
    // from each worker's current activity (the model keeps no activity log).
    using Type = TaskEvent::Type;
    QMap<Type, int> counts;
    const qint64 from = query.start.toMSecsSinceEpoch();
    const qint64 to = query.end.toMSecsSinceEpoch();
    for (const TaskQueue &q : m_model.queues()) {
        if (!queueSid.isEmpty() && q.sid != queueSid)
            continue;
        for (const TaskEvent &e : m_model.events(q.sid)) {
            if (e.timeMs >= from && e.timeMs < to &&
                (query.channel.isEmpty() || e.channel == query.channel))
                ++counts[e.type];
        }
    }
    const QList<Activity> &activities = m_model.activities();
    QList<Durations> durations(activities.size());
    for (const Worker &w : m_model.workers()) {
        if (!queueSid.isEmpty() && !w.queueSids.contains(queueSid))
            continue;
        const qint64 since = std::max(from, w.activitySinceMs);
        durations[w.activity].add(std::max<qint64>(0, to - since) / 1000);
    }
    QJsonArray activityDurations;
    for (qsizetype i = 0; i < activities.size(); ++i) {
        const Durations &d = durations.at(i);
        activityDurations.append(QJsonObject{{u"friendly_name"_s, activities.at(i).friendlyName},
                                             {u"sid"_s, activities.at(i).sid},
                                             {u"avg"_s, d.count ? d.total / d.count : 0},
                                             {u"min"_s, d.min},
                                             {u"max"_s, d.max},
                                             {u"total"_s, d.total}});
    }
    QJsonObject out = windowAndReservations(isoTime(from), isoTime(to), counts);
    out.insert(u"activity_durations"_s, activityDurations);
    return out;
}

bool StatsCalculator::parseWindow(const QString &startDate, const QString &endDate,
                                  const QString &minutes, CumulativeQuery *query,
                                  QString *error) const
{
    const QDateTime now = QDateTime::fromMSecsSinceEpoch(m_model.nowMs(), Qt::UTC);
    query->end = now;
    if (!endDate.isEmpty()) {
        query->end = parseIso(endDate);
        if (!query->end.isValid()) {
            *error = u"EndDate is not a valid ISO 8601 date"_s;
            return false;
        }
    }
    if (!startDate.isEmpty()) {
        query->start = parseIso(startDate);
        if (!query->start.isValid()) {
            *error = u"StartDate is not a valid ISO 8601 date"_s;
            return false;
        }
    } else {
        int m = 15;
        if (!minutes.isEmpty()) {
            bool ok = false;
            m = minutes.toInt(&ok);
            if (!ok || m <= 0) {
                *error = u"Minutes must be a positive integer"_s;
                return false;
            }
        }
        query->start = query->end.addSecs(-60LL * m);
    }
    if (query->start > query->end) {
        *error = u"StartDate must be before EndDate"_s;
        return false;
    }
    return true;
}

bool StatsCalculator::parseSplit(const QString &value, QList<int> *out)
{
    out->clear();
    if (value.trimmed().isEmpty())
        return true;
    const QStringList parts = value.split(u',');
    for (const QString &p : parts) {
        bool ok = false;
        const int v = p.trimmed().toInt(&ok);
        if (!ok || v <= 0)
            return false;
        if (!out->contains(v))
            out->append(v);
    }
    return out->size() <= 10;
}

} // namespace flex::emulator
