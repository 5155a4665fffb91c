// Unit tests of the stats feature's parts: field mapping (docs/protocol.md §5),
// today's start in a zone, snapshot rules, the subscription filter, and the
// poller against the in-process emulator with an injectable clock (midnight
// rollover in a non-UTC zone, requests per cycle).
#include "config/config.h"
#include "emulator/twilioemulator.h"
#include "stats/snapshotbuilder.h"
#include "stats/statsclock.h"
#include "stats/statsfanout.h"
#include "stats/statsmapper.h"
#include "stats/statspoller.h"
#include "twilio/twilioclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QUrlQuery>

using namespace flex;
using namespace Qt::StringLiterals;

namespace {

QJsonObject obj(const char *json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(json), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad JSON in test: %s", json);
    return doc.object();
}

QByteArray text(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QDateTime utc(const char *iso)
{
    QDateTime t = QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODate);
    return t.toUTC();
}

} // namespace

class tst_StatsUnit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void mapRealtime_data();
    void mapRealtime();
    void mapCumulative_data();
    void mapCumulative();
    void missingFields_data();
    void missingFields();
    void dayStart_data();
    void dayStart();
    void snapshotWaitsForEveryChannel();
    void snapshotDropsDeletedQueuesAndKeepsLastGood();
    void subscriptionFilter();
    void pollerMidnightRolloverNewYork();
    void pollerRequestsPerCycleAt100Queues();
    void pollerAbandonedCycleCancelsRequests();
};

void tst_StatsUnit::mapRealtime_data()
{
    QTest::addColumn<QJsonObject>("twilio");
    QTest::addColumn<QJsonObject>("expected");

    QTest::newRow("documented fields") << obj(R"({
        "account_sid":"AC1","activity_statistics":[
            {"friendly_name":"Available","sid":"WA1","workers":3},
            {"friendly_name":"Offline","sid":"WA2","workers":1}],
        "longest_task_waiting_age":12,"longest_task_waiting_sid":"WT1",
        "longest_relative_task_age_in_queue":12,"longest_relative_task_sid_in_queue":"WT1",
        "task_queue_sid":"WQ1","tasks_by_priority":{"0":2,"10":1},
        "tasks_by_status":{"pending":1,"reserved":0,"assigned":2,"wrapping":0},
        "total_available_workers":3,"total_eligible_workers":4,"total_tasks":3,
        "workspace_sid":"WS1","url":"https://x"})")
                                       << obj(R"({
        "activityStatistics":[{"friendly_name":"Available","workers":3},
                              {"friendly_name":"Offline","workers":1}],
        "oldestTask":12,"tasksByPriority":{"0":2,"10":1},
        "tasksByStatus":{"pending":1,"reserved":0,"assigned":2,"wrapping":0},
        "availableWorkers":3,"eligibleWorkers":4,"totalTasks":3})");

    QTest::newRow("nulls become zeros") << obj(R"({
        "activity_statistics":null,"longest_task_waiting_age":null,"tasks_by_priority":null,
        "tasks_by_status":null,"total_available_workers":null,"total_eligible_workers":null,
        "total_tasks":null})") << obj(R"({
        "activityStatistics":[],"oldestTask":0,"tasksByPriority":{},
        "tasksByStatus":{"pending":0,"reserved":0,"assigned":0,"wrapping":0},
        "availableWorkers":0,"eligibleWorkers":0,"totalTasks":0})");

    QTest::newRow("missing fields") << QJsonObject() << obj(R"({
        "activityStatistics":[],"oldestTask":0,"tasksByPriority":{},
        "tasksByStatus":{"pending":0,"reserved":0,"assigned":0,"wrapping":0},
        "availableWorkers":0,"eligibleWorkers":0,"totalTasks":0})");

    // The OpenAPI descriptions show counts as strings.
    QTest::newRow("string counts") << obj(R"({
        "tasks_by_status":{"pending":"1","reserved":"3","assigned":"2","completed":"5"},
        "tasks_by_priority":{"0":"10","99":"5"},"activity_statistics":[{"friendly_name":"Break"}]})")
                                   << obj(R"({
        "activityStatistics":[{"friendly_name":"Break","workers":0}],"oldestTask":0,
        "tasksByPriority":{"0":10,"99":5},
        "tasksByStatus":{"pending":1,"reserved":3,"assigned":2,"wrapping":0,"completed":5},
        "availableWorkers":0,"eligibleWorkers":0,"totalTasks":0})");
}

