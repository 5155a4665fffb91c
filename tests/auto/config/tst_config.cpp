// The setting table: defaults, every kind of value and its faults, Twilio
// hosts per region and edge, Redis URLs, trusted proxies.

#include "config/configloader.h"
#include "config/twiliohosts.h"
#include "validvalues.h"

#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace flex::config;
using namespace Qt::StringLiterals;

class tst_Config : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void defaults();
    void faulty_data();
    void faulty();
    void accepted_data();
    void accepted();
    void externalHost_data();
    void externalHost();
    void devModeNeedsNoAccount();
    void hosts_data();
    void hosts();
    void regionErrors_data();
    void regionErrors();
    void redisUrl_data();
    void redisUrl();
    void redisUrlErrors_data();
    void redisUrlErrors();
    void trustedProxies_data();
    void trustedProxies();
    void iamCredentials();
    void defaultsHelper();
};

void tst_Config::defaults()
{
    const LoadResult r = ConfigLoader::build(validValues(), false);
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->toString() : QString()));
    const Config &c = *r.config;
    QCOMPARE(c.port, 3000);
    QCOMPARE(c.bindAddress, QHostAddress(u"0.0.0.0"_s));
    QCOMPARE(c.statsChannels, QStringList({u"all"_s, u"voice"_s, u"chat"_s, u"video"_s}));
    QCOMPARE(c.slaThresholds, QList<int>({30, 60, 120}));
    QCOMPARE(c.statsRealtimeInterval, std::chrono::seconds(5));
    QCOMPARE(c.statsCumulativeInterval, std::chrono::seconds(30));
    QCOMPARE(c.twilioMaxInFlight, 20);
    QCOMPARE(c.maxBodyBytes, 65536);
    QCOMPARE(c.apiUrl, QUrl(u"https://api.twilio.com"_s));
    QCOMPARE(c.taskrouterUrl, QUrl(u"https://taskrouter.twilio.com"_s));
    QCOMPARE(c.iamUrl, QUrl(u"https://iam.twilio.com"_s));
    QCOMPARE(c.webhookBaseUrl, QUrl(u"https://flex.example.com"_s));
    QCOMPARE(c.restUsername(), c.accountSid);
    QCOMPARE(c.restPassword(), c.authToken);
    QCOMPARE(c.iamUsername(), c.accountSid);
    QCOMPARE(c.iamPassword(), c.authToken);
    QCOMPARE(c.authRatePerAddress, 30);
    QCOMPARE(c.maxConnectionsPerAddress, 1000);
    QCOMPARE(c.trustedProxies.size(), 2); // a proxy on this host: 127.0.0.0/8 and ::1
    QVERIFY(!c.redis.enabled);
    QCOMPARE(c.redisKeyPrefix, u"flex-backend:"_s);
    QVERIFY2(c.instanceId.endsWith(u'-' + QString::number(QCoreApplication::applicationPid())),
             qPrintable(c.instanceId));
    QCOMPARE(c.idleTimeout, std::chrono::seconds(60));
    QCOMPARE(c.wsPingInterval, std::chrono::seconds(30));
    QCOMPARE(c.twilioRetryBaseDelay, std::chrono::milliseconds(250));
    QCOMPARE(c.twilioRetryMaxDelay, std::chrono::milliseconds(8000));
    QCOMPARE(c.dialMaxHeldCallbacks, 10000);
    QCOMPARE(c.sourceOf(u"PORT"_s), Source::Default);
    QCOMPARE(c.sourceOf(u"TWILIO_ACCOUNT_SID"_s), Source::Environment);
}

