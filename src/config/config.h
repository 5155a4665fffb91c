#pragma once

#include <QHostAddress>
#include <QString>
#include <QStringList>
#include <QTimeZone>
#include <QUrl>

#include <chrono>

namespace flex::config {

// Every setting of the service, loaded once and validated (see ConfigLoader).
// Defaults live in exactly one place: the setting table in configloader.cpp.
struct Config
{
    // Twilio account (names as in the Node reference backend).
    QString accountSid;
    QString authToken; // secret: signs webhooks, and REST auth without an API key
    QString apiKey;    // optional REST credentials
    QString apiSecret; // secret
    QString outboundWorkflowSid;
    QString workspaceSid;
    QString externalHost; // host[:port] Twilio uses to reach us, as configured
    QUrl webhookBaseUrl;  // https://EXTERNAL_HOST (or EXTERNAL_HOST's own http:// scheme)
    QString region;
    QString edge;
    QUrl apiUrl;        // derived from region/edge unless overridden
    QUrl taskrouterUrl; // likewise
    QUrl iamUrl;        // likewise

    // Listening.
    QHostAddress bindAddress;
    quint16 port = 0;
    QStringList allowedOrigins; // empty: any origin

    // Front-door limits.
    int maxConnections = 0;
    int maxHeadBytes = 0;
    int maxBodyBytes = 0;
    std::chrono::milliseconds headTimeout{};
    int wsMaxMessageBytes = 0;
    std::chrono::seconds tokenCacheTtl{};
    std::chrono::seconds tokenNegativeCacheTtl{};
    int tokenCacheSize = 0;

    // Twilio REST client.
    int twilioMaxInFlight = 0;
    std::chrono::milliseconds twilioRequestTimeout{};
    int twilioMaxRetries = 0;

    // Outbound dialing.
    bool dialAllowAnyWorker = false;
    QStringList dialAllowedPrefixes; // empty: any
    int dialMaxCallsPerMinute = 0;   // 0: unlimited
    std::chrono::seconds dialCallTtl{};
    QString stateDir;

    // Realtime stats.
    std::chrono::seconds statsRealtimeInterval{};
    std::chrono::seconds statsCumulativeInterval{};
    QStringList statsChannels; // "all" first when present; {"auto"} discovers
    QList<int> slaThresholds;  // 1..3 distinct positive seconds, ascending
    QTimeZone statsTimeZone;

    // Operations.
    QString logLevel;     // debug, info, warning, critical
    QString logFormat;    // text, json
    QString metricsToken; // secret
    std::chrono::seconds shutdownTimeout{};
    QString tlsCertFile;
    QString tlsKeyFile;

    // Dev mode: an in-process Twilio emulator stands in for Twilio.
    bool devMode = false;
    QString envFile; // the file that was read, empty if none

    bool usesApiKey() const { return !apiKey.isEmpty(); }
    QString restUsername() const { return usesApiKey() ? apiKey : accountSid; }
    QString restPassword() const { return usesApiKey() ? apiSecret : authToken; }
    bool tlsEnabled() const { return !tlsCertFile.isEmpty(); }
};

} // namespace flex::config
