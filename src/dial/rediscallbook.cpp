#include "dial/rediscallbook.h"

#include "bus/callstream.h"
#include "bus/redisbus.h"
#include "bus/redisconnection.h"
#include "dial/dialprotocol.h"
#include "ops/logcategories.h"
#include "ops/logging.h"
#include "ops/metrics.h"

#include <QDateTime>
#include <QTimer>

namespace flex::dial {

using namespace Qt::StringLiterals;

namespace {

// KEYS: the call's hash, the calls stream, the open calls (a sorted set,
// sid by expiry ms: cluster-wide flex_dial_calls_in_flight). ARGV: create(0/1), owner, to,
// status, rank, sequence, now ms, ttl ms, ended-keep ms, terminal(0/1),
// frame, stream length, delivered-by, sid, the `queued` frame and rank.
// Returns {outcome, owner}. A callback that comes before the create answer
// (the owner from its URL) publishes `queued` first: the owner's sockets
// hear of every call with `queued`, as with one instance, and the create
// answer that follows is stale.
const bus::RedisScript &applyScript()
{
    static const bus::RedisScript script(R"lua(
local h = KEYS[1]
local create, owner, to, status = ARGV[1] == '1', ARGV[2], ARGV[3], ARGV[4]
local rank, seq, now = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local terminal = ARGV[10] == '1'
local function publish(who)
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[12], '*', 'm',
             cjson.encode({d = ARGV[13], o = who, s = ARGV[14], n = seq, r = rank, f = ARGV[11]}))
end
local function publishQueued(who)
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[12], '*', 'm',
             cjson.encode({d = '', o = who, s = ARGV[14], n = -1, r = tonumber(ARGV[16]),
                           f = ARGV[15]}))
end
local function track()
  if terminal then redis.call('ZREM', KEYS[3], ARGV[14])
  else redis.call('ZADD', KEYS[3], tonumber(now) + tonumber(ARGV[8]), ARGV[14]) end
end
local cur = redis.call('HMGET', h, 'owner', 'status', 'rank', 'sequence', 'ended', 'to')
if not cur[1] then
  if owner == '' then return {'dropped', ''} end
  redis.call('HSET', h, 'owner', owner, 'to', to, 'status', status, 'rank', rank,
             'sequence', seq, 'created', now, 'updated', now, 'ended', terminal and '1' or '0')
  redis.call('PEXPIRE', h, terminal and ARGV[9] or ARGV[8])
  track()
  if not create and rank > tonumber(ARGV[16]) then publishQueued(owner) end
  publish(owner)
  return {'relayed', owner}
end
owner = cur[1]
if create and (not cur[6] or cur[6] == '') then redis.call('HSET', h, 'to', to) end
if cur[5] == '1' then return {'stale', owner} end
local curRank, curSeq = tonumber(cur[3]), tonumber(cur[4])
local newer
if seq >= 0 and curSeq >= 0 then newer = seq > curSeq else newer = rank > curRank end
if create or not newer then return {'stale', owner} end
if seq > curSeq then redis.call('HSET', h, 'sequence', seq) end
redis.call('HSET', h, 'updated', now)
if status == cur[2] then
  redis.call('PEXPIRE', h, ARGV[8])
  track()
  return {'stale', owner}
end
redis.call('HSET', h, 'status', status, 'rank', rank, 'ended', terminal and '1' or '0')
redis.call('PEXPIRE', h, terminal and ARGV[9] or ARGV[8])
track()
publish(owner)
return {'relayed', owner}
)lua");
    return script;
}

CallbackOutcome outcomeOf(const QByteArray &text)
{
    if (text == "relayed")
        return CallbackOutcome::Relayed;
    if (text == "stale")
        return CallbackOutcome::Stale;
    return CallbackOutcome::Dropped;
}

} // namespace

RedisCallBook::RedisCallBook(bus::RedisBus &bus, QObject *parent)
    : QObject(parent)
    , m_bus(bus)
{
    m_bus.commands().addScript(applyScript());
    connect(&m_bus, &bus::RedisBus::onlineChanged, this, [this](bool online) {
        if (online)
            replay();
    });
    countBuffered();
    connect(&m_countTimer, &QTimer::timeout, this, &RedisCallBook::countOpen);
    m_countTimer.start(std::chrono::seconds(5));
}

QByteArray RedisCallBook::openKey() const
{
    return m_bus.key("calls:open");
}

void RedisCallBook::countOpen()
{
    // Every instance shows the cluster's count (aggregate with max, not sum);
    // calls that expired without a final status drop out by their score.
    if (!m_bus.isOnline())
        return;
    const QByteArray now = QByteArray::number(QDateTime::currentMSecsSinceEpoch());
    m_bus.commands().command({"ZREMRANGEBYSCORE", openKey(), "-inf", now}, this, {});
    m_bus.commands().command({"ZCARD", openKey()}, this, [](const bus::RedisResult &r) {
        if (r.ok())
            ops::metrics()
                .gauge("flex_dial_calls_in_flight", "Outbound calls without a final status")
                .set(double(r.reply->toInteger()));
    });
}

void RedisCallBook::addCall(const QString &sid, const QString &owner, CallStatus status,
                            const QString &to)
{
    Update u;
    u.event = {sid, owner, status, -1};
    u.to = to;
    u.create = true;
    apply(std::move(u), {});
}

void RedisCallBook::applyCallback(const CallbackEvent &event, Done done)
{
    Update u;
    u.event = event;
    apply(std::move(u), std::move(done));
}

