#pragma once

#include "app/startuperror.h"
#include "config/config.h"

#include <QObject>

#include <functional>
#include <memory>
#include <optional>

class QHttpServer;

namespace flex::check {
class SetupSelfCheck;
}
namespace flex::bus {
class MessageBus;
class RedisBus;
} // namespace flex::bus
namespace flex::twilio {
class TwilioClient;
}
namespace flex::ops {
class OpsRoutes;
}
namespace flex::server {
class FlexTokenValidator;
class FrontDoor;
} // namespace flex::server
namespace flex::dial {
class DialService;
}
namespace flex::stats {
class StatsService;
}

namespace flex::app {

// Everything the running service is made of, wired together: the front door
// and its HTTP routes, the Twilio clients, the features and the bus.
class Service : public QObject
{
    Q_OBJECT
public:
    explicit Service(const config::Config &config, QObject *parent = nullptr);
    ~Service() override;

    std::optional<StartupError> start();
    // Applies what can change without a restart; returns false (and keeps the
    // old configuration) when next needs a restart or is not acceptable.
    bool reload(const config::Config &next, QString *error);
    // Graceful stop; done runs once everything is closed and saved.
    void shutdown(std::function<void()> done);

    quint16 port() const;
    const config::Config &config() const { return m_config; }
    QString statusLine() const;

private:
    void applyRuntimeSettings();
    void resolveWebhookPort(config::Config &config) const;
    void scheduleSetupCheck();
    void noteTwilioContact(bool iam, int status);

    config::Config m_config;
    std::unique_ptr<QHttpServer> m_http;
    bus::RedisBus *m_cluster = nullptr; // cluster mode (REDIS_URL) only
    bus::MessageBus *m_bus = nullptr;
    twilio::TwilioClient *m_rest = nullptr;
    twilio::TwilioClient *m_iam = nullptr;
    server::FlexTokenValidator *m_validator = nullptr;
    server::FrontDoor *m_frontDoor = nullptr;
    std::unique_ptr<ops::OpsRoutes> m_opsRoutes;
    dial::DialService *m_dial = nullptr;
    stats::StatsService *m_stats = nullptr;
    check::SetupSelfCheck *m_setupCheck = nullptr;
    qint64 m_lastTwilioSuccessMs = 0;
    QString m_lastTwilioError;
};

} // namespace flex::app
