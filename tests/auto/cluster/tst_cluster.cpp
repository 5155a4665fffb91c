// Three real flex-backend instances, one private redis-server, nginx round
// robin (packaging/nginx-cluster.conf) in front for Twilio's callbacks, the
// emulator as Twilio: the cluster rules end to end.
#include "bus/redisconnection.h"
#include "callupdates.h"
#include "clusterharness.h"
#include "config/valueparsers.h"
#include "notifysocket.h"
#include "prerequisite.h"
#include "testenvironment.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using namespace flex::testing;

namespace {

constexpr int Timeout = 30000;
const QString Answers = u"+15551230000"_s;      // answered, completed after the talk time
const QString RingsForever = u"+15551230004"_s; // until hung up
const QString DialPath = u"/websocket/outboundDial"_s;
const QString StatsPath = u"/websocket/realtimeStats"_s;

QString token(const QString &who)
{
    return flex::testing::flexToken(who);
}

} // namespace

class tst_Cluster : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void callUpdatesReachEveryTabOnceInOrder();
    void earlyCallbacksStillStartWithQueued();
    void foreignIdentitySeesNothingAndCannotHangUp();
    void rateLimitCountsEveryInstance();
    void onePollerSnapshotsEverywhere();
    void statusLineNamesThePoller();
    void callsInFlightCountedClusterWide();
    void killedPollerIsReplaced();
    void returningOldPollerDoesNotOverwrite();
    void redisRestartInTheMiddleOfCalls();

private:
    std::unique_ptr<WsClient> open(int instance, const QString &who,
                                   const QString &path = DialPath);
    QString place(WsClient &c, const QString &to, const QString &who);
    int leader(); // the one instance with flex_stats_leader 1, else -1
    qint64 storedFence();
    double statsRequests(int instance);

    QTemporaryDir m_notifyDir;
    std::unique_ptr<flex::testing::NotifySocket> m_notify; // every instance's NOTIFY_SOCKET
    std::unique_ptr<Cluster> m_cluster;
};

void tst_Cluster::initTestCase()
{
    FLEX_REQUIRE_REDIS();
    const QString nginxMissing = Cluster::nginxMissing();
    FLEX_REQUIRE(nginxMissing.isEmpty(), qPrintable(nginxMissing));
    FLEX_REQUIRE(!flex::testing::ServiceProcess::binary().isEmpty(),
                 "FLEX_BACKEND_BIN is not set (run through ctest)");
    m_cluster = std::make_unique<Cluster>();
    QVERIFY(m_notifyDir.isValid());
    m_notify = std::make_unique<flex::testing::NotifySocket>(m_notifyDir.filePath(u"notify"_s));
    QVERIFY(m_notify->ok());
    m_cluster->setEnv(u"NOTIFY_SOCKET"_s, m_notifyDir.filePath(u"notify"_s));
    m_cluster->setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    m_cluster->setEnv(u"STATS_CUMULATIVE_INTERVAL"_s, u"5"_s);
    m_cluster->setEnv(u"DIAL_MAX_CALLS_PER_MINUTE"_s, u"4"_s);
    QVERIFY(m_cluster->start(3));
}

std::unique_ptr<WsClient> tst_Cluster::open(int instance, const QString &who, const QString &path)
{
    auto c = std::make_unique<WsClient>();
    if (!c->open(m_cluster->wsUrl(instance, path), token(who)))
        return nullptr;
    return c;
}

QString tst_Cluster::place(WsClient &c, const QString &to, const QString &who)
{
    QSet<QString> known;
    for (int i = 0; i < c.messages().size(); ++i)
        known.insert(c.json(i).object().value("callSid"_L1).toString());
    const int from = int(c.messages().size());
    c.sendJson(callMessage(to, who));
    const int i = c.waitFor(
        [&](const QJsonDocument &d) {
            return d.object().value("messageType"_L1) == "error"_L1 ||
                   (isUpdate(d) && !known.contains(d.object().value("callSid"_L1).toString()));
        },
        Timeout, from);
    if (i < 0 || !isUpdate(c.json(i)))
        return {};
    return c.json(i).object().value("callSid"_L1).toString();
}

int tst_Cluster::leader()
{
    int found = -1;
    for (int i = 0; i < m_cluster->size(); ++i) {
        if (!m_cluster->instance(i).isRunning())
            continue;
        if (m_cluster->metric(i, "flex_stats_leader") == 1) {
            if (found >= 0)
                return -2; // two leaders
            found = i;
        }
    }
    return found;
}

