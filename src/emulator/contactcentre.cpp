#include "contactcentre.h"

#include <QDateTime>
#include <QTimer>

#include <algorithm>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 HistoryRetentionMs = 30LL * 24 * 3600 * 1000;
// Share of simulated traffic per channel (only channels that exist are used).
const QList<QPair<QString, double>> &trafficMix()
{
    static const QList<QPair<QString, double>> mix = {
        {u"voice"_s, 0.6}, {u"chat"_s, 0.3}, {u"video"_s, 0.1}};
    return mix;
}

enum ActivityIndex { Available = 0, Unavailable = 1, Offline = 2, Break = 3 };

} // namespace

ContactCentre::ContactCentre(const EmulatorConfig &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_rng(config.seed)
    , m_timer(new QTimer(this))
{
    const qint64 wallNow = QDateTime::currentMSecsSinceEpoch();
    m_nowMs = wallNow - qint64(config.warmup.count());

    const QStringList activityNames = {u"Available"_s, u"Unavailable"_s, u"Offline"_s, u"Break"_s};
    for (int i = 0; i < activityNames.size(); ++i)
        m_activities.append({newSid(u"WA"_s), activityNames.at(i), i == Available});

    for (const QString &name : config.channels) {
        QString friendly = name;
        if (!friendly.isEmpty())
            friendly[0] = friendly.at(0).toUpper();
        m_channels.append({newSid(u"TC"_s), name, friendly, m_nowMs, ++m_seq});
    }

    for (int i = 0; i < config.queueCount; ++i) {
        const QString name =
            i < config.queueNames.size() ? config.queueNames.at(i) : u"Queue %1"_s.arg(i + 1);
        m_queues.append({newSid(u"WQ"_s), name, m_nowMs, ++m_seq});
    }
    const int initialActivity[] = {Available,   Available, Available, Break,     Available,
                                   Unavailable, Available, Offline,   Available, Offline};
    for (qsizetype q = 0; q < m_queues.size(); ++q) {
        for (int w = 0; w < config.workersPerQueue; ++w) {
            QStringList sids{m_queues.at(q).sid};
            if (m_queues.size() > 1 && chance(0.5)) {
                const qsizetype other = (q + uniform(1, m_queues.size() - 1)) % m_queues.size();
                sids.append(m_queues.at(other).sid);
            }
            addWorker(QString(), sids, initialActivity[uniform(0, 9)]);
        }
    }

    const qint64 tickMs = std::max<qint64>(1, config.tickInterval.count());
    const qint64 warmupSteps = qint64(config.warmup.count()) / std::max<qint64>(tickMs, 1000);
    for (qint64 i = 0; i < warmupSteps; ++i)
        step(m_nowMs + std::max<qint64>(tickMs, 1000));
    m_nowMs = std::max(m_nowMs, wallNow);

    m_timer->setInterval(config.tickInterval);
    connect(m_timer, &QTimer::timeout, this, &ContactCentre::tick);
    setFrozen(config.frozen);
}

void ContactCentre::setFrozen(bool frozen)
{
    m_frozen = frozen;
    if (frozen)
        m_timer->stop();
    else
        m_timer->start();
}

void ContactCentre::tick()
{
    const qint64 interval = std::max<qint64>(1, m_config.tickInterval.count());
    if (m_frozen)
        step(m_nowMs + interval);
    else
        step(std::max(QDateTime::currentMSecsSinceEpoch(), m_nowMs + 1));
}

void ContactCentre::advance(int ticks)
{
    for (int i = 0; i < ticks; ++i)
        tick();
}

QStringList ContactCentre::queueSids() const
{
    QStringList out;
    for (const TaskQueue &q : m_queues)
        out.append(q.sid);
    return out;
}

QStringList ContactCentre::channelNames() const
{
    QStringList out;
    for (const TaskChannel &c : m_channels)
        out.append(c.uniqueName);
    return out;
}

void ContactCentre::step(qint64 newNowMs)
{
    const qint64 dt = std::max<qint64>(0, newNowMs - m_nowMs);
    m_nowMs = newNowMs;
    stepWorkers(dt);
    stepTasks();
    stepArrivals(dt);
    assignPending();
    for (auto it = m_events.begin(); it != m_events.end(); ++it) {
        QList<TaskEvent> &list = it.value();
        qsizetype drop = 0;
        while (drop < list.size() && list.at(drop).timeMs < m_nowMs - HistoryRetentionMs)
            ++drop;
        if (drop > 0)
            list.remove(0, drop);
    }
}

void ContactCentre::stepWorkers(qint64 dtMs)
{
    // On average a free worker changes activity every few minutes.
    const double p = double(dtMs) / (4.0 * 60 * 1000);
    for (Worker &w : m_workers) {
        if (!w.taskSid.isEmpty() || !chance(p))
            continue;
        int next = Available;
        if (w.activity == Available) {
            const int r = int(uniform(0, 9));
            next = r < 5 ? Break : (r < 8 ? Unavailable : Offline);
        }
        w.activity = next;
        w.activitySinceMs = m_nowMs;
    }
}

void ContactCentre::stepTasks()
{
    for (qsizetype i = 0; i < m_tasks.size();) {
        Task &t = m_tasks[i];
        const qint64 age = m_nowMs - t.createdMs;
        bool finished = false;
        const bool waiting = t.status == TaskStatus::Pending || t.status == TaskStatus::Reserved;
        if (waiting && t.patienceMs > 0 && age >= t.patienceMs) {
            if (t.status == TaskStatus::Reserved) {
                addEvent(TaskEvent::Type::ReservationCanceled, t);
                freeWorker(t.workerSid);
            }
            addEvent(TaskEvent::Type::TaskCanceled, t);
            finished = true;
        } else if (t.status == TaskStatus::Reserved && m_nowMs >= t.phaseEndMs) {
            const int r = t.callSid.isEmpty() ? int(uniform(0, 99)) : 0;
            if (r < 85) {
                addEvent(TaskEvent::Type::ReservationAccepted, t);
                t.status = TaskStatus::Assigned;
                t.phaseEndMs = m_nowMs + uniform(20, 150) * 1000;
            } else {
                addEvent(r < 93 ? TaskEvent::Type::ReservationRejected
                                : TaskEvent::Type::ReservationTimedOut,
                         t);
                freeWorker(t.workerSid);
                t.workerSid.clear();
                t.status = TaskStatus::Pending;
            }
        } else if (t.status == TaskStatus::Assigned && t.callSid.isEmpty() &&
                   m_nowMs >= t.phaseEndMs) {
            t.status = TaskStatus::Wrapping;
            t.phaseEndMs = m_nowMs + uniform(5, 30) * 1000;
        } else if (t.status == TaskStatus::Wrapping && m_nowMs >= t.phaseEndMs) {
            addEvent(TaskEvent::Type::TaskCompleted, t);
            freeWorker(t.workerSid);
            finished = true;
        }
        if (finished)
            m_tasks.removeAt(i);
        else
            ++i;
    }
}

void ContactCentre::stepArrivals(qint64 dtMs)
{
    for (const TaskQueue &q : std::as_const(m_queues)) {
        for (const auto &mix : trafficMix()) {
            if (!resolveChannel(mix.first))
                continue;
            const double expected =
                m_config.arrivalsPerQueuePerMinute * mix.second * double(dtMs) / 60000.0;
            if (expected <= 0)
                continue;
            std::poisson_distribution<int> poisson(expected);
            const int n = poisson(m_rng);
            for (int k = 0; k < n; ++k) {
                Task t;
                t.sid = newSid(u"WT"_s);
                t.queueSid = q.sid;
                t.channel = mix.first;
                t.priority = chance(0.1) ? 10 : 0;
                t.createdMs = m_nowMs;
                t.queueEnteredMs = m_nowMs;
                t.patienceMs = uniform(30, 240) * 1000;
                m_tasks.append(t);
                addEvent(TaskEvent::Type::TaskEntered, t);
            }
        }
    }
}

void ContactCentre::assignPending()
{
    for (Task &t : m_tasks) {
        if (t.status == TaskStatus::Pending)
            tryReserve(t);
    }
}

bool ContactCentre::tryReserve(Task &task)
{
    Worker *chosen = nullptr;
    for (Worker &w : m_workers) {
        if (!w.taskSid.isEmpty())
            continue;
        if (!task.targetWorker.isEmpty()) {
            if (w.contactUri == task.targetWorker) {
                chosen = &w;
                break;
            }
            continue;
        }
        if (w.activity != Available || !w.queueSids.contains(task.queueSid))
            continue;
        if (!chosen || w.freeSinceMs < chosen->freeSinceMs)
            chosen = &w; // longest idle first
    }
    if (!chosen)
        return false;
    chosen->taskSid = task.sid;
    task.workerSid = chosen->sid;
    task.status = TaskStatus::Reserved;
    // Outbound call tasks are auto-accepted by the plugin: accept on the next tick.
    task.phaseEndMs = task.callSid.isEmpty() ? m_nowMs + uniform(2, 8) * 1000 : m_nowMs;
    addEvent(TaskEvent::Type::ReservationCreated, task);
    return true;
}

Worker *ContactCentre::workerBySid(const QString &sid)
{
    for (Worker &w : m_workers) {
        if (w.sid == sid)
            return &w;
    }
    return nullptr;
}

void ContactCentre::freeWorker(const QString &workerSid)
{
    if (Worker *w = workerBySid(workerSid)) {
        w->taskSid.clear();
        w->freeSinceMs = m_nowMs;
    }
}

void ContactCentre::addEvent(TaskEvent::Type type, const Task &task)
{
    m_events[task.queueSid].append({m_nowMs, type, task.queueSid, task.channel,
                                    m_nowMs - task.createdMs, m_nowMs - task.queueEnteredMs});
}

void ContactCentre::addHistory(const QString &queueSid, const QString &channel, int tasks,
                               qint64 waitMs)
{
    QList<TaskEvent> &events = m_events[queueSid];
    const qint64 at = m_nowMs - 1; // windows end at now, exclusive
    for (int i = 0; i < tasks; ++i) {
        for (auto type : {TaskEvent::Type::TaskEntered, TaskEvent::Type::ReservationCreated,
                          TaskEvent::Type::ReservationAccepted}) {
            const qint64 wait = type == TaskEvent::Type::TaskEntered ? 0 : waitMs;
            events.append({at, type, queueSid, channel, wait, wait});
        }
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const TaskEvent &a, const TaskEvent &b) { return a.timeMs < b.timeMs; });
}

