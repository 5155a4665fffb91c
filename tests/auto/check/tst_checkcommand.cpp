// `flex-backend check` as an operator runs it: the real binary against the
// Twilio emulator, in a good set-up (every line ✓, exit 0, also as JSON),
// with each part of the set-up broken (the ✗ or ! line names the fault),
// with Twilio not answering (done well within 30 s), and with a
// configuration error (78). With REDIS_URL: a real redis-server (its
// version, who holds the stats lease: a cluster-mode instance, then nobody),
// one with a password given wrong, and none listening. No secret appears in
// any output.

#include "redisserver.h"
#include "serviceprocess.h"
#include "testenvironment.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace flex::testing;
using namespace Qt::StringLiterals;

namespace {

const QString kApiKey = u"SK00000000000000000000000000000001"_s;
const QString kApiSecret = u"emulator-api-key-secret-00000001"_s;
const QString kWrongSecret = u"wrong-secret-value-0123456789"_s;
const QString kWrongToken = u"wrong-auth-token-0123456789"_s;
const QString kRedisPassword = u"redis-secret-pass-0123456"_s;
const QString kWrongRedisPassword = u"wrong-redis-pass-6543210"_s;

const QStringList kIds = {u"credentials"_s,      u"workspace"_s,    u"workflow"_s,
                          u"workflow-filter"_s,  u"target-queue"_s, u"activities"_s,
                          u"channels"_s,         u"settings"_s,     u"webhook-signature"_s,
                          u"token-validation"_s, u"external-host"_s};

struct Run
{
    int exitCode = -1;
    QString output;
    qint64 elapsedMs = 0;
    QStringList lines() const { return output.split(u'\n'); }
    // The line of check id, e.g. "✗ workflow: ...".
    QString line(const QString &id) const
    {
        for (const QString &l : lines()) {
            if (l.mid(2).startsWith(id + u": "_s))
                return l;
        }
        return {};
    }
};

} // namespace

class tst_CheckCommand : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void goodSetUp();
    void goodSetUpAsJson();
    void faults_data();
    void faults();
    void twilioNotAnswering();
    void configurationError();
    void usage();
    void devBannerCommand();
    void redisReachable();
    void redisWrongPassword();
    void redisUnreachable();

private:
    // env: NAME=value overrides ("NAME=" unsets); {service}, {emulator},
    // {closed} and {redis} in values become those loopback ports.
    Run runCheck(const QStringList &env = {}, const QStringList &arguments = {u"check"_s});
    void expectNoSecrets(const Run &run);

    std::unique_ptr<TestEnvironment> m_env;
    QTemporaryDir m_dir;
    quint16 m_closedPort = 0;
    quint16 m_redisPort = 0;
};

void tst_CheckCommand::initTestCase()
{
    QVERIFY2(!ServiceProcess::binary().isEmpty(), "FLEX_BACKEND_BIN is not set");
    QVERIFY(m_dir.isValid());
    m_env = std::make_unique<TestEnvironment>();
    QVERIFY2(m_env->startService(), m_env->service().output().constData());
    m_closedPort = freeLoopbackPort();
}

void tst_CheckCommand::init()
{
    QVERIFY(m_env->emulator().applySetup({{u"reset"_s, true}}));
}

Run tst_CheckCommand::runCheck(const QStringList &env, const QStringList &arguments)
{
    ServiceProcess process;
    process.setWorkingDirectory(m_dir.path()); // no ./.env
    const QList<QPair<QString, QString>> settings = m_env->emulator().serviceSettings();
    for (const auto &[name, value] : settings)
        process.setEnv(name, value);
    process.setEnv(u"EXTERNAL_HOST"_s, u"http://127.0.0.1:{service}"_s);
    process.setEnv(u"STATS_TIMEZONE"_s, u"UTC"_s);
    QStringList all{u"EXTERNAL_HOST=http://127.0.0.1:{service}"_s};
    all << env;
    for (const QString &item : std::as_const(all)) {
        const qsizetype eq = item.indexOf(u'=');
        QString value = item.mid(eq + 1);
        value.replace(u"{service}"_s, QString::number(m_env->servicePort()))
            .replace(u"{emulator}"_s, QString::number(m_env->emulator().port()))
            .replace(u"{closed}"_s, QString::number(m_closedPort))
            .replace(u"{redis}"_s, QString::number(m_redisPort));
        if (value.isEmpty())
            process.unsetEnv(item.left(eq));
        else
            process.setEnv(item.left(eq), value);
    }
    QElapsedTimer clock;
    clock.start();
    Run run;
    if (!process.run(arguments, 60000))
        qWarning("check did not exit within 60 s");
    run.elapsedMs = clock.elapsed();
    run.exitCode = process.exitCode();
    run.output = QString::fromUtf8(process.output());
    expectNoSecrets(run);
    return run;
}