double tst_Cluster::statsRequests(int instance)
{
    return m_cluster->metric(instance, "flex_twilio_requests_total", {"TaskQueue"}) +
           m_cluster->metric(instance, "flex_twilio_requests_total", {"TaskChannel"});
}

qint64 tst_Cluster::storedFence()
{
    flex::bus::RedisConnection::Settings s;
    (void)flex::config::parseRedisUrl(m_cluster->redis().url(), &s.endpoint);
    flex::bus::RedisConnection c(s);
    c.open();
    if (!QTest::qWaitFor([&] { return c.isConnected(); }, 10000))
        return -1;
    qint64 fence = -1;
    bool done = false;
    c.command({"HGET", "flex-backend:stats:snapshot", "fence"}, nullptr,
              [&](const flex::bus::RedisResult &r) {
                  done = true;
                  if (r.ok())
                      fence = r.reply->toInteger(0);
              });
    (void)QTest::qWaitFor([&] { return done; }, 10000);
    return fence;
}

void tst_Cluster::callUpdatesReachEveryTabOnceInOrder()
{
    m_cluster->emulator().setTalkTime(1500ms);
    auto tabA = open(0, u"alice"_s);
    auto tabB = open(1, u"alice"_s);
    auto bob = open(2, u"bob"_s);
    QVERIFY(tabA && tabB && bob);
    QStringList sids;
    for (int n = 0; n < 3; ++n) {
        const QString sid = place(*tabA, Answers, u"alice"_s);
        QVERIFY2(!sid.isEmpty(), qPrintable(tabA->dump()));
        sids << sid;
    }
    // A page reload on the third instance while the first call talks.
    QVERIFY(tabA->waitFor(
                [&](const QJsonDocument &d) { return isUpdate(d, sids[0], u"in-progress"_s); },
                Timeout) >= 0);
    auto late = open(2, u"alice"_s);
    QVERIFY(late);
    for (const QString &sid : std::as_const(sids)) {
        QTRY_VERIFY2_WITH_TIMEOUT(hasTerminal(*tabA, sid) && hasTerminal(*tabB, sid),
                                  qPrintable(tabA->dump() + u"\n--\n"_s + tabB->dump()), Timeout);
        const QStringList a = statuses(*tabA, sid);
        QVERIFY2(orderProblem(a).isEmpty(), qPrintable(orderProblem(a)));
        QCOMPARE(statuses(*tabB, sid), a);
        QVERIFY2(a.contains(u"queued"_s) && a.contains(u"ringing"_s) &&
                     a.contains(u"in-progress"_s) && a.contains(u"completed"_s),
                 qPrintable(a.join(u',')));
    }
    QTRY_VERIFY_WITH_TIMEOUT(hasTerminal(*late, sids[0]), Timeout);
    QVERIFY(orderProblem(statuses(*late, sids[0])).isEmpty());
    for (int i = 0; i < bob->messages().size(); ++i)
        QVERIFY2(!isUpdate(bob->json(i)), qPrintable(bob->dump()));
    // The callbacks really landed on more than one instance.
    int receiving = 0;
    for (int i = 0; i < 3; ++i)
        receiving += m_cluster->metric(i, "flex_webhooks_total",
                                       {"route=\"callStatus\"", "result=\"ok\""}) > 0;
    QVERIFY2(receiving >= 2, "every callback went to one instance: no cross-instance test");
}

void tst_Cluster::earlyCallbacksStillStartWithQueued()
{
    // Twilio's race: the first callbacks reach some instance (the emulator
    // holds the create answer until they have been answered). The owner's
    // sockets still hear of each call with `queued` first, as with one
    // instance, then the rest once and in order.
    m_cluster->emulator().setEarlyCallbacks(true);
    auto tabA = open(0, u"erin"_s);
    auto tabB = open(2, u"erin"_s);
    QVERIFY(tabA && tabB);
    QStringList sids;
    for (int n = 0; n < 3; ++n) {
        const QString sid = place(*tabA, Answers, u"erin"_s);
        QVERIFY2(!sid.isEmpty(), qPrintable(tabA->dump()));
        sids << sid;
    }
    m_cluster->emulator().setEarlyCallbacks(false);
    for (const QString &sid : std::as_const(sids)) {
        QTRY_VERIFY2_WITH_TIMEOUT(hasTerminal(*tabA, sid) && hasTerminal(*tabB, sid),
                                  qPrintable(tabA->dump() + u"\n--\n"_s + tabB->dump()), Timeout);
        for (WsClient *tab : {tabA.get(), tabB.get()}) {
            const QStringList seen = statuses(*tab, sid);
            QVERIFY2(orderProblem(seen).isEmpty(), qPrintable(orderProblem(seen)));
            QVERIFY2(seen.value(0) == u"queued"_s && seen.contains(u"ringing"_s),
                     qPrintable(seen.join(u',')));
        }
    }
}