void tst_Config::faulty_data()
{
    QTest::addColumn<QString>("variable");
    QTest::addColumn<QString>("value"); // empty: remove it
    QTest::addColumn<QString>("blamed");
    QTest::addColumn<QString>("says");

    QTest::newRow("account sid unset")
        << u"TWILIO_ACCOUNT_SID"_s << QString() << u"TWILIO_ACCOUNT_SID"_s << u"not set"_s;
    QTest::newRow("account sid malformed")
        << u"TWILIO_ACCOUNT_SID"_s << u"AC123"_s << u"TWILIO_ACCOUNT_SID"_s << u"32 hex"_s;
    QTest::newRow("account sid wrong prefix")
        << u"TWILIO_ACCOUNT_SID"_s << u"WS0123456789abcdef0123456789abcdef"_s
        << u"TWILIO_ACCOUNT_SID"_s << u"AC followed"_s;
    QTest::newRow("auth token unset")
        << u"TWILIO_AUTH_TOKEN"_s << QString() << u"TWILIO_AUTH_TOKEN"_s << u"not set"_s;
    QTest::newRow("workflow malformed") << u"TWILIO_OUTBOUND_WORKFLOW_SID"_s << u"WWxyz"_s
                                        << u"TWILIO_OUTBOUND_WORKFLOW_SID"_s << u"WW followed"_s;
    QTest::newRow("workspace unset") << u"TWILIO_FLEX_WORKSPACE_SID"_s << QString()
                                     << u"TWILIO_FLEX_WORKSPACE_SID"_s << u"not set"_s;
    QTest::newRow("external host with path")
        << u"EXTERNAL_HOST"_s << u"example.com/x"_s << u"EXTERNAL_HOST"_s << u"without path"_s;
    QTest::newRow("external host unset")
        << u"EXTERNAL_HOST"_s << QString() << u"EXTERNAL_HOST"_s << u"not set"_s;
    QTest::newRow("port text") << u"PORT"_s << u"http"_s << u"PORT"_s << u"whole number"_s;
    QTest::newRow("port too big") << u"PORT"_s << u"70000"_s << u"PORT"_s << u"0 to 65535"_s;
    QTest::newRow("bind address") << u"BIND_ADDRESS"_s << u"localhost:80"_s << u"BIND_ADDRESS"_s
                                  << u"IPv4 or IPv6"_s;
    QTest::newRow("api key alone") << u"TWILIO_API_KEY"_s << u"SK0123456789abcdef0123456789abcdef"_s
                                   << u"TWILIO_API_SECRET"_s << u"go together"_s;
    QTest::newRow("api url scheme")
        << u"TWILIO_API_URL"_s << u"ftp://x"_s << u"TWILIO_API_URL"_s << u"http"_s;
    QTest::newRow("max concurrency 0")
        << u"TWILIO_MAX_CONCURRENCY"_s << u"0"_s << u"TWILIO_MAX_CONCURRENCY"_s << u"1 to 1000"_s;
    QTest::newRow("sla four") << u"SLA_THRESHOLDS"_s << u"10,20,30,40"_s << u"SLA_THRESHOLDS"_s
                              << u"one to three"_s;
    QTest::newRow("sla duplicate")
        << u"SLA_THRESHOLDS"_s << u"30,30"_s << u"SLA_THRESHOLDS"_s << u"twice"_s;
    QTest::newRow("sla negative") << u"SLA_THRESHOLDS"_s << u"-5"_s << u"SLA_THRESHOLDS"_s
                                  << u"whole number"_s;
    QTest::newRow("sla zero") << u"SLA_THRESHOLDS"_s << u"0,30"_s << u"SLA_THRESHOLDS"_s
                              << u"whole number"_s;
    QTest::newRow("sla text") << u"SLA_THRESHOLDS"_s << u"thirty"_s << u"SLA_THRESHOLDS"_s
                              << u"whole number"_s;
    QTest::newRow("sla empty list")
        << u"SLA_THRESHOLDS"_s << u","_s << u"SLA_THRESHOLDS"_s << u"one to three"_s;
    QTest::newRow("channels auto mixed")
        << u"STATS_CHANNELS"_s << u"auto,voice"_s << u"STATS_CHANNELS"_s << u"auto"_s;
    QTest::newRow("channels bad name")
        << u"STATS_CHANNELS"_s << u"all,vo ice"_s << u"STATS_CHANNELS"_s << u"not a channel"_s;
    QTest::newRow("time zone") << u"STATS_TIMEZONE"_s << u"Mars/Olympus"_s << u"STATS_TIMEZONE"_s
                               << u"IANA"_s;
    QTest::newRow("interval zero")
        << u"STATS_REALTIME_INTERVAL"_s << u"0"_s << u"STATS_REALTIME_INTERVAL"_s << u"1 to 3600"_s;
    QTest::newRow("log level") << u"LOG_LEVEL"_s << u"loud"_s << u"LOG_LEVEL"_s << u"debug, info"_s;
    QTest::newRow("log format") << u"LOG_FORMAT"_s << u"xml"_s << u"LOG_FORMAT"_s
                                << u"text or json"_s;
    QTest::newRow("dial prefix") << u"DIAL_ALLOWED_PREFIXES"_s << u"+1,44"_s
                                 << u"DIAL_ALLOWED_PREFIXES"_s << u"E.164"_s;
    QTest::newRow("allow any worker") << u"DIAL_ALLOW_ANY_WORKER"_s << u"maybe"_s
                                      << u"DIAL_ALLOW_ANY_WORKER"_s << u"true or false"_s;
    QTest::newRow("tls half") << u"TLS_CERT_FILE"_s << u"/x.pem"_s << u"TLS_KEY_FILE"_s
                              << u"go together"_s;
    QTest::newRow("region") << u"TWILIO_REGION"_s << u"ie1/"_s << u"TWILIO_REGION"_s << u"region"_s;
    QTest::newRow("iam key alone")
        << u"TWILIO_IAM_API_KEY"_s << u"SK0123456789abcdef0123456789abcdef"_s
        << u"TWILIO_IAM_API_SECRET"_s << u"go together"_s;
    QTest::newRow("iam key malformed")
        << u"TWILIO_IAM_API_KEY"_s << u"AK123"_s << u"TWILIO_IAM_API_KEY"_s << u"SK followed"_s;
    QTest::newRow("iam secret alone") << u"TWILIO_IAM_API_SECRET"_s << u"s3cret-value"_s
                                      << u"TWILIO_IAM_API_KEY"_s << u"go together"_s;
    QTest::newRow("auth rate zero")
        << u"AUTH_RATE_PER_ADDRESS"_s << u"0"_s << u"AUTH_RATE_PER_ADDRESS"_s << u"1 to 1000000"_s;
    QTest::newRow("per address text") << u"MAX_CONNECTIONS_PER_ADDRESS"_s << u"many"_s
                                      << u"MAX_CONNECTIONS_PER_ADDRESS"_s << u"whole number"_s;
    QTest::newRow("proxy name") << u"TRUSTED_PROXIES"_s << u"10.0.0.1,proxy.local"_s
                                << u"TRUSTED_PROXIES"_s << u"proxy.local"_s;
    QTest::newRow("proxy prefix") << u"TRUSTED_PROXIES"_s << u"10.0.0.0/33"_s
                                  << u"TRUSTED_PROXIES"_s << u"CIDR"_s;
    QTest::newRow("instance id") << u"INSTANCE_ID"_s << u"a b"_s << u"INSTANCE_ID"_s
                                 << u"letters, digits"_s;
    QTest::newRow("key prefix space") << u"REDIS_KEY_PREFIX"_s << u"flex backend:"_s
                                      << u"REDIS_KEY_PREFIX"_s << u"without spaces"_s;
    QTest::newRow("idle timeout") << u"HTTP_IDLE_TIMEOUT"_s << u"0"_s << u"HTTP_IDLE_TIMEOUT"_s
                                  << u"1 to 3600"_s;
    QTest::newRow("retry delay") << u"TWILIO_RETRY_BASE_DELAY_MS"_s << u"-1"_s
                                 << u"TWILIO_RETRY_BASE_DELAY_MS"_s << u"1 to 60000"_s;
}

