#pragma once

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QTimeZone>
#include <QUrl>

#include <chrono>

namespace flex::config {

// Where a setting's value came from, weakest first.
enum class Source { Default, DevMode, EnvFile, Environment, CommandLine };
QString sourceName(Source source);

// REDIS_URL: redis://[user:password@]host[:port][/db], rediss:// (TLS) or
// unix://[user:password@]/path[?db=N]. Disabled when REDIS_URL is unset.
struct RedisEndpoint
{
    enum class Transport { Tcp, Tls, Unix };
    bool enabled{};
    Transport transport{};
    QString host;
    quint16 port{};
    QString socketPath;
    QString user;
    QString password; // secret
    int db{};

    // The URL with the password masked, for logs and --print-config.
    QString redactedUrl() const;
    friend bool operator==(const RedisEndpoint &a, const RedisEndpoint &b);
    friend bool operator!=(const RedisEndpoint &a, const RedisEndpoint &b) { return !(a == b); }
};

// Every setting of the service, loaded once and validated (see ConfigLoader).
// Names, defaults and ranges live in exactly one place: the setting table
// (settingtable.cpp), each row filling one member here.
struct Config
{
    // Twilio account (names as in the Node reference backend).
    QString accountSid;
    QString authToken;    // secret: signs webhooks, and REST auth without an API key
    QString apiKey;       // optional REST credentials
    QString apiSecret;    // secret
    QString iamApiKey;    // optional credentials for Flex token validation on iam.twilio.com
    QString iamApiSecret; // secret
    QString outboundWorkflowSid;
    QString workspaceSid;
    QString externalHost; // host[:port] Twilio uses to reach us, as configured
    QUrl webhookBaseUrl;  // https://EXTERNAL_HOST (or EXTERNAL_HOST's own http:// scheme)
    QString region;       // us1, ie1, au1; empty: us1 without an edge (api.twilio.com)
    QString edge;
    QUrl apiUrl;        // derived from region/edge unless overridden
    QUrl taskrouterUrl; // likewise
    QUrl iamUrl;        // iam.twilio.com unless overridden

    // Listening.
    QHostAddress bindAddress;
    quint16 port{};
    QStringList allowedOrigins; // empty: any origin

    // Front-door limits.
    int maxConnections{};
    int maxConnectionsPerAddress{};
    int authRatePerAddress{}; // validations of unknown tokens per client address per minute
    QList<QPair<QHostAddress, int>> trustedProxies; // address, prefix length
    int maxHeadBytes{};
    int maxBodyBytes{};
    std::chrono::milliseconds headTimeout{};
    std::chrono::milliseconds idleTimeout{};
    int wsMaxMessageBytes{};
    std::chrono::milliseconds wsPingInterval{};
    std::chrono::seconds tokenCacheTtl{};
    std::chrono::seconds tokenNegativeCacheTtl{};
    int tokenCacheSize{};

    // Twilio REST client.
    int twilioMaxInFlight{};
    std::chrono::milliseconds twilioRequestTimeout{};
    int twilioMaxRetries{};
    std::chrono::milliseconds twilioRetryBaseDelay{};
    std::chrono::milliseconds twilioRetryMaxDelay{};

    // Outbound dialing.
    bool dialAllowAnyWorker{};
    QStringList dialAllowedPrefixes; // empty: any
    int dialMaxCallsPerMinute{};     // 0: unlimited
    std::chrono::seconds dialCallTtl{};
    int dialMaxHeldCallbacks{}; // callbacks held for calls not known yet
    QString stateDir;

    // Realtime stats.
    std::chrono::seconds statsRealtimeInterval{};
    std::chrono::seconds statsCumulativeInterval{};
    QStringList statsChannels; // "all" first when present; {"auto"} discovers
    QList<int> slaThresholds;  // 1..3 distinct positive seconds, ascending
    QTimeZone statsTimeZone;

    // Several instances (Redis).
    RedisEndpoint redis;
    QString instanceId;
    QString redisKeyPrefix;

    // Operations.
    QString logLevel;     // debug, info, warning, critical
    QString logFormat;    // text, json
    QString metricsToken; // secret
    std::chrono::seconds shutdownTimeout{};
    bool setupCheckAtStart{}; // the cheap `check` checks after start-up and reload
    QString tlsCertFile;
    QString tlsKeyFile;

    // Dev mode: an in-process Twilio emulator stands in for Twilio.
    bool devMode{};
    QString envFile;                // the file that was read, empty if none
    QHash<QString, Source> sources; // per environment-variable name

    bool usesApiKey() const { return !apiKey.isEmpty(); }
    QString restUsername() const { return usesApiKey() ? apiKey : accountSid; }
    QString restPassword() const { return usesApiKey() ? apiSecret : authToken; }
    QString iamUsername() const { return iamApiKey.isEmpty() ? accountSid : iamApiKey; }
    QString iamPassword() const { return iamApiKey.isEmpty() ? authToken : iamApiSecret; }
    bool tlsEnabled() const { return !tlsCertFile.isEmpty(); }
    Source sourceOf(const QString &env) const { return sources.value(env, Source::Default); }

    // Every setting at its default, account fields empty (as in dev mode
    // before the emulator fills them). For tests and benchmarks that build
    // component settings without inventing numbers.
    static Config defaults();
};

} // namespace flex::config
