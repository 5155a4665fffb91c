// The configuration as a user meets it through the real binary:
// --print-config, the effective configuration logged at start, and the exit
// codes of start-up errors (78 configuration, 1 failure, 64 usage).

#include "serviceprocess.h"

#include "emulator/twilioemulator.h"

#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace flex::testing;
using namespace Qt::StringLiterals;

namespace {

const QString authToken = u"auth-token-value-0123456789abcdef"_s;
const QString apiSecret = u"api-secret-value-0123456789"_s;
const QString iamSecret = u"iam-secret-value-0123456789"_s;
const QString redisPassword = u"redis-password-0123456789"_s;

// A complete, valid account configuration (nothing is contacted), run in
// a scratch directory (state files, no ./.env).
void setAccount(ServiceProcess &p, const QTemporaryDir &dir)
{
    p.setWorkingDirectory(dir.path());
    p.setEnv(u"TWILIO_ACCOUNT_SID"_s, u"AC0123456789abcdef0123456789abcdef"_s);
    p.setEnv(u"TWILIO_AUTH_TOKEN"_s, authToken);
    p.setEnv(u"TWILIO_OUTBOUND_WORKFLOW_SID"_s, u"WW0123456789abcdef0123456789abcdef"_s);
    p.setEnv(u"TWILIO_FLEX_WORKSPACE_SID"_s, u"WS0123456789abcdef0123456789abcdef"_s);
    p.setEnv(u"EXTERNAL_HOST"_s, u"flex.example.com"_s);
}

} // namespace

class tst_ConfigCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void printConfig_data();
    void printConfig();
    void printConfigMasksSecrets();
    void startupErrors_data();
    void startupErrors();
    void portInUseIsAFailure();
    void effectiveConfigurationLogged();

private:
    QTemporaryDir m_dir;
};

void tst_ConfigCli::initTestCase()
{
    QVERIFY2(!ServiceProcess::binary().isEmpty(), "FLEX_BACKEND_BIN is not set");
    QVERIFY(m_dir.isValid());
}

void tst_ConfigCli::printConfig_data()
{
    QTest::addColumn<QStringList>("env"); // NAME=value
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("lines"); // each must appear as a whole line

    QTest::newRow("dublin")
        << QStringList{u"TWILIO_REGION=ie1"_s, u"TWILIO_EDGE=dublin"_s} << QStringList{}
        << QStringList{
               u"TWILIO_REGION=ie1 (environment)"_s,
               u"TWILIO_EDGE=dublin (environment)"_s,
               u"Voice API base URL: https://api.dublin.ie1.twilio.com"_s,
               u"TaskRouter base URL: https://taskrouter.dublin.ie1.twilio.com"_s,
               u"IAM (Flex token validation) base URL: https://iam.twilio.com"_s,
           };
    QTest::newRow("sydney") << QStringList{u"TWILIO_REGION=au1"_s, u"TWILIO_EDGE=sydney"_s}
                            << QStringList{}
                            << QStringList{
                                   u"Voice API base URL: https://api.sydney.au1.twilio.com"_s};
    QTest::newRow("edge alone") << QStringList{u"TWILIO_EDGE=dublin"_s} << QStringList{}
                                << QStringList{
                                       u"Voice API base URL: https://api.dublin.us1.twilio.com"_s};
    QTest::newRow("defaults") << QStringList{} << QStringList{}
                              << QStringList{u"PORT=3000 (default)"_s,
                                             u"REDIS_URL=(unset) (default)"_s,
                                             u"REDIS_KEY_PREFIX=flex-backend: (default)"_s,
                                             u"TWILIO_AUTH_TOKEN=(set) (environment)"_s,
                                             u"Voice API base URL: https://api.twilio.com"_s};
    QTest::newRow("command line wins")
        << QStringList{u"PORT=4000"_s} << QStringList{u"--port"_s, u"4001"_s}
        << QStringList{u"PORT=4001 (command line)"_s};
    QTest::newRow("proxies") << QStringList{u"TRUSTED_PROXIES=10.0.0.0/8, 127.0.0.1"_s}
                             << QStringList{}
                             << QStringList{
                                    u"TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1/32 (environment)"_s};
}