void tst_Config::faulty()
{
    QFETCH(QString, variable);
    QFETCH(QString, value);
    QFETCH(QString, blamed);
    QFETCH(QString, says);
    Values values = validValues();
    if (value.isEmpty())
        values.remove(variable);
    else
        values.insert(variable, value);
    const LoadResult r = ConfigLoader::build(values, false);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->variable, blamed);
    QVERIFY2(r.error->message.contains(says), qPrintable(r.error->toString()));
    QVERIFY(!r.error->toString().contains(u'\n'));
}

void tst_Config::accepted_data()
{
    QTest::addColumn<QString>("variable");
    QTest::addColumn<QString>("value");
    QTest::newRow("sla one") << u"SLA_THRESHOLDS"_s << u"20"_s;
    QTest::newRow("sla spaces") << u"SLA_THRESHOLDS"_s << u" 120 , 30 "_s;
    QTest::newRow("channels auto") << u"STATS_CHANNELS"_s << u"auto"_s;
    QTest::newRow("ipv6 bind") << u"BIND_ADDRESS"_s << u"::1"_s;
    QTest::newRow("zone") << u"STATS_TIMEZONE"_s << u"America/New_York"_s;
    QTest::newRow("prefixes") << u"DIAL_ALLOWED_PREFIXES"_s << u"+1, +44"_s;
    QTest::newRow("bool yes") << u"DIAL_ALLOW_ANY_WORKER"_s << u"yes"_s;
    QTest::newRow("port zero") << u"PORT"_s << u"0"_s;
}