void ContactCentre::addWorker(const QString &name, const QStringList &queueSids, int activity)
{
    Worker w;
    w.sid = newSid(u"WK"_s);
    w.friendlyName =
        name.isEmpty() ? u"agent%1"_s.arg(++m_workerNameCounter, 3, 10, QChar(u'0')) : name;
    w.contactUri = u"client:"_s + w.friendlyName;
    w.activity = activity;
    w.activitySinceMs = m_nowMs;
    w.freeSinceMs = m_nowMs;
    w.queueSids = queueSids;
    m_workers.append(w);
}

QString ContactCentre::addQueue(const QString &friendlyName)
{
    TaskQueue q{newSid(u"WQ"_s), friendlyName, m_nowMs, ++m_seq};
    m_queues.append(q);
    for (int w = 0; w < m_config.workersPerQueue; ++w)
        addWorker(QString(), {q.sid}, Available);
    return q.sid;
}

bool ContactCentre::removeQueue(const QString &sid)
{
    const auto it = std::find_if(m_queues.begin(), m_queues.end(),
                                 [&](const TaskQueue &q) { return q.sid == sid; });
    if (it == m_queues.end())
        return false;
    m_queues.erase(it);
    for (qsizetype i = 0; i < m_tasks.size();) {
        if (m_tasks.at(i).queueSid == sid) {
            freeWorker(m_tasks.at(i).workerSid);
            m_tasks.removeAt(i);
        } else {
            ++i;
        }
    }
    for (Worker &w : m_workers)
        w.queueSids.removeAll(sid);
    m_events.remove(sid);
    return true;
}

