// The running service's set-up self-check (SETUP_CHECK_AT_START): the real
// binary against the Twilio emulator. A broken workflow filter is logged once
// with the words `flex-backend check` uses and shows as
// flex_setup_check_failed{check="workflow-filter"} 1, while the service is
// ready long before the check has an answer; a reload runs it again without
// repeating the line, and a repaired set-up is logged once as passing. A good
// set-up shows 0 for every check; switched off, no set-up request is sent.

#include "testenvironment.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTest>

#include <csignal>
#include <memory>

using namespace flex::testing;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWait = 30000;

const QStringList kStartupIds = {
    u"credentials"_s,     u"workspace"_s,         u"workflow"_s,
    u"workflow-filter"_s, u"target-queue"_s,      u"activities"_s,
    u"channels"_s,        u"webhook-signature"_s, u"token-validation"_s};

struct HttpAnswer
{
    int status = 0;
    QByteArray body;
};

HttpAnswer httpGet(const QUrl &url)
{
    QNetworkAccessManager nam;
    std::unique_ptr<QNetworkReply> reply(nam.get(QNetworkRequest(url)));
    if (!QTest::qWaitFor([&] { return reply->isFinished(); }, kWait))
        return {};
    return {reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
}

// flex_setup_check_failed{check="id"} from /metrics: 0, 1, or -1 when absent.
QHash<QString, int> failedGauges(const QByteArray &metrics)
{
    static const QRegularExpression sample(
        uR"re(^flex_setup_check_failed\{check="([a-z-]+)"\} ([0-9]+)$)re"_s,
        QRegularExpression::MultilineOption);
    QHash<QString, int> out;
    QRegularExpressionMatchIterator it = sample.globalMatch(QString::fromUtf8(metrics));
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        out.insert(m.captured(1), m.captured(2).toInt());
    }
    return out;
}

int occurrences(const QByteArray &haystack, const QByteArray &needle)
{
    return int(haystack.count(needle));
}

} // namespace

class tst_SetupSelfCheck : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void brokenFilterLoggedOnceAndCounted();
    void goodSetUpShowsZero();
    void switchedOff();

private:
    static QHash<QString, int> gauges(TestEnvironment &env)
    {
        return failedGauges(httpGet(QUrl(env.service().url().toString() + u"/metrics"_s)).body);
    }
    static bool runsFinished(TestEnvironment &env, int runs)
    {
        return occurrences(env.service().output(), "set-up self-check: ") == runs;
    }
};

void tst_SetupSelfCheck::brokenFilterLoggedOnceAndCounted()
{
    TestEnvironment env;
    env.setEnv(u"SETUP_CHECK_AT_START"_s, u"true"_s);
    QVERIFY(
        env.emulator().applySetup({{u"filterExpression"_s, u"task.targetWorker==worker.sid"_s}}));
    // The workflow answers only after 4 s: the service is ready before that.
    env.emulator().injectFault(u"FetchWorkflow"_s, {flex::emulator::Fault::Kind::Delay, 1, 1,
                                                    std::chrono::milliseconds(4000)});
    QVERIFY2(env.startService(), env.service().output().constData());
    const QUrl readyz(env.service().url().toString() + u"/readyz"_s);
    QCOMPARE(httpGet(readyz).status, 200);
    QVERIFY2(runsFinished(env, 0), env.service().output().constData());

    QTRY_VERIFY2_WITH_TIMEOUT(runsFinished(env, 1), env.service().output().constData(), kWait);
    const QByteArray output = env.service().output();
    const QByteArray failure = "\xE2\x9C\x97 workflow-filter: "; // "✗ workflow-filter: "
    QCOMPARE(occurrences(output, failure), 1);
    const qsizetype at = output.indexOf(failure);
    const QByteArray line = output.mid(at, output.indexOf('\n', at) - at);
    QVERIFY2(line.contains("task.targetWorker==worker.sid"), line.constData());
    QVERIFY2(line.contains(" Fix: "), line.constData());
    QVERIFY2(output.contains("7 ok, 0 warnings, 2 failed"), output.constData());
    QVERIFY(!output.contains(env.emulator().config().authToken.toUtf8()));

    QHash<QString, int> failed = gauges(env);
    QCOMPARE(failed.value(u"workflow-filter"_s, -1), 1);
    QCOMPARE(failed.value(u"target-queue"_s, -1), 1); // not checked without the filter
    for (const QString &id : kStartupIds) {
        if (id != u"workflow-filter"_s && id != u"target-queue"_s)
            QVERIFY2(failed.value(id, -1) == 0, qPrintable(id));
    }
    QCOMPARE(failed.size(), kStartupIds.size());
    QCOMPARE(httpGet(readyz).status, 200);

    // A reload runs it again; the same failure is not logged twice.
    env.service().signal(SIGHUP);
    QTRY_VERIFY2_WITH_TIMEOUT(runsFinished(env, 2), env.service().output().constData(), kWait);
    QCOMPARE(occurrences(env.service().output(), failure), 1);
    QCOMPARE(gauges(env).value(u"workflow-filter"_s, -1), 1);

    // Repaired: logged once as passing, the metric drops to 0.
    QVERIFY(env.emulator().applySetup({{u"reset"_s, true}}));
    env.service().signal(SIGHUP);
    QTRY_VERIFY2_WITH_TIMEOUT(runsFinished(env, 3), env.service().output().constData(), kWait);
    QCOMPARE(occurrences(env.service().output(), "\xE2\x9C\x93 workflow-filter: "), 1);
    failed = gauges(env);
    for (const QString &id : kStartupIds)
        QVERIFY2(failed.value(id, -1) == 0, qPrintable(id));
}

void tst_SetupSelfCheck::goodSetUpShowsZero()
{
    TestEnvironment env; // the emulator's set-up is correct by default
    env.setEnv(u"SETUP_CHECK_AT_START"_s, u"true"_s);
    QVERIFY2(env.startService(), env.service().output().constData());
    QTRY_VERIFY2_WITH_TIMEOUT(runsFinished(env, 1), env.service().output().constData(), kWait);
    const QByteArray output = env.service().output();
    QVERIFY2(output.contains("set-up self-check: 9 ok, 0 warnings, 0 failed"), output.constData());
    QVERIFY2(!output.contains("\xE2\x9C\x97"), output.constData()); // no ✗ line
    const QHash<QString, int> failed = gauges(env);
    QCOMPARE(failed.size(), kStartupIds.size());
    for (const QString &id : kStartupIds)
        QVERIFY2(failed.value(id, -1) == 0, qPrintable(id));
    // The self-check never calls the service itself (EXTERNAL_HOST).
    QVERIFY(!output.contains("external-host"));
}

void tst_SetupSelfCheck::switchedOff()
{
    TestEnvironment env; // SETUP_CHECK_AT_START=false, as in the other tests
    QVERIFY2(env.startService(), env.service().output().constData());
    // Once a stats snapshot has been polled, a self-check would have asked
    // for the workflow long before.
    WsClient stats;
    QVERIFY(stats.open(env.service().wsUrl(u"/websocket/realtimeStats"_s),
                       TestEnvironment::supervisorToken()));
    QVERIFY(stats.waitForCount(1, kWait) >= 1);
    QCOMPARE(env.emulator().counters(u"FetchWorkflow"_s).requests, 0);
    QCOMPARE(env.emulator().counters(u"FetchWorkspace"_s).requests, 0);
    QVERIFY(!env.service().output().contains("set-up self-check"));
    QVERIFY(gauges(env).isEmpty());
}

QTEST_GUILESS_MAIN(tst_SetupSelfCheck)
#include "tst_setupselfcheck.moc"
