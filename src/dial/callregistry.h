#pragma once

#include "dial/callbook.h"
#include "dial/callstatus.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

#include <chrono>
#include <functional>

namespace flex::dial {

// Calls in flight and the order of their updates. Owns the rules of
// Twilio's real behaviour: SequenceNumber decides (a late `ringing` never
// follows `in-progress`), a callback that beats the create answer is held
// (bounded time and number) and delivered after the `queued` update, a
// terminal status removes the call, a call without news expires after the
// TTL. Every update that should reach the owner is emitted as callUpdate().
class CallRegistry : public QObject, public CallBook
{
    Q_OBJECT
public:
    struct Settings
    {
        // Filled from config::Config by DialService::configure.
        std::chrono::milliseconds ttl{};
        std::chrono::milliseconds holdTime{};
        int maxHeld{}; // callbacks held for unknown calls, all calls together
    };
    // Callbacks held for one unknown call at most (a flood for one sid cannot
    // take the whole holding area).
    static constexpr int MaxHeldPerCall = 16;
    using Outcome = CallbackOutcome;           // Dropped: the holding area is full
    using WallClock = std::function<qint64()>; // ms since epoch

    explicit CallRegistry(QObject *parent = nullptr);

    void configure(const Settings &settings);
    void setClock(WallClock clock) { m_clock = std::move(clock); } // tests

    // Twilio accepted the create request: emits `status`, then whatever was held.
    void addCall(const QString &sid, const QString &owner, CallStatus status,
                 const QString &to) override;
    // A status callback. sequence is -1 when it carried no SequenceNumber.
    Outcome applyCallback(const QString &sid, CallStatus status, int sequence);
    // CallBook: the same, answered at once (the owner in the event is not needed).
    void applyCallback(const CallbackEvent &event,
                       std::function<void(CallbackOutcome)> done) override;
    void findCall(const QString &sid, std::function<void(const CallLookup &)> done) override;

    const CallRecord *find(const QString &sid) const; // valid until the next change
    QList<CallRecord> calls() const;
    int size() const { return int(m_calls.size()); }
    int heldCount() const { return m_heldCount; }

    // Calls loaded from the state directory; expired ones are skipped. No updates emitted.
    void restore(const QList<CallRecord> &calls);
    // Expires calls past the TTL and held callbacks past the hold time.
    void sweep();

Q_SIGNALS:
    void callUpdate(const QString &owner, const QString &callSid, flex::dial::CallStatus status);
    // The set of calls or one of their statuses changed (persist).
    void changed();

private:
    struct Held
    {
        CallStatus status;
        int sequence;
        qint64 receivedMs;
    };
    Outcome apply(CallRecord &call, CallStatus status, int sequence);
    qint64 now() const { return m_clock(); }

    Settings m_settings;
    WallClock m_clock;
    QHash<QString, CallRecord> m_calls;
    QHash<QString, QList<Held>> m_held;
    int m_heldCount = 0;
    QHash<QString, qint64> m_ended; // recently ended: late callbacks are stale, not held
    QTimer m_sweepTimer;
};

} // namespace flex::dial