void tst_ConfigCli::printConfig()
{
    QFETCH(QStringList, env);
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, lines);
    ServiceProcess p;
    setAccount(p, m_dir);
    for (const QString &pair : env)
        p.setEnv(pair.section(u'=', 0, 0), pair.section(u'=', 1));
    QVERIFY(p.run(QStringList{u"--print-config"_s} + arguments));
    const QString out = QString::fromUtf8(p.output());
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 0, qPrintable(out));
    const QStringList printed = out.split(u'\n');
    for (const QString &line : lines)
        QVERIFY2(printed.contains(line), qPrintable(line + u" missing in:\n"_s + out));
}

void tst_ConfigCli::printConfigMasksSecrets()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(dir.filePath(u"flex.env"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    const QByteArray contents = "TWILIO_API_KEY=SK0123456789abcdef0123456789abcdef\n"
                                "TWILIO_API_SECRET=" +
                                apiSecret.toUtf8() + '\n';
    file.write(contents);
    file.close();
    ServiceProcess p;
    setAccount(p, m_dir);
    p.setEnv(u"TWILIO_IAM_API_KEY"_s, u"SK1123456789abcdef0123456789abcdef"_s);
    p.setEnv(u"TWILIO_IAM_API_SECRET"_s, iamSecret);
    p.setEnv(u"METRICS_TOKEN"_s, u"metrics-token-0123456789"_s);
    p.setEnv(u"REDIS_URL"_s, u"redis://flex:"_s + redisPassword + u"@cache:6380/1"_s);
    QVERIFY(p.run({u"--print-config"_s, u"--env-file"_s, file.fileName()}));
    const QString out = QString::fromUtf8(p.output());
    QVERIFY2(p.exitCode() == 0, qPrintable(out));
    for (const QString &secret :
         {authToken, apiSecret, iamSecret, redisPassword, u"metrics-token-0123456789"_s})
        QVERIFY2(!out.contains(secret), "a secret is printed");
    const QStringList printed = out.split(u'\n');
    for (const QString &line : {u"TWILIO_API_SECRET=(set) (env file)"_s,
                                u"TWILIO_API_KEY=SK0123456789abcdef0123456789abcdef (env file)"_s,
                                u"TWILIO_IAM_API_SECRET=(set) (environment)"_s,
                                u"REDIS_URL=redis://flex:***@cache:6380/1 (environment)"_s})
        QVERIFY2(printed.contains(line), qPrintable(line + u" missing in:\n"_s + out));
}

void tst_ConfigCli::startupErrors_data()
{
    QTest::addColumn<QStringList>("env"); // NAME=value
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("says");

    QTest::newRow("region without edge")
        << QStringList{u"TWILIO_REGION=ie1"_s} << QStringList{u"--print-config"_s} << 78
        << u"TWILIO_REGION: ie1 needs an edge: add TWILIO_EDGE=dublin"_s;
    QTest::newRow("au1 without edge") << QStringList{u"TWILIO_REGION=au1"_s} << QStringList{} << 78
                                      << u"add TWILIO_EDGE=sydney"_s;
    QTest::newRow("unknown region") << QStringList{u"TWILIO_REGION=eu1"_s, u"TWILIO_EDGE=x"_s}
                                    << QStringList{} << 78 << u"TWILIO_REGION:"_s;
    QTest::newRow("redis url") << QStringList{u"REDIS_URL=http://:"_s + redisPassword + u"@x"_s}
                               << QStringList{u"--print-config"_s} << 78 << u"REDIS_URL: must be"_s;
    QTest::newRow("missing env file")
        << QStringList{} << QStringList{u"--env-file"_s, u"/nonexistent/flex.env"_s} << 78
        << u"--env-file: /nonexistent/flex.env does not exist"_s;
    QTest::newRow("proxy") << QStringList{u"TRUSTED_PROXIES=proxy.example"_s} << QStringList{} << 78
                           << u"TRUSTED_PROXIES: \"proxy.example\""_s;
    QTest::newRow("tls file missing")
        << QStringList{u"TLS_CERT_FILE=/nonexistent/cert.pem"_s,
                       u"TLS_KEY_FILE=/nonexistent/key.pem"_s, u"PORT=0"_s,
                       u"BIND_ADDRESS=127.0.0.1"_s}
        << QStringList{} << 78 << u"TLS_CERT_FILE: cannot read /nonexistent/cert.pem"_s;
    QTest::newRow("unknown option")
        << QStringList{} << QStringList{u"--no-such-option"_s} << 64 << u"no-such-option"_s;
    QTest::newRow("stray argument")
        << QStringList{} << QStringList{u"run"_s} << 64 << u"unexpected argument: run"_s;
}

void tst_ConfigCli::startupErrors()
{
    QFETCH(QStringList, env);
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, says);
    ServiceProcess p;
    setAccount(p, m_dir);
    for (const QString &pair : env)
        p.setEnv(pair.section(u'=', 0, 0), pair.section(u'=', 1));
    QVERIFY(p.run(arguments));
    const QString out = QString::fromUtf8(p.output());
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == exitCode, qPrintable(out));
    QVERIFY2(out.contains(says), qPrintable(out));
    QVERIFY2(!out.contains(redisPassword) && !out.contains(authToken), "a secret is printed");
}