void tst_Config::accepted()
{
    QFETCH(QString, variable);
    QFETCH(QString, value);
    Values values = validValues();
    values.insert(variable, value);
    const LoadResult r = ConfigLoader::build(values, false);
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->toString() : QString()));
    if (variable == u"SLA_THRESHOLDS"_s && value.contains(u','))
        QCOMPARE(r.config->slaThresholds, QList<int>({30, 120}));
    if (variable == u"DIAL_ALLOWED_PREFIXES"_s)
        QCOMPARE(r.config->dialAllowedPrefixes, QStringList({u"+1"_s, u"+44"_s}));
}

void tst_Config::externalHost_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QUrl>("base");
    QTest::newRow("host") << u"flex.example.com"_s << QUrl(u"https://flex.example.com"_s);
    QTest::newRow("host port") << u"flex.example.com:8443"_s
                               << QUrl(u"https://flex.example.com:8443"_s);
    QTest::newRow("http url") << u"http://127.0.0.1:3000"_s << QUrl(u"http://127.0.0.1:3000"_s);
    QTest::newRow("https url slash") << u"https://a.example/"_s << QUrl(u"https://a.example"_s);
}

void tst_Config::externalHost()
{
    QFETCH(QString, value);
    QFETCH(QUrl, base);
    Values values = validValues();
    values.insert(u"EXTERNAL_HOST"_s, value);
    const LoadResult r = ConfigLoader::build(values, false);
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->toString() : QString()));
    QCOMPARE(r.config->webhookBaseUrl, base);
}

void tst_Config::devModeNeedsNoAccount()
{
    const LoadResult r = ConfigLoader::build(Values{}, true);
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->toString() : QString()));
    QCOMPARE(r.config->bindAddress, QHostAddress(QHostAddress::LocalHost));
    const LoadResult bound = ConfigLoader::build(Values{{u"BIND_ADDRESS"_s, u"0.0.0.0"_s}}, true);
    QCOMPARE(bound.config->bindAddress, QHostAddress(u"0.0.0.0"_s));
}

void tst_Config::hosts_data()
{
    QTest::addColumn<QString>("region");
    QTest::addColumn<QString>("edge");
    QTest::addColumn<QString>("api");
    QTest::addColumn<QString>("taskrouter");
    QTest::newRow("none") << QString() << QString() << u"api.twilio.com"_s
                          << u"taskrouter.twilio.com"_s;
    QTest::newRow("edge and region") << u"ie1"_s << u"dublin"_s << u"api.dublin.ie1.twilio.com"_s
                                     << u"taskrouter.dublin.ie1.twilio.com"_s;
    QTest::newRow("edge alone") << QString() << u"sydney"_s << u"api.sydney.us1.twilio.com"_s
                                << u"taskrouter.sydney.us1.twilio.com"_s;
    QTest::newRow("au1 sydney") << u"au1"_s << u"sydney"_s << u"api.sydney.au1.twilio.com"_s
                                << u"taskrouter.sydney.au1.twilio.com"_s;
    QTest::newRow("us1 alone") << u"us1"_s << QString() << u"api.twilio.com"_s
                               << u"taskrouter.twilio.com"_s;
    QTest::newRow("us1 ashburn") << u"us1"_s << u"ashburn"_s << u"api.ashburn.us1.twilio.com"_s
                                 << u"taskrouter.ashburn.us1.twilio.com"_s;
    QTest::newRow("upper case") << u"IE1"_s << u"Dublin"_s << u"api.dublin.ie1.twilio.com"_s
                                << u"taskrouter.dublin.ie1.twilio.com"_s;
}

void tst_Config::hosts()
{
    QFETCH(QString, region);
    QFETCH(QString, edge);
    QFETCH(QString, api);
    QFETCH(QString, taskrouter);
    Values values = validValues();
    values.insert(u"TWILIO_REGION"_s, region);
    values.insert(u"TWILIO_EDGE"_s, edge);
    const LoadResult r = ConfigLoader::build(values, false);
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->toString() : QString()));
    QCOMPARE(r.config->apiUrl.host(), api);
    QCOMPARE(r.config->taskrouterUrl.host(), taskrouter);
    QCOMPARE(r.config->apiUrl.scheme(), u"https"_s);
    // Token validation is never regionalised (as the official validator).
    QCOMPARE(r.config->iamUrl, QUrl(u"https://iam.twilio.com"_s));

    // An explicit base URL wins over region naming.
    values.insert(u"TWILIO_API_URL"_s, u"http://127.0.0.1:9/"_s);
    const LoadResult overridden = ConfigLoader::build(values, false);
    QCOMPARE(overridden.config->apiUrl, QUrl(u"http://127.0.0.1:9"_s));
}

