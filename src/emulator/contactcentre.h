#pragma once

#include "emulatorconfig.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <optional>
#include <random>

class QTimer;

namespace flex::emulator {

struct TaskChannel
{
    QString sid;
    QString uniqueName;
    QString friendlyName;
    qint64 createdMs = 0;
    qint64 seq = 0; // creation order, used by the pager
};

struct Activity
{
    QString sid;
    QString friendlyName;
    bool available = false;
};

struct TaskQueue
{
    QString sid;
    QString friendlyName;
    qint64 createdMs = 0;
    qint64 seq = 0;
};

struct Worker
{
    QString sid;
    QString friendlyName;
    QString contactUri;
    int activity = 0; // index into activities()
    qint64 activitySinceMs = 0;
    QStringList queueSids; // queues this worker is eligible for
    QString taskSid;       // the task it holds (reserved, assigned or wrapping), if any
    qint64 freeSinceMs = 0;
};

enum class TaskStatus { Pending, Reserved, Assigned, Wrapping };

struct Task
{
    QString sid;
    QString queueSid;
    QString channel; // unique name
    int priority = 0;
    qint64 createdMs = 0;
    qint64 queueEnteredMs = 0; // entry into its current queue (creation, or the last move)
    qint64 phaseEndMs = 0;     // when the current reserved/assigned/wrapping phase ends
    qint64 patienceMs = 0;     // the caller abandons after waiting this long (0: never)
    TaskStatus status = TaskStatus::Pending;
    QString workerSid;
    QString targetWorker; // contact URI from the task attributes
    QString callSid;      // outbound call that created the task; held until the call ends
    QJsonObject attributes;
};

struct TaskEvent
{
    enum class Type {
        TaskEntered,
        TaskCanceled,
        TaskCompleted,
        TaskDeleted,
        TaskMoved,
        ReservationCreated,
        ReservationAccepted,
        ReservationRejected,
        ReservationTimedOut,
        ReservationCanceled,
        ReservationRescinded,
    };
    qint64 timeMs = 0;
    Type type = Type::TaskEntered;
    QString queueSid;
    QString channel;
    qint64 waitMs = 0;      // task age when the event happened
    qint64 queueWaitMs = 0; // time in the current queue when the event happened
};

// The simulated contact centre: queues, channels, workers with activities and
// tasks moving through pending → reserved → assigned → wrapping → completed
// (or canceled). Deterministic for a given seed and sequence of calls. It has
// its own clock: when running it follows the wall clock at each tick, when
// frozen only tick() advances it, by exactly one tick interval.
class ContactCentre : public QObject
{
    Q_OBJECT
public:
    explicit ContactCentre(const EmulatorConfig &config, QObject *parent = nullptr);

    qint64 nowMs() const { return m_nowMs; }
    QDateTime now() const { return QDateTime::fromMSecsSinceEpoch(m_nowMs, Qt::UTC); }

    void setFrozen(bool frozen);
    bool isFrozen() const { return m_frozen; }
    void tick();
    void advance(int ticks); // tick() that many times
    QString addQueue(const QString &friendlyName);
    bool removeQueue(const QString &sid);

    const QList<TaskQueue> &queues() const { return m_queues; }
    QStringList queueSids() const;
    const TaskQueue *queue(const QString &sid) const;
    const QList<TaskChannel> &channels() const { return m_channels; }
    QStringList channelNames() const; // unique names
    // Accepts a unique name or a TC sid; returns the unique name.
    std::optional<QString> resolveChannel(const QString &nameOrSid) const;
    const QList<Activity> &activities() const { return m_activities; }
    const QList<Worker> &workers() const { return m_workers; }
    const QList<Task> &tasks() const { return m_tasks; }
    // History of one queue, in time order (kept for 30 simulated days).
    QList<TaskEvent> events(const QString &queueSid) const { return m_events.value(queueSid); }

    // `tasks` accepted tasks of `channel` that entered the queue and waited
    // waitMs, added to history at now (tests of TaskRouter's caps).
    void addHistory(const QString &queueSid, const QString &channel, int tasks, qint64 waitMs);
    // Outbound call answered with <Enqueue><Task>: creates a voice task in the
    // first queue targeted to attributes["targetWorker"]. Returns the task sid.
    QString enqueueCallTask(const QString &callSid, const QJsonObject &attributes, int priority);
    void callEnded(const QString &callSid);

private:
    void step(qint64 newNowMs);
    void stepWorkers(qint64 dtMs);
    void stepTasks();
    void stepArrivals(qint64 dtMs);
    void assignPending();
    bool tryReserve(Task &task);
    Worker *workerBySid(const QString &sid);
    void freeWorker(const QString &workerSid);
    void addEvent(TaskEvent::Type type, const Task &task);
    void addWorker(const QString &name, const QStringList &queueSids, int activity);
    QString newSid(const QString &prefix);
    qint64 uniform(qint64 lo, qint64 hi);
    bool chance(double p);

    EmulatorConfig m_config;
    std::mt19937 m_rng;
    QTimer *m_timer;
    bool m_frozen = false;
    qint64 m_nowMs = 0;
    qint64 m_seq = 0;
    int m_workerNameCounter = 0;
    QList<TaskChannel> m_channels;
    QList<Activity> m_activities;
    QList<TaskQueue> m_queues;
    QList<Worker> m_workers;
    QList<Task> m_tasks;                       // live tasks, creation order (FIFO)
    QHash<QString, QList<TaskEvent>> m_events; // per queue, time order
};

} // namespace flex::emulator