void tst_ConfigCli::portInUseIsAFailure()
{
    QTcpServer holder; // keeps the port taken for the whole test
    QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
    ServiceProcess p;
    setAccount(p, m_dir);
    p.setEnv(u"BIND_ADDRESS"_s, u"127.0.0.1"_s);
    p.setEnv(u"PORT"_s, QString::number(holder.serverPort()));
    QVERIFY(p.run({}));
    const QString out = QString::fromUtf8(p.output());
    QVERIFY2(p.exitCode() == 1, qPrintable(out));
    QVERIFY2(out.contains(u"cannot listen on 127.0.0.1:%1"_s.arg(holder.serverPort())),
             qPrintable(out));
}

void tst_ConfigCli::effectiveConfigurationLogged()
{
    ServiceProcess p;
    p.setWorkingDirectory(m_dir.path());
    p.setEnv(u"PORT"_s, u"0"_s);
    p.setEnv(u"DIAL_MAX_CALLS_PER_MINUTE"_s, u"7"_s);
    QVERIFY(p.start({u"--dev"_s, u"--log-format"_s, u"text"_s}));
    QVERIFY(p.port() != 0);
    QVERIFY(p.waitForOutput("SHUTDOWN_TIMEOUT="));
    const QString out = QString::fromUtf8(p.output());
    for (const QString &line :
         {u"DIAL_MAX_CALLS_PER_MINUTE=7 (environment)"_s, u"LOG_FORMAT=text (command line)"_s,
          u"TWILIO_AUTH_TOKEN=(set) (dev mode)"_s, u"PORT=0 (environment)"_s,
          u"HTTP_HEAD_TIMEOUT=10 (default)"_s})
        QVERIFY2(out.contains(line), qPrintable(line + u" missing in:\n"_s + out));
    // The embedded emulator's auth token never shows.
    QVERIFY(!out.contains(flex::emulator::EmulatorConfig{}.authToken));
    QCOMPARE(out.count(u"effective configuration"_s), 1);
    p.terminate();
    QVERIFY(p.waitForExit());
}

QTEST_GUILESS_MAIN(tst_ConfigCli)
#include "tst_configcli.moc"