const TaskQueue *ContactCentre::queue(const QString &sid) const
{
    for (const TaskQueue &q : m_queues) {
        if (q.sid == sid)
            return &q;
    }
    return nullptr;
}

std::optional<QString> ContactCentre::resolveChannel(const QString &nameOrSid) const
{
    for (const TaskChannel &c : m_channels) {
        if (c.uniqueName == nameOrSid || c.sid == nameOrSid)
            return c.uniqueName;
    }
    return std::nullopt;
}

QString ContactCentre::enqueueCallTask(const QString &callSid, const QJsonObject &attributes,
                                       int priority)
{
    if (m_queues.isEmpty())
        return {};
    Task t;
    t.sid = newSid(u"WT"_s);
    t.queueSid = m_queues.first().sid;
    t.channel = resolveChannel(u"voice"_s)
                    .value_or(m_channels.isEmpty() ? u"voice"_s : m_channels.first().uniqueName);
    t.priority = priority;
    t.createdMs = m_nowMs;
    t.queueEnteredMs = m_nowMs;
    t.callSid = callSid;
    t.attributes = attributes;
    t.targetWorker = attributes.value(u"targetWorker"_s).toString();
    if (!t.targetWorker.isEmpty()) {
        const bool known = std::any_of(m_workers.cbegin(), m_workers.cend(), [&](const Worker &w) {
            return w.contactUri == t.targetWorker;
        });
        if (!known) {
            QString name = t.targetWorker;
            if (name.startsWith(u"client:"_s))
                name = name.mid(7);
            addWorker(name, {t.queueSid}, Available);
            m_workers.last().contactUri = t.targetWorker;
        }
    }
    m_tasks.append(t);
    addEvent(TaskEvent::Type::TaskEntered, t);
    tryReserve(m_tasks.last());
    return t.sid;
}

