#include "config/configloader.h"

#include "config/twiliohosts.h"

#include <QFile>
#include <QProcessEnvironment>
#include <QRegularExpression>

#include <algorithm>

namespace flex::config {

namespace {

using namespace Qt::StringLiterals;

QList<SettingInfo> makeSettings()
{
    // clang-format off
    return {
        {u"TWILIO_ACCOUNT_SID"_s, {}, {}, u"Twilio account SID (AC + 32 hex digits). Required."_s},
        {u"TWILIO_AUTH_TOKEN"_s, {}, {}, u"Twilio auth token: validates webhook signatures and Flex tokens; REST credentials unless an API key is set. Required."_s, true},
        {u"TWILIO_API_KEY"_s, {}, {}, u"API key SID (SK...) for REST calls; needs TWILIO_API_SECRET."_s},
        {u"TWILIO_API_SECRET"_s, {}, {}, u"Secret of TWILIO_API_KEY."_s, true},
        {u"TWILIO_OUTBOUND_WORKFLOW_SID"_s, {}, {}, u"TaskRouter workflow (WW...) outbound calls are enqueued to. Required."_s},
        {u"TWILIO_FLEX_WORKSPACE_SID"_s, {}, {}, u"TaskRouter workspace (WS...) whose queues are reported. Required."_s},
        {u"EXTERNAL_HOST"_s, {}, {}, u"Public host[:port] Twilio reaches the webhooks at; https is implied (http://host:port for local setups). Part of every webhook signature. Required."_s},
        {u"TWILIO_REGION"_s, {}, {}, u"Twilio region, e.g. ie1 (host naming as the official helper libraries)."_s},
        {u"TWILIO_EDGE"_s, {}, {}, u"Twilio edge location, e.g. dublin."_s},
        {u"TWILIO_API_URL"_s, {}, {}, u"Override for the Voice API base URL (tests, dev mode)."_s},
        {u"TWILIO_TASKROUTER_URL"_s, {}, {}, u"Override for the TaskRouter base URL."_s},
        {u"TWILIO_IAM_URL"_s, {}, {}, u"Override for the IAM (Flex token validation) base URL."_s},
        {u"PORT"_s, {}, u"3000"_s, u"TCP port for webhooks and WebSockets (one port)."_s},
        {u"BIND_ADDRESS"_s, {}, u"0.0.0.0"_s, u"Address to listen on (127.0.0.1 in dev mode unless set)."_s},
        {u"ALLOWED_ORIGINS"_s, {}, {}, u"Comma-separated Origin values allowed to open WebSockets; empty allows any."_s},
        {u"MAX_CONNECTIONS"_s, {}, u"10000"_s, u"Open connections at most; more are refused."_s},
        {u"HTTP_MAX_HEADER_BYTES"_s, {}, u"16384"_s, u"Largest request head accepted."_s},
        {u"HTTP_MAX_BODY_BYTES"_s, {}, u"65536"_s, u"Largest request body accepted (webhooks are small)."_s},
        {u"HTTP_HEAD_TIMEOUT"_s, {}, u"10"_s, u"Seconds a client has to send a complete request head."_s},
        {u"WS_MAX_MESSAGE_BYTES"_s, {}, u"65536"_s, u"Largest WebSocket message accepted from a client."_s},
        {u"TOKEN_CACHE_TTL"_s, {}, u"300"_s, u"Seconds a valid Flex token is trusted without asking Twilio again (never past its expiration)."_s},
        {u"TOKEN_NEGATIVE_CACHE_TTL"_s, {}, u"10"_s, u"Seconds an invalid Flex token is remembered as invalid."_s},
        {u"TOKEN_CACHE_SIZE"_s, {}, u"10000"_s, u"Flex token validation results kept at most."_s},
        {u"TWILIO_MAX_CONCURRENCY"_s, {}, u"20"_s, u"Twilio REST requests in flight at most; more wait in line."_s},
        {u"TWILIO_REQUEST_TIMEOUT"_s, {}, u"15"_s, u"Seconds before a Twilio REST request is abandoned."_s},
        {u"TWILIO_MAX_RETRIES"_s, {}, u"3"_s, u"Retries of a Twilio request after 429, 503 or a network error."_s},
        {u"DIAL_ALLOW_ANY_WORKER"_s, {}, u"false"_s, u"Allow workerContactUri other than client:<identity of the token>."_s},
        {u"DIAL_ALLOWED_PREFIXES"_s, {}, {}, u"Comma-separated E.164 prefixes that may be dialled, e.g. +1,+44; empty allows any."_s},
        {u"DIAL_MAX_CALLS_PER_MINUTE"_s, {}, u"10"_s, u"Calls one Flex identity may place per minute; 0 is unlimited."_s},
        {u"DIAL_CALL_TTL"_s, {}, u"14400"_s, u"Seconds a call without a terminal status is kept."_s},
        {u"STATE_DIR"_s, {}, {}, u"Directory for calls in flight across restarts (default $STATE_DIRECTORY, else ./state)."_s},
        {u"STATS_REALTIME_INTERVAL"_s, {}, u"5"_s, u"Seconds between realtime stats polls."_s},
        {u"STATS_CUMULATIVE_INTERVAL"_s, {}, u"30"_s, u"Seconds between cumulative (today) stats polls."_s},
        {u"STATS_CHANNELS"_s, {}, u"all,voice,chat,video"_s, u"Channels reported: all plus TaskChannel unique names, or auto."_s},
        {u"SLA_THRESHOLDS"_s, {}, u"30,60,120"_s, u"One to three distinct wait-time thresholds in seconds."_s},
        {u"STATS_TIMEZONE"_s, {}, {}, u"IANA time zone whose midnight starts \"today\" (default: the system's)."_s},
        {u"LOG_LEVEL"_s, {}, u"info"_s, u"debug, info, warning or critical."_s},
        {u"LOG_FORMAT"_s, {}, u"text"_s, u"text or json (one object per line)."_s},
        {u"METRICS_TOKEN"_s, {}, {}, u"Bearer token for /metrics and /readyz from anywhere; unset: loopback only."_s, true},
        {u"SHUTDOWN_TIMEOUT"_s, {}, u"10"_s, u"Seconds to let in-flight Twilio requests finish on shutdown."_s},
        {u"TLS_CERT_FILE"_s, {}, {}, u"PEM certificate (chain) for native TLS on PORT; needs TLS_KEY_FILE."_s},
        {u"TLS_KEY_FILE"_s, {}, {}, u"PEM private key of TLS_CERT_FILE."_s},
    };
    // clang-format on
}

class Reader
{
public:
    explicit Reader(const Values &values)
        : m_values(values)
    {}

