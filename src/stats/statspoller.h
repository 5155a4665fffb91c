#pragma once

#include "stats/snapshotbuilder.h"
#include "stats/statsclock.h"
#include "stats/statscycle.h"
#include "stats/statsnotices.h"
#include "stats/statssettings.h"

#include <QJsonArray>
#include <QObject>

#include <chrono>
#include <memory>

class QTimer;

namespace flex::twilio {
class TwilioClient;
} // namespace flex::twilio

namespace flex::stats {

// What one poll cycle did (for logs, metrics and tests).
struct CycleReport
{
    bool cumulative = false; // today's cumulative stats were fetched too
    bool ok = true;          // every request succeeded
    bool changed = false;    // the snapshot differs from the previous one
    int requests = 0;        // HTTP requests sent to Twilio (pages and retries included)
    int errors = 0;
    std::chrono::milliseconds duration{0};
    QDateTime dayStart; // StartDate of the cumulative window (cumulative cycles)
};

// Polls TaskRouter on QTimers and keeps the snapshot (SnapshotBuilder).
//
// One cycle = the paged TaskQueues list (names, deletions) + the paged
// TaskQueues/Statistics list once per enabled channel (PageSize=1000), all in
// parallel: 1 + channels requests at up to 1000 queues. Cumulative cycles
// (every cumulativeInterval, and at once after local midnight) ask that
// same list for StartDate=today's midnight with SplitByWaitTime; realtime
// cycles ask for a one-minute window and ignore its cumulative part. Per-queue
// Realtime/CumulativeStatistics are only fetched for list items that lack
// fields the plugin shows (the list answer may be thinner than those).
// Cycles never overlap: the next one starts realtimeInterval after the start
// of the previous one, or when it ends if it took longer; after 429 answers
// the interval doubles per failed cycle (up to 8x). Each cycle is a
// StatsCycle (statscycle.h) that fetches; the poller plans cycles and applies
// their answers. stop() and a change of shape destroy the cycle in flight,
// which cancels its requests.
class StatsPoller : public QObject
{
    Q_OBJECT
public:
    StatsPoller(twilio::TwilioClient &client, StatsClock clock = StatsClock(),
                QObject *parent = nullptr);
    ~StatsPoller() override;

    // Idempotent; takes effect without losing data of channels still enabled.
    // A change of channels, thresholds or time zone makes the next cycle
    // cumulative and starts it soon.
    void configure(const StatsSettings &settings);
    const StatsSettings &settings() const { return m_settings; }

    void start();
    void stop(); // timers stop; a cycle in flight is abandoned
    bool isRunning() const { return m_running; }
    bool isCycleRunning() const { return m_cycle != nullptr; }

    QJsonArray snapshot() const { return m_lastSnapshot; }
    bool hasSnapshot() const { return m_hasSnapshot; }
    QStringList channels() const { return m_builder.channels(); }
    // Wall-clock ms of the last cycle whose every request succeeded (0: none yet).
    qint64 lastGoodMs() const { return m_lastGoodMs; }

Q_SIGNALS:
    // Emitted after a cycle whose snapshot differs from the previous one.
    void snapshotChanged(const QJsonArray &queues);
    void cycleFinished(const flex::stats::CycleReport &report);

private:
    void scheduleNext(std::chrono::milliseconds delay);
    void startCycle();
    void onChannelsDiscovered(const QStringList &channels);
    void applyStatistics(const StatsCycle &cycle);
    void applyMessages(const StatsCycle &cycle);
    void finishCycle();
    void recordCycle(const CycleReport &report, const CycleAnswers &answers);
    QStringList enabledChannels() const;

    twilio::TwilioClient &m_client;
    StatsClock m_clock;
    StatsSettings m_settings;
    bool m_configured = false;
    bool m_running = false;
    QTimer *m_realtimeTimer;
    QTimer *m_cumulativeTimer;

    SnapshotBuilder m_builder;
    StatsNotices m_notices;
    QStringList m_discoveredChannels; // auto mode: "all" + unique names
    bool m_cumulativeDue = true;
    QDateTime m_cumulativeDay; // dayStart of the last good cumulative cycle
    int m_rateLimitedCycles = 0;
    QJsonArray m_lastSnapshot;
    bool m_hasSnapshot = false;
    qint64 m_lastGoodMs = 0;
    std::unique_ptr<StatsCycle> m_cycle; // last: it goes first, while what it uses remains
};

} // namespace flex::stats