void ContactCentre::callEnded(const QString &callSid)
{
    for (qsizetype i = 0; i < m_tasks.size(); ++i) {
        Task &t = m_tasks[i];
        if (t.callSid != callSid)
            continue;
        if (t.status == TaskStatus::Assigned || t.status == TaskStatus::Wrapping) {
            t.callSid.clear(); // now follows the normal wrap-up
            t.status = TaskStatus::Wrapping;
            t.phaseEndMs = m_nowMs + 5000;
        } else {
            if (t.status == TaskStatus::Reserved) {
                addEvent(TaskEvent::Type::ReservationCanceled, t);
                freeWorker(t.workerSid);
            }
            addEvent(TaskEvent::Type::TaskCanceled, t);
            m_tasks.removeAt(i);
        }
        return;
    }
}

QString ContactCentre::newSid(const QString &prefix)
{
    QString s = prefix;
    for (int i = 0; i < 4; ++i)
        s += u"%1"_s.arg(quint32(m_rng()), 8, 16, QChar(u'0'));
    return s;
}

qint64 ContactCentre::uniform(qint64 lo, qint64 hi)
{
    return std::uniform_int_distribution<qint64>(lo, hi)(m_rng);
}

bool ContactCentre::chance(double p)
{
    return std::uniform_real_distribution<double>(0.0, 1.0)(m_rng) < p;
}

} // namespace flex::emulator
