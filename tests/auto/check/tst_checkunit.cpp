// Pure logic of `flex-backend check`: the TaskRouter expression matcher, the
// workflow configuration analysis, the activity and channel verdicts and the
// report formats, the Redis verdicts and which checks the service repeats at
// start-up.

#include "check/checkrunner.h"
#include "check/expressions.h"
#include "check/redischeck.h"
#include "check/reportformat.h"
#include "check/resourcechecks.h"
#include "check/workflowanalysis.h"
#include "config/config.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace flex::check;
using namespace Qt::StringLiterals;

namespace {

QJsonObject target(const QString &expression, const QJsonValue &priority = QJsonValue::Undefined,
                   const QString &queue = u"WQ1"_s)
{
    QJsonObject t{{u"queue"_s, queue}};
    if (!expression.isNull())
        t.insert(u"expression"_s, expression);
    if (!priority.isUndefined())
        t.insert(u"priority"_s, priority);
    return t;
}

QJsonObject filter(const QString &name, const QJsonArray &targets)
{
    return {
        {u"filter_friendly_name"_s, name}, {u"expression"_s, u"1==1"_s}, {u"targets"_s, targets}};
}

QString configuration(const QJsonArray &filters)
{
    const QJsonObject routing{{u"filters"_s, filters},
                              {u"default_filter"_s, QJsonObject{{u"queue"_s, u"WQ1"_s}}}};
    return QString::fromUtf8(
        QJsonDocument(QJsonObject{{u"task_routing"_s, routing}}).toJson(QJsonDocument::Compact));
}

const QString kTw = u"task.targetWorker==worker.contact_uri"_s;

} // namespace

