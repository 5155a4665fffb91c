#include "dial/dialservice.h"

#include "bus/messagebus.h"
#include "bus/redisbus.h"
#include "dial/callcommitter.h"
#include "dial/callcontroller.h"
#include "dial/callregistry.h"
#include "dial/callstore.h"
#include "dial/clusterratelimiter.h"
#include "dial/dialendpoint.h"
#include "dial/dialrequestvalidator.h"
#include "dial/dialsession.h"
#include "dial/ratelimiter.h"
#include "dial/rediscallbook.h"
#include "dial/webhookroutes.h"
#include "ops/logcategories.h"
#include "ops/metrics.h"

#include <QPointer>

namespace flex::dial {

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

DialService::DialService(twilio::TwilioClient &rest, bus::MessageBus &bus, QObject *parent,
                         bus::RedisBus *cluster)
    : QObject(parent)
    , m_bus(bus)
    , m_registry(new CallRegistry(this))
    , m_redisBook(cluster ? new RedisCallBook(*cluster, this) : nullptr)
    , m_book(m_redisBook ? static_cast<CallBook &>(*m_redisBook) : *m_registry)
    , m_store(std::make_unique<CallStore>())
    , m_validator(std::make_unique<DialRequestValidator>())
    , m_limiter(std::make_unique<RateLimiter>())
    , m_controller(new CallController(rest, m_book, this))
    , m_endpoint(new DialEndpoint(this))
    , m_webhooks(new WebhookRoutes(m_book, this))
    , m_committer(new CallCommitter(
          *m_store, *m_registry,
          [this](const QString &owner, const QString &sid, CallStatus status) {
              m_bus.publishCallUpdate(owner, callUpdateFrame(sid, statusText(status)));
          },
          this))
{
    if (cluster)
        m_clusterLimiter = new ClusterRateLimiter(*cluster, *m_limiter, this);
    // Producer side: every update for an owner goes onto the bus, a new
    // call's only once it is on disk (the committer holds it until then) ...
    connect(m_registry, &CallRegistry::callUpdate, m_committer,
            [this](const QString &owner, const QString &sid, CallStatus status) {
                m_committer->offer(owner, sid, status);
            });
    connect(m_registry, &CallRegistry::changed, m_committer, [this] { m_committer->saveSoon(); });
    // ... and whatever the bus carries reaches that identity's sockets here.
    connect(&m_bus, &bus::MessageBus::callUpdate, m_endpoint, &DialEndpoint::deliver);
    connect(m_endpoint, &DialEndpoint::sessionOpened, this, &DialService::onSession);

    // Cluster mode: RedisCallBook counts the cluster's calls in Redis.
    if (!m_redisBook)
        ops::metrics().addCollector([registry = QPointer<CallRegistry>(m_registry)] {
            ops::metrics()
                .gauge("flex_dial_calls_in_flight", "Outbound calls without a final status")
                .set(registry ? registry->size() : 0);
        });

    connect(&m_pruneTimer, &QTimer::timeout, this, [this] { m_limiter->prune(); });
    m_pruneTimer.start(1min);
}

DialService::~DialService() = default;

void DialService::configure(const config::Config &config)
{
    DialRequestValidator::Policy policy;
    policy.allowAnyWorker = config.dialAllowAnyWorker;
    policy.allowedPrefixes = config.dialAllowedPrefixes;
    m_validator->setPolicy(policy);
    m_limiter->setLimit(config.dialMaxCallsPerMinute);

    CallRegistry::Settings registry;
    registry.ttl = config.dialCallTtl;
    // A callback may beat a create answer by as long as Twilio takes to answer.
    registry.holdTime = std::max<std::chrono::milliseconds>(20s, config.twilioRequestTimeout +
                                                                     std::chrono::milliseconds(5s));
    registry.maxHeld = config.dialMaxHeldCallbacks;
    m_registry->configure(registry);

    m_controller->configure(
        {config.apiUrl, config.accountSid, config.webhookBaseUrl, m_redisBook != nullptr});
    if (m_redisBook) {
        RedisCallBook::Settings book;
        book.ttl = config.dialCallTtl;
        book.endedKeep = std::max<std::chrono::milliseconds>(registry.holdTime * 3, 60s);
        book.maxBuffered = config.dialMaxHeldCallbacks;
        m_redisBook->configure(book);
    }
    m_webhooks->configure(
        {config.webhookBaseUrl, config.authToken.toUtf8(), config.outboundWorkflowSid});

    if (!m_loaded && !m_redisBook) { // cluster mode: the calls are in Redis
        m_store->setStateDir(config.stateDir);
        loadState();
        m_loaded = true;
    }
}

void DialService::loadState()
{
    const CallStore::Loaded loaded = m_store->load();
    if (!loaded.problem.isEmpty()) {
        qCWarning(lcDial).noquote()
            << "refused the saved calls in flight, starting without them:" << loaded.problem
            << (loaded.movedTo.isEmpty() ? u"(could not move it aside)"_s
                                         : u"(moved aside to %1)"_s.arg(loaded.movedTo));
    }
    if (loaded.skipped > 0)
        qCWarning(lcDial) << "left out" << loaded.skipped << "damaged entries of"
                          << m_store->filePath();
    m_registry->restore(loaded.calls);
    m_committer->markSaved();
    if (m_registry->size() > 0)
        qCInfo(lcDial) << "restored" << m_registry->size() << "calls in flight from"
                       << m_store->filePath();
}

void DialService::registerRoutes(QHttpServer &http)
{
    m_webhooks->registerRoutes(http);
}

server::WebSocketEndpoint *DialService::endpoint()
{
    return m_endpoint;
}

bool DialService::persist()
{
    if (m_redisBook)
        return true; // every update is in Redis when applied
    return m_committer->saveNow();
}

void DialService::onSession(DialSession *session)
{
    connect(session, &DialSession::callRequested, this,
            [this, session](const CallRequest &request) { onCallRequested(session, request); });
    connect(session, &DialSession::hangupRequested, this,
            [this, session](const QString &sid) { onHangupRequested(session, sid); });
}

void DialService::onCallRequested(DialSession *session, const CallRequest &request)
{
    if (const std::optional<DialError> refused = m_validator->check(request, session->identity())) {
        session->sendError(*refused);
        return;
    }
    if (m_clusterLimiter) {
        m_clusterLimiter->tryAcquire(
            session->identity(), session,
            [this, session, request](std::optional<std::chrono::milliseconds> wait) {
                placeAllowed(session, request, wait);
            });
        return;
    }
    placeAllowed(session, request, m_limiter->tryAcquire(session->identity()));
}

void DialService::placeAllowed(DialSession *session, const CallRequest &request,
                               std::optional<std::chrono::milliseconds> wait)
{
    if (wait) {
        const auto seconds = std::max<qint64>(1, (wait->count() + 999) / 1000);
        session->sendError(
            {DialError::Reason::RateLimited,
             u"too many calls: at most %1 per minute; try again in %2 s"_s.arg(m_limiter->limit())
                 .arg(seconds)});
        return;
    }
    m_controller->placeCall(request, session->identity(), session,
                            [session](const DialError &error) { session->sendError(error); });
}

void DialService::onHangupRequested(DialSession *session, const QString &callSid)
{
    m_controller->hangUp(callSid, session->identity(), session,
                         [session](const DialError &error) { session->sendError(error); });
}

} // namespace flex::dial