void tst_Config::regionErrors_data()
{
    QTest::addColumn<QString>("region");
    QTest::addColumn<QString>("edge");
    QTest::addColumn<QString>("says");
    QTest::newRow("ie1 alone") << u"ie1"_s << QString() << u"add TWILIO_EDGE=dublin"_s;
    QTest::newRow("au1 alone") << u"au1"_s << QString() << u"add TWILIO_EDGE=sydney"_s;
    QTest::newRow("retired region") << u"de1"_s << u"frankfurt"_s << u"us1, ie1 and au1"_s;
    QTest::newRow("us2") << u"us2"_s << QString() << u"us1, ie1 and au1"_s;
}

void tst_Config::regionErrors()
{
    QFETCH(QString, region);
    QFETCH(QString, edge);
    QFETCH(QString, says);
    Values values = validValues();
    values.insert(u"TWILIO_REGION"_s, region);
    values.insert(u"TWILIO_EDGE"_s, edge);
    const LoadResult r = ConfigLoader::build(values, false);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->variable, u"TWILIO_REGION"_s);
    QVERIFY2(r.error->message.contains(says), qPrintable(r.error->toString()));
}

void tst_Config::redisUrl_data()
{
    using T = RedisEndpoint::Transport;
    QTest::addColumn<QString>("url");
    QTest::addColumn<int>("transport");
    QTest::addColumn<QString>("host"); // or socket path
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<int>("db");
    QTest::newRow("host") << u"redis://cache"_s << int(T::Tcp) << u"cache"_s << 6379 << QString()
                          << QString() << 0;
    QTest::newRow("port db") << u"redis://10.0.0.5:6380/3"_s << int(T::Tcp) << u"10.0.0.5"_s << 6380
                             << QString() << QString() << 3;
    QTest::newRow("password") << u"redis://:s3cr%40t@cache/"_s << int(T::Tcp) << u"cache"_s << 6379
                              << QString() << u"s3cr@t"_s << 0;
    QTest::newRow("user password") << u"redis://flex:pw@cache:7000"_s << int(T::Tcp) << u"cache"_s
                                   << 7000 << u"flex"_s << u"pw"_s << 0;
    QTest::newRow("tls") << u"rediss://cache.example:6380/1"_s << int(T::Tls) << u"cache.example"_s
                         << 6380 << QString() << QString() << 1;
    QTest::newRow("ipv6") << u"redis://[::1]:6379"_s << int(T::Tcp) << u"::1"_s << 6379 << QString()
                          << QString() << 0;
    QTest::newRow("unix") << u"unix:///run/redis/redis.sock"_s << int(T::Unix)
                          << u"/run/redis/redis.sock"_s << 0 << QString() << QString() << 0;
    QTest::newRow("unix db password") << u"unix://:pw@/run/redis.sock?db=2"_s << int(T::Unix)
                                      << u"/run/redis.sock"_s << 0 << QString() << u"pw"_s << 2;
}

void tst_Config::redisUrl()
{
    QFETCH(QString, url);
    QFETCH(int, transport);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, user);
    QFETCH(QString, password);
    QFETCH(int, db);
    Values values = validValues();
    values.insert(u"REDIS_URL"_s, url);
    const LoadResult r = ConfigLoader::build(values, false);
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->toString() : QString()));
    const RedisEndpoint &redis = r.config->redis;
    QVERIFY(redis.enabled);
    QCOMPARE(int(redis.transport), transport);
    QCOMPARE(redis.transport == RedisEndpoint::Transport::Unix ? redis.socketPath : redis.host,
             host);
    QCOMPARE(int(redis.port), port);
    QCOMPARE(redis.user, user);
    QCOMPARE(redis.password, password);
    QCOMPARE(redis.db, db);
    const QString shown = ConfigLoader::describe(*r.config).join(u'\n');
    if (!password.isEmpty()) {
        QVERIFY2(!shown.contains(password), "the Redis password is shown");
        QVERIFY(shown.contains(u":***@"_s));
    }
}

