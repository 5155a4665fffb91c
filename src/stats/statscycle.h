#pragma once

#include "stats/snapshotbuilder.h"
#include "stats/statssettings.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QStringList>

#include <chrono>
#include <optional>

namespace flex::twilio {
class TwilioClient;
struct TwilioError;
struct PagesResult;
} // namespace flex::twilio

namespace flex::stats {

class StatsNotices;

// What the answers of one cycle said; the poller applies it when the cycle is done.
struct CycleAnswers
{
    std::optional<QList<QueueInfo>> queues;
    QHash<QString, QJsonArray> statistics;                          // by channel
    QHash<QString, QHash<QString, QJsonObject>> fallback;           // channel → sid → realtime
    QHash<QString, QHash<QString, QJsonObject>> fallbackCumulative; // channel → sid → cumulative
    QStringList missingChannels; // the workspace has no such TaskChannel
    QStringList realtimeErrors;
    QStringList cumulativeErrors;
    bool rateLimited = false; // some answer was HTTP 429
    int requests = 0;         // HTTP requests sent to Twilio (pages and retries included)
};

// One poll cycle: the TaskChannels list (auto channels), the TaskQueues list
// and the TaskQueues/Statistics list of every channel in parallel, then the
// per-queue statistics of list items that lack fields (fetchIncomplete).
// Emits done() once every answer is in.
//
// The cycle is the context of every request and page walk it starts:
// destroying it (the poller abandons or replaces it) aborts what is in
// flight, and what is queued is never sent.
class StatsCycle : public QObject
{
    Q_OBJECT
public:
    struct Plan
    {
        bool cumulative = false; // today's cumulative statistics too
        QDateTime dayStart;      // StartDate of the cumulative window
        QStringList channels;    // the enabled channels at the start
        bool discoverChannels = false;
    };

    StatsCycle(twilio::TwilioClient &client, const StatsSettings &settings, StatsNotices &notices,
               Plan plan);

    void start();

    const Plan &plan() const { return m_plan; }
    const CycleAnswers &answers() const { return m_answers; }
    std::chrono::milliseconds elapsed() const
    {
        return std::chrono::milliseconds(m_elapsed.elapsed());
    }

Q_SIGNALS:
    // Auto channels: the workspace's TaskChannels ("all" first); the cycle uses them.
    void channelsDiscovered(const QStringList &channels);
    void done();

private:
    void discoverChannels();
    void fetchAll();
    void onQueues(const twilio::PagesResult &result);
    void onStatistics(const QString &channel, const twilio::PagesResult &result);
    void fetchIncomplete();
    void fetchQueueStatistics(const QString &channel, const QString &sid, bool cumulative);
    void opDone();
    void fail(const QString &message, const twilio::TwilioError &error, bool affectsCumulative);
    QString thresholds() const;

    twilio::TwilioClient &m_client;
    const StatsSettings m_settings;
    StatsNotices &m_notices;
    Plan m_plan;
    CycleAnswers m_answers;
    QElapsedTimer m_elapsed;
    int m_pending = 0;
    bool m_fallbackDone = false;
};

} // namespace flex::stats