void tst_CheckCommand::expectNoSecrets(const Run &run)
{
    const QString token = m_env->emulator().config().authToken;
    for (const QString &secret :
         {token, kApiSecret, kWrongSecret, kWrongToken, kRedisPassword, kWrongRedisPassword})
        QVERIFY2(!run.output.contains(secret), qPrintable(run.output));
}

void tst_CheckCommand::goodSetUp()
{
    const Run run = runCheck();
    QVERIFY2(run.exitCode == 0, qPrintable(run.output));
    for (const QString &id : kIds) {
        const QString line = run.line(id);
        QVERIFY2(line.startsWith(u"\u2713 "_s), qPrintable(id + u" in\n"_s + run.output));
    }
    QVERIFY2(run.output.contains(u"\n11 ok, 0 warnings, 0 failed"_s), qPrintable(run.output));
    QVERIFY2(run.output.contains(u"- redis: "_s), qPrintable(run.output));
    QVERIFY(!run.output.contains(u"\u2717"_s));
}

void tst_CheckCommand::goodSetUpAsJson()
{
    const Run run = runCheck({}, {u"check"_s, u"--json"_s});
    QCOMPARE(run.exitCode, 0);
    QJsonParseError error;
    const QJsonObject doc = QJsonDocument::fromJson(run.output.toUtf8(), &error).object();
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(run.output));
    QStringList ids;
    for (const QJsonValue &v : doc.value(u"checks"_s).toArray()) {
        const QJsonObject check = v.toObject();
        ids << check.value(u"id"_s).toString();
        QCOMPARE(check.value(u"status"_s).toString(), u"ok"_s);
        QVERIFY(!check.value(u"message"_s).toString().isEmpty());
        QVERIFY(check.contains(u"fix"_s));
    }
    QCOMPARE(ids, kIds);
    QCOMPARE(doc.value(u"exitCode"_s).toInt(-1), 0);
    QCOMPARE(doc.value(u"summary"_s).toObject().value(u"ok"_s).toInt(), kIds.size());
    QCOMPARE(doc.value(u"notes"_s).toArray().size(), 1);
}

