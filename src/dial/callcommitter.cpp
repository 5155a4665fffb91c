#include "dial/callcommitter.h"

#include "dial/callregistry.h"
#include "dial/callstore.h"
#include "ops/logcategories.h"
#include "ops/metrics.h"

#include <QElapsedTimer>

namespace flex::dial {

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

// Changes that hold nothing up are saved at most this long after they happen.
constexpr auto SaveDelay = 100ms;

void countWrite(const QByteArray &result, qint64 nanoseconds, int calls)
{
    auto &m = ops::metrics();
    m.counter("flex_dial_state_writes_total",
              "Durable writes of the calls in flight (STATE_DIR), by result", {{"result", result}})
        .inc();
    m.histogram("flex_dial_state_write_duration_seconds",
                "Time of one durable write of the calls in flight (write, fsync, rename)",
                {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1})
        .observe(double(nanoseconds) / 1e9);
    m.gauge("flex_dial_state_calls_written", "Calls in the last write of STATE_DIR").set(calls);
}

} // namespace

CallCommitter::CallCommitter(CallStore &store, const CallRegistry &registry, Publish publish,
                             QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_registry(registry)
    , m_publish(std::move(publish))
{
    m_commitTimer.setSingleShot(true);
    m_commitTimer.setInterval(0);
    connect(&m_commitTimer, &QTimer::timeout, this, [this] { saveNow(); });
    m_saveTimer.setSingleShot(true);
    m_saveTimer.setInterval(SaveDelay);
    connect(&m_saveTimer, &QTimer::timeout, this, [this] { saveNow(); });
}

void CallCommitter::offer(const QString &owner, const QString &callSid, CallStatus status)
{
    // Once anything waits, everything after it waits too: the owner sees
    // each call's updates in the order the registry emitted them.
    if (!m_store.enabled() || (m_held.isEmpty() && m_onDisk.contains(callSid))) {
        m_publish(owner, callSid, status);
        return;
    }
    m_held.append({owner, callSid, status});
    if (!m_commitTimer.isActive())
        m_commitTimer.start();
}

void CallCommitter::saveSoon()
{
    if (m_store.enabled() && !m_saveTimer.isActive() && !m_commitTimer.isActive())
        m_saveTimer.start();
}

bool CallCommitter::saveNow()
{
    m_commitTimer.stop();
    m_saveTimer.stop();
    if (!m_store.enabled())
        return false;
    const QList<CallRecord> calls = m_registry.calls();
    QElapsedTimer clock;
    clock.start();
    QString error;
    const bool saved = m_store.save(calls, &error);
    ++m_writes;
    countWrite(saved ? "ok" : "error", clock.nsecsElapsed(), int(calls.size()));
    if (!saved)
        qCWarning(lcDial).noquote()
            << "calls in flight not saved, a crash now would lose them:" << error;
    m_onDisk.clear();
    for (const CallRecord &c : calls)
        m_onDisk.insert(c.sid);
    const QList<Update> held = std::exchange(m_held, {});
    for (const Update &u : held) {
        // A call that ended before the write is not in it: nothing to lose.
        m_onDisk.insert(u.callSid);
        m_publish(u.owner, u.callSid, u.status);
    }
    return saved;
}

void CallCommitter::markSaved()
{
    const QList<CallRecord> calls = m_registry.calls();
    for (const CallRecord &c : calls)
        m_onDisk.insert(c.sid);
}

} // namespace flex::dial