void tst_StatsUnit::mapRealtime()
{
    QFETCH(QJsonObject, twilio);
    QFETCH(QJsonObject, expected);
    const QJsonObject got = stats::StatsMapper::realtime(twilio);
    QVERIFY2(got == expected, text(got).constData());
}

void tst_StatsUnit::mapCumulative_data()
{
    QTest::addColumn<QJsonObject>("twilio");
    QTest::addColumn<QList<int>>("thresholds");
    QTest::addColumn<QJsonObject>("expected");

    QTest::newRow("documented fields") << obj(R"({
        "avg_task_acceptance_time":9,"start_time":"2026-11-25T00:00:00Z","end_time":"2026-11-25T10:00:00Z",
        "reservations_created":10,"reservations_accepted":9,"reservations_rejected":0,
        "reservations_timed_out":1,"reservations_canceled":0,"reservations_rescinded":0,
        "split_by_wait_time":{
            "30":{"above":{"tasks_canceled":0,"reservations_accepted":1},"below":{"tasks_canceled":1,"reservations_accepted":8}},
            "60":{"above":{"tasks_canceled":0,"reservations_accepted":0},"below":{"tasks_canceled":1,"reservations_accepted":9}}},
        "wait_duration_until_accepted":{"avg":9,"min":1,"max":30,"total":81},
        "wait_duration_until_canceled":{"avg":20,"min":20,"max":20,"total":20},
        "wait_duration_in_queue_until_accepted":{"avg":9,"min":1,"max":30,"total":81},
        "tasks_canceled":1,"tasks_completed":8,"tasks_deleted":0,"tasks_entered":10,"tasks_moved":0,
        "task_queue_sid":"WQ1","url":"https://x"})")
                                       << QList<int>{30, 60} << obj(R"({
        "rCreated":10,"rRej":0,"rAccepted":9,"rTimedOut":1,"rCancel":0,"rRescind":0,
        "tCompl":8,"tMoved":0,"tEnter":10,"tCanc":1,"tDel":0,
        "waitUntilCancel":{"avg":20,"min":20,"max":20,"total":20},
        "waitUntilAccept":{"avg":9,"min":1,"max":30,"total":81},
        "splitByWaitTime":{
            "30":{"above":{"tasks_canceled":0,"reservations_accepted":1},"below":{"tasks_canceled":1,"reservations_accepted":8}},
            "60":{"above":{"tasks_canceled":0,"reservations_accepted":0},"below":{"tasks_canceled":1,"reservations_accepted":9}}},
        "startTime":"2026-11-25T00:00:00Z","endTime":"2026-11-25T10:00:00Z",
        "avgTaskAcceptanceTime":9})");

    // Twilio sends null when nothing was accepted/canceled, and no split
    // without SplitByWaitTime: the plugin would crash on either.
    QTest::newRow("nulls zero-filled") << obj(R"({
        "avg_task_acceptance_time":0,"start_time":"2026-11-25T05:00:00Z","end_time":"2026-11-25T06:00:00Z",
        "split_by_wait_time":null,"wait_duration_until_accepted":null,
        "wait_duration_until_canceled":null,"tasks_entered":null})")
                                       << QList<int>{30, 60, 120} << obj(R"({
        "rCreated":0,"rRej":0,"rAccepted":0,"rTimedOut":0,"rCancel":0,"rRescind":0,
        "tCompl":0,"tMoved":0,"tEnter":0,"tCanc":0,"tDel":0,
        "waitUntilCancel":{"avg":0,"min":0,"max":0,"total":0},
        "waitUntilAccept":{"avg":0,"min":0,"max":0,"total":0},
        "splitByWaitTime":{
            "30":{"above":{"tasks_canceled":0,"reservations_accepted":0},"below":{"tasks_canceled":0,"reservations_accepted":0}},
            "60":{"above":{"tasks_canceled":0,"reservations_accepted":0},"below":{"tasks_canceled":0,"reservations_accepted":0}},
            "120":{"above":{"tasks_canceled":0,"reservations_accepted":0},"below":{"tasks_canceled":0,"reservations_accepted":0}}},
        "startTime":"2026-11-25T05:00:00Z","endTime":"2026-11-25T06:00:00Z",
        "avgTaskAcceptanceTime":0})");

    QTest::newRow("split missing a threshold, partial sides") << obj(R"({
        "split_by_wait_time":{"45":{"above":{"tasks_canceled":2}}}})")
                                                              << QList<int>{45, 90} << obj(R"({
        "rCreated":0,"rRej":0,"rAccepted":0,"rTimedOut":0,"rCancel":0,"rRescind":0,
        "tCompl":0,"tMoved":0,"tEnter":0,"tCanc":0,"tDel":0,
        "waitUntilCancel":{"avg":0,"min":0,"max":0,"total":0},
        "waitUntilAccept":{"avg":0,"min":0,"max":0,"total":0},
        "splitByWaitTime":{
            "45":{"above":{"tasks_canceled":2,"reservations_accepted":0},"below":{"tasks_canceled":0,"reservations_accepted":0}},
            "90":{"above":{"tasks_canceled":0,"reservations_accepted":0},"below":{"tasks_canceled":0,"reservations_accepted":0}}},
        "startTime":"","endTime":"","avgTaskAcceptanceTime":0})");
}

