#include "app/service.h"

#include "bus/messagebus.h"
#include "bus/redisbus.h"
#include "check/setupselfcheck.h"
#include "config/settingtable.h"
#include "dial/dialservice.h"
#include "ops/filelimit.h"
#include "ops/logcategories.h"
#include "ops/logging.h"
#include "ops/metrics.h"
#include "ops/opsroutes.h"
#include "ops/processmetrics.h"
#include "server/flextokenvalidator.h"
#include "server/frontdoor.h"
#include "server/staticpages.h"
#include "stats/statspoller.h"
#include "stats/statsservice.h"
#include "twilio/twilioclient.h"

#include <QDateTime>
#include <QFile>
#include <QHttpServer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QTimer>

namespace flex::app {

using namespace Qt::StringLiterals;

namespace {

server::FrontDoor::Settings frontDoorSettings(const config::Config &c)
{
    server::FrontDoor::Settings s;
    s.address = c.bindAddress;
    s.port = c.port;
    // Never more than the descriptors allow: beyond that accept() fails
    // for everyone, webhooks and Twilio requests included.
    const int capacity = ops::connectionCapacity();
    s.maxConnections = c.maxConnections == 0 ? capacity : std::min(c.maxConnections, capacity);
    if (c.maxConnections > capacity)
        qCWarning(lcApp) << "MAX_CONNECTIONS" << c.maxConnections
                         << "is more than the open-files limit allows; using" << capacity;
    s.maxHeadBytes = c.maxHeadBytes;
    s.maxBodyBytes = c.maxBodyBytes;
    s.headTimeout = c.headTimeout;
    s.idleTimeout = c.idleTimeout;
    s.wsMaxMessageBytes = c.wsMaxMessageBytes;
    s.pingInterval = c.wsPingInterval;
    s.allowedOrigins = c.allowedOrigins;
    s.maxConnectionsPerAddress = c.maxConnectionsPerAddress;
    s.authRatePerAddress = c.authRatePerAddress;
    s.trustedProxies = c.trustedProxies;
    return s;
}

server::FlexTokenValidator::Settings validatorSettings(const config::Config &c)
{
    server::FlexTokenValidator::Settings s;
    s.iamBaseUrl = c.iamUrl;
    s.accountSid = c.accountSid;
    // TWILIO_IAM_API_KEY/_SECRET, else the account SID and auth token.
    s.username = c.iamUsername();
    s.password = c.iamPassword();
    s.positiveTtl = c.tokenCacheTtl;
    s.negativeTtl = c.tokenNegativeCacheTtl;
    s.maxEntries = c.tokenCacheSize;
    return s;
}

// Reads TLS_CERT_FILE and TLS_KEY_FILE; *error names the file that is wrong.
std::optional<QSslConfiguration> loadTls(const config::Config &c, QString *error)
{
    QFile certFile(c.tlsCertFile);
    QFile keyFile(c.tlsKeyFile);
    if (!certFile.open(QIODevice::ReadOnly)) {
        *error = u"TLS_CERT_FILE: cannot read %1: %2"_s.arg(c.tlsCertFile, certFile.errorString());
        return std::nullopt;
    }
    if (!keyFile.open(QIODevice::ReadOnly)) {
        *error = u"TLS_KEY_FILE: cannot read %1: %2"_s.arg(c.tlsKeyFile, keyFile.errorString());
        return std::nullopt;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certFile.readAll(), QSsl::Pem);
    if (chain.isEmpty()) {
        *error = u"TLS_CERT_FILE: %1 holds no PEM certificate"_s.arg(c.tlsCertFile);
        return std::nullopt;
    }
    const QByteArray keyPem = keyFile.readAll();
    QSslKey key(keyPem, QSsl::Rsa, QSsl::Pem);
    if (key.isNull())
        key = QSslKey(keyPem, QSsl::Ec, QSsl::Pem);
    if (key.isNull()) {
        *error = u"TLS_KEY_FILE: %1 holds no unencrypted PEM RSA or EC key"_s.arg(c.tlsKeyFile);
        return std::nullopt;
    }
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificateChain(chain);
    tls.setPrivateKey(key);
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    return tls;
}

bus::RedisBus::Settings clusterSettings(const config::Config &c)
{
    bus::RedisBus::Settings s;
    s.endpoint = c.redis;
    s.instanceId = c.instanceId;
    s.keyPrefix = c.redisKeyPrefix.toUtf8();
    // Renewed every third of it; a dead poller is replaced within it plus a cycle.
    s.leaseTime = std::clamp<std::chrono::milliseconds>(
        c.statsRealtimeInterval * 3, std::chrono::seconds(3), std::chrono::seconds(30));
    return s;
}

} // namespace

Service::Service(const config::Config &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_http(std::make_unique<QHttpServer>())
    , m_cluster(config.redis.enabled ? new bus::RedisBus(clusterSettings(config), this) : nullptr)
    , m_bus(m_cluster ? static_cast<bus::MessageBus *>(m_cluster) : new bus::InProcessBus(this))
    , m_rest(new twilio::TwilioClient(this))
    , m_iam(new twilio::TwilioClient(this))
    , m_validator(new server::FlexTokenValidator(*m_iam, this))
    , m_frontDoor(new server::FrontDoor(*m_http, *m_validator, this))
    , m_opsRoutes(std::make_unique<ops::OpsRoutes>())
    , m_setupCheck(new check::SetupSelfCheck(this))
{
    for (twilio::TwilioClient *client : {m_rest, m_iam}) {
        const bool iam = client == m_iam;
        connect(client, &twilio::TwilioClient::requestFinished, this,
                [this, iam](const QString &, int status, std::chrono::milliseconds) {
                    noteTwilioContact(iam, status);
                });
    }

    m_opsRoutes->addReadinessCheck(u"not listening"_s,
                                   [this] { return m_frontDoor->isListening(); });
    m_opsRoutes->addReadinessCheck(
        u"Twilio rejected the credentials used for Flex token validation"_s,
        [this] { return !m_validator->credentialsRejected(); });
    m_opsRoutes->addReadinessCheck([this]() -> QString {
        // Ready while Twilio answered recently, or nothing has failed yet.
        if (m_lastTwilioError.isEmpty())
            return {};
        const qint64 age = QDateTime::currentMSecsSinceEpoch() - m_lastTwilioSuccessMs;
        if (m_lastTwilioSuccessMs > 0 && age < 120'000)
            return {};
        return u"last Twilio contact failed ("_s + m_lastTwilioError + u')';
    });
    if (m_cluster)
        m_opsRoutes->addReadinessCheck([this] { return m_cluster->fault(); });
    ops::installProcessMetrics();
    m_opsRoutes->registerRoutes(*m_http);
    server::StaticPages::registerRoutes(*m_http);
    m_dial = new dial::DialService(*m_rest, *m_bus, this, m_cluster);
    m_frontDoor->registerWebSocketEndpoint(u"/websocket/outboundDial"_s, m_dial->endpoint());
    m_dial->registerRoutes(*m_http);
    m_stats = new stats::StatsService(*m_rest, *m_bus, this);
    m_frontDoor->registerWebSocketEndpoint(u"/websocket/realtimeStats"_s, m_stats->endpoint());
    applyRuntimeSettings();
    if (m_cluster)
        m_cluster->start();
}

Service::~Service() = default;

// Whose fault a failure is, is decided once, by twilio::TwilioError::blame().
// A refused request (404, 400 ...) still means Twilio answered. Token
// validation refuses a stranger's token with 401: a verdict, not a fault
// (the validator watches our own IAM credentials: the readiness check above).
void Service::noteTwilioContact(bool iam, int status)
{
    if (status >= 200 && status < 400) {
        m_lastTwilioSuccessMs = QDateTime::currentMSecsSinceEpoch();
        m_lastTwilioError.clear();
        return;
    }
    twilio::TwilioError error;
    error.kind = status == 0 ? twilio::TwilioError::Kind::Network : twilio::TwilioError::Kind::Http;
    error.httpStatus = status;
    error.code = status;
    const twilio::TwilioError::Blame blame = error.blame();
    if (blame == twilio::TwilioError::Blame::Request ||
        (iam && blame == twilio::TwilioError::Blame::Credentials)) {
        m_lastTwilioSuccessMs = QDateTime::currentMSecsSinceEpoch();
        m_lastTwilioError.clear();
        return;
    }
    m_lastTwilioError = status == 0 ? u"no answer"_s : u"HTTP %1"_s.arg(status);
}

void Service::applyRuntimeSettings()
{
    const config::Config &c = m_config;
    m_rest->setCredentials(c.restUsername(), c.restPassword());
    for (twilio::TwilioClient *client : {m_rest, m_iam}) {
        client->setMaxInFlight(c.twilioMaxInFlight);
        client->setDefaultTimeout(c.twilioRequestTimeout);
        twilio::RetryPolicy policy;
        policy.maxRetries = c.twilioMaxRetries;
        policy.baseDelay = c.twilioRetryBaseDelay;
        policy.maxDelay = c.twilioRetryMaxDelay;
        client->setRetryPolicy(policy);
    }
    m_validator->configure(validatorSettings(c));
    m_frontDoor->configure(frontDoorSettings(c));
    m_opsRoutes->setMetricsToken(c.metricsToken);
    m_dial->configure(c);
    m_stats->configure(c);
    ops::registerSecret(c.authToken);
    ops::registerSecret(c.apiSecret);
    ops::registerSecret(c.iamApiSecret);
    ops::registerSecret(c.redis.password);
    ops::registerSecret(c.metricsToken);
}

std::optional<StartupError> Service::start()
{
    if (m_config.tlsEnabled()) {
        QString error;
        const std::optional<QSslConfiguration> tls = loadTls(m_config, &error);
        if (!tls)
            return StartupError::configuration(error);
        m_frontDoor->setTlsConfiguration(*tls);
    }
    QString listenError;
    if (!m_frontDoor->listen(&listenError))
        return StartupError::failure(
            u"cannot listen on %1:%2: %3"_s.arg(m_config.bindAddress.toString())
                .arg(m_config.port)
                .arg(listenError));
    // EXTERNAL_HOST with port 0 (dev mode, tests with PORT=0) names the port bound.
    if (m_config.webhookBaseUrl.port() == 0) {
        resolveWebhookPort(m_config);
        applyRuntimeSettings();
    }
    scheduleSetupCheck();
    return std::nullopt;
}

void Service::scheduleSetupCheck()
{
    if (!m_config.setupCheckAtStart)
        return;
    // Queued: "listening on" is announced first, and nothing waits for it.
    QTimer::singleShot(0, m_setupCheck, [this] { m_setupCheck->run(m_config); });
}

bool Service::reload(const config::Config &next, QString *error)
{
    // Identity of the deployment and the listening socket need a restart.
    error->clear();
    for (const config::Setting &setting : config::settingTable()) {
        if (setting.needsRestart() &&
            setting.binding.show(next) != setting.binding.show(m_config)) {
            *error = setting.env + u" cannot change without a restart"_s;
            return false;
        }
    }
    if (next.tlsEnabled() != m_config.tlsEnabled()) {
        *error =
            QString(config::names::TlsCertFile) + u" cannot be set or unset without a restart"_s;
        return false;
    }
    std::optional<QSslConfiguration> tls;
    if (next.tlsEnabled()) {
        tls = loadTls(next, error);
        if (!tls)
            return false;
    }
    m_config = next;
    resolveWebhookPort(m_config);
    applyRuntimeSettings();
    if (tls)
        m_frontDoor->setTlsConfiguration(*tls);
    scheduleSetupCheck();
    return true;
}

void Service::shutdown(std::function<void()> done)
{
    // New connections are refused; open sockets are told we are going away
    // (1001); in-flight Twilio requests may finish (their answers still reach
    // the calls) until SHUTDOWN_TIMEOUT; then the calls in flight are saved.
    m_frontDoor->stopAccepting();
    m_frontDoor->closeWebSockets();
    m_stats->shutdown();
    if (m_cluster)
        m_cluster->stop(); // releases the stats lease
    m_rest->drain();
    m_iam->drain();
    const auto deadline = std::chrono::steady_clock::now() + m_config.shutdownTimeout;
    auto *poll = new QTimer(this);
    poll->setInterval(std::chrono::milliseconds(20));
    connect(poll, &QTimer::timeout, this, [this, poll, deadline, done] {
        const bool busy = m_rest->inFlight() + m_iam->inFlight() > 0 ||
                          m_frontDoor->openWebSockets() > 0 ||
                          (m_cluster && m_cluster->pendingCommands() > 0);
        if (busy && std::chrono::steady_clock::now() < deadline)
            return;
        if (busy)
            qCWarning(lcApp) << "shutdown timeout reached with" << m_rest->inFlight()
                             << "Twilio requests in flight";
        poll->stop();
        poll->deleteLater();
        m_dial->persist();
        done();
    });
    poll->start();
}

void Service::resolveWebhookPort(config::Config &config) const
{
    if (config.webhookBaseUrl.port() == 0)
        config.webhookBaseUrl.setPort(port());
}

quint16 Service::port() const
{
    return m_frontDoor->port();
}

QString Service::statusLine() const
{
    QString line = u"serving %1 dial sockets, %2 stats subscribers"_s
                       .arg(m_frontDoor->openWebSockets(u"/websocket/outboundDial"_s))
                       .arg(m_frontDoor->openWebSockets(u"/websocket/realtimeStats"_s));
    const qint64 lastGood = m_stats->poller()->lastGoodMs();
    if (lastGood > 0) {
        const double age = double(QDateTime::currentMSecsSinceEpoch() - lastGood) / 1000.0;
        line += u", last good stats cycle %1 s ago"_s.arg(age, 0, 'f', 1);
    } else {
        line += u", no stats yet"_s;
    }
    if (m_cluster) {
        line += u", instance "_s + m_config.instanceId + u": "_s + m_cluster->lease().describe();
        const QString fault = m_cluster->fault();
        if (!fault.isEmpty())
            line += u"; "_s + fault;
    }
    return line;
}

} // namespace flex::app