    std::optional<ConfigError> error;

    QString text(const QString &env)
    {
        const auto it = m_values.constFind(env);
        if (it != m_values.cend())
            return it->trimmed();
        return defaultOf(env);
    }

    bool isSet(const QString &env) const { return !m_values.value(env).trimmed().isEmpty(); }

    void fail(const QString &env, const QString &message)
    {
        if (!error)
            error = ConfigError{env, message};
    }

    QString required(const QString &env)
    {
        const QString value = text(env);
        if (value.isEmpty())
            fail(env, u"not set (required)"_s);
        return value;
    }

    void sid(const QString &env, const QString &value, QLatin1StringView prefix)
    {
        static const QRegularExpression hex32(u"^[0-9a-fA-F]{32}$"_s);
        if (value.isEmpty())
            return;
        if (!value.startsWith(prefix) || !hex32.match(value.mid(2)).hasMatch())
            fail(env, u"must be %1 followed by 32 hex digits"_s.arg(prefix));
    }

    qint64 integer(const QString &env, qint64 min, qint64 max)
    {
        const QString value = text(env);
        bool ok = false;
        const qint64 number = value.toLongLong(&ok);
        if (!ok || number < min || number > max) {
            fail(env, u"must be a whole number from %1 to %2 (got \"%3\")"_s.arg(min).arg(max).arg(
                          value.left(40)));
            return min;
        }
        return number;
    }

    bool boolean(const QString &env)
    {
        const QString value = text(env).toLower();
        if (value == u"true" || value == u"1" || value == u"yes" || value == u"on")
            return true;
        if (value == u"false" || value == u"0" || value == u"no" || value == u"off" ||
            value.isEmpty())
            return false;
        fail(env, u"must be true or false"_s);
        return false;
    }

    QStringList list(const QString &env)
    {
        QStringList out;
        const QStringList parts = text(env).split(u',', Qt::SkipEmptyParts);
        for (const QString &part : parts) {
            const QString item = part.trimmed();
            if (!item.isEmpty())
                out << item;
        }
        return out;
    }