void tst_CheckCommand::faults_data()
{
    QTest::addColumn<QJsonObject>("knobs"); // emulator set-up knobs
    QTest::addColumn<QStringList>("env");   // NAME=value
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("line");       // the line's start: mark and id
    QTest::addColumn<QString>("names");      // what the line must name
    QTest::addColumn<QStringList>("others"); // other line starts expected

    const QString apiKey = u"TWILIO_API_KEY="_s + kApiKey;
    QTest::newRow("filter with another expression")
        << QJsonObject{{u"filterExpression"_s, u"task.targetWorker==worker.sid"_s}} << QStringList{}
        << 1 << u"\u2717 workflow-filter:"_s << u"task.targetWorker==worker.sid"_s
        << QStringList{u"\u2717 target-queue"_s, u"\u2713 workflow:"_s};
    QTest::newRow("filter not first, lower priority")
        << QJsonObject{{u"filterFirst"_s, false}, {u"filterPriority"_s, 5}} << QStringList{} << 1
        << u"\u2717 workflow-filter:"_s << u"not above 10 of filter \"Everything\""_s
        << QStringList{u"\u2713 target-queue"_s};
    QTest::newRow("filter not first, highest priority")
        << QJsonObject{{u"filterFirst"_s, false}} << QStringList{} << 0
        << u"\u2713 workflow-filter:"_s << u"highest priority, 1000"_s << QStringList{};
    QTest::newRow("narrower queue")
        << QJsonObject{{u"targetWorkers"_s, u"routing.skills HAS 'sales'"_s}} << QStringList{} << 0
        << u"! target-queue:"_s << u"routing.skills HAS 'sales'"_s << QStringList{};
    QTest::newRow("missing unavailable activity")
        << QJsonObject{{u"removeActivities"_s, QJsonArray{u"Offline"_s}}} << QStringList{} << 1
        << u"\u2717 activities:"_s << u"an unavailable activity named Busy or Offline"_s
        << QStringList{};
    QTest::newRow("missing available activity")
        << QJsonObject{{u"removeActivities"_s, QJsonArray{u"Available"_s}}} << QStringList{} << 1
        << u"\u2717 activities:"_s << u"an available activity named Idle or Available"_s
        << QStringList{};
    QTest::newRow("missing channel")
        << QJsonObject{{u"removeChannels"_s, QJsonArray{u"video"_s}}} << QStringList{} << 1
        << u"\u2717 channels:"_s << u"STATS_CHANNELS names video"_s << QStringList{};
    QTest::newRow("channels auto")
        << QJsonObject{{u"removeChannels"_s, QJsonArray{u"video"_s}}}
        << QStringList{u"STATS_CHANNELS=auto"_s} << 0 << u"\u2713 channels:"_s
        << u"auto will report all, default, voice, chat, sms"_s << QStringList{};
    QTest::newRow("workflow of another workspace")
        << QJsonObject{{u"workflowElsewhere"_s, true}} << QStringList{} << 1
        << u"\u2717 workflow:"_s
        << u"belongs to workspace WS0000000000000000000000000000a002 \"Sandbox\""_s
        << QStringList{u"\u2717 workflow-filter: not checked"_s};
    QTest::newRow("wrong workspace")
        << QJsonObject{}
        << QStringList{u"TWILIO_FLEX_WORKSPACE_SID=WS0000000000000000000000000000dead"_s} << 1
        << u"\u2717 workspace:"_s
        << u"it has WS00000000000000000000000000000001 \"Flex Task Assignment\""_s
        << QStringList{u"\u2717 workflow:"_s, u"\u2717 activities"_s};
    QTest::newRow("wrong auth token")
        << QJsonObject{} << QStringList{u"TWILIO_AUTH_TOKEN="_s + kWrongToken} << 1
        << u"\u2717 credentials:"_s << u"rejected the auth token TWILIO_AUTH_TOKEN"_s
        << QStringList{u"\u2717 webhook-signature"_s, u"\u2717 token-validation"_s};
    QTest::newRow("API key only: auth token revoked")
        << QJsonObject{{u"rejectAuthToken"_s, true}}
        << QStringList{apiKey, u"TWILIO_API_SECRET="_s + kApiSecret} << 1
        << u"\u2717 webhook-signature:"_s << u"only the auth token can check webhook signatures"_s
        << QStringList{u"\u2713 credentials"_s, u"\u2713 workflow:"_s};
    QTest::newRow("wrong API secret")
        << QJsonObject{} << QStringList{apiKey, u"TWILIO_API_SECRET="_s + kWrongSecret} << 1
        << u"\u2717 credentials:"_s << u"rejected the API key TWILIO_API_KEY"_s
        << QStringList{u"\u2713 webhook-signature"_s};
    QTest::newRow("wrong IAM key secret")
        << QJsonObject{}
        << QStringList{u"TWILIO_IAM_API_KEY="_s + kApiKey,
                       u"TWILIO_IAM_API_SECRET="_s + kWrongSecret}
        << 1 << u"\u2717 token-validation:"_s << u"TWILIO_IAM_API_KEY"_s
        << QStringList{u"\u2713 credentials"_s};
    QTest::newRow("IAM key good") << QJsonObject{}
                                  << QStringList{u"TWILIO_IAM_API_KEY="_s + kApiKey,
                                                 u"TWILIO_IAM_API_SECRET="_s + kApiSecret}
                                  << 0 << u"\u2713 token-validation:"_s << u"TWILIO_IAM_API_KEY"_s
                                  << QStringList{};
    QTest::newRow("something else at EXTERNAL_HOST")
        << QJsonObject{} << QStringList{u"EXTERNAL_HOST=http://127.0.0.1:{emulator}"_s} << 1
        << u"\u2717 external-host:"_s << u"not from this flex-backend"_s << QStringList{};
    QTest::newRow("service not running")
        << QJsonObject{} << QStringList{u"EXTERNAL_HOST=http://127.0.0.1:{closed}"_s} << 0
        << u"! external-host:"_s << u"it is not running"_s << QStringList{};
    QTest::newRow("EXTERNAL_HOST does not resolve")
        << QJsonObject{} << QStringList{u"EXTERNAL_HOST=no-such-host.invalid"_s} << 1
        << u"\u2717 external-host:"_s << u"no-such-host.invalid"_s << QStringList{};
}

