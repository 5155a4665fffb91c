#include "faultinjector.h"

#include "twilioerror.h"

#include <QJsonArray>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

struct KindName
{
    Fault::Kind kind;
    QStringView name; // as the control API and --fault spell it
};
constexpr KindName kKindNames[] = {
    {Fault::Kind::Unauthorized401, u"401"}, {Fault::Kind::NotFound404, u"404"},
    {Fault::Kind::TooMany429, u"429"},      {Fault::Kind::Error500, u"500"},
    {Fault::Kind::Unavailable503, u"503"},  {Fault::Kind::Delay, u"delay"},
    {Fault::Kind::Drop, u"drop"},
};

} // namespace

std::optional<Fault::Kind> Fault::kindFromString(const QString &name)
{
    const QString n = name.trimmed().toLower();
    for (const KindName &k : kKindNames) {
        if (n == k.name)
            return k.kind;
    }
    return std::nullopt;
}

QString Fault::kindName(Kind kind)
{
    for (const KindName &k : kKindNames) {
        if (k.kind == kind)
            return k.name.toString();
    }
    return {};
}

std::optional<HttpResponse> Fault::response(const QString &path) const
{
    switch (kind) {
    case Kind::Unauthorized401:
        return twilioError(401, 20003, u"Authenticate"_s);
    case Kind::NotFound404:
        return resourceNotFound(path);
    case Kind::TooMany429: {
        HttpResponse r = twilioError(429, 20429, u"Too Many Requests"_s);
        r.headers.append({"Retry-After", QByteArray::number(retryAfterSeconds)});
        return r;
    }
    case Kind::Error500:
        return twilioError(500, 20500, u"Internal Server Error"_s);
    case Kind::Unavailable503:
        return twilioError(503, 20503, u"Service Unavailable"_s);
    case Kind::Delay:
    case Kind::Drop:
        break;
    }
    return std::nullopt;
}

const QStringList &FaultInjector::operations()
{
    static const QStringList ops = {
        u"ValidateToken"_s,
        u"CreateCall"_s,
        u"FetchCall"_s,
        u"UpdateCall"_s,
        u"ListTaskQueue"_s,
        u"FetchTaskQueue"_s,
        u"FetchTaskQueueRealTimeStatistics"_s,
        u"FetchTaskQueueCumulativeStatistics"_s,
        u"CreateTaskQueueBulkRealTimeStatistics"_s,
        u"ListTaskQueuesStatistics"_s,
        u"ListTaskChannel"_s,
        u"FetchWorkerStatistics"_s,
        // The set-up (SetupApi).
        u"ListWorkspace"_s,
        u"FetchWorkspace"_s,
        u"ListWorkflow"_s,
        u"FetchWorkflow"_s,
        u"ListActivity"_s,
    };
    return ops;
}

void FaultInjector::addFault(const QString &operation, const Fault &fault)
{
    Fault f = fault;
    if (f.remaining == 0)
        f.remaining = 1;
    m_faults[operation].append(f);
}

void FaultInjector::clearFaults(const QString &operation)
{
    if (operation.isEmpty())
        m_faults.clear();
    else
        m_faults.remove(operation);
}

std::optional<Fault> FaultInjector::takeFault(const QString &operation)
{
    auto it = m_faults.find(operation);
    if (it == m_faults.end() || it->isEmpty())
        return std::nullopt;
    Fault &front = it->first();
    const Fault result = front;
    if (front.remaining > 0 && --front.remaining == 0)
        it->removeFirst();
    if (it->isEmpty())
        m_faults.erase(it);
    return result;
}

int FaultInjector::requestStarted(const RecordedRequest &request)
{
    const int id = m_nextId++;
    OperationCounters &c = m_counters[request.operation];
    ++c.requests;
    ++c.inFlight;
    c.maxInFlight = std::max(c.maxInFlight, c.inFlight);
    ++m_total.requests;
    ++m_total.inFlight;
    m_total.maxInFlight = std::max(m_total.maxInFlight, m_total.inFlight);
    m_pending.insert(id, {request.operation, true});
    m_recent.emplace_back(id, request);
    while (m_recent.size() > MaxRecordedRequests)
        m_recent.pop_front();
    return id;
}

void FaultInjector::requestFinished(int id, int status)
{
    const auto it = m_pending.constFind(id);
    if (it == m_pending.cend())
        return;
    if (it->counted) {
        OperationCounters &c = m_counters[it->operation];
        c.inFlight = std::max(0, c.inFlight - 1);
        m_total.inFlight = std::max(0, m_total.inFlight - 1);
    }
    m_pending.erase(it);
    for (auto r = m_recent.rbegin(); r != m_recent.rend(); ++r) {
        if (r->first == id) {
            r->second.status = status;
            break;
        }
    }
}

OperationCounters FaultInjector::counters(const QString &operation) const
{
    return m_counters.value(operation);
}

QList<RecordedRequest> FaultInjector::recentRequests() const
{
    QList<RecordedRequest> out;
    out.reserve(qsizetype(m_recent.size()));
    for (const auto &r : m_recent)
        out.append(r.second);
    return out;
}

void FaultInjector::resetCounters()
{
    // Requests still in flight stay in flight, but no longer count.
    for (auto it = m_pending.begin(); it != m_pending.end(); ++it)
        it->counted = false;
    m_counters.clear();
    m_total = {};
    m_recent.clear();
}

QJsonObject FaultInjector::countersJson() const
{
    auto toJson = [](const OperationCounters &c) {
        return QJsonObject{{u"requests"_s, c.requests},
                           {u"inFlight"_s, c.inFlight},
                           {u"maxInFlight"_s, c.maxInFlight}};
    };
    QJsonObject ops;
    for (const QString &op : operations())
        ops.insert(op, toJson(m_counters.value(op)));
    for (auto it = m_counters.cbegin(); it != m_counters.cend(); ++it) {
        if (!ops.contains(it.key()))
            ops.insert(it.key(), toJson(it.value()));
    }
    return QJsonObject{{u"operations"_s, ops}, {u"total"_s, toJson(m_total)}};
}

QJsonObject FaultInjector::faultsJson() const
{
    QJsonObject out;
    for (auto it = m_faults.cbegin(); it != m_faults.cend(); ++it) {
        QJsonArray list;
        for (const Fault &f : it.value()) {
            list.append(QJsonObject{{u"kind"_s, Fault::kindName(f.kind)},
                                    {u"remaining"_s, f.remaining},
                                    {u"retryAfter"_s, f.retryAfterSeconds},
                                    {u"delayMs"_s, qint64(f.delay.count())}});
        }
        out.insert(it.key(), list);
    }
    return out;
}

} // namespace flex::emulator
