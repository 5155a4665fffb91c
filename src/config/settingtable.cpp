#include "config/settingtable.h"

#include "config/bindings.h"
#include "config/twiliohosts.h"
#include "config/valueparsers.h"

#include <QCoreApplication>
#include <QSysInfo>

namespace flex::config {

using namespace Qt::StringLiterals;

namespace {

// Bindings whose text has its own structure (the generic ones are in bindings.h).
Binding authToken()
{
    return {[](const QString &value, Config &c) {
                c.authToken = value;
                return !value.isEmpty() && value.size() < 8 ? u"is too short to be an auth token"_s
                                                            : QString();
            },
            [](const Config &c) { return c.authToken; }};
}

Binding externalHost()
{
    return {[](const QString &value, Config &c) {
                c.externalHost = value;
                return parseExternalHost(value, &c.webhookBaseUrl);
            },
            [](const Config &c) { return c.externalHost; }};
}

Binding region()
{
    return {[](const QString &value, Config &c) {
                c.region = value.toLower();
                if (c.region.isEmpty() || TwilioHosts::isHomeRegion(c.region))
                    return QString();
                return u"\"%1\" is not a Twilio region; the regions are us1, ie1 and au1"_s.arg(
                    value.left(20));
            },
            [](const Config &c) { return c.region; }};
}

Binding edge()
{
    return {[](const QString &value, Config &c) {
                static const QRegularExpression label(u"^[a-z0-9-]*$"_s);
                c.edge = value.toLower();
                return label.match(c.edge).hasMatch() ? QString()
                                                      : u"must be an edge name such as dublin"_s;
            },
            [](const Config &c) { return c.edge; }};
}

Binding bindAddress()
{
    return {[](const QString &value, Config &c) {
                return c.bindAddress.setAddress(value) ? QString()
                                                       : u"must be an IPv4 or IPv6 address"_s;
            },
            [](const Config &c) { return c.bindAddress.toString(); }};
}

Binding trustedProxies()
{
    return {[](const QString &value, Config &c) {
                return parseTrustedProxies(value, &c.trustedProxies);
            },
            [](const Config &c) { return showTrustedProxies(c.trustedProxies); }};
}

Binding statsChannels()
{
    return {
        [](const QString &value, Config &c) { return parseStatsChannels(value, &c.statsChannels); },
        [](const Config &c) { return c.statsChannels.join(u','); }};
}

Binding slaThresholds()
{
    return {
        [](const QString &value, Config &c) { return parseSlaThresholds(value, &c.slaThresholds); },
        [](const Config &c) {
            QStringList items;
            for (int seconds : c.slaThresholds)
                items << QString::number(seconds);
            return items.join(u',');
        }};
}

Binding timeZone()
{
    return {[](const QString &value, Config &c) {
                c.statsTimeZone =
                    value.isEmpty() ? QTimeZone::systemTimeZone() : QTimeZone(value.toUtf8());
                return c.statsTimeZone.isValid()
                           ? QString()
                           : u"\"%1\" is not a known IANA time zone"_s.arg(value.left(60));
            },
            [](const Config &c) { return QString::fromUtf8(c.statsTimeZone.id()); }};
}

Binding redisUrl()
{
    return {[](const QString &value, Config &c) { return parseRedisUrl(value, &c.redis); },
            [](const Config &c) { return c.redis.redactedUrl(); }};
}

Binding instanceId()
{
    return {[](const QString &value, Config &c) {
                static const QRegularExpression pattern(u"^[A-Za-z0-9._:-]{1,128}$"_s);
                c.instanceId = value.isEmpty()
                                   ? QSysInfo::machineHostName() + u'-' +
                                         QString::number(QCoreApplication::applicationPid())
                                   : value;
                return pattern.match(c.instanceId).hasMatch()
                           ? QString()
                           : u"must be 1 to 128 letters, digits or . _ : -"_s;
            },
            [](const Config &c) { return c.instanceId; }};
}

Binding keyPrefix()
{
    return {[](const QString &value, Config &c) {
                static const QRegularExpression pattern(u"^[!-~]{1,64}$"_s);
                c.redisKeyPrefix = value;
                return pattern.match(value).hasMatch()
                           ? QString()
                           : u"must be 1 to 64 printable characters without spaces"_s;
            },
            [](const Config &c) { return c.redisKeyPrefix; }};
}

QList<Setting> makeTable()
{
    using namespace bind;
    const QRegularExpression anyItem;
    const QRegularExpression prefixPattern(u"^\\+[0-9]{1,14}$"_s);
    // clang-format off
    return {
        {QString(names::AccountSid), {}, u"Twilio account SID (AC + 32 hex digits). Required."_s, sid(&Config::accountSid, "AC"_L1), Required | NeedsRestart},
        {u"TWILIO_AUTH_TOKEN"_s, {}, u"Auth token of the account (in its home region): checks webhook signatures; REST credentials unless an API key is set; Flex token validation unless TWILIO_IAM_API_KEY is set. Required."_s, authToken(), Secret | Required},
        {QString(names::ApiKey), {}, u"API key SID (SK...) for REST calls, created in TWILIO_REGION; needs TWILIO_API_SECRET."_s, sid(&Config::apiKey, "SK"_L1)},
        {QString(names::ApiSecret), {}, u"Secret of TWILIO_API_KEY."_s, text(&Config::apiSecret), Secret},
        {QString(names::IamApiKey), {}, u"API key SID (SK...) for Flex token validation on iam.twilio.com; needs TWILIO_IAM_API_SECRET. Unset: account SID and auth token."_s, sid(&Config::iamApiKey, "SK"_L1)},
        {QString(names::IamApiSecret), {}, u"Secret of TWILIO_IAM_API_KEY."_s, text(&Config::iamApiSecret), Secret},
        {u"TWILIO_OUTBOUND_WORKFLOW_SID"_s, {}, u"TaskRouter workflow (WW...) outbound calls are enqueued to. Required."_s, sid(&Config::outboundWorkflowSid, "WW"_L1), Required},
        {u"TWILIO_FLEX_WORKSPACE_SID"_s, {}, u"TaskRouter workspace (WS...) whose queues are reported. Required."_s, sid(&Config::workspaceSid, "WS"_L1), Required | NeedsRestart},
        {QString(names::ExternalHost), {}, u"Public host[:port] Twilio reaches the webhooks at; https is implied (http://host:port for local setups). Part of every webhook signature; port 0 stands for the port listened on (PORT=0). Required."_s, externalHost(), Required},
        {QString(names::Region), {}, u"Home region of the account: us1, ie1 or au1; needs TWILIO_EDGE (ie1: dublin, au1: sydney). Unset or us1 alone: api.twilio.com."_s, region()},
        {QString(names::Edge), {}, u"Twilio edge location, e.g. dublin; alone it means that edge with us1."_s, edge()},
        {u"TWILIO_API_URL"_s, {}, u"Override for the Voice API base URL (tests, dev mode)."_s, url(&Config::apiUrl)},
        {u"TWILIO_TASKROUTER_URL"_s, {}, u"Override for the TaskRouter base URL."_s, url(&Config::taskrouterUrl)},
        {u"TWILIO_IAM_URL"_s, {}, u"Override for the IAM (Flex token validation) base URL."_s, url(&Config::iamUrl)},
        {u"PORT"_s, u"3000"_s, u"TCP port for webhooks and WebSockets (one port); 0 picks a free port (logged)."_s, integer(&Config::port, 0, 65535), NeedsRestart},
        {u"BIND_ADDRESS"_s, u"0.0.0.0"_s, u"Address to listen on (127.0.0.1 in dev mode unless set)."_s, bindAddress(), NeedsRestart, u"127.0.0.1"_s},
        {u"ALLOWED_ORIGINS"_s, {}, u"Comma-separated Origin values allowed to open WebSockets; empty allows any."_s, list(&Config::allowedOrigins, anyItem, {})},
        {u"MAX_CONNECTIONS"_s, u"0"_s, u"Open connections at most; more are refused. 0: as many as the open-files limit allows, less 256 kept for Twilio, Redis and files."_s, integer(&Config::maxConnections, 0, 1'000'000)},
        {u"MAX_CONNECTIONS_PER_ADDRESS"_s, u"1000"_s, u"Open connections per client address at most."_s, integer(&Config::maxConnectionsPerAddress, 1, 1'000'000)},
        {u"AUTH_RATE_PER_ADDRESS"_s, u"30"_s, u"Validations of not-yet-known Flex tokens per client address per minute. Over it: 429 with Retry-After."_s, integer(&Config::authRatePerAddress, 1, 1'000'000)},
        {u"TRUSTED_PROXIES"_s, u"127.0.0.0/8,::1"_s, u"Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For client address is believed (default: a proxy on this host); none trusts none."_s, trustedProxies()},
        {u"HTTP_MAX_HEADER_BYTES"_s, u"16384"_s, u"Largest request head accepted."_s, integer(&Config::maxHeadBytes, 1024, 1 << 20)},
        {u"HTTP_MAX_BODY_BYTES"_s, u"65536"_s, u"Largest request body accepted (webhooks are small)."_s, integer(&Config::maxBodyBytes, 1024, 16 << 20)},
        {u"HTTP_HEAD_TIMEOUT"_s, u"10"_s, u"Seconds a client has to send a complete request head."_s, seconds(&Config::headTimeout, 1, 600)},
        {u"HTTP_IDLE_TIMEOUT"_s, u"60"_s, u"Seconds an HTTP connection may stay idle."_s, seconds(&Config::idleTimeout, 1, 3600)},
        {u"WS_MAX_MESSAGE_BYTES"_s, u"65536"_s, u"Largest WebSocket message accepted from a client."_s, integer(&Config::wsMaxMessageBytes, 256, 16 << 20)},
        {u"WS_PING_INTERVAL"_s, u"30"_s, u"Seconds between WebSocket pings that keep proxies from closing quiet sockets."_s, seconds(&Config::wsPingInterval, 1, 3600)},
        {u"TOKEN_CACHE_TTL"_s, u"300"_s, u"Seconds a valid Flex token is trusted without asking Twilio again (never past its expiration)."_s, seconds(&Config::tokenCacheTtl, 0, 86400)},
        {u"TOKEN_NEGATIVE_CACHE_TTL"_s, u"10"_s, u"Seconds an invalid Flex token is remembered as invalid."_s, seconds(&Config::tokenNegativeCacheTtl, 0, 3600)},
        {u"TOKEN_CACHE_SIZE"_s, u"10000"_s, u"Flex token validation results kept at most."_s, integer(&Config::tokenCacheSize, 0, 10'000'000)},
        {u"TWILIO_MAX_CONCURRENCY"_s, u"20"_s, u"Twilio REST requests in flight at most; more wait in line."_s, integer(&Config::twilioMaxInFlight, 1, 1000)},
        {u"TWILIO_REQUEST_TIMEOUT"_s, u"15"_s, u"Seconds before a Twilio REST request is abandoned."_s, seconds(&Config::twilioRequestTimeout, 1, 600)},
        {u"TWILIO_MAX_RETRIES"_s, u"3"_s, u"Retries of a Twilio request after 429, 503 or a network error."_s, integer(&Config::twilioMaxRetries, 0, 10)},
        {u"TWILIO_RETRY_BASE_DELAY_MS"_s, u"250"_s, u"Milliseconds of the first retry's backoff (doubling, with full jitter)."_s, milliseconds(&Config::twilioRetryBaseDelay, 1, 60'000)},
        {u"TWILIO_RETRY_MAX_DELAY_MS"_s, u"8000"_s, u"Milliseconds a retry's backoff is capped at."_s, milliseconds(&Config::twilioRetryMaxDelay, 1, 600'000)},
        {u"DIAL_ALLOW_ANY_WORKER"_s, u"false"_s, u"Allow workerContactUri other than client:<identity of the token>."_s, boolean(&Config::dialAllowAnyWorker)},
        {u"DIAL_ALLOWED_PREFIXES"_s, {}, u"Comma-separated E.164 prefixes that may be dialled, e.g. +1,+44; empty allows any."_s, list(&Config::dialAllowedPrefixes, prefixPattern, u"an E.164 prefix such as +44"_s)},
        {u"DIAL_MAX_CALLS_PER_MINUTE"_s, u"10"_s, u"Calls one Flex identity may place per minute; 0 is unlimited."_s, integer(&Config::dialMaxCallsPerMinute, 0, 100000)},
        {u"DIAL_CALL_TTL"_s, u"14400"_s, u"Seconds a call without a terminal status is kept."_s, seconds(&Config::dialCallTtl, 60, 7 * 86400)},
        {u"DIAL_MAX_HELD_CALLBACKS"_s, u"10000"_s, u"Status callbacks held at most for calls whose create answer has not arrived yet."_s, integer(&Config::dialMaxHeldCallbacks, 1, 1'000'000)},
        {QString(names::StateDir), {}, u"Directory for calls in flight across restarts (default $STATE_DIRECTORY, else ./state)."_s, text(&Config::stateDir), NeedsRestart},
        {u"STATS_REALTIME_INTERVAL"_s, u"5"_s, u"Seconds between realtime stats polls."_s, seconds(&Config::statsRealtimeInterval, 1, 3600)},
        {u"STATS_CUMULATIVE_INTERVAL"_s, u"30"_s, u"Seconds between cumulative (today) stats polls."_s, seconds(&Config::statsCumulativeInterval, 1, 86400)},
        {u"STATS_CHANNELS"_s, u"all,voice,chat,video"_s, u"Channels reported: all plus TaskChannel unique names, or auto."_s, statsChannels()},
        {u"SLA_THRESHOLDS"_s, u"30,60,120"_s, u"One to three distinct wait-time thresholds in seconds."_s, slaThresholds()},
        {u"STATS_TIMEZONE"_s, {}, u"IANA time zone whose midnight starts \"today\" (default: the system's)."_s, timeZone()},
        {u"REDIS_URL"_s, {}, u"Redis shared by several instances (cluster mode): redis://[user:password@]host[:port][/db], rediss://... (TLS, system CA store) or unix:///path[?db=N]; unset: one instance, no Redis."_s, redisUrl(), NeedsRestart},
        {u"INSTANCE_ID"_s, {}, u"Name of this instance among several, in logs, metrics and the stats lease (default: hostname-pid)."_s, instanceId(), NeedsRestart},
        {u"REDIS_KEY_PREFIX"_s, u"flex-backend:"_s, u"Prefix of every Redis key and channel; deployments sharing one Redis need different ones."_s, keyPrefix(), NeedsRestart},
        {u"LOG_LEVEL"_s, u"info"_s, u"debug, info, warning or critical."_s, lowerChoice(&Config::logLevel, {u"debug"_s, u"info"_s, u"warning"_s, u"critical"_s})},
        {u"LOG_FORMAT"_s, u"text"_s, u"text or json (one object per line)."_s, lowerChoice(&Config::logFormat, {u"text"_s, u"json"_s})},
        {u"METRICS_TOKEN"_s, {}, u"Bearer token for /metrics and /readyz from anywhere; unset: loopback only."_s, text(&Config::metricsToken), Secret},
        {u"SHUTDOWN_TIMEOUT"_s, u"10"_s, u"Seconds to let in-flight Twilio requests finish on shutdown."_s, seconds(&Config::shutdownTimeout, 0, 600)},
        {u"SETUP_CHECK_AT_START"_s, u"true"_s, u"After start-up and each reload, run the cheap checks of flex-backend check in the background (not the EXTERNAL_HOST one); log each failure once and set flex_setup_check_failed."_s, boolean(&Config::setupCheckAtStart)},
        {QString(names::TlsCertFile), {}, u"PEM certificate (chain) for native TLS on PORT; needs TLS_KEY_FILE."_s, text(&Config::tlsCertFile)},
        {QString(names::TlsKeyFile), {}, u"PEM private key of TLS_CERT_FILE."_s, text(&Config::tlsKeyFile)},
    };
    // clang-format on
}

} // namespace

QString Setting::option() const
{
    return env.toLower().replace(u'_', u'-');
}

const QList<Setting> &settingTable()
{
    static const QList<Setting> table = makeTable();
    return table;
}

} // namespace flex::config