void tst_StatsUnit::mapCumulative()
{
    QFETCH(QJsonObject, twilio);
    QFETCH(QList<int>, thresholds);
    QFETCH(QJsonObject, expected);
    const QJsonObject got = stats::StatsMapper::cumulative(twilio, thresholds);
    QVERIFY2(got == expected, text(got).constData());
}

void tst_StatsUnit::missingFields_data()
{
    QTest::addColumn<QByteArray>("realtime");
    QTest::addColumn<QByteArray>("cumulative");
    QTest::addColumn<bool>("withSplit");
    QTest::addColumn<QStringList>("missing");

    const QByteArray fullRt = R"({"activity_statistics":[],"longest_task_waiting_age":0,
        "tasks_by_priority":{},"tasks_by_status":{},"total_available_workers":0,
        "total_eligible_workers":0,"total_tasks":0})";
    const QByteArray fullCu = R"({"reservations_created":0,"reservations_rejected":0,
        "reservations_accepted":0,"reservations_timed_out":0,"reservations_canceled":0,
        "reservations_rescinded":0,"tasks_completed":0,"tasks_moved":0,"tasks_entered":0,
        "tasks_canceled":0,"tasks_deleted":0,"wait_duration_until_canceled":null,
        "wait_duration_until_accepted":null,"avg_task_acceptance_time":0,"start_time":"",
        "end_time":"","split_by_wait_time":null})";
    // The official example of the list item (fields only; values do not matter).
    const QByteArray officialRt = R"({"activity_statistics":[],"longest_task_waiting_age":0,
        "longest_task_waiting_sid":null,"tasks_by_status":{},"total_available_workers":0,
        "total_eligible_workers":0,"total_tasks":0})";
    const QByteArray officialCu = R"({"avg_task_acceptance_time":0,"end_time":"",
        "reservations_accepted":0,"reservations_canceled":0,"reservations_created":0,
        "reservations_rejected":0,"reservations_rescinded":0,"reservations_timed_out":0,
        "start_time":"","tasks_canceled":0,"tasks_deleted":0,"tasks_entered":0,"tasks_moved":0})";

    QTest::newRow("complete (nulls count as present)") << fullRt << fullCu << true << QStringList();
    QTest::newRow("official example")
        << officialRt << officialCu << true
        << QStringList{u"tasks_by_priority"_s, u"tasks_completed"_s,
                       u"wait_duration_until_canceled"_s, u"wait_duration_until_accepted"_s,
                       u"split_by_wait_time"_s};
    QTest::newRow("no thresholds: no split needed")
        << fullRt << QByteArray(fullCu).replace(R"("split_by_wait_time":null)", R"("x":1)") << false
        << QStringList();
    QTest::newRow("empty objects")
        << QByteArray("{}") << QByteArray("{}") << false << QStringList{u"activity_statistics"_s};
}

