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
    connect(&m_commitTimer, &QTimer::timeout, this, &CallCommitter::commit);
    m_saveTimer.setSingleShot(true);
    m_saveTimer.setInterval(SaveDelay);
    connect(&m_saveTimer, &QTimer::timeout, this, &CallCommitter::commit);
    m_writer.setMaxThreadCount(1);
}

CallCommitter::~CallCommitter()
{
    // Its answer is a posted event to this object, removed with it.
    m_writer.waitForDone();
}

void CallCommitter::offer(const QString &owner, const QString &callSid, CallStatus status)
{
    // Once anything waits, everything after it waits too: the owner sees
    // each call's updates in the order the registry emitted them.
    if (!m_store.enabled() ||
        (m_held.isEmpty() && m_writing.isEmpty() && m_onDisk.contains(callSid))) {
        m_publish(owner, callSid, status);
        return;
    }
    m_held.append({owner, callSid, status});
    if (!m_commitTimer.isActive() && !m_inFlight)
        m_commitTimer.start();
}

void CallCommitter::saveSoon()
{
    if (m_store.enabled() && !m_saveTimer.isActive() && !m_commitTimer.isActive())
        m_saveTimer.start();
}

void CallCommitter::commit()
{
    m_commitTimer.stop();
    m_saveTimer.stop();
    if (!m_store.enabled())
        return;
    if (m_inFlight) {
        m_writeAgain = true; // once the write in flight has answered
        return;
    }
    m_inFlight = true;
    const int write = ++m_writeNumber;
    m_writing = std::exchange(m_held, {});
    const QList<CallRecord> calls = m_registry.calls();
    const QByteArray data = CallStore::serialize(calls);
    ++m_writes;
    m_writer.start([this, write, calls, data] {
        QElapsedTimer clock;
        clock.start();
        QString error;
        const bool saved = m_store.write(data, &error);
        const qint64 took = clock.nsecsElapsed();
        QMetaObject::invokeMethod(
            this,
            [this, write, saved, error, took, calls] {
                if (write != m_writeNumber || !m_inFlight)
                    return; // saveNow() wrote a newer list meanwhile
                m_inFlight = false;
                finishWrite(saved, error, took, calls, std::exchange(m_writing, {}));
                if (!m_held.isEmpty() || std::exchange(m_writeAgain, false))
                    commit();
            },
            Qt::QueuedConnection);
    });
}

bool CallCommitter::saveNow()
{
    m_commitTimer.stop();
    m_saveTimer.stop();
    if (!m_store.enabled())
        return false;
    m_writer.waitForDone(); // its answer, still to arrive, is ignored
    ++m_writeNumber;
    m_writeAgain = false;
    const QList<CallRecord> calls = m_registry.calls();
    QElapsedTimer clock;
    clock.start();
    QString error;
    const bool saved = m_store.save(calls, &error);
    ++m_writes;
    QList<Update> released = std::exchange(m_writing, {});
    released.append(std::exchange(m_held, {}));
    m_inFlight = false;
    finishWrite(saved, error, clock.nsecsElapsed(), calls, released);
    return saved;
}

void CallCommitter::finishWrite(bool saved, const QString &error, qint64 nanoseconds,
                                const QList<CallRecord> &calls, const QList<Update> &released)
{
    countWrite(saved ? "ok" : "error", nanoseconds, int(calls.size()));
    if (!saved)
        qCWarning(lcDial).noquote()
            << "calls in flight not saved, a crash now would lose them:" << error;
    m_onDisk.clear();
    for (const CallRecord &c : calls)
        m_onDisk.insert(c.sid);
    for (const Update &u : released) {
        // A call that ended before the write is not in it: nothing to lose.
        m_onDisk.insert(u.callSid);
        m_publish(u.owner, u.callSid, u.status);
    }
}

void CallCommitter::markSaved()
{
    const QList<CallRecord> calls = m_registry.calls();
    for (const CallRecord &c : calls)
        m_onDisk.insert(c.sid);
}

} // namespace flex::dial