void tst_Config::redisUrlErrors_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("says");
    QTest::newRow("http") << u"http://user:hunter2x@cache:6379"_s << u"must be redis://"_s;
    QTest::newRow("no scheme") << u"cache:6379"_s << u"must be redis://"_s;
    QTest::newRow("no host") << u"redis://:hunter2x@/0"_s << u"host is missing"_s;
    QTest::newRow("bad port") << u"redis://:hunter2x@cache:99999"_s << u"must be redis://"_s;
    QTest::newRow("port zero") << u"redis://:hunter2x@cache:0"_s << u"port 0"_s;
    QTest::newRow("bad db") << u"redis://:hunter2x@cache/zero"_s << u"database"_s;
    QTest::newRow("query") << u"redis://:hunter2x@cache/0?db=1"_s << u"database"_s;
    QTest::newRow("unix relative") << u"unix://hunter2x@host/x.sock"_s << u"absolute"_s;
    QTest::newRow("unix bad db") << u"unix:///x.sock?db=x"_s << u"database"_s;
    QTest::newRow("unescaped at") << u"redis://:hun@ter2x@cache"_s << u"must be redis://"_s;
}

void tst_Config::redisUrlErrors()
{
    QFETCH(QString, url);
    QFETCH(QString, says);
    Values values = validValues();
    values.insert(u"REDIS_URL"_s, url);
    const LoadResult r = ConfigLoader::build(values, false);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->variable, u"REDIS_URL"_s);
    QVERIFY2(r.error->message.contains(says), qPrintable(r.error->message));
    QVERIFY2(!r.error->toString().contains(u"hunter2x"_s) &&
                 !r.error->toString().contains(u"ter2x"_s),
             "the error repeats the password");
}

void tst_Config::trustedProxies_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("shown");
    QTest::newRow("unset: a proxy on this host") << QString() << u"127.0.0.0/8,::1/128"_s;
    QTest::newRow("none") << u"none"_s << QString();
    QTest::newRow("one address") << u"127.0.0.1"_s << u"127.0.0.1/32"_s;
    QTest::newRow("cidr and v6") << u" 10.0.0.0/8 , ::1 "_s << u"10.0.0.0/8,::1/128"_s;
    QTest::newRow("host bits dropped") << u"192.168.1.7/16"_s << u"192.168.0.0/16"_s;
    QTest::newRow("duplicate") << u"10.1.1.1,10.1.1.1"_s << u"10.1.1.1/32"_s;
}

void tst_Config::trustedProxies()
{
    QFETCH(QString, value);
    QFETCH(QString, shown);
    Values values = validValues();
    values.insert(u"TRUSTED_PROXIES"_s, value);
    const LoadResult r = ConfigLoader::build(values, false);
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->toString() : QString()));
    QStringList items;
    for (const auto &[address, prefix] : r.config->trustedProxies)
        items << address.toString() + u'/' + QString::number(prefix);
    QCOMPARE(items.join(u','), shown);
    if (!shown.isEmpty())
        QVERIFY(r.config->trustedProxies.first().first.protocol() !=
                QAbstractSocket::UnknownNetworkLayerProtocol);
}

void tst_Config::iamCredentials()
{
    Values values = validValues();
    values.insert(u"TWILIO_API_KEY"_s, u"SK11111111111111111111111111111111"_s);
    values.insert(u"TWILIO_API_SECRET"_s, u"rest-secret-123456"_s);
    values.insert(u"TWILIO_IAM_API_KEY"_s, u"SK22222222222222222222222222222222"_s);
    values.insert(u"TWILIO_IAM_API_SECRET"_s, u"iam-secret-123456"_s);
    const LoadResult r = ConfigLoader::build(values, false);
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->toString() : QString()));
    QCOMPARE(r.config->restUsername(), u"SK11111111111111111111111111111111"_s);
    QCOMPARE(r.config->iamUsername(), u"SK22222222222222222222222222222222"_s);
    QCOMPARE(r.config->iamPassword(), u"iam-secret-123456"_s);
}

void tst_Config::defaultsHelper()
{
    const Config c = Config::defaults();
    QVERIFY(!c.devMode);
    QCOMPARE(c.statsChannels, QStringList({u"all"_s, u"voice"_s, u"chat"_s, u"video"_s}));
    QCOMPARE(c.slaThresholds, QList<int>({30, 60, 120}));
    QCOMPARE(c.tokenCacheTtl, std::chrono::seconds(300));
    QCOMPARE(c.maxConnections, 0); // as many as the open-files limit allows
    QVERIFY(c.statsTimeZone.isValid());
}

QTEST_GUILESS_MAIN(tst_Config)
#include "tst_config.moc"