void tst_StatsUnit::missingFields()
{
    QFETCH(QByteArray, realtime);
    QFETCH(QByteArray, cumulative);
    QFETCH(bool, withSplit);
    QFETCH(QStringList, missing);
    const QStringList got =
        stats::StatsMapper::missingRealtime(QJsonDocument::fromJson(realtime).object()) +
        stats::StatsMapper::missingCumulative(QJsonDocument::fromJson(cumulative).object(),
                                              withSplit);
    if (QTest::currentDataTag() == QByteArray("empty objects")) {
        QCOMPARE(got.size(), 7 + 16); // every field of both
        QVERIFY(got.contains(missing.first()));
    } else {
        QCOMPARE(got, missing);
    }
}

void tst_StatsUnit::dayStart_data()
{
    QTest::addColumn<QByteArray>("zone");
    QTest::addColumn<QDateTime>("instant");
    QTest::addColumn<QDateTime>("expected");

    QTest::newRow("UTC") << "UTC"_ba << utc("2026-11-25T10:00:00Z") << utc("2026-11-25T00:00:00Z");
    QTest::newRow("New York, evening before (UTC already next day)")
        << "America/New_York"_ba << utc("2026-11-25T03:00:00Z") << utc("2026-11-24T05:00:00Z");
    QTest::newRow("New York, last second of the day")
        << "America/New_York"_ba << utc("2026-11-25T04:59:59Z") << utc("2026-11-24T05:00:00Z");
    QTest::newRow("New York, midnight")
        << "America/New_York"_ba << utc("2026-11-25T05:00:00Z") << utc("2026-11-25T05:00:00Z");
    QTest::newRow("New York, summer time")
        << "America/New_York"_ba << utc("2026-07-01T12:00:00Z") << utc("2026-07-01T04:00:00Z");
    QTest::newRow("Kolkata, half-hour offset")
        << "Asia/Kolkata"_ba << utc("2026-11-24T18:29:59Z") << utc("2026-11-23T18:30:00Z");
    QTest::newRow("Kolkata, midnight")
        << "Asia/Kolkata"_ba << utc("2026-11-24T18:30:00Z") << utc("2026-11-24T18:30:00Z");
    QTest::newRow("Berlin, day of the spring-forward")
        << "Europe/Berlin"_ba << utc("2026-03-29T12:00:00Z") << utc("2026-03-28T23:00:00Z");
    // In 2018 Brazil's summer time began at 00:00: that day had no midnight.
    QTest::newRow("Sao Paulo, midnight in a DST gap")
        << "America/Sao_Paulo"_ba << utc("2018-11-04T12:00:00Z") << utc("2018-11-04T03:00:00Z");
}

void tst_StatsUnit::dayStart()
{
    QFETCH(QByteArray, zone);
    QFETCH(QDateTime, instant);
    QFETCH(QDateTime, expected);
    const QTimeZone tz(zone);
    QVERIFY(tz.isValid());
    QCOMPARE(stats::StatsClock::dayStart(instant, tz), expected);
    // The injected clock is what todayStart() uses.
    const stats::StatsClock clock([instant] { return instant; });
    QCOMPARE(clock.todayStart(tz), expected);
    QCOMPARE(stats::StatsClock::isoUtc(expected), expected.toString(Qt::ISODate));
}

void tst_StatsUnit::snapshotWaitsForEveryChannel()
{
    stats::SnapshotBuilder b;
    b.setChannels({u"all"_s, u"voice"_s});
    b.setQueues({{u"WQ1"_s, u"Sales"_s}, {u"WQ2"_s, u"Support"_s}});
    QVERIFY(b.build().isEmpty());
    const QJsonObject rt = stats::StatsMapper::realtime({});
    b.setRealtime(u"WQ1"_s, u"all"_s, rt);
    b.setRealtime(u"WQ2"_s, u"all"_s, rt);
    b.setRealtime(u"WQ2"_s, u"voice"_s, rt);
    b.setRealtime(u"WQ2"_s, u"chat"_s, rt); // not enabled: ignored
    QJsonArray a = b.build();
    QCOMPARE(a.size(), 1);
    QJsonObject q = a.at(0).toObject();
    QCOMPARE(q.value(u"sid"_s).toString(), u"WQ2"_s);
    QCOMPARE(q.value(u"friendlyName"_s).toString(), u"Support"_s);
    QCOMPARE(q.keys(), (QStringList{u"friendlyName"_s, u"realTimeStats_all"_s,
                                    u"realTimeStats_voice"_s, u"sid"_s}));
    b.setRealtime(u"WQ1"_s, u"voice"_s, rt);
    b.setCumulative(u"WQ1"_s, u"voice"_s, stats::StatsMapper::cumulative({}, {30}));
    a = b.build();
    QCOMPARE(a.size(), 2);
    q = a.at(0).toObject(); // TaskRouter's order
    QCOMPARE(q.value(u"sid"_s).toString(), u"WQ1"_s);
    QVERIFY(q.contains(u"cumulativeStats_voice"_s));
    QVERIFY(!q.contains(u"cumulativeStats_all"_s)); // may be absent: "NO DATA"

    // A channel switched off disappears; a new one withholds the queues
    // until it has realtime numbers.
    b.setChannels({u"all"_s});
    QCOMPARE(b.build().size(), 2);
    QVERIFY(!b.build().at(0).toObject().contains(u"realTimeStats_voice"_s));
    QVERIFY(!b.build().at(0).toObject().contains(u"cumulativeStats_voice"_s));
    b.setChannels({u"all"_s, u"video"_s});
    QVERIFY(b.build().isEmpty());
}