void tst_CheckCommand::faults()
{
    QFETCH(QJsonObject, knobs);
    QFETCH(QStringList, env);
    QFETCH(int, exitCode);
    QFETCH(QString, line);
    QFETCH(QString, names);
    QFETCH(QStringList, others);
    QString error;
    QVERIFY2(m_env->emulator().applySetup(knobs, &error), qPrintable(error));
    const Run run = runCheck(env);
    QVERIFY2(run.exitCode == exitCode, qPrintable(run.output));
    QString found;
    for (const QString &l : run.lines()) {
        if (l.startsWith(line))
            found = l;
    }
    QVERIFY2(!found.isEmpty(), qPrintable(line + u" missing in\n"_s + run.output));
    QVERIFY2(found.contains(names), qPrintable(found));
    if (!found.startsWith(u"\u2713"_s))
        QVERIFY2(found.contains(u". Fix: "_s), qPrintable(found));
    for (const QString &other : others) {
        bool seen = false;
        for (const QString &l : run.lines())
            seen = seen || l.startsWith(other);
        QVERIFY2(seen, qPrintable(other + u" missing in\n"_s + run.output));
    }
}

void tst_CheckCommand::twilioNotAnswering()
{
    // Accepts connections and never answers.
    QTcpServer blackHole;
    QList<QTcpSocket *> held;
    QVERIFY(blackHole.listen(QHostAddress::LocalHost, 0));
    connect(&blackHole, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *socket = blackHole.nextPendingConnection())
            held << socket;
    });
    const QString url = u"http://127.0.0.1:"_s + QString::number(blackHole.serverPort());
    const Run run = runCheck(
        {u"TWILIO_API_URL="_s + url, u"TWILIO_TASKROUTER_URL="_s + url, u"TWILIO_IAM_URL="_s + url},
        {u"check"_s, u"--json"_s});
    QVERIFY2(run.elapsedMs < 30000, qPrintable(QString::number(run.elapsedMs)));
    QCOMPARE(run.exitCode, 1);
    const QJsonObject doc = QJsonDocument::fromJson(run.output.toUtf8()).object();
    QStringList failed;
    for (const QJsonValue &v : doc.value(u"checks"_s).toArray()) {
        const QJsonObject check = v.toObject();
        if (check.value(u"status"_s).toString() == u"fail"_s) {
            failed << check.value(u"id"_s).toString();
            QVERIFY2(check.value(u"message"_s).toString().contains(u"did not answer"_s),
                     qPrintable(run.output));
        }
    }
    QVERIFY2(!held.isEmpty(), "nothing reached the black hole");
    QCOMPARE(failed, (QStringList{u"credentials"_s, u"workspace"_s, u"workflow"_s,
                                  u"workflow-filter"_s, u"target-queue"_s, u"activities"_s,
                                  u"channels"_s, u"webhook-signature"_s, u"token-validation"_s}));
    qDeleteAll(held);
}