void tst_Cluster::foreignIdentitySeesNothingAndCannotHangUp()
{
    auto tabA = open(0, u"alice"_s);
    auto tabB = open(1, u"alice"_s);
    auto bobHere = open(0, u"bob"_s);
    auto bobThere = open(2, u"bob"_s);
    QVERIFY(tabA && tabB && bobHere && bobThere);
    const QString sid = place(*tabA, RingsForever, u"alice"_s);
    QVERIFY2(!sid.isEmpty(), qPrintable(tabA->dump()));
    QVERIFY(tabB->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"ringing"_s); },
                          Timeout) >= 0);
    for (WsClient *bob : {bobHere.get(), bobThere.get()}) {
        bob->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
        const int e = bob->waitFor(
            [](const QJsonDocument &d) { return d.object().value("messageType"_L1) == "error"_L1; },
            Timeout);
        QVERIFY2(e >= 0, qPrintable(bob->dump()));
        QVERIFY2(bob->json(e).object().value("message"_L1).toString().contains(u"another agent"_s),
                 qPrintable(bob->dump()));
    }
    QVERIFY(m_cluster->emulator().call(sid).value("status"_L1).toString() == u"ringing"_s);
    // The owner's other tab, on another instance than the one that placed it.
    tabB->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    QTRY_VERIFY2_WITH_TIMEOUT(hasTerminal(*tabA, sid) && hasTerminal(*tabB, sid),
                              qPrintable(tabB->dump()), Timeout);
    QCOMPARE(statuses(*tabA, sid).last(), u"canceled"_s);
    for (WsClient *bob : {bobHere.get(), bobThere.get()}) {
        for (int i = 0; i < bob->messages().size(); ++i)
            QVERIFY2(!isUpdate(bob->json(i)), qPrintable(bob->dump()));
    }
}

void tst_Cluster::rateLimitCountsEveryInstance()
{
    std::vector<std::unique_ptr<WsClient>> tabs;
    for (int i = 0; i < 3; ++i) {
        tabs.push_back(open(i, u"carol"_s));
        QVERIFY(tabs.back());
    }
    for (int n = 0; n < 4; ++n) {
        const QString sid = place(*tabs[size_t(n % 3)], Answers, u"carol"_s);
        QVERIFY2(!sid.isEmpty(), qPrintable(tabs[size_t(n % 3)]->dump()));
    }
    WsClient &fifth = *tabs[1];
    const int from = int(fifth.messages().size());
    fifth.sendJson(callMessage(Answers, u"carol"_s));
    const int e = fifth.waitFor(
        [](const QJsonDocument &d) { return d.object().value("messageType"_L1) == "error"_L1; },
        Timeout, from);
    QVERIFY2(e >= 0, qPrintable(fifth.dump()));
    QVERIFY2(fifth.json(e).object().value("message"_L1).toString().contains(u"too many calls"_s),
             qPrintable(fifth.dump()));
}