void tst_StatsUnit::snapshotDropsDeletedQueuesAndKeepsLastGood()
{
    stats::SnapshotBuilder b;
    b.setChannels({u"all"_s});
    b.setQueues({{u"WQ1"_s, u"A"_s}, {u"WQ2"_s, u"B"_s}});
    QJsonObject rt = stats::StatsMapper::realtime(obj(R"({"total_tasks":4})"));
    b.setRealtime(u"WQ1"_s, u"all"_s, rt);
    b.setRealtime(u"WQ2"_s, u"all"_s, rt);
    QCOMPARE(b.build().size(), 2);
    b.setRealtimeMessage(u"Realtime statistics are not current: HTTP 429"_s);
    b.setCumulativeMessage(u"Today's statistics are not current: HTTP 500"_s);
    const QJsonObject q = b.build().at(0).toObject();
    QCOMPARE(q.value(u"realTimeStats_all"_s).toObject().value(u"totalTasks"_s).toInt(), 4);
    QCOMPARE(q.value(u"realTimeStatsMessage"_s).toString(),
             u"Realtime statistics are not current: HTTP 429"_s);
    QVERIFY(q.contains(u"cumulativeStatsMessage"_s));
    b.setRealtimeMessage({});
    b.setCumulativeMessage({});
    b.setQueues({{u"WQ2"_s, u"B renamed"_s}});
    const QJsonArray a = b.build();
    QCOMPARE(a.size(), 1);
    QCOMPARE(a.at(0).toObject().value(u"friendlyName"_s).toString(), u"B renamed"_s);
    QVERIFY(!a.at(0).toObject().contains(u"realTimeStatsMessage"_s));
    // A queue that comes back is new: it waits for fresh numbers.
    b.setQueues({{u"WQ1"_s, u"A"_s}, {u"WQ2"_s, u"B"_s}});
    QCOMPARE(b.build().size(), 1);
}

void tst_StatsUnit::subscriptionFilter()
{
    const QJsonArray queues{obj(R"({"sid":"WQ1","friendlyName":"A","x_extension":1,
        "realTimeStats_all":{},"realTimeStats_voice":{},"realTimeStats_chat":{},
        "cumulativeStats_all":{},"cumulativeStats_chat":{},"realTimeStatsMessage":"m"})")};
    const QJsonArray f = stats::StatsFanout::filtered(queues, {u"all"_s, u"chat"_s});
    QCOMPARE(f.at(0).toObject().keys(),
             (QStringList{u"cumulativeStats_all"_s, u"cumulativeStats_chat"_s, u"friendlyName"_s,
                          u"realTimeStatsMessage"_s, u"realTimeStats_all"_s,
                          u"realTimeStats_chat"_s, u"sid"_s, u"x_extension"_s}));
}

