#pragma once

#include "config/config.h"

#include <QObject>
#include <QTimer>

#include <chrono>
#include <optional>

class QHttpServer;

namespace flex::bus {
class MessageBus;
class RedisBus;
} // namespace flex::bus
namespace flex::server {
class WebSocketEndpoint;
}
namespace flex::twilio {
class TwilioClient;
}

namespace flex::dial {

class CallBook;
class CallCommitter;
class CallController;
class CallRegistry;
class CallStore;
class ClusterRateLimiter;
class DialEndpoint;
class DialRequestValidator;
class DialSession;
class RateLimiter;
class RedisCallBook;
class WebhookRoutes;
struct CallRequest;

// Outbound dialing, wired: the /websocket/outboundDial endpoint, the two
// Twilio webhooks, the registry of calls in flight (persisted in STATE_DIR)
// and the toll-fraud guard. Call updates go registry → bus → endpoint, so a
// bus spanning instances reaches the owner's sockets wherever they are.
// With a RedisBus (cluster mode) the calls in flight live in Redis instead
// of the registry and STATE_DIR, and the rate limit counts every instance.
class DialService : public QObject
{
    Q_OBJECT
public:
    DialService(twilio::TwilioClient &rest, bus::MessageBus &bus, QObject *parent = nullptr,
                bus::RedisBus *cluster = nullptr);
    ~DialService() override;

    // Idempotent; runs again on reload. The first call also loads the calls
    // saved in the state directory.
    void configure(const config::Config &config);
    void registerRoutes(QHttpServer &http);
    server::WebSocketEndpoint *endpoint();

    // Saves the calls in flight now (shutdown); false when it could not.
    bool persist();

    const CallRegistry &registry() const { return *m_registry; }

private:
    void onSession(DialSession *session);
    void onCallRequested(DialSession *session, const CallRequest &request);
    void onHangupRequested(DialSession *session, const QString &callSid);
    void loadState();
    void placeAllowed(DialSession *session, const CallRequest &request,
                      std::optional<std::chrono::milliseconds> wait);

    bus::MessageBus &m_bus;
    CallRegistry *m_registry;
    RedisCallBook *m_redisBook; // cluster mode only
    CallBook &m_book;           // the registry, or the Redis book
    std::unique_ptr<CallStore> m_store;
    std::unique_ptr<DialRequestValidator> m_validator;
    std::unique_ptr<RateLimiter> m_limiter;
    ClusterRateLimiter *m_clusterLimiter = nullptr;
    CallController *m_controller;
    DialEndpoint *m_endpoint;
    WebhookRoutes *m_webhooks;
    CallCommitter *m_committer;
    QTimer m_pruneTimer;
    bool m_loaded = false;
};

} // namespace flex::dial