class tst_CheckUnit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void targetWorkerExpression_data()
    {
        QTest::addColumn<QString>("expression");
        QTest::addColumn<bool>("matches");
        QTest::newRow("as documented") << kTw << true;
        QTest::newRow("spaces") << u"task.targetWorker == worker.contact_uri"_s << true;
        QTest::newRow("many spaces") << u"  task.targetWorker   ==\tworker.contact_uri "_s << true;
        QTest::newRow("swapped") << u"worker.contact_uri==task.targetWorker"_s << true;
        QTest::newRow("swapped, spaces") << u"worker.contact_uri == task.targetWorker"_s << true;
        QTest::newRow("parentheses") << u"(task.targetWorker == worker.contact_uri)"_s << true;
        QTest::newRow("nested parentheses")
            << u"((task.targetWorker) == (worker.contact_uri))"_s << true;
        QTest::newRow("quoted whole") << u"\"task.targetWorker==worker.contact_uri\""_s << true;
        QTest::newRow("single-quoted whole")
            << u"'worker.contact_uri == task.targetWorker'"_s << true;
        QTest::newRow("bracket key") << u"task['targetWorker'] == worker.contact_uri"_s << true;
        QTest::newRow("bracket key, double quotes")
            << u"worker[\"contact_uri\"]==task[\"targetWorker\"]"_s << true;
        QTest::newRow("empty") << QString() << false;
        QTest::newRow("everyone") << u"1==1"_s << false;
        QTest::newRow("not equal") << u"task.targetWorker!=worker.contact_uri"_s << false;
        QTest::newRow("other attribute") << u"task.targetWorker==worker.sid"_s << false;
        QTest::newRow("case differs") << u"task.targetworker==worker.contact_uri"_s << false;
        QTest::newRow("worker side only") << u"worker.contact_uri==worker.contact_uri"_s << false;
        QTest::newRow("string constant") << u"task.targetWorker=='worker.contact_uri'"_s << false;
        QTest::newRow("narrowed with AND")
            << u"task.targetWorker==worker.contact_uri AND worker.x==1"_s << false;
        QTest::newRow("OR") << u"task.targetWorker==worker.contact_uri OR 1==1"_s << false;
        QTest::newRow("single =") << u"task.targetWorker=worker.contact_uri"_s << false;
        QTest::newRow("HAS") << u"worker.contact_uri HAS task.targetWorker"_s << false;
        QTest::newRow("unbalanced") << u"(task.targetWorker==worker.contact_uri"_s << false;
    }

    void targetWorkerExpression()
    {
        QFETCH(QString, expression);
        QFETCH(bool, matches);
        QCOMPARE(isTargetWorkerExpression(expression), matches);
    }

    void everyWorker_data()
    {
        QTest::addColumn<QString>("expression");
        QTest::addColumn<bool>("everyone");
        QTest::newRow("1==1") << u"1==1"_s << true;
        QTest::newRow("spaces") << u" 1 == 1 "_s << true;
        QTest::newRow("parentheses") << u"(1==1)"_s << true;
        QTest::newRow("skills") << u"routing.skills HAS 'sales'"_s << false;
        QTest::newRow("1==2") << u"1==2"_s << false;
        QTest::newRow("narrowed") << u"1==1 AND languages HAS 'en'"_s << false;
        QTest::newRow("empty") << QString() << false;
    }

    void everyWorker()
    {
        QFETCH(QString, expression);
        QFETCH(bool, everyone);
        QCOMPARE(selectsEveryWorker(expression), everyone);
    }

    void workflow_data()
    {
        using V = WorkflowAnalysis::Verdict;
        QTest::addColumn<QString>("config");
        QTest::addColumn<int>("verdict");
        QTest::addColumn<int>("filterIndex");
        QTest::addColumn<QString>("queue");
        QTest::addColumn<QString>("detail"); // a part of the detail

        const QJsonArray good{filter(u"Outbound"_s, {target(kTw, 1000)})};
        QTest::newRow("first filter")
            << configuration(good) << int(V::Ok) << 0 << u"WQ1"_s << u"comes first"_s;
        QTest::newRow("second target of first filter")
            << configuration(
                   {filter(u"Mixed"_s,
                           {target(u"1==1"_s, 5, u"WQ9"_s),
                            target(u"worker.contact_uri == task.targetWorker"_s, 1000, u"WQ2"_s)})})
            << int(V::Ok) << 0 << u"WQ2"_s << u"comes first"_s;
        QTest::newRow("second, highest priority")
            << configuration({filter(u"Everything"_s, {target(u"1==1"_s, 10)}),
                              filter(u"Outbound"_s, {target(kTw, 1000)})})
            << int(V::Ok) << 1 << u"WQ1"_s << u"highest priority, 1000"_s;
        QTest::newRow("priority as string")
            << configuration({filter(u"Everything"_s, {target(u"1==1"_s, u"10"_s)}),
                              filter(u"Outbound"_s, {target(kTw, u"1000"_s)})})
            << int(V::Ok) << 1 << u"WQ1"_s << u"1000"_s;
        QTest::newRow("second, lower priority")
            << configuration({filter(u"Everything"_s, {target(u"1==1"_s, 2000)}),
                              filter(u"Outbound"_s, {target(kTw, 1000)})})
            << int(V::NotFirstOrHighest) << 1 << u"WQ1"_s << u"\"Everything\""_s;
        QTest::newRow("second, equal priority")
            << configuration({filter(u"Everything"_s, {target(u"1==1"_s, 1000)}),
                              filter(u"Outbound"_s, {target(kTw, 1000)})})
            << int(V::NotFirstOrHighest) << 1 << u"WQ1"_s << u"not above 1000"_s;
        QTest::newRow("second, no priorities")
            << configuration({filter(u"Everything"_s, {target(u"1==1"_s)}),
                              filter(u"Outbound"_s, {target(kTw)})})
            << int(V::NotFirstOrHighest) << 1 << u"WQ1"_s << u"number 2 of 2"_s;
        QTest::newRow("after a filter without targets")
            << configuration({filter(u"Nothing"_s, {}), filter(u"Outbound"_s, {target(kTw, 1)})})
            << int(V::Ok) << 1 << u"WQ1"_s << QString();
        QTest::newRow("unnamed filter")
            << configuration({QJsonObject{{u"targets"_s, QJsonArray{target(u"1==1"_s, 50)}}},
                              filter(u"Outbound"_s, {target(kTw, 7)})})
            << int(V::NotFirstOrHighest) << 1 << u"WQ1"_s << u"filter #1"_s;
        QTest::newRow("no queue in target")
            << configuration({filter(u"Outbound"_s, {QJsonObject{{u"expression"_s, kTw}}})})
            << int(V::Ok) << 0 << QString() << QString();
        QTest::newRow("wrong expression")
            << configuration({filter(u"Outbound"_s, {target(u"task.targetWorker==worker.sid"_s)})})
            << int(V::NoTargetWorker) << -1 << QString() << u"task.targetWorker==worker.sid"_s;
        QTest::newRow("no targets")
            << configuration({filter(u"Outbound"_s, {})}) << int(V::NoTargetWorker) << -1
            << QString() << u"no filter has targets"_s;
        QTest::newRow("no filters")
            << configuration({}) << int(V::NoTargetWorker) << -1 << QString() << u"no filters"_s;
        QTest::newRow("not JSON") << u"{task_routing"_s << int(V::NotJson) << -1 << QString()
                                  << u"not JSON"_s;
        QTest::newRow("no task_routing")
            << u"{\"filters\":[]}"_s << int(V::NotJson) << -1 << QString() << u"no task_routing"_s;
        QTest::newRow("empty") << QString() << int(V::NotJson) << -1 << QString() << QString();
    }

    void workflow()
    {
        QFETCH(QString, config);
        QFETCH(int, verdict);
        QFETCH(int, filterIndex);
        QFETCH(QString, queue);
        QFETCH(QString, detail);
        const WorkflowAnalysis a = analyzeWorkflowConfiguration(config);
        QCOMPARE(int(a.verdict), verdict);
        QCOMPARE(a.filterIndex, filterIndex);
        QCOMPARE(a.targetQueueSid, queue);
        QVERIFY2(a.detail.contains(detail), qPrintable(a.detail));
        QVERIFY(!a.detail.isEmpty());
    }

    void activities_data()
    {
        QTest::addColumn<QStringList>("available");
        QTest::addColumn<QStringList>("unavailable");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("detail");
        QTest::newRow("Available + Offline")
            << QStringList{u"Available"_s} << QStringList{u"Offline"_s, u"Break"_s} << true
            << u"\"Offline\""_s;
        QTest::newRow("Idle + Busy preferred")
            << QStringList{u"Available"_s, u"Idle"_s} << QStringList{u"Offline"_s, u"Busy"_s}
            << true << u"\"Busy\" (unavailable) while it dials and \"Idle\""_s;
        QTest::newRow("no unavailable") << QStringList{u"Available"_s} << QStringList{u"Break"_s}
                                        << false << u"Busy or Offline"_s;
        QTest::newRow("no available")
            << QStringList{} << QStringList{u"Offline"_s} << false << u"Idle or Available"_s;
        QTest::newRow("Busy marked available")
            << QStringList{u"Busy"_s, u"Available"_s} << QStringList{} << false
            << u"\"Busy\" is available"_s;
        QTest::newRow("nothing") << QStringList{} << QStringList{} << false << u"none"_s;
    }

    void activities()
    {
        QFETCH(QStringList, available);
        QFETCH(QStringList, unavailable);
        QFETCH(bool, ok);
        QFETCH(QString, detail);
        QJsonArray list;
        for (const QString &name : available)
            list.append(QJsonObject{{u"friendly_name"_s, name}, {u"available"_s, true}});
        for (const QString &name : unavailable)
            list.append(QJsonObject{{u"friendly_name"_s, name}, {u"available"_s, false}});
        const CheckResult r = ActivitiesCheck::judge(list, u"WS1"_s);
        QCOMPARE(r.status == CheckResult::Status::Ok, ok);
        QCOMPARE(r.fix.isEmpty(), ok);
        QVERIFY2(r.message.contains(detail), qPrintable(r.message));
    }

    void channels_data()
    {
        QTest::addColumn<QStringList>("wanted");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("detail");
        QTest::newRow("defaults") << QStringList{u"all"_s, u"voice"_s, u"chat"_s} << true
                                  << u"all, voice, chat"_s;
        QTest::newRow("missing video") << QStringList{u"all"_s, u"voice"_s, u"video"_s, u"fax"_s}
                                       << false << u"names video, fax"_s;
        QTest::newRow("auto") << QStringList{u"auto"_s} << true << u"all, default, voice, chat"_s;
    }

    void channels()
    {
        QFETCH(QStringList, wanted);
        QFETCH(bool, ok);
        QFETCH(QString, detail);
        QJsonArray list;
        for (const QString &name : {u"default"_s, u"voice"_s, u"chat"_s})
            list.append(QJsonObject{{u"unique_name"_s, name}});
        const CheckResult r = ChannelsCheck::judge(list, wanted, u"WS1"_s);
        QCOMPARE(r.status == CheckResult::Status::Ok, ok);
        QVERIFY2(r.message.contains(detail), qPrintable(r.message));
    }

    void reportFormats()
    {
        CheckReport report;
        report.results = {CheckResult::ok(u"a"_s, u"fine"_s),
                          CheckResult::warn(u"b"_s, u"narrow"_s, u"Widen it"_s),
                          CheckResult::fail(u"c"_s, u"broken."_s, u"Mend it."_s)};
        report.notes = {u"redis: nothing"_s};
        report.elapsedMs = 1234;
        QCOMPARE(report.exitCode(), 1);
        const QStringList lines = formatText(report, u"heading"_s).split(u'\n');
        QCOMPARE(lines.value(0), u"heading"_s);
        QCOMPARE(lines.value(1), u"\u2713 a: fine"_s);
        QCOMPARE(lines.value(2), u"! b: narrow. Fix: Widen it."_s);
        QCOMPARE(lines.value(3), u"\u2717 c: broken. Fix: Mend it."_s);
        QCOMPARE(lines.value(4), u"- redis: nothing"_s);
        QCOMPARE(lines.value(5), u"1 ok, 1 warnings, 1 failed (1.2 s)"_s);

        const QJsonObject doc = QJsonDocument::fromJson(formatJson(report)).object();
        const QJsonArray checks = doc.value(u"checks"_s).toArray();
        QCOMPARE(checks.size(), 3);
        QCOMPARE(checks.at(1).toObject().value(u"status"_s).toString(), u"warn"_s);
        QCOMPARE(checks.at(2).toObject().value(u"status"_s).toString(), u"fail"_s);
        QCOMPARE(checks.at(2).toObject().value(u"fix"_s).toString(), u"Mend it."_s);
        QCOMPARE(doc.value(u"exitCode"_s).toInt(), 1);
        QCOMPARE(doc.value(u"summary"_s).toObject().value(u"warn"_s).toInt(), 1);

        report.results.removeLast();
        QCOMPARE(report.exitCode(), 0); // warnings are allowed
    }

    void redisInfo_data()
    {
        QTest::addColumn<QByteArray>("info");
        QTest::addColumn<int>("status"); // CheckResult::Status
        QTest::addColumn<QString>("names");
        const QByteArray head = "# Server\r\nredis_git_sha1:00000000\r\n";
        QTest::newRow("7.0") << head + "redis_version:7.0.15\r\nredis_mode:standalone\r\n"
                             << int(CheckResult::Status::Ok) << u"Redis 7.0.15 at "_s;
        QTest::newRow("5.0") << head + "redis_version:5.0.14\r\n"
                             << int(CheckResult::Status::Ok) << u"5.0.14"_s;
        QTest::newRow("4.0 is too old") << head + "redis_version:4.0.9\r\n"
                                        << int(CheckResult::Status::Warn) << u"older than 5.0"_s;
        QTest::newRow("no version")
            << head << int(CheckResult::Status::Warn) << u"names no version"_s;
    }
    void redisInfo()
    {
        QFETCH(QByteArray, info);
        QFETCH(int, status);
        QFETCH(QString, names);
        const CheckResult r = RedisCheck::judgeInfo(info, u"redis://127.0.0.1:6379"_s);
        QCOMPARE(r.id, u"redis"_s);
        QCOMPARE(int(r.status), status);
        QVERIFY2(r.message.contains(names), qPrintable(r.message));
    }

    void redisLease_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<qint64>("pttl");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("names");
        QTest::newRow("nobody") << QByteArray() << qint64(-2) << int(CheckResult::Status::Ok)
                                << u"no instance holds the stats lease flex-backend:stats:lease"_s;
        QTest::newRow("held") << QByteArray("node-1:1764633600123") << qint64(8200)
                              << int(CheckResult::Status::Ok)
                              << u"instance node-1 holds the stats lease (fence 1764633600123, "
                                 u"8.2 s left)"_s;
        QTest::newRow("instance with colons")
            << QByteArray("host:a:42") << qint64(100) << int(CheckResult::Status::Ok)
            << u"instance host:a holds"_s;
        QTest::newRow("foreign value") << QByteArray("garbage") << qint64(-1)
                                       << int(CheckResult::Status::Warn) << u"\"garbage\""_s;
    }
    void redisLease()
    {
        QFETCH(QByteArray, value);
        QFETCH(qint64, pttl);
        QFETCH(int, status);
        QFETCH(QString, names);
        const CheckResult r = RedisCheck::judgeLease(value, pttl, u"flex-backend:"_s);
        QCOMPARE(r.id, u"stats-lease"_s);
        QCOMPARE(int(r.status), status);
        QVERIFY2(r.message.contains(names), qPrintable(r.message));
    }

    void startupScope()
    {
        flex::config::Config config = flex::config::Config::defaults();
        config.redis.enabled = true; // the service's own check never looks at Redis
        const CheckRunner startup(config, CheckRunner::Scope::Startup);
        QCOMPARE(startup.ids(), CheckRunner::startupIds());
        const QStringList all = CheckRunner(config, CheckRunner::Scope::Full).ids();
        for (const QString &id : CheckRunner::startupIds())
            QVERIFY2(all.contains(id), qPrintable(id));
        // No call to the service itself, nothing that cannot fail.
        QVERIFY(!startup.ids().contains(u"external-host"_s));
        QVERIFY(!startup.ids().contains(u"settings"_s));
        QVERIFY(all.contains(u"redis"_s) && all.contains(u"stats-lease"_s));
        config.redis.enabled = false;
        QVERIFY(!CheckRunner(config).ids().contains(u"redis"_s));
    }
};

QTEST_GUILESS_MAIN(tst_CheckUnit)
#include "tst_checkunit.moc"
