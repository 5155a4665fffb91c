#include "statscalculator.h"

#include "contactcentre.h"

#include <QJsonArray>
#include <QMap>

#include <algorithm>

namespace flex::emulator {

namespace {

// The window and reservation counts that queue and worker cumulative
// statistics share.
QJsonObject windowAndReservations(const QString &start, const QString &end,
                                  const QMap<TaskEvent::Type, int> &counts)
{
    using Type = TaskEvent::Type;
    return QJsonObject{
        {QStringLiteral("start_time"), start},
        {QStringLiteral("end_time"), end},
        {QStringLiteral("reservations_created"), counts.value(Type::ReservationCreated)},
        {QStringLiteral("reservations_accepted"), counts.value(Type::ReservationAccepted)},
        {QStringLiteral("reservations_rejected"), counts.value(Type::ReservationRejected)},
        {QStringLiteral("reservations_timed_out"), counts.value(Type::ReservationTimedOut)},
        {QStringLiteral("reservations_canceled"), counts.value(Type::ReservationCanceled)},
        {QStringLiteral("reservations_rescinded"), counts.value(Type::ReservationRescinded)},
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
        return QJsonObject{{QStringLiteral("avg"), qint64(total / count)},
                           {QStringLiteral("min"), min},
                           {QStringLiteral("max"), max},
                           {QStringLiteral("total"), total}};
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
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)
        .toString(QStringLiteral("yyyy-MM-ddTHH:mm:ssZ"));
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
        activityStats.append(
            QJsonObject{{QStringLiteral("friendly_name"), activities.at(i).friendlyName},
                        {QStringLiteral("sid"), activities.at(i).sid},
                        {QStringLiteral("workers"), perActivity.at(i)}});
    }
    const qint64 oldestSeconds = oldestAge < 0 ? 0 : oldestAge / 1000;
    const QJsonValue oldest = oldestSid.isEmpty() ? QJsonValue(QJsonValue::Null) : oldestSid;
    return QJsonObject{
        {QStringLiteral("activity_statistics"), activityStats},
        {QStringLiteral("longest_task_waiting_age"), oldestSeconds},
        {QStringLiteral("longest_task_waiting_sid"), oldest},
        {QStringLiteral("longest_relative_task_age_in_queue"), oldestSeconds},
        {QStringLiteral("longest_relative_task_sid_in_queue"), oldest},
        {QStringLiteral("tasks_by_priority"), priorities},
        {QStringLiteral("tasks_by_status"), QJsonObject{{QStringLiteral("pending"), pending},
                                                        {QStringLiteral("reserved"), reserved},
                                                        {QStringLiteral("assigned"), assigned},
                                                        {QStringLiteral("wrapping"), wrapping}}},
        {QStringLiteral("total_available_workers"), available},
        {QStringLiteral("total_eligible_workers"), eligible},
        {QStringLiteral("total_tasks"), pending + reserved + assigned + wrapping},
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
            o.insert(
                QString::number(query.splitByWaitTime.at(i)),
                QJsonObject{
                    {QStringLiteral("above"),
                     QJsonObject{{QStringLiteral("tasks_canceled"), s.canceledAbove},
                                 {QStringLiteral("reservations_accepted"), s.acceptedAbove}}},
                    {QStringLiteral("below"),
                     QJsonObject{{QStringLiteral("tasks_canceled"), s.canceledBelow},
                                 {QStringLiteral("reservations_accepted"), s.acceptedBelow}}}});
        }
        split = o;
    }
    QJsonObject out = windowAndReservations(isoTime(from), isoTime(to), counts);
    const QJsonObject rest{
        {QStringLiteral("avg_task_acceptance_time"),
         accepted.count ? accepted.total / accepted.count : 0},
        {QStringLiteral("split_by_wait_time"), split},
        {QStringLiteral("wait_duration_until_accepted"), accepted.toJson()},
        {QStringLiteral("wait_duration_until_canceled"), canceled.toJson()},
        {QStringLiteral("wait_duration_in_queue_until_accepted"), acceptedInQueue.toJson()},
        {QStringLiteral("tasks_canceled"), counts.value(Type::TaskCanceled)},
        {QStringLiteral("tasks_completed"), counts.value(Type::TaskCompleted)},
        {QStringLiteral("tasks_deleted"), counts.value(Type::TaskDeleted)},
        {QStringLiteral("tasks_entered"), counts.value(Type::TaskEntered)},
        {QStringLiteral("tasks_moved"), counts.value(Type::TaskMoved)},
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
        stats.append(QJsonObject{{QStringLiteral("friendly_name"), activities.at(i).friendlyName},
                                 {QStringLiteral("sid"), activities.at(i).sid},
                                 {QStringLiteral("workers"), perActivity.at(i)}});
    }
    return QJsonObject{{QStringLiteral("total_workers"), total},
                       {QStringLiteral("activity_statistics"), stats}};
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
        activityDurations.append(
            QJsonObject{{QStringLiteral("friendly_name"), activities.at(i).friendlyName},
                        {QStringLiteral("sid"), activities.at(i).sid},
                        {QStringLiteral("avg"), d.count ? d.total / d.count : 0},
                        {QStringLiteral("min"), d.min},
                        {QStringLiteral("max"), d.max},
                        {QStringLiteral("total"), d.total}});
    }
    QJsonObject out = windowAndReservations(isoTime(from), isoTime(to), counts);
    out.insert(QStringLiteral("activity_durations"), activityDurations);
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
            *error = QStringLiteral("EndDate is not a valid ISO 8601 date");
            return false;
        }
    }
    if (!startDate.isEmpty()) {
        query->start = parseIso(startDate);
        if (!query->start.isValid()) {
            *error = QStringLiteral("StartDate is not a valid ISO 8601 date");
            return false;
        }
    } else {
        int m = 15;
        if (!minutes.isEmpty()) {
            bool ok = false;
            m = minutes.toInt(&ok);
            if (!ok || m <= 0) {
                *error = QStringLiteral("Minutes must be a positive integer");
                return false;
            }
        }
        query->start = query->end.addSecs(-60LL * m);
    }
    if (query->start > query->end) {
        *error = QStringLiteral("StartDate must be before EndDate");
        return false;
    }
    return true;
}

bool StatsCalculator::parseSplit(const QString &value, QList<int> *out)
{
    out->clear();
    if (value.trimmed().isEmpty())
        return true;
    const QStringList parts = value.split(QLatin1Char(','));
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