void tst_StatsUnit::pollerMidnightRolloverNewYork()
{
    emulator::EmulatorConfig config;
    config.queueCount = 2;
    config.frozen = true;
    emulator::TwilioEmulator emu(config);
    QVERIFY(emu.listen());
    twilio::TwilioClient client;
    client.setCredentials(config.accountSid, config.authToken);

    // The fake clock starts two seconds before midnight in New York (of the
    // current real day, so that the emulator accepts the window).
    const QTimeZone newYork("America/New_York");
    const QDateTime todayMidnight =
        stats::StatsClock::dayStart(QDateTime::currentDateTimeUtc(), newYork);
    const QDateTime yesterdayMidnight =
        stats::StatsClock::dayStart(todayMidnight.addSecs(-2), newYork);
    QVERIFY(yesterdayMidnight < todayMidnight);
    QDateTime fakeNow = todayMidnight.addSecs(-2);
    stats::StatsPoller poller(client, stats::StatsClock([&fakeNow] { return fakeNow; }));

    stats::StatsSettings s = stats::StatsSettings::fromConfig(flex::config::Config::defaults());
    s.taskrouterUrl = emu.baseUrl();
    s.workspaceSid = config.workspaceSid;
    s.realtimeInterval = std::chrono::seconds(1);
    s.cumulativeInterval = std::chrono::seconds(3600);
    s.channels = {u"all"_s, u"voice"_s};
    s.slaThresholds = {20, 40};
    s.timeZone = newYork;
    poller.configure(s);

    QList<stats::CycleReport> reports;
    connect(&poller, &stats::StatsPoller::cycleFinished, this,
            [&reports](const stats::CycleReport &r) { reports.append(r); });
    poller.start();
    QTRY_VERIFY_WITH_TIMEOUT(reports.size() >= 2, 30000);
    QVERIFY(reports.at(0).cumulative);
    QVERIFY(reports.at(0).ok);
    QCOMPARE(reports.at(0).dayStart, yesterdayMidnight);
    QVERIFY(!reports.at(1).cumulative); // the cumulative interval is an hour
    const auto startTimes = [&poller] {
        QStringList out;
        const QJsonArray snapshot = poller.snapshot();
        for (const QJsonValue &q : snapshot)
            out << q[u"cumulativeStats_voice"_s][u"startTime"_s].toString();
        return out;
    };
    QCOMPARE(startTimes(), QStringList(2, stats::StatsClock::isoUtc(yesterdayMidnight)));
    // The split keys are the configured thresholds.
    QCOMPARE(
        poller.snapshot().at(0)[u"cumulativeStats_all"_s][u"splitByWaitTime"_s].toObject().keys(),
        (QStringList{u"20"_s, u"40"_s}));

    // Cross midnight: the very next cycle asks for the new day, although the
    // cumulative interval has not elapsed.
    emu.resetCounters();
    fakeNow = todayMidnight.addSecs(1);
    const qsizetype before = reports.size();
    QTRY_VERIFY_WITH_TIMEOUT(reports.size() > before, 30000);
    const stats::CycleReport &r = reports.at(before);
    QVERIFY(r.cumulative);
    QVERIFY(r.ok);
    QCOMPARE(r.dayStart, todayMidnight);
    QCOMPARE(r.dayStart.toTimeZone(newYork).time(), QTime(0, 0));
    QCOMPARE(startTimes(), QStringList(2, stats::StatsClock::isoUtc(todayMidnight)));
    bool sawStartDate = false;
    const QList<emulator::RecordedRequest> requests = emu.recentRequests();
    for (const emulator::RecordedRequest &req : requests) {
        if (req.operation != u"ListTaskQueuesStatistics"_s)
            continue;
        const QUrlQuery q(req.query);
        QCOMPARE(q.queryItemValue(u"StartDate"_s, QUrl::FullyDecoded),
                 stats::StatsClock::isoUtc(todayMidnight));
        QCOMPARE(q.queryItemValue(u"SplitByWaitTime"_s, QUrl::FullyDecoded), u"20,40"_s);
        sawStartDate = true;
    }
    QVERIFY(sawStartDate);
    // The day after, realtime-only cycles again.
    const qsizetype after = reports.size();
    QTRY_VERIFY_WITH_TIMEOUT(reports.size() > after, 30000);
    QVERIFY(!reports.at(after).cumulative);
    poller.stop();
}