void tst_Cluster::onePollerSnapshotsEverywhere()
{
    QTRY_VERIFY_WITH_TIMEOUT(leader() >= 0, Timeout);
    const int poller = leader();
    std::vector<std::unique_ptr<WsClient>> subs;
    for (int i = 0; i < 3; ++i) {
        subs.push_back(open(i, u"sam"_s, StatsPath));
        QVERIFY(subs.back());
        QVERIFY2(
            subs.back()->waitFor([](const QJsonDocument &d) { return d.isArray(); }, Timeout) >= 0,
            qPrintable(subs.back()->dump()));
    }
    // Only the poller asks TaskRouter.
    QList<double> before;
    for (int i = 0; i < 3; ++i)
        before << statsRequests(i);
    QTRY_VERIFY_WITH_TIMEOUT(statsRequests(poller) >= before[poller] + 15, Timeout);
    for (int i = 0; i < 3; ++i) {
        if (i != poller)
            QCOMPARE(statsRequests(i), before[i]);
    }
    QCOMPARE(leader(), poller);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(m_cluster->metric(i, "flex_redis_connected"), 3.0); // commands, calls, subscriber
        QVERIFY(m_cluster->metric(i, "flex_redis_command_seconds_count") > 0);
        QVERIFY(m_cluster->metric(i, "flex_instance_info", {"node-"}) == 1);
    }
    QVERIFY(m_cluster->metric(poller, "flex_stats_lease_changes_total") >= 1);

    // A quiet contact centre: a restarted instance serves the stored
    // snapshot to a new subscriber at once, though nothing changes.
    m_cluster->emulator().setFrozen(true);
    const int follower = (poller + 1) % 3;
    QVERIFY(m_cluster->restartInstance(follower));
    auto fresh = open(follower, u"sam"_s, StatsPath);
    QVERIFY(fresh);
    QVERIFY2(
        fresh->waitFor([](const QJsonDocument &d) { return d.isArray() && !d.array().isEmpty(); },
                       5000) >= 0,
        qPrintable(fresh->dump()));
    m_cluster->emulator().setFrozen(false);
    QTRY_VERIFY_WITH_TIMEOUT(leader() >= 0, Timeout);
}

void tst_Cluster::statusLineNamesThePoller()
{
    // systemd's STATUS= line of each instance says whether it polls, and
    // the others name the one that does.
    int poller = -1;
    QTRY_VERIFY_WITH_TIMEOUT((poller = leader()) >= 0, Timeout);
    m_notify->clear();
    const auto latest = [this](int i) {
        const QByteArray tag = "instance node-" + QByteArray::number(i) + ": ";
        QByteArray last;
        const QList<QByteArray> lines = m_notify->linesWithPrefix("STATUS=");
        for (const QByteArray &line : lines) {
            if (line.contains(tag))
                last = line.mid(line.indexOf(tag) + tag.size());
        }
        return last;
    };
    const QByteArray polls = "node-" + QByteArray::number(poller) + " polls";
    // STATUS= is sent every 5 s.
    QTRY_VERIFY2_WITH_TIMEOUT(
        [&] {
            for (int i = 0; i < m_cluster->size(); ++i) {
                const QByteArray status = latest(i);
                if (i == poller
                        ? !status.startsWith("stats poller (lease ")
                        : !status.startsWith(QByteArray("not the stats poller (" + polls + ")")))
                    return false;
            }
            return true;
        }(),
        m_notify->dump().constData(), Timeout);
    QCOMPARE(leader(), poller);
}

