#include "dial/callregistry.h"

#include "ops/logcategories.h"
#include "ops/logging.h"

#include <QDateTime>

#include <algorithm>

namespace flex::dial {

using namespace Qt::StringLiterals;
using std::chrono::milliseconds;

CallRegistry::CallRegistry(QObject *parent)
    : QObject(parent)
    , m_clock([] { return QDateTime::currentMSecsSinceEpoch(); })
{
    connect(&m_sweepTimer, &QTimer::timeout, this, &CallRegistry::sweep);
    configure(m_settings);
}

void CallRegistry::configure(const Settings &settings)
{
    m_settings = settings;
    // Often enough that held callbacks and expired calls go close to their
    // deadline, rarely enough to cost nothing.
    const milliseconds shortest = std::min(settings.holdTime, settings.ttl);
    m_sweepTimer.start(std::clamp(shortest / 5, milliseconds(20), milliseconds(5000)));
}

void CallRegistry::addCall(const QString &sid, const QString &owner, CallStatus status,
                           const QString &to)
{
    if (m_calls.contains(sid))
        return;
    const qint64 t = now();
    CallRecord call;
    call.sid = sid;
    call.owner = owner;
    call.to = to;
    call.status = status;
    call.createdMs = call.updatedMs = t;
    m_calls.insert(sid, call);
    Q_EMIT callUpdate(owner, sid, status);

    QList<Held> held = m_held.take(sid);
    m_heldCount -= int(held.size());
    // Sequence order; callbacks without a number by how far they got.
    std::stable_sort(held.begin(), held.end(), [](const Held &a, const Held &b) {
        if (a.sequence >= 0 && b.sequence >= 0)
            return a.sequence < b.sequence;
        return progressRank(a.status) < progressRank(b.status);
    });
    bool alive = true;
    if (isTerminal(status)) {
        m_calls.remove(sid);
        m_ended.insert(sid, t);
        alive = false;
    }
    for (const Held &h : std::as_const(held)) {
        auto found = m_calls.find(sid);
        if (!alive || found == m_calls.end())
            break;
        apply(*found, h.status, h.sequence);
    }
    Q_EMIT changed();
}

CallRegistry::Outcome CallRegistry::applyCallback(const QString &sid, CallStatus status,
                                                  int sequence)
{
    auto it = m_calls.find(sid);
    if (it != m_calls.end())
        return apply(*it, status, sequence);
    if (m_ended.contains(sid))
        return Outcome::Stale;
    QList<Held> &held = m_held[sid];
    if (m_heldCount >= m_settings.maxHeld || held.size() >= MaxHeldPerCall) {
        if (held.isEmpty())
            m_held.remove(sid);
        return Outcome::Dropped;
    }
    held.append({status, sequence, now()});
    ++m_heldCount;
    return Outcome::Held;
}

CallRegistry::Outcome CallRegistry::apply(CallRecord &call, CallStatus status, int sequence)
{
    const bool newer = (sequence >= 0 && call.sequence >= 0)
                           ? sequence > call.sequence
                           : progressRank(status) > progressRank(call.status);
    if (!newer)
        return Outcome::Stale;
    call.sequence = std::max(call.sequence, sequence);
    call.updatedMs = now();
    if (status == call.status) // a repeat with a higher number: nothing new for the owner
        return Outcome::Stale;
    call.status = status;
    const QString owner = call.owner;
    const QString sid = call.sid;
    if (isTerminal(status)) {
        m_calls.remove(sid);
        m_ended.insert(sid, now());
    }
    Q_EMIT callUpdate(owner, sid, status);
    Q_EMIT changed();
    return Outcome::Relayed;
}

void CallRegistry::applyCallback(const CallbackEvent &event,
                                 std::function<void(CallbackOutcome)> done)
{
    const Outcome outcome = applyCallback(event.sid, event.status, event.sequence);
    if (done)
        done(outcome);
}

void CallRegistry::findCall(const QString &sid, std::function<void(const CallLookup &)> done)
{
    CallLookup lookup;
    if (const CallRecord *call = find(sid))
        lookup.call = *call;
    done(lookup);
}

const CallRecord *CallRegistry::find(const QString &sid) const
{
    const auto it = m_calls.constFind(sid);
    return it == m_calls.cend() ? nullptr : &*it;
}

QList<CallRecord> CallRegistry::calls() const
{
    QList<CallRecord> out;
    out.reserve(m_calls.size());
    for (const CallRecord &c : m_calls)
        out.append(c);
    std::sort(out.begin(), out.end(),
              [](const CallRecord &a, const CallRecord &b) { return a.sid < b.sid; });
    return out;
}

void CallRegistry::restore(const QList<CallRecord> &calls)
{
    const qint64 t = now();
    for (const CallRecord &c : calls) {
        if (c.sid.isEmpty() || c.owner.isEmpty() || isTerminal(c.status))
            continue;
        if (t - c.updatedMs >= m_settings.ttl.count())
            continue;
        m_calls.insert(c.sid, c);
    }
}

void CallRegistry::sweep()
{
    const qint64 t = now();
    bool removed = false;
    for (auto it = m_calls.begin(); it != m_calls.end();) {
        if (t - it->updatedMs >= m_settings.ttl.count()) {
            ops::logWithFields(lcDial(), QtInfoMsg, u"call expired without a final status"_s,
                               {{u"callSid"_s, it->sid}, {u"status"_s, statusText(it->status)}});
            it = m_calls.erase(it);
            removed = true;
        } else {
            ++it;
        }
    }
    for (auto it = m_held.begin(); it != m_held.end();) {
        QList<Held> &list = it.value();
        const auto before = list.size();
        list.removeIf(
            [&](const Held &h) { return t - h.receivedMs >= m_settings.holdTime.count(); });
        if (list.size() != before)
            ops::logWithFields(lcDial(), QtInfoMsg,
                               u"dropped status callbacks for a call this service did not place"_s,
                               {{u"callSid"_s, it.key()}, {u"count"_s, int(before - list.size())}});
        m_heldCount -= int(before - list.size());
        it = list.isEmpty() ? m_held.erase(it) : std::next(it);
    }
    // Long enough for any late duplicate or out-of-order callback.
    const qint64 endedKeep = std::max<qint64>(m_settings.holdTime.count() * 3, 60'000);
    m_ended.removeIf([&](const auto &entry) { return t - entry.value() >= endedKeep; });
    if (removed)
        Q_EMIT changed();
}

} // namespace flex::dial