void RedisCallBook::apply(Update update, Done done)
{
    update.atMs = QDateTime::currentMSecsSinceEpoch();
    // What waits for Redis goes first: the order of one call's updates holds.
    if (!m_buffer.empty() || !m_bus.isOnline()) {
        keepForLater(std::move(update), std::move(done));
        return;
    }
    runScript(std::move(update), std::move(done));
}

void RedisCallBook::runScript(Update update, Done done, bool replayed)
{
    const CallbackEvent &e = update.event;
    const bool terminal = isTerminal(e.status);
    const QByteArrayList args{
        update.create ? "1" : "0",
        e.owner.toUtf8(),
        update.to.toUtf8(),
        statusText(e.status).toUtf8(),
        QByteArray::number(progressRank(e.status)),
        QByteArray::number(e.sequence),
        QByteArray::number(update.atMs),
        QByteArray::number(qint64(m_settings.ttl.count())),
        QByteArray::number(qint64(m_settings.endedKeep.count())),
        terminal ? "1" : "0",
        callUpdateFrame(e.sid, statusText(e.status)),
        QByteArray::number(bus::CallStream::MaxLength),
        update.deliveredHere ? m_bus.instanceId().toUtf8() : QByteArray(),
        e.sid.toUtf8(),
        callUpdateFrame(e.sid, statusText(CallStatus::Queued)),
        QByteArray::number(progressRank(CallStatus::Queued)),
    };
    m_bus.commands().eval(applyScript(),
                          {m_bus.key("call:" + e.sid.toUtf8()), m_bus.callsStream(), openKey()},
                          args, this, [this, update, done, replayed](const bus::RedisResult &r) {
                              if (!r.reply) {
                                  // Lost on the way: Redis is away; it is applied again later
                                  // (a second application is stale, so nothing doubles).
                                  if (replayed) {
                                      m_buffer.push_front(update);
                                      countBuffered();
                                      m_replaying = false;
                                      return;
                                  }
                                  keepForLater(update, done);
                                  return;
                              }
                              CallbackOutcome outcome = CallbackOutcome::Dropped;
                              if (r.ok() && r.reply->elements.size() == 2)
                                  outcome = outcomeOf(r.reply->elements.at(0).text);
                              else
                                  ops::logWithFields(lcDial(), QtWarningMsg,
                                                     u"Redis refused a call update: "_s + r.error(),
                                                     {{u"callSid"_s, update.event.sid}});
                              if (done)
                                  done(outcome);
                          });
}

void RedisCallBook::keepForLater(Update update, Done done)
{
    const CallbackEvent &e = update.event;
    if (!update.deliveredHere && !m_bus.isOnline() && !e.owner.isEmpty()) {
        // This instance's sockets hear of it now, the others when Redis returns.
        m_bus.deliverLocally({e.owner, e.sid, e.sequence, progressRank(e.status),
                              callUpdateFrame(e.sid, statusText(e.status))});
        update.deliveredHere = true;
    }
    if (int(m_buffer.size()) >= m_settings.maxBuffered) {
        ops::metrics()
            .counter("flex_bus_dropped_updates_total",
                     "Call updates other instances never got (Redis away and the buffer full)")
            .inc();
        if (done)
            done(CallbackOutcome::Dropped);
        return;
    }
    m_buffer.push_back(std::move(update));
    countBuffered();
    if (done)
        done(CallbackOutcome::Held);
}

void RedisCallBook::replay()
{
    if (m_replaying || m_buffer.empty() || !m_bus.isOnline())
        return;
    m_replaying = true;
    Update next = m_buffer.front();
    m_buffer.pop_front();
    countBuffered();
    runScript(
        next,
        [this](CallbackOutcome) {
            m_replaying = false;
            replay();
        },
        true);
}

void RedisCallBook::countBuffered() const
{
    ops::metrics()
        .gauge("flex_bus_buffered_updates",
               "Call updates waiting for Redis to reach the other instances")
        .set(double(m_buffer.size()));
}

void RedisCallBook::findCall(const QString &sid, std::function<void(const CallLookup &)> done)
{
    m_bus.commands().command({"HMGET", m_bus.key("call:" + sid.toUtf8()), "owner", "to", "status",
                              "sequence", "created", "updated", "ended"},
                             this, [sid, done = std::move(done)](const bus::RedisResult &r) {
                                 CallLookup lookup;
                                 if (!r.ok() || r.reply->elements.size() != 7) {
                                     lookup.error =
                                         u"the shared call state (Redis) is unavailable"_s;
                                     done(lookup);
                                     return;
                                 }
                                 const QList<bus::RedisReply> &f = r.reply->elements;
                                 const std::optional<CallStatus> status =
                                     parseCallStatus(QString::fromUtf8(f.at(2).text));
                                 if (f.at(0).isNil() || f.at(6).text == "1" || !status) {
                                     done(lookup);
                                     return;
                                 }
                                 CallRecord call;
                                 call.sid = sid;
                                 call.owner = QString::fromUtf8(f.at(0).text);
                                 call.to = QString::fromUtf8(f.at(1).text);
                                 call.status = *status;
                                 call.sequence = int(f.at(3).toInteger(-1));
                                 call.createdMs = f.at(4).toInteger();
                                 call.updatedMs = f.at(5).toInteger();
                                 lookup.call = call;
                                 done(lookup);
                             });
}

} // namespace flex::dial
