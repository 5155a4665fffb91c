#include "config/configloader.h"
#include "config/twiliohosts.h"

#include <QFile>
#include <QTest>

using namespace flex::config;
using namespace Qt::StringLiterals;

namespace {

Values validValues()
{
    return {
        {u"TWILIO_ACCOUNT_SID"_s, u"AC0123456789abcdef0123456789abcdef"_s},
        {u"TWILIO_AUTH_TOKEN"_s, u"fedcba9876543210fedcba9876543210"_s},
        {u"TWILIO_OUTBOUND_WORKFLOW_SID"_s, u"WW0123456789abcdef0123456789abcdef"_s},
        {u"TWILIO_FLEX_WORKSPACE_SID"_s, u"WS0123456789abcdef0123456789abcdef"_s},
        {u"EXTERNAL_HOST"_s, u"flex.example.com"_s},
    };
}

} // namespace

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
    void envFile_data();
    void envFile();
    void envFileErrors_data();
    void envFileErrors();
    void hosts_data();
    void hosts();
    void describeMasksSecrets();
    void everySettingDocumented();
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
    const LoadResult r = ConfigLoader::build({}, true);
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->toString() : QString()));
    QCOMPARE(r.config->bindAddress, QHostAddress(QHostAddress::LocalHost));
    const LoadResult bound = ConfigLoader::build({{u"BIND_ADDRESS"_s, u"0.0.0.0"_s}}, true);
    QCOMPARE(bound.config->bindAddress, QHostAddress(u"0.0.0.0"_s));
}

void tst_Config::envFile_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::newRow("plain") << QByteArray("PORT=4000\n") << u"PORT"_s << u"4000"_s;
    QTest::newRow("export") << QByteArray("export PORT=4001") << u"PORT"_s << u"4001"_s;
    QTest::newRow("double quotes") << QByteArray("A=\"x y # z\"\n") << u"A"_s << u"x y # z"_s;
    QTest::newRow("single quotes") << QByteArray("A='x \\n y'\n") << u"A"_s << u"x \\n y"_s;
    QTest::newRow("comment") << QByteArray("# c\nA=b # trailing\n") << u"A"_s << u"b"_s;
    QTest::newRow("crlf") << QByteArray("A=b\r\nB=c\r\n") << u"A"_s << u"b"_s;
    QTest::newRow("equals in value") << QByteArray("A=b=c") << u"A"_s << u"b=c"_s;
    QTest::newRow("empty value") << QByteArray("A=") << u"A"_s << QString();
}

void tst_Config::envFile()
{
    QFETCH(QByteArray, contents);
    QFETCH(QString, key);
    QFETCH(QString, value);
    Values values;
    QVERIFY(!ConfigLoader::parseEnvFile(contents, values));
    QVERIFY(values.contains(key));
    QCOMPARE(values.value(key), value);
}

void tst_Config::envFileErrors_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("says");
    QTest::newRow("no equals") << QByteArray("PORT 3000\n") << u"line 1"_s;
    QTest::newRow("bad key") << QByteArray("A=1\n1X=2\n") << u"line 2"_s;
}

void tst_Config::envFileErrors()
{
    QFETCH(QByteArray, contents);
    QFETCH(QString, says);
    Values values;
    const auto error = ConfigLoader::parseEnvFile(contents, values);
    QVERIFY(error);
    QVERIFY2(error->message.contains(says), qPrintable(error->toString()));
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
    QTest::newRow("region alone") << u"au1"_s << QString() << u"api.au1.twilio.com"_s
                                  << u"taskrouter.au1.twilio.com"_s;
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
    QVERIFY(r.ok());
    QCOMPARE(r.config->apiUrl.host(), api);
    QCOMPARE(r.config->taskrouterUrl.host(), taskrouter);
    QCOMPARE(r.config->apiUrl.scheme(), u"https"_s);

    // An explicit base URL wins over region naming.
    values.insert(u"TWILIO_API_URL"_s, u"http://127.0.0.1:9/"_s);
    const LoadResult overridden = ConfigLoader::build(values, false);
    QCOMPARE(overridden.config->apiUrl, QUrl(u"http://127.0.0.1:9"_s));
}

void tst_Config::describeMasksSecrets()
{
    Values values = validValues();
    values.insert(u"TWILIO_API_KEY"_s, u"SK0123456789abcdef0123456789abcdef"_s);
    values.insert(u"TWILIO_API_SECRET"_s, u"api-secret-value-123456"_s);
    values.insert(u"METRICS_TOKEN"_s, u"metrics-token-value-123456"_s);
    const LoadResult r = ConfigLoader::build(values, false);
    QVERIFY(r.ok());
    QCOMPARE(r.config->restUsername(), values.value(u"TWILIO_API_KEY"_s));
    const QString text = ConfigLoader::describe(*r.config).join(u'\n');
    QVERIFY(text.contains(u"TWILIO_ACCOUNT_SID=AC0123"_s));
    for (const QString &secret :
         {values.value(u"TWILIO_AUTH_TOKEN"_s), values.value(u"TWILIO_API_SECRET"_s),
          values.value(u"METRICS_TOKEN"_s)})
        QVERIFY2(!text.contains(secret), "a secret appears in the effective configuration");
}

void tst_Config::everySettingDocumented()
{
    QFile readme(qEnvironmentVariable("FLEX_SOURCE_DIR") + u"/README.md"_s);
    QVERIFY2(readme.open(QIODevice::ReadOnly), "README.md not found (FLEX_SOURCE_DIR)");
    const QByteArray text = readme.readAll();
    for (const SettingInfo &s : ConfigLoader::settings())
        QVERIFY2(text.contains(QByteArray("`" + s.env.toUtf8() + "`")),
                 qPrintable(s.env + u" is not in README.md's configuration table"_s));
}

QTEST_GUILESS_MAIN(tst_Config)
#include "tst_config.moc"