void tst_CheckCommand::configurationError()
{
    const Run run = runCheck({u"TWILIO_ACCOUNT_SID="_s});
    QCOMPARE(run.exitCode, 78);
    QVERIFY2(run.output.contains(u"configuration error: TWILIO_ACCOUNT_SID"_s),
             qPrintable(run.output));
    const Run bad = runCheck({u"SLA_THRESHOLDS=30,abc"_s}, {u"check"_s, u"--json"_s});
    QCOMPARE(bad.exitCode, 78);
    QVERIFY2(bad.output.contains(u"SLA_THRESHOLDS"_s), qPrintable(bad.output));
}

void tst_CheckCommand::usage()
{
    const Run extra = runCheck({}, {u"check"_s, u"more"_s});
    QCOMPARE(extra.exitCode, 64);
    const Run json = runCheck({}, {u"--json"_s});
    QCOMPARE(json.exitCode, 64);
    ServiceProcess help;
    QVERIFY(help.run({u"--help"_s}));
    QVERIFY(help.output().contains("flex-backend check [--json]"));
}

void tst_CheckCommand::devBannerCommand()
{
    // The command the dev banner prints checks the dev service and its
    // emulator, and finds nothing wrong.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ServiceProcess dev;
    dev.setWorkingDirectory(dir.path());
    dev.setEnv(u"PORT"_s, u"0"_s);
    QVERIFY2(dev.start({u"--dev"_s}), dev.output().constData());
    const QByteArray prefix = "flex-backend check --env-file ";
    QVERIFY2(dev.waitForOutput(prefix), dev.output().constData());
    QVERIFY(dev.waitForOutput("Stop with Ctrl-C."));
    const QByteArray out = dev.output();
    const qsizetype at = out.indexOf(prefix) + prefix.size();
    const QString envFile = QString::fromUtf8(out.mid(at, out.indexOf('\n', at) - at)).trimmed();
    QVERIFY(!envFile.isEmpty());
    QVERIFY2(QFileInfo(dir.filePath(envFile)).exists() || QFileInfo(envFile).exists(),
             qPrintable(envFile));

    ServiceProcess check;
    check.setWorkingDirectory(dir.path());
    QVERIFY(check.run({u"check"_s, u"--env-file"_s, envFile}, 60000));
    const QString report = QString::fromUtf8(check.output());
    QVERIFY2(check.exitCode() == 0, qPrintable(report));
    QVERIFY2(report.contains(u"\n11 ok, 0 warnings, 0 failed"_s), qPrintable(report));
    QVERIFY(!report.contains(flex::emulator::EmulatorConfig{}.authToken));
    dev.terminate();
    QVERIFY(dev.waitForExit());
}