void tst_StatsUnit::pollerRequestsPerCycleAt100Queues()
{
    emulator::EmulatorConfig config;
    config.queueCount = 100;
    config.frozen = true;
    config.warmup = std::chrono::minutes(2);
    emulator::TwilioEmulator emu(config);
    QVERIFY(emu.listen());
    twilio::TwilioClient client;
    client.setCredentials(config.accountSid, config.authToken);
    stats::StatsPoller poller(client);
    stats::StatsSettings s = stats::StatsSettings::fromConfig(flex::config::Config::defaults());
    s.taskrouterUrl = emu.baseUrl();
    s.workspaceSid = config.workspaceSid;
    s.realtimeInterval = std::chrono::seconds(1);
    s.cumulativeInterval = std::chrono::seconds(3600);
    s.channels = {u"all"_s, u"voice"_s, u"chat"_s, u"video"_s};
    s.timeZone = QTimeZone::utc();
    poller.configure(s);
    QList<stats::CycleReport> reports;
    qsizetype first = -1;
    connect(&poller, &stats::StatsPoller::cycleFinished, this, [&](const stats::CycleReport &r) {
        reports.append(r);
        if (first < 0) {
            // Between cycles: nothing in flight.
            emu.resetCounters();
            first = reports.size();
        } else if (reports.size() >= first + 3) {
            poller.stop();
        }
    });
    poller.start();
    QTRY_VERIFY_WITH_TIMEOUT(!poller.isRunning(), 60000);
    QCOMPARE(poller.snapshot().size(), 100);
    const int cycles = int(reports.size() - first);
    for (qsizetype i = first; i < reports.size(); ++i) {
        QVERIFY(!reports.at(i).cumulative);
        QCOMPARE(reports.at(i).requests, 5);
    }
    QCOMPARE(emu.counters(u"ListTaskQueue"_s).requests, cycles);
    QCOMPARE(emu.counters(u"ListTaskQueuesStatistics"_s).requests, 4 * cycles);
    QCOMPARE(emu.totalCounters().requests, 5 * cycles);
}

// A TaskRouter that reads requests and never answers: stop() and a change of
// channels destroy the cycle in flight, which aborts its requests (the server
// sees the connections closed) and reports nothing.
void tst_StatsUnit::pollerAbandonedCycleCancelsRequests()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    int open = 0;
    int requests = 0;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            ++open;
            connect(socket, &QTcpSocket::readyRead, socket, [&requests, socket] {
                if (socket->readAll().contains("GET "))
                    ++requests;
            });
            connect(socket, &QTcpSocket::disconnected, socket, [&open, socket] {
                --open;
                socket->deleteLater();
            });
        }
    });
    twilio::TwilioClient client;
    stats::StatsPoller poller(client);
    stats::StatsSettings s = stats::StatsSettings::fromConfig(flex::config::Config::defaults());
    s.taskrouterUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(server.serverPort()));
    s.workspaceSid = u"WS0123456789abcdef0123456789abcdef"_s;
    s.realtimeInterval = std::chrono::seconds(1);
    s.channels = {u"all"_s, u"voice"_s};
    poller.configure(s);
    int reports = 0;
    connect(&poller, &stats::StatsPoller::cycleFinished, this, [&reports] { ++reports; });

    poller.start();
    // TaskQueues + Statistics for each of the two channels.
    QTRY_COMPARE_WITH_TIMEOUT(requests, 3, 15000);
    QVERIFY(poller.isCycleRunning());
    QCOMPARE(client.inFlight(), 3);
    poller.stop();
    QVERIFY(!poller.isCycleRunning());
    QCOMPARE(client.inFlight(), 0);
    QCOMPARE(client.waiting(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(open, 0, 15000);

    // A new shape replaces the cycle in flight: the old one's requests stop.
    client.setMaxInFlight(2); // the third request of a cycle waits in the line
    poller.start();
    QTRY_COMPARE_WITH_TIMEOUT(requests, 5, 15000);
    QCOMPARE(client.waiting(), 1);
    s.channels = {u"all"_s};
    poller.configure(s);
    QCOMPARE(client.inFlight(), 0); // the new cycle starts from the event loop
    QCOMPARE(client.waiting(), 0);  // the queued request of the old cycle was never sent
    QTRY_COMPARE_WITH_TIMEOUT(requests, 7, 15000); // the new cycle: TaskQueues + "all"
    QCOMPARE(client.inFlight(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(open, 2, 15000); // the old cycle's connections closed
    poller.stop();
    QTRY_COMPARE_WITH_TIMEOUT(open, 0, 15000);
    QCOMPARE(requests, 7);
    QCOMPARE(reports, 0);
}

QTEST_GUILESS_MAIN(tst_StatsUnit)
#include "tst_statsunit.moc"