void tst_Cluster::callsInFlightCountedClusterWide()
{
    // flex_dial_calls_in_flight is the cluster's number on every instance.
    const auto everywhere = [this](double expected) {
        for (int i = 0; i < m_cluster->size(); ++i) {
            if (m_cluster->metric(i, "flex_dial_calls_in_flight") != expected)
                return false;
        }
        return true;
    };
    double before = -1;
    QTRY_VERIFY_WITH_TIMEOUT((before = m_cluster->metric(0, "flex_dial_calls_in_flight")) >= 0 &&
                                 everywhere(before),
                             Timeout);
    auto tab = open(1, u"frank"_s);
    QVERIFY(tab);
    const QString sid = place(*tab, RingsForever, u"frank"_s);
    QVERIFY2(!sid.isEmpty(), qPrintable(tab->dump()));
    QTRY_VERIFY2_WITH_TIMEOUT(
        everywhere(before + 1),
        qPrintable(QString::number(m_cluster->metric(2, "flex_dial_calls_in_flight"))), Timeout);
    tab->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    QTRY_VERIFY_WITH_TIMEOUT(hasTerminal(*tab, sid), Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(everywhere(before), Timeout);
}

void tst_Cluster::killedPollerIsReplaced()
{
    QTRY_VERIFY_WITH_TIMEOUT(leader() >= 0, Timeout);
    const int old = leader();
    QElapsedTimer clock;
    clock.start();
    m_cluster->instance(old).signal(SIGKILL);
    QVERIFY(m_cluster->instance(old).waitForExit(10000));
    // 2 x STATS_REALTIME_INTERVAL (1 s) + the lease (3 s), and a margin for a loaded machine.
    QTRY_VERIFY_WITH_TIMEOUT(leader() >= 0, 9000);
    const qint64 took = clock.elapsed();
    qInfo() << "a new poller took over after" << took << "ms";
    const int now = leader();
    QVERIFY(now != old);
    QTRY_VERIFY_WITH_TIMEOUT(m_cluster->metric(now, "flex_stats_snapshot_age_seconds") < 2.5,
                             Timeout);
    QVERIFY(m_cluster->restartInstance(old));
    QTRY_COMPARE_WITH_TIMEOUT(leader(), now, Timeout);
}

void tst_Cluster::returningOldPollerDoesNotOverwrite()
{
    QTRY_VERIFY_WITH_TIMEOUT(leader() >= 0, Timeout);
    const int old = leader();
    const qint64 oldFence = storedFence();
    const double oldChanges = m_cluster->metric(old, "flex_stats_lease_changes_total");
    m_cluster->instance(old).signal(SIGSTOP);
    int now = -1;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (int i = 0; i < 3; ++i) {
                if (i != old && m_cluster->metric(i, "flex_stats_leader") == 1)
                    now = i;
            }
            return now >= 0;
        }(),
        Timeout);
    // The new poller's snapshots are stored under a higher fence.
    m_cluster->emulator().tick(50);
    QTRY_VERIFY_WITH_TIMEOUT(storedFence() > oldFence, Timeout);
    const qint64 newFence = storedFence();
    // The old poller wakes up believing it holds the lease, with a snapshot
    // to publish: it is refused and steps down.
    m_cluster->instance(old).signal(SIGCONT);
    m_cluster->emulator().tick(50);
    QTRY_VERIFY_WITH_TIMEOUT(m_cluster->metric(old, "flex_stats_lease_changes_total") >
                                     oldChanges &&
                                 m_cluster->metric(old, "flex_stats_leader") == 0,
                             Timeout);
    QCOMPARE(leader(), now);
    QVERIFY2(storedFence() >= newFence, "an old poller overwrote a newer snapshot");
}

void tst_Cluster::redisRestartInTheMiddleOfCalls()
{
    m_cluster->emulator().setTalkTime(3000ms);
    m_cluster->emulator().setCallStepInterval(400ms);
    auto tabA = open(0, u"dave"_s);
    auto tabB = open(1, u"dave"_s);
    QVERIFY(tabA && tabB);
    const QString sid = place(*tabA, Answers, u"dave"_s);
    QVERIFY2(!sid.isEmpty(), qPrintable(tabA->dump()));
    QVERIFY(tabB->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid); }, Timeout) >= 0);

    m_cluster->redis().kill();
    for (int i = 0; i < 3; ++i) {
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                int status = 0;
                const QByteArray body = m_cluster->get(i, u"/readyz"_s, &status);
                return status == 503 && body.contains("Redis unreachable");
            }(),
            Timeout);
    }
    // The call goes on at Twilio while Redis is away.
    QTRY_VERIFY_WITH_TIMEOUT(
        isTerminal(m_cluster->emulator().call(sid).value("status"_L1).toString()), Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(m_cluster->emulator().outgoingRequests().size() > 0 &&
                                 m_cluster->emulator().outgoingRequests().last().httpStatus != 0,
                             Timeout);
    QVERIFY(m_cluster->redis().start());
    QTRY_VERIFY2_WITH_TIMEOUT(hasTerminal(*tabA, sid) && hasTerminal(*tabB, sid),
                              qPrintable(tabA->dump() + u"\n--\n"_s + tabB->dump()), Timeout);
    for (WsClient *tab : {tabA.get(), tabB.get()})
        QVERIFY2(orderProblem(statuses(*tab, sid)).isEmpty(),
                 qPrintable(orderProblem(statuses(*tab, sid))));
    for (int i = 0; i < 3; ++i) {
        QVERIFY(m_cluster->instance(i).isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                int status = 0;
                (void)m_cluster->get(i, u"/readyz"_s, &status);
                return status == 200;
            }(),
            Timeout);
        QTRY_COMPARE_WITH_TIMEOUT(m_cluster->metric(i, "flex_bus_buffered_updates"), 0.0, Timeout);
    }
    QTRY_VERIFY_WITH_TIMEOUT(leader() >= 0, Timeout);
}

QTEST_MAIN(tst_Cluster)
#include "tst_cluster.moc"