    QUrl url(const QString &env)
    {
        const QString value = text(env);
        if (value.isEmpty())
            return {};
        const QUrl url(value, QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") ||
            url.host().isEmpty()) {
            fail(env, u"must be an http:// or https:// URL"_s);
            return {};
        }
        QUrl base = url.adjusted(QUrl::StripTrailingSlash);
        if (base.path() == u"/")
            base.setPath(QString());
        return base;
    }

private:
    static QString defaultOf(const QString &env)
    {
        for (const SettingInfo &s : ConfigLoader::settings()) {
            if (s.env == env)
                return s.defaultValue;
        }
        return {};
    }

    const Values &m_values;
};

QString unquote(QString value)
{
    value = value.trimmed();
    if (value.size() >= 2 && (value.front() == u'"' || value.front() == u'\'') &&
        value.back() == value.front()) {
        const bool doubleQuoted = value.front() == u'"';
        value = value.mid(1, value.size() - 2);
        if (doubleQuoted) {
            value.replace(u"\\n"_s, u"\n"_s);
            value.replace(u"\\\""_s, u"\""_s);
            value.replace(u"\\\\"_s, u"\\"_s);
        }
        return value;
    }
    // Unquoted: a " #" starts a comment.
    const qsizetype hash = value.indexOf(u" #"_s);
    if (hash >= 0)
        value.truncate(hash);
    return value.trimmed();
}

} // namespace

const QList<SettingInfo> &ConfigLoader::settings()
{
    static const QList<SettingInfo> table = [] {
        QList<SettingInfo> rows = makeSettings();
        for (SettingInfo &row : rows)
            row.option = optionName(row.env);
        return rows;
    }();
    return table;
}

QString ConfigLoader::optionName(const QString &env)
{
    return env.toLower().replace(u'_', u'-');
}

std::optional<ConfigError> ConfigLoader::parseEnvFile(const QByteArray &contents, Values &out)
{
    static const QRegularExpression keyPattern(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
    const QStringList lines = QString::fromUtf8(contents).split(u'\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        QString line = lines.at(i).trimmed();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        if (line.startsWith(u"export "_s))
            line = line.mid(7).trimmed();
        const qsizetype eq = line.indexOf(u'=');
        const QString key = eq > 0 ? line.left(eq).trimmed() : QString();
        if (eq <= 0 || !keyPattern.match(key).hasMatch())
            return ConfigError{u"env file"_s, u"line %1 is not KEY=VALUE"_s.arg(i + 1)};
        out.insert(key, unquote(line.mid(eq + 1)));
    }
    return std::nullopt;
}

std::optional<ConfigError> ConfigLoader::readEnvFile(const QString &path, bool required,
                                                     Values &out)
{
    QFile file(path);
    if (!file.exists()) {
        if (required)
            return ConfigError{u"--env-file"_s, u"%1 does not exist"_s.arg(path)};
        return std::nullopt;
    }
    if (!file.open(QIODevice::ReadOnly))
        return ConfigError{u"--env-file"_s, u"cannot read %1: %2"_s.arg(path, file.errorString())};
    if (auto error = parseEnvFile(file.readAll(), out)) {
        error->variable = path;
        return error;
    }
    return std::nullopt;
}

LoadResult ConfigLoader::build(const Values &values, bool devMode)
{
    Reader r(values);
    Config c;
    c.devMode = devMode;

    if (devMode) {
        c.accountSid = r.text(u"TWILIO_ACCOUNT_SID"_s);
        c.authToken = r.text(u"TWILIO_AUTH_TOKEN"_s);
        c.outboundWorkflowSid = r.text(u"TWILIO_OUTBOUND_WORKFLOW_SID"_s);
        c.workspaceSid = r.text(u"TWILIO_FLEX_WORKSPACE_SID"_s);
        c.externalHost = r.text(u"EXTERNAL_HOST"_s);
    } else {
        c.accountSid = r.required(u"TWILIO_ACCOUNT_SID"_s);
        c.authToken = r.required(u"TWILIO_AUTH_TOKEN"_s);
        c.outboundWorkflowSid = r.required(u"TWILIO_OUTBOUND_WORKFLOW_SID"_s);
        c.workspaceSid = r.required(u"TWILIO_FLEX_WORKSPACE_SID"_s);
        c.externalHost = r.required(u"EXTERNAL_HOST"_s);
    }
    r.sid(u"TWILIO_ACCOUNT_SID"_s, c.accountSid, "AC"_L1);
    r.sid(u"TWILIO_OUTBOUND_WORKFLOW_SID"_s, c.outboundWorkflowSid, "WW"_L1);
    r.sid(u"TWILIO_FLEX_WORKSPACE_SID"_s, c.workspaceSid, "WS"_L1);
    if (!c.authToken.isEmpty() && c.authToken.size() < 8)
        r.fail(u"TWILIO_AUTH_TOKEN"_s, u"is too short to be an auth token"_s);
    static const QRegularExpression hostPattern(
        u"^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?$"_s);
    if (!c.externalHost.isEmpty()) {
        // "host[:port]" as in the Node original means https; a full
        // "http://host:port" is accepted for local setups without TLS.
        QString scheme = u"https"_s;
        QString authority = c.externalHost;
        if (authority.startsWith(u"http://"_s) || authority.startsWith(u"https://"_s)) {
            scheme = authority.section(u"://"_s, 0, 0);
            authority = authority.section(u"://"_s, 1);
            if (authority.endsWith(u'/'))
                authority.chop(1);
        }
        if (!hostPattern.match(authority).hasMatch()) {
            r.fail(u"EXTERNAL_HOST"_s,
                   u"must be a host name with an optional :port (or http(s)://host[:port]), "
                   u"without path"_s);
        } else {
            c.webhookBaseUrl = QUrl(scheme + u"://"_s + authority);
        }
    }

    c.apiKey = r.text(u"TWILIO_API_KEY"_s);
    c.apiSecret = r.text(u"TWILIO_API_SECRET"_s);
    if (c.apiKey.isEmpty() != c.apiSecret.isEmpty())
        r.fail(c.apiKey.isEmpty() ? u"TWILIO_API_KEY"_s : u"TWILIO_API_SECRET"_s,
               u"TWILIO_API_KEY and TWILIO_API_SECRET go together"_s);
    r.sid(u"TWILIO_API_KEY"_s, c.apiKey, "SK"_L1);

    c.region = r.text(u"TWILIO_REGION"_s).toLower();
    c.edge = r.text(u"TWILIO_EDGE"_s).toLower();
    static const QRegularExpression label(u"^[a-z0-9-]*$"_s);
    if (!label.match(c.region).hasMatch())
        r.fail(u"TWILIO_REGION"_s, u"must be a region name such as ie1"_s);
    if (!label.match(c.edge).hasMatch())
        r.fail(u"TWILIO_EDGE"_s, u"must be an edge name such as dublin"_s);
    const TwilioHosts hosts = TwilioHosts::forRegion(c.region, c.edge);
    c.apiUrl = r.url(u"TWILIO_API_URL"_s);
    c.taskrouterUrl = r.url(u"TWILIO_TASKROUTER_URL"_s);
    c.iamUrl = r.url(u"TWILIO_IAM_URL"_s);
    if (c.apiUrl.isEmpty())
        c.apiUrl = hosts.api;
    if (c.taskrouterUrl.isEmpty())
        c.taskrouterUrl = hosts.taskrouter;
    if (c.iamUrl.isEmpty())
        c.iamUrl = hosts.iam;

    c.port = quint16(r.integer(u"PORT"_s, 0, 65535)); // 0: any free port (tests)
    const QString bind =
        (devMode && !r.isSet(u"BIND_ADDRESS"_s)) ? u"127.0.0.1"_s : r.text(u"BIND_ADDRESS"_s);
    if (!c.bindAddress.setAddress(bind))
        r.fail(u"BIND_ADDRESS"_s, u"must be an IPv4 or IPv6 address"_s);
    c.allowedOrigins = r.list(u"ALLOWED_ORIGINS"_s);

    c.maxConnections = int(r.integer(u"MAX_CONNECTIONS"_s, 1, 1'000'000));
    c.maxHeadBytes = int(r.integer(u"HTTP_MAX_HEADER_BYTES"_s, 1024, 1 << 20));
    c.maxBodyBytes = int(r.integer(u"HTTP_MAX_BODY_BYTES"_s, 1024, 16 << 20));
    c.headTimeout = std::chrono::seconds(r.integer(u"HTTP_HEAD_TIMEOUT"_s, 1, 600));
    c.wsMaxMessageBytes = int(r.integer(u"WS_MAX_MESSAGE_BYTES"_s, 256, 16 << 20));
    c.tokenCacheTtl = std::chrono::seconds(r.integer(u"TOKEN_CACHE_TTL"_s, 0, 86400));
    c.tokenNegativeCacheTtl =
        std::chrono::seconds(r.integer(u"TOKEN_NEGATIVE_CACHE_TTL"_s, 0, 3600));
    c.tokenCacheSize = int(r.integer(u"TOKEN_CACHE_SIZE"_s, 0, 10'000'000));

    c.twilioMaxInFlight = int(r.integer(u"TWILIO_MAX_CONCURRENCY"_s, 1, 1000));
    c.twilioRequestTimeout = std::chrono::seconds(r.integer(u"TWILIO_REQUEST_TIMEOUT"_s, 1, 600));
    c.twilioMaxRetries = int(r.integer(u"TWILIO_MAX_RETRIES"_s, 0, 10));

    c.dialAllowAnyWorker = r.boolean(u"DIAL_ALLOW_ANY_WORKER"_s);
    c.dialAllowedPrefixes = r.list(u"DIAL_ALLOWED_PREFIXES"_s);
    static const QRegularExpression prefixPattern(u"^\\+[0-9]{1,14}$"_s);
    for (const QString &prefix : std::as_const(c.dialAllowedPrefixes)) {
        if (!prefixPattern.match(prefix).hasMatch())
            r.fail(u"DIAL_ALLOWED_PREFIXES"_s,
                   u"\"%1\" is not an E.164 prefix such as +44"_s.arg(prefix.left(20)));
    }
    c.dialMaxCallsPerMinute = int(r.integer(u"DIAL_MAX_CALLS_PER_MINUTE"_s, 0, 100000));
    c.dialCallTtl = std::chrono::seconds(r.integer(u"DIAL_CALL_TTL"_s, 60, 7 * 86400));
    c.stateDir = r.text(u"STATE_DIR"_s);
    if (c.stateDir.isEmpty())
        c.stateDir = values.value(u"STATE_DIRECTORY"_s).section(u':', 0, 0);
    if (c.stateDir.isEmpty())
        c.stateDir = u"state"_s;

    c.statsRealtimeInterval =
        std::chrono::seconds(r.integer(u"STATS_REALTIME_INTERVAL"_s, 1, 3600));
    c.statsCumulativeInterval =
        std::chrono::seconds(r.integer(u"STATS_CUMULATIVE_INTERVAL"_s, 1, 86400));
    c.statsChannels = r.list(u"STATS_CHANNELS"_s);
    static const QRegularExpression channelPattern(u"^[A-Za-z0-9_-]{1,64}$"_s);
    if (c.statsChannels.isEmpty())
        r.fail(u"STATS_CHANNELS"_s, u"must name at least one channel (or auto)"_s);
    for (const QString &channel : std::as_const(c.statsChannels)) {
        if (!channelPattern.match(channel).hasMatch())
            r.fail(u"STATS_CHANNELS"_s, u"\"%1\" is not a channel name"_s.arg(channel.left(20)));
    }
    if (c.statsChannels.contains(u"auto"_s) && c.statsChannels.size() > 1)
        r.fail(u"STATS_CHANNELS"_s, u"auto cannot be combined with channel names"_s);
    c.statsChannels.removeDuplicates();

    const QStringList sla = r.list(u"SLA_THRESHOLDS"_s);
    if (sla.isEmpty() || sla.size() > 3)
        r.fail(u"SLA_THRESHOLDS"_s, u"must list one to three thresholds in seconds"_s);
    for (const QString &item : sla) {
        bool ok = false;
        const int seconds = item.toInt(&ok);
        if (!ok || seconds <= 0 || seconds > 86400) {
            r.fail(u"SLA_THRESHOLDS"_s,
                   u"\"%1\" is not a whole number of seconds from 1 to 86400"_s.arg(item.left(20)));
            break;
        }
        if (c.slaThresholds.contains(seconds)) {
            r.fail(u"SLA_THRESHOLDS"_s, u"%1 is listed twice"_s.arg(seconds));
            break;
        }
        c.slaThresholds << seconds;
    }
    std::sort(c.slaThresholds.begin(), c.slaThresholds.end());

    const QString zone = r.text(u"STATS_TIMEZONE"_s);
    c.statsTimeZone = zone.isEmpty() ? QTimeZone::systemTimeZone() : QTimeZone(zone.toUtf8());
    if (!c.statsTimeZone.isValid())
        r.fail(u"STATS_TIMEZONE"_s, u"\"%1\" is not a known IANA time zone"_s.arg(zone.left(60)));

    c.logLevel = r.text(u"LOG_LEVEL"_s).toLower();
    if (!QStringList{u"debug"_s, u"info"_s, u"warning"_s, u"critical"_s}.contains(c.logLevel))
        r.fail(u"LOG_LEVEL"_s, u"must be debug, info, warning or critical"_s);
    c.logFormat = r.text(u"LOG_FORMAT"_s).toLower();
    if (c.logFormat != u"text" && c.logFormat != u"json")
        r.fail(u"LOG_FORMAT"_s, u"must be text or json"_s);
    c.metricsToken = r.text(u"METRICS_TOKEN"_s);
    c.shutdownTimeout = std::chrono::seconds(r.integer(u"SHUTDOWN_TIMEOUT"_s, 0, 600));
    c.tlsCertFile = r.text(u"TLS_CERT_FILE"_s);
    c.tlsKeyFile = r.text(u"TLS_KEY_FILE"_s);
    if (c.tlsCertFile.isEmpty() != c.tlsKeyFile.isEmpty())
        r.fail(c.tlsCertFile.isEmpty() ? u"TLS_CERT_FILE"_s : u"TLS_KEY_FILE"_s,
               u"TLS_CERT_FILE and TLS_KEY_FILE go together"_s);

    if (r.error)
        return {std::nullopt, r.error};
    return {c, std::nullopt};
}

LoadResult ConfigLoader::load(const Values &commandLine, const QString &envFile, bool devMode)
{
    Values values;
    const bool explicitFile = !envFile.isEmpty();
    const QString path = explicitFile ? envFile : u".env"_s;
    // The packaged unit names its env file, which may legitimately be absent.
    if (auto error = readEnvFile(path, false, values))
        return {std::nullopt, error};
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QStringList keys = env.keys();
    for (const QString &key : keys)
        values.insert(key, env.value(key));
    for (auto it = commandLine.cbegin(); it != commandLine.cend(); ++it)
        values.insert(it.key(), it.value());
    LoadResult result = build(values, devMode);
    if (result.config && QFile::exists(path))
        result.config->envFile = path;
    return result;
}

QStringList ConfigLoader::describe(const Config &c)
{
    const auto mask = [](const QString &secret) {
        return secret.isEmpty() ? u"(unset)"_s : u"(set)"_s;
    };
    QStringList zones;
    QStringList sla;
    for (int s : c.slaThresholds)
        sla << QString::number(s);
    return {
        u"TWILIO_ACCOUNT_SID="_s + c.accountSid,
        u"TWILIO_AUTH_TOKEN="_s + mask(c.authToken),
        u"TWILIO_API_KEY="_s + (c.apiKey.isEmpty() ? u"(unset)"_s : c.apiKey),
        u"TWILIO_API_SECRET="_s + mask(c.apiSecret),
        u"TWILIO_OUTBOUND_WORKFLOW_SID="_s + c.outboundWorkflowSid,
        u"TWILIO_FLEX_WORKSPACE_SID="_s + c.workspaceSid,
        u"EXTERNAL_HOST="_s + c.externalHost,
        u"TWILIO_API_URL="_s + c.apiUrl.toString(),
        u"TWILIO_TASKROUTER_URL="_s + c.taskrouterUrl.toString(),
        u"TWILIO_IAM_URL="_s + c.iamUrl.toString(),
        u"BIND_ADDRESS="_s + c.bindAddress.toString(),
        u"PORT="_s + QString::number(c.port),
        u"STATS_CHANNELS="_s + c.statsChannels.join(u','),
        u"SLA_THRESHOLDS="_s + sla.join(u','),
        u"STATS_TIMEZONE="_s + QString::fromUtf8(c.statsTimeZone.id()),
        u"STATE_DIR="_s + c.stateDir,
        u"METRICS_TOKEN="_s + mask(c.metricsToken),
        u"TLS="_s + (c.tlsEnabled() ? u"on"_s : u"off"_s),
    };
}

} // namespace flex::config