void tst_CheckCommand::redisReachable()
{
    FLEX_REQUIRE_REDIS();
    RedisServer redis;
    QVERIFY2(redis.start(), redis.output().constData());
    m_redisPort = redis.port();

    // A cluster-mode instance takes the stats lease.
    QTemporaryDir state;
    ServiceProcess node;
    node.setWorkingDirectory(state.path());
    const QList<QPair<QString, QString>> settings = m_env->emulator().serviceSettings();
    for (const auto &[name, value] : settings)
        node.setEnv(name, value);
    const QList<QPair<QString, QString>> nodeEnv = {{u"EXTERNAL_HOST"_s, u"http://127.0.0.1:0"_s},
                                                    {u"BIND_ADDRESS"_s, u"127.0.0.1"_s},
                                                    {u"PORT"_s, u"0"_s},
                                                    {u"STATE_DIR"_s, state.path()},
                                                    {u"STATS_TIMEZONE"_s, u"UTC"_s},
                                                    {u"SETUP_CHECK_AT_START"_s, u"false"_s},
                                                    {u"REDIS_URL"_s, redis.url()},
                                                    {u"INSTANCE_ID"_s, u"node-7"_s}};
    for (const auto &[name, value] : nodeEnv)
        node.setEnv(name, value);
    QVERIFY2(node.start(), node.output().constData());
    QVERIFY2(node.waitForOutput("stats poller (lease"), node.output().constData());

    const QStringList env{u"REDIS_URL=redis://127.0.0.1:{redis}"_s};
    const Run held = runCheck(env);
    QVERIFY2(held.exitCode == 0, qPrintable(held.output));
    QVERIFY2(held.line(u"redis"_s).startsWith(u"\u2713 redis: Redis 7."_s) ||
                 held.line(u"redis"_s).startsWith(u"\u2713 redis: Redis "_s),
             qPrintable(held.output));
    QVERIFY2(held.line(u"redis"_s).contains(u"redis://127.0.0.1:%1"_s.arg(m_redisPort)),
             qPrintable(held.output));
    QVERIFY2(held.line(u"stats-lease"_s)
                 .startsWith(u"\u2713 stats-lease: instance node-7 holds the stats lease"_s),
             qPrintable(held.output));
    QVERIFY2(held.output.contains(u"\n13 ok, 0 warnings, 0 failed"_s), qPrintable(held.output));
    QVERIFY2(!held.output.contains(u"- redis: "_s), qPrintable(held.output));

    // Shut down, the instance releases the lease: nobody polls.
    node.terminate();
    QVERIFY(node.waitForExit());
    const Run released = runCheck(env, {u"check"_s, u"--json"_s});
    QCOMPARE(released.exitCode, 0);
    const QJsonObject doc = QJsonDocument::fromJson(released.output.toUtf8()).object();
    QString lease;
    for (const QJsonValue &v : doc.value(u"checks"_s).toArray()) {
        if (v.toObject().value(u"id"_s).toString() == u"stats-lease"_s)
            lease = v.toObject().value(u"message"_s).toString();
    }
    QVERIFY2(lease.startsWith(u"no instance holds the stats lease flex-backend:stats:lease"_s),
             qPrintable(released.output));
    QCOMPARE(doc.value(u"notes"_s).toArray().size(), 0);
    m_redisPort = 0;
}

void tst_CheckCommand::redisWrongPassword()
{
    FLEX_REQUIRE_REDIS();
    RedisServer redis;
    QVERIFY2(redis.start({u"--requirepass"_s, kRedisPassword}), redis.output().constData());
    m_redisPort = redis.port();
    const Run wrong =
        runCheck({u"REDIS_URL=redis://:%1@127.0.0.1:{redis}"_s.arg(kWrongRedisPassword)});
    QVERIFY2(wrong.exitCode == 1, qPrintable(wrong.output));
    const QString line = wrong.line(u"redis"_s);
    QVERIFY2(line.startsWith(u"\u2717 redis: Redis at "_s), qPrintable(wrong.output));
    QVERIFY2(line.contains(u"refused the connection: AUTH failed"_s), qPrintable(line));
    QVERIFY2(line.contains(u"Fix: "_s), qPrintable(line));
    QVERIFY2(wrong.line(u"stats-lease"_s).startsWith(u"\u2717 stats-lease: not checked"_s),
             qPrintable(wrong.output));

    const Run right = runCheck({u"REDIS_URL=redis://:%1@127.0.0.1:{redis}"_s.arg(kRedisPassword)});
    QVERIFY2(right.exitCode == 0, qPrintable(right.output));
    QVERIFY2(right.line(u"redis"_s).startsWith(u"\u2713 redis: "_s), qPrintable(right.output));
    m_redisPort = 0;
}

void tst_CheckCommand::redisUnreachable()
{
    const Run run = runCheck({u"REDIS_URL=redis://127.0.0.1:{closed}"_s});
    QVERIFY2(run.exitCode == 1, qPrintable(run.output));
    QVERIFY2(run.elapsedMs < 30000, qPrintable(QString::number(run.elapsedMs)));
    QVERIFY2(run.line(u"redis"_s)
                 .startsWith(u"\u2717 redis: cannot reach Redis at redis://127.0.0.1:%1"_s.arg(
                     m_closedPort)),
             qPrintable(run.output));
    QVERIFY2(run.line(u"stats-lease"_s).startsWith(u"\u2717 stats-lease: not checked"_s),
             qPrintable(run.output));
    // Everything else still passes.
    QVERIFY2(run.output.contains(u"\n11 ok, 0 warnings, 2 failed"_s), qPrintable(run.output));
}

QTEST_GUILESS_MAIN(tst_CheckCommand)
#include "tst_checkcommand.moc"
