// The real flex-backend against the in-process emulator, seen from
// /websocket/realtimeStats as the unmodified stats plugin sees it
// (docs/protocol.md §5): every field against the emulator's own numbers, queues
// coming and going, channels, configuration errors, Twilio failures,
// requests per cycle, slow consumers, subscriptions and reloads.
#include "testenvironment.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTcpSocket>
#include <QTest>
#include <QTimeZone>
#include <QUrlQuery>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

using namespace flex;
using namespace flex::testing;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWait = 30000;
const QStringList kDefaultChannels{u"all"_s, u"voice"_s, u"chat"_s, u"video"_s};
const QList<int> kDefaultSla{30, 60, 120};

emulator::EmulatorConfig frozenConfig(int queues)
{
    emulator::EmulatorConfig c = TestEnvironment::fastConfig();
    c.frozen = true;
    c.queueCount = queues;
    return c;
}

QString compact(const QJsonValue &v)
{
    return QString::fromUtf8(v.isArray()
                                 ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)
                                 : QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
}

QSet<QString> keySet(const QJsonObject &o)
{
    const QStringList keys = o.keys();
    return QSet<QString>(keys.cbegin(), keys.cend());
}

QSet<QString> channelsWith(const QJsonObject &queue, const QString &prefix)
{
    QSet<QString> out;
    const QStringList keys = queue.keys();
    for (const QString &k : keys) {
        if (k.startsWith(prefix))
            out.insert(k.mid(prefix.size()));
    }
    return out;
}

// What docs/protocol.md §5 says the service must make of TaskRouter's realtime
// object; written out field by field, independently of the service's code.
bool realtimeMatches(const QJsonObject &got, const QJsonObject &tw, QString *why)
{
    const QSet<QString> keys{u"activityStatistics"_s, u"oldestTask"_s,       u"tasksByPriority"_s,
                             u"tasksByStatus"_s,      u"availableWorkers"_s, u"eligibleWorkers"_s,
                             u"totalTasks"_s};
    const auto fail = [why](const QString &what) {
        *why = what;
        return false;
    };
    if (keySet(got) != keys)
        return fail(u"realtime keys: "_s + got.keys().join(u','));
    const QList<QPair<QString, QString>> numbers{
        {u"oldestTask"_s, u"longest_task_waiting_age"_s},
        {u"availableWorkers"_s, u"total_available_workers"_s},
        {u"eligibleWorkers"_s, u"total_eligible_workers"_s},
        {u"totalTasks"_s, u"total_tasks"_s}};
    for (const auto &[ours, theirs] : numbers) {
        if (!got.value(ours).isDouble() ||
            got.value(ours).toInteger() != tw.value(theirs).toInteger())
            return fail(ours + u" != "_s + theirs);
    }
    if (got.value(u"tasksByStatus"_s).toObject() != tw.value(u"tasks_by_status"_s).toObject())
        return fail(u"tasksByStatus"_s);
    if (got.value(u"tasksByPriority"_s).toObject() != tw.value(u"tasks_by_priority"_s).toObject())
        return fail(u"tasksByPriority"_s);
    const QJsonArray gotActivities = got.value(u"activityStatistics"_s).toArray();
    const QJsonArray twActivities = tw.value(u"activity_statistics"_s).toArray();
    if (gotActivities.size() != twActivities.size())
        return fail(u"activityStatistics size"_s);
    for (qsizetype i = 0; i < gotActivities.size(); ++i) {
        const QJsonObject a = gotActivities.at(i).toObject();
        const QJsonObject b = twActivities.at(i).toObject();
        if (keySet(a) != QSet<QString>{u"friendly_name"_s, u"workers"_s} ||
            a.value(u"friendly_name"_s) != b.value(u"friendly_name"_s) ||
            a.value(u"workers"_s).toInteger() != b.value(u"workers"_s).toInteger())
            return fail(u"activityStatistics[%1]"_s.arg(i));
    }
    return true;
}

QJsonObject durationOrZeros(const QJsonValue &v)
{
    if (v.isNull())
        return QJsonObject{{u"avg"_s, 0}, {u"min"_s, 0}, {u"max"_s, 0}, {u"total"_s, 0}};
    return v.toObject();
}

bool cumulativeMatches(const QJsonObject &got, const QJsonObject &tw, const QList<int> &sla,
                       QString *why)
{
    const auto fail = [why](const QString &what) {
        *why = what;
        return false;
    };
    const QList<QPair<QString, QString>> numbers{
        {u"rCreated"_s, u"reservations_created"_s},
        {u"rRej"_s, u"reservations_rejected"_s},
        {u"rAccepted"_s, u"reservations_accepted"_s},
        {u"rTimedOut"_s, u"reservations_timed_out"_s},
        {u"rCancel"_s, u"reservations_canceled"_s},
        {u"rRescind"_s, u"reservations_rescinded"_s},
        {u"tCompl"_s, u"tasks_completed"_s},
        {u"tMoved"_s, u"tasks_moved"_s},
        {u"tEnter"_s, u"tasks_entered"_s},
        {u"tCanc"_s, u"tasks_canceled"_s},
        {u"tDel"_s, u"tasks_deleted"_s},
        {u"avgTaskAcceptanceTime"_s, u"avg_task_acceptance_time"_s}};
    QSet<QString> keys{u"waitUntilCancel"_s, u"waitUntilAccept"_s, u"splitByWaitTime"_s,
                       u"startTime"_s, u"endTime"_s};
    for (const auto &pair : numbers)
        keys.insert(pair.first);
    if (keySet(got) != keys)
        return fail(u"cumulative keys: "_s + got.keys().join(u','));
    for (const auto &[ours, theirs] : numbers) {
        if (!got.value(ours).isDouble() ||
            got.value(ours).toInteger() != tw.value(theirs).toInteger())
            return fail(ours + u" != "_s + theirs);
    }
    if (got.value(u"startTime"_s) != tw.value(u"start_time"_s) ||
        got.value(u"endTime"_s) != tw.value(u"end_time"_s))
        return fail(u"startTime/endTime"_s);
    if (got.value(u"waitUntilCancel"_s).toObject() !=
        durationOrZeros(tw.value(u"wait_duration_until_canceled"_s)))
        return fail(u"waitUntilCancel"_s);
    if (got.value(u"waitUntilAccept"_s).toObject() !=
        durationOrZeros(tw.value(u"wait_duration_until_accepted"_s)))
        return fail(u"waitUntilAccept"_s);
    const QJsonObject split = got.value(u"splitByWaitTime"_s).toObject();
    const QJsonObject twSplit = tw.value(u"split_by_wait_time"_s).toObject();
    if (split.size() != sla.size())
        return fail(u"splitByWaitTime keys"_s);
    for (int t : sla) {
        const QString k = QString::number(t);
        if (split.value(k).toObject() != twSplit.value(k).toObject())
            return fail(u"splitByWaitTime."_s + k);
    }
    return true;
}

// Checks one queue object against the emulator, every enabled channel.
bool queueMatchesEmulator(const QJsonObject &q, emulator::TwilioEmulator &emu,
                          const QStringList &channels, const QList<int> &sla, QString *why)
{
    const QString sid = q.value(u"sid"_s).toString();
    if (!sid.startsWith(u"WQ"_s) || !q.value(u"friendlyName"_s).isString()) {
        *why = u"sid/friendlyName"_s;
        return false;
    }
    if (channelsWith(q, u"realTimeStats_"_s) != QSet<QString>(channels.cbegin(), channels.cend())) {
        *why = u"realtime channels"_s;
        return false;
    }
    for (const QString &channel : channels) {
        const QString filter = channel == u"all"_s ? QString() : channel;
        if (!realtimeMatches(q.value(u"realTimeStats_"_s + channel).toObject(),
                             emu.realtimeStatistics(sid, filter), why)) {
            *why = sid + u' ' + channel + u": "_s + *why;
            return false;
        }
        const QJsonObject cumulative = q.value(u"cumulativeStats_"_s + channel).toObject();
        if (cumulative.isEmpty()) {
            *why = sid + u' ' + channel + u": no cumulative stats"_s;
            return false;
        }
        const QDateTime start =
            QDateTime::fromString(cumulative.value(u"startTime"_s).toString(), Qt::ISODate);
        const QJsonObject tw = emu.cumulativeStatistics(sid, start, emu.now(), filter, sla);
        if (!cumulativeMatches(cumulative, tw, sla, why)) {
            *why = sid + u' ' + channel + u": "_s + *why;
            return false;
        }
    }
    return true;
}

bool isQueueArray(const QJsonDocument &d, int size = -1)
{
    return d.isArray() && (size < 0 || d.array().size() == size);
}

// A client that completes the WebSocket handshake and then never reads:
// its receive window is tiny from the SYN on, so the server's unsent bytes grow.
class SlowConsumer
{
public:
    bool open(quint16 port, const QString &token)
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return false;
        int size = 4096;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
            ::close(fd);
            return false;
        }
        m_socket.setReadBufferSize(4096);
        if (!m_socket.setSocketDescriptor(fd)) {
            ::close(fd);
            return false;
        }
        m_socket.write(
            "GET /websocket/realtimeStats HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) +
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " +
            token.toUtf8() + "\r\n\r\n");
        QByteArray head;
        const bool upgraded = QTest::qWaitFor(
            [&] {
                while (!head.contains("\r\n\r\n") && m_socket.bytesAvailable() > 0)
                    head += m_socket.read(1);
                return head.contains("\r\n\r\n");
            },
            kWait);
        return upgraded && head.startsWith("HTTP/1.1 101");
        // From here on nothing is read.
    }
    // Starts reading again (discarding) and waits for the server's close.
    bool waitClosedByServer(int timeoutMs)
    {
        m_socket.setReadBufferSize(0);
        return QTest::qWaitFor(
            [&] {
                m_socket.readAll();
                return m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
    }

    // Reads (and keeps) everything from now on: the server's frames, counted.
    void startReading()
    {
        m_socket.setReadBufferSize(0);
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket, [this] {
            m_pending += m_socket.readAll();
            takeFrames();
        });
        m_pending += m_socket.readAll();
        takeFrames();
    }
    bool connected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    const QList<QByteArray> &textFrames() const { return m_frames; }

private:
    // Complete unmasked server frames off the front of m_pending.
    void takeFrames()
    {
        for (;;) {
            if (m_pending.size() < 2)
                return;
            const auto *b = reinterpret_cast<const uchar *>(m_pending.constData());
            qsizetype header = 2;
            quint64 length = b[1] & 0x7f;
            if (length == 126) {
                header = 4;
                if (m_pending.size() < header)
                    return;
                length = quint64(b[2]) << 8 | b[3];
            } else if (length == 127) {
                header = 10;
                if (m_pending.size() < header)
                    return;
                length = 0;
                for (int i = 2; i < 10; ++i)
                    length = length << 8 | b[i];
            }
            if (quint64(m_pending.size() - header) < length)
                return;
            if ((b[0] & 0x0f) == 0x1)
                m_frames.append(m_pending.mid(header, qsizetype(length)));
            m_pending.remove(0, header + qsizetype(length));
        }
    }

    QTcpSocket m_socket;
    QByteArray m_pending;
    QList<QByteArray> m_frames;
};

// 100 queues whose numbers move every second, a subscriber that keeps up
// and one that reads nothing until told to.
struct SlowReaderRig
{
    static emulator::EmulatorConfig config()
    {
        emulator::EmulatorConfig c = TestEnvironment::fastConfig();
        c.queueCount = 100;
        c.warmup = std::chrono::minutes(2);
        return c;
    }
    bool start()
    {
        env.setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
        return env.startService() &&
               good.open(env.service().wsUrl(u"/websocket/realtimeStats"_s),
                         TestEnvironment::supervisorToken()) &&
               good.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 100); }, kWait) >=
                   0 &&
               slow.open(env.servicePort(), TestEnvironment::supervisorToken());
    }
    TestEnvironment env{config()};
    WsClient good;
    SlowConsumer slow;
};

} // namespace

class tst_StatsService : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fieldsMatchProtocolAndEmulator_data();
    void fieldsMatchProtocolAndEmulator();
    void workspaceWithoutAChannel();
    void splitCapNoted();
    void queuesAddedAndDeleted();
    void channels_data();
    void channels();
    void configErrors_data();
    void configErrors();
    void failuresKeepLastGoodAndRecover_data();
    void failuresKeepLastGoodAndRecover();
    void requestsPerCycleAt100Queues();
    void slowConsumerDroppedOthersKeepReceiving();
    void slowReaderSkipsToTheNewest();
    void subscribeEchoAndLateJoiner();
    void reloadChangesChannelsWithoutDroppingSockets();
};

// Both ways Twilio may answer the list: our emulator's full items, and the
// official example's thinner ones (no split, no waits, no tasks_completed,
// no tasks_by_priority). The numbers the plugin gets must be the same.
void tst_StatsService::fieldsMatchProtocolAndEmulator_data()
{
    QTest::addColumn<bool>("officialList");
    QTest::newRow("full list items") << false;
    QTest::newRow("official example's list items") << true;
}

void tst_StatsService::fieldsMatchProtocolAndEmulator()
{
    QFETCH(bool, officialList);
    TestEnvironment env(frozenConfig(3));
    env.emulator().fidelity().officialStatisticsList = officialList;
    env.setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    env.setEnv(u"STATS_CUMULATIVE_INTERVAL"_s, u"1"_s);
    QVERIFY(env.startService());
    WsClient client;
    QVERIFY(client.open(env.service().wsUrl(u"/websocket/realtimeStats"_s),
                        TestEnvironment::supervisorToken()));
    int i = client.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 3); }, kWait);
    QVERIFY2(i >= 0, qPrintable(client.dump()));

    const auto checkAll = [&](int index) -> QString {
        const QJsonArray queues = client.json(index).array();
        QStringList names;
        for (const QJsonValue &v : queues) {
            QString why;
            if (!queueMatchesEmulator(v.toObject(), env.emulator(), kDefaultChannels, kDefaultSla,
                                      &why))
                return why + u"\n"_s + compact(v);
            names << v[u"friendlyName"_s].toString();
            if (v.toObject().contains(u"realTimeStatsMessage"_s))
                return u"unexpected message"_s;
        }
        if (names != QStringList{u"Everyone"_s, u"Sales"_s, u"Support"_s})
            return u"names "_s + names.join(u',');
        return QString();
    };
    QString problem = checkAll(i);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    // Today: from midnight (STATS_TIMEZONE=UTC in the test environment).
    const QJsonObject first = client.json(i).array().at(0).toObject();
    const QString startTime = first[u"cumulativeStats_all"_s][u"startTime"_s].toString();
    QCOMPARE(startTime,
             env.emulator().now().toUTC().date().toString(Qt::ISODate) + u"T00:00:00Z"_s);

    // Nothing moves in a frozen emulator: cycles go on, nothing is re-sent.
    const int count = int(client.messages().size());
    const int before = env.emulator().counters(u"ListTaskQueuesStatistics"_s).requests;
    QTRY_VERIFY_WITH_TIMEOUT(
        env.emulator().counters(u"ListTaskQueuesStatistics"_s).requests >= before + 3 * 4, kWait);
    QCOMPARE(client.messages().size(), count);

    // Time passes: new numbers, checked again.
    env.emulator().tick(300);
    i = client.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 3); }, kWait, count);
    QVERIFY2(i >= 0, qPrintable(client.dump()));
    // The first array after the tick may come from a realtime-only answer;
    // wait until one matches the emulator completely.
    QTRY_VERIFY_WITH_TIMEOUT(checkAll(int(client.messages().size()) - 1).isEmpty(), kWait);
    QVERIFY(client.json(int(client.messages().size()) - 1) != client.json(count - 1));

    const int perQueue = env.emulator().counters(u"FetchTaskQueueRealTimeStatistics"_s).requests +
                         env.emulator().counters(u"FetchTaskQueueCumulativeStatistics"_s).requests;
    if (officialList) {
        QVERIFY(perQueue > 0);
        // Said once, not per cycle.
        QCOMPARE(env.service().output().count("TaskQueues/Statistics answers lack realtime"), 1);
        QCOMPARE(env.service().output().count("TaskQueues/Statistics answers lack cumulative"), 1);
    } else {
        QCOMPARE(perQueue, 0);
        QVERIFY(!env.service().output().contains("TaskQueues/Statistics answers lack"));
    }
}

// STATS_CHANNELS names video, the workspace has none: the dashboard still
// gets every queue at once, video zeroed (never missing: the plugin reads
// it unconditionally), with a message, and the log says what to change.
void tst_StatsService::workspaceWithoutAChannel()
{
    emulator::EmulatorConfig config = frozenConfig(2);
    config.channels.removeAll(u"video"_s);
    TestEnvironment env(config);
    env.setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    env.setEnv(u"STATS_CUMULATIVE_INTERVAL"_s, u"1"_s);
    QVERIFY(env.startService());
    WsClient client;
    QVERIFY(client.open(env.service().wsUrl(u"/websocket/realtimeStats"_s),
                        TestEnvironment::supervisorToken()));
    const int i = client.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 2); }, kWait);
    QVERIFY2(i >= 0, qPrintable(client.dump()));
    for (const QJsonValue &v : client.json(i).array()) {
        const QJsonObject q = v.toObject();
        const QSet<QString> want(kDefaultChannels.cbegin(), kDefaultChannels.cend());
        QCOMPARE(channelsWith(q, u"realTimeStats_"_s), want);
        QCOMPARE(channelsWith(q, u"cumulativeStats_"_s), want);
        QString why;
        const QJsonObject zeros{{u"tasks_by_status"_s, QJsonObject{{u"pending"_s, 0},
                                                                   {u"reserved"_s, 0},
                                                                   {u"assigned"_s, 0},
                                                                   {u"wrapping"_s, 0}}}};
        QVERIFY2(realtimeMatches(q[u"realTimeStats_video"_s].toObject(), zeros, &why),
                 qPrintable(why));
        QCOMPARE(q[u"cumulativeStats_video"_s][u"tEnter"_s].toInt(-1), 0);
        QCOMPARE(q[u"cumulativeStats_video"_s][u"splitByWaitTime"_s].toObject().size(), 3);
        QVERIFY2(q[u"realTimeStatsMessage"_s].toString().contains(u"no TaskChannel video"_s),
                 qPrintable(compact(q)));
        // The channels the workspace has are real numbers.
        QVERIFY2(queueMatchesEmulator(q, env.emulator(), {u"all"_s, u"voice"_s, u"chat"_s},
                                      kDefaultSla, &why) ||
                     why.contains(u"realtime channels"_s),
                 qPrintable(why));
        QVERIFY(realtimeMatches(
            q[u"realTimeStats_voice"_s].toObject(),
            env.emulator().realtimeStatistics(q[u"sid"_s].toString(), u"voice"_s), &why));
    }
    QVERIFY(env.service().waitForOutput("STATS_CHANNELS=auto"));
    const int cycles = env.emulator().counters(u"ListTaskQueue"_s).requests;
    QTRY_VERIFY_WITH_TIMEOUT(env.emulator().counters(u"ListTaskQueue"_s).requests >= cycles + 2,
                             kWait);
    QCOMPARE(env.service().output().count("has no TaskChannel video"), 1);
}

// Past 10,000 tasks today, TaskRouter's split covers the first 10,000 only:
// that queue's cumulative message says so, the others' do not.
void tst_StatsService::splitCapNoted()
{
    TestEnvironment env(frozenConfig(2));
    const QString busy = env.emulator().queueSids().first();
    env.emulator().addHistory(busy, u"voice"_s, 10'050, std::chrono::seconds(3));
    env.setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    env.setEnv(u"STATS_CUMULATIVE_INTERVAL"_s, u"1"_s);
    QVERIFY(env.startService());
    WsClient client;
    QVERIFY(client.open(env.service().wsUrl(u"/websocket/realtimeStats"_s),
                        TestEnvironment::supervisorToken()));
    const int i = client.waitFor(
        [](const QJsonDocument &d) {
            return isQueueArray(d, 2) && d.array().at(0)[u"cumulativeStats_all"_s].isObject();
        },
        kWait);
    QVERIFY2(i >= 0, qPrintable(client.dump()));
    for (const QJsonValue &v : client.json(i).array()) {
        const QJsonObject q = v.toObject();
        const QString message = q[u"cumulativeStatsMessage"_s].toString();
        if (q[u"sid"_s].toString() == busy) {
            QVERIFY2(message.contains(u"first 10,000 tasks"_s), qPrintable(compact(q)));
            QVERIFY(q[u"cumulativeStats_all"_s][u"tEnter"_s].toInt() >= 10'050); // + warm-up
            QCOMPARE(q[u"cumulativeStats_all"_s][u"splitByWaitTime"_s][u"30"_s][u"below"_s]
                      [u"reservations_accepted"_s]
                          .toInt(),
                     10'000);
        } else {
            QVERIFY2(message.isEmpty(), qPrintable(compact(q)));
        }
    }
    QVERIFY(env.service().waitForOutput("entered more than 10,000 tasks today"));
    const int cycles = env.emulator().counters(u"ListTaskQueue"_s).requests;
    QTRY_VERIFY_WITH_TIMEOUT(env.emulator().counters(u"ListTaskQueue"_s).requests >= cycles + 2,
                             kWait);
    QCOMPARE(env.service().output().count("entered more than 10,000 tasks today"), 1);
}

void tst_StatsService::queuesAddedAndDeleted()
{
    TestEnvironment env(frozenConfig(2));
    env.setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    env.setEnv(u"STATS_CUMULATIVE_INTERVAL"_s, u"1"_s);
    QVERIFY(env.startService());
    WsClient client;
    QVERIFY(client.open(env.service().wsUrl(u"/websocket/realtimeStats"_s),
                        TestEnvironment::supervisorToken()));
    QVERIFY(client.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 2); }, kWait) >= 0);
    const QString added = env.emulator().addQueue(u"Late shift"_s);
    const auto has = [](const QJsonDocument &d, const QString &sid) {
        for (const QJsonValue &v : d.array()) {
            if (v[u"sid"_s].toString() == sid)
                return true;
        }
        return false;
    };
    // A new queue may first appear from a realtime-only cycle, without
    // cumulative stats (allowed: the plugin shows "NO DATA"); compare once
    // today's numbers arrived too.
    const auto hasWithToday = [](const QJsonDocument &d, const QString &sid) {
        for (const QJsonValue &v : d.array()) {
            if (v[u"sid"_s].toString() == sid)
                return v.toObject().contains(u"cumulativeStats_all"_s);
        }
        return false;
    };
    int i = client.waitFor([&](const QJsonDocument &d) { return hasWithToday(d, added); }, kWait);
    QVERIFY2(i >= 0, qPrintable(client.dump()));
    QCOMPARE(client.json(i).array().size(), 3);
    const QJsonObject late = client.json(i).array().at(2).toObject();
    QCOMPARE(late[u"friendlyName"_s].toString(), u"Late shift"_s);
    QString why;
    QVERIFY2(queueMatchesEmulator(late, env.emulator(), kDefaultChannels, kDefaultSla, &why),
             qPrintable(why));

    const QString removed = env.emulator().queueSids().first();
    QVERIFY(env.emulator().removeQueue(removed));
    i = client.waitFor([&](const QJsonDocument &d) { return isQueueArray(d) && !has(d, removed); },
                       kWait, i);
    QVERIFY2(i >= 0, qPrintable(client.dump()));
    QCOMPARE(client.json(i).array().size(), 2);
    QVERIFY(has(client.json(i), added));
}

void tst_StatsService::channels_data()
{
    QTest::addColumn<QString>("setting");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("all,chat") << u"all,chat"_s << QStringList{u"all"_s, u"chat"_s};
    QTest::newRow("voice only") << u"voice"_s << QStringList{u"voice"_s};
    // The emulator's workspace has default, voice, chat, sms and video.
    QTest::newRow("auto") << u"auto"_s << QStringList{u"all"_s,  u"default"_s, u"voice"_s,
                                                      u"chat"_s, u"sms"_s,     u"video"_s};
}

void tst_StatsService::channels()
{
    QFETCH(QString, setting);
    QFETCH(QStringList, expected);
    TestEnvironment env(frozenConfig(2));
    env.setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    env.setEnv(u"STATS_CHANNELS"_s, setting);
    QVERIFY(env.startService());
    WsClient client;
    QVERIFY(client.open(env.service().wsUrl(u"/websocket/realtimeStats"_s),
                        TestEnvironment::supervisorToken()));
    const int i = client.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 2); }, kWait);
    QVERIFY2(i >= 0, qPrintable(client.dump()));
    const QSet<QString> want(expected.cbegin(), expected.cend());
    for (const QJsonValue &v : client.json(i).array()) {
        const QJsonObject q = v.toObject();
        QCOMPARE(channelsWith(q, u"realTimeStats_"_s), want);
        QCOMPARE(channelsWith(q, u"cumulativeStats_"_s), want);
        QString why;
        QVERIFY2(queueMatchesEmulator(q, env.emulator(), expected, kDefaultSla, &why),
                 qPrintable(why));
    }
    if (setting == u"auto"_s) {
        // Discovery costs one ListTaskChannel per cumulative cycle, no more.
        QVERIFY(env.emulator().counters(u"ListTaskChannel"_s).requests >= 1);
    } else {
        QCOMPARE(env.emulator().counters(u"ListTaskChannel"_s).requests, 0);
    }
}

void tst_StatsService::configErrors_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");
    QTest::newRow("SLA empty") << u"SLA_THRESHOLDS"_s << u","_s;
    QTest::newRow("SLA zero") << u"SLA_THRESHOLDS"_s << u"0,30"_s;
    QTest::newRow("SLA negative") << u"SLA_THRESHOLDS"_s << u"-5"_s;
    QTest::newRow("SLA not a number") << u"SLA_THRESHOLDS"_s << u"30s"_s;
    QTest::newRow("SLA duplicate") << u"SLA_THRESHOLDS"_s << u"30,60,30"_s;
    QTest::newRow("SLA four") << u"SLA_THRESHOLDS"_s << u"10,20,30,40"_s;
    QTest::newRow("channels auto and names") << u"STATS_CHANNELS"_s << u"auto,voice"_s;
    QTest::newRow("channels bad name") << u"STATS_CHANNELS"_s << u"vo ice"_s;
    QTest::newRow("time zone") << u"STATS_TIMEZONE"_s << u"Mars/Olympus_Mons"_s;
    QTest::newRow("realtime interval") << u"STATS_REALTIME_INTERVAL"_s << u"0"_s;
    QTest::newRow("cumulative interval") << u"STATS_CUMULATIVE_INTERVAL"_s << u"soon"_s;
}

void tst_StatsService::configErrors()
{
    QFETCH(QString, name);
    QFETCH(QString, value);
    TestEnvironment env(frozenConfig(1));
    env.setEnv(name, value);
    QVERIFY(env.service().run({}));
    QCOMPARE(env.service().exitCode(), 78);
    const QByteArray out = env.service().output();
    QVERIFY2(out.contains(name.toUtf8()), out.constData());
    QVERIFY2(out.count('\n') <= 3, out.constData()); // one clear line, no noise
}

void tst_StatsService::failuresKeepLastGoodAndRecover_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("delayMs");
    using K = emulator::Fault::Kind;
    QTest::newRow("429") << int(K::TooMany429) << 0;
    QTest::newRow("500") << int(K::Error500) << 0;
    QTest::newRow("timeout") << int(K::Delay) << 4000;
}

void tst_StatsService::failuresKeepLastGoodAndRecover()
{
    QFETCH(int, kind);
    QFETCH(int, delayMs);
    TestEnvironment env(frozenConfig(2));
    env.setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    env.setEnv(u"STATS_CUMULATIVE_INTERVAL"_s, u"1"_s);
    env.setEnv(u"TWILIO_REQUEST_TIMEOUT"_s, u"1"_s);
    env.setEnv(u"TWILIO_MAX_RETRIES"_s, u"1"_s);
    QVERIFY(env.startService());
    WsClient client;
    QVERIFY(client.open(env.service().wsUrl(u"/websocket/realtimeStats"_s),
                        TestEnvironment::supervisorToken()));
    const int good =
        client.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 2); }, kWait);
    QVERIFY2(good >= 0, qPrintable(client.dump()));
    const QJsonArray lastGood = client.json(good).array();

    env.emulator().injectFault(u"ListTaskQueuesStatistics"_s, {emulator::Fault::Kind(kind), -1, 1,
                                                               std::chrono::milliseconds(delayMs)});
    env.emulator().tick(300); // Twilio's numbers move on, but we cannot see them
    const int failed = client.waitFor(
        [](const QJsonDocument &d) {
            // Realtime-only and cumulative cycles both fail.
            return isQueueArray(d, 2) &&
                   d.array().at(0).toObject().contains(u"realTimeStatsMessage"_s) &&
                   d.array().at(0).toObject().contains(u"cumulativeStatsMessage"_s);
        },
        kWait, good + 1);
    QVERIFY2(failed >= 0, qPrintable(client.dump()));
    const QJsonArray during = client.json(failed).array();
    for (qsizetype q = 0; q < during.size(); ++q) {
        QJsonObject o = during.at(q).toObject();
        QVERIFY(o.value(u"realTimeStatsMessage"_s).toString().contains(u"statistics"_s));
        QVERIFY(o.value(u"cumulativeStatsMessage"_s).isString());
        o.remove(u"realTimeStatsMessage"_s);
        o.remove(u"cumulativeStatsMessage"_s);
        QCOMPARE(compact(o), compact(lastGood.at(q))); // the last good values
    }

    env.emulator().clearFaults();
    const int recovered = client.waitFor(
        [](const QJsonDocument &d) {
            return isQueueArray(d, 2) &&
                   !d.array().at(0).toObject().contains(u"realTimeStatsMessage"_s) &&
                   !d.array().at(0).toObject().contains(u"cumulativeStatsMessage"_s);
        },
        kWait * 2, failed + 1);
    QVERIFY2(recovered >= 0, qPrintable(client.dump()));
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const QJsonArray now = client.json(int(client.messages().size()) - 1).array();
            QString why;
            for (const QJsonValue &v : now) {
                if (!queueMatchesEmulator(v.toObject(), env.emulator(), kDefaultChannels,
                                          kDefaultSla, &why))
                    return false;
            }
            return now.size() == 2;
        }(),
        kWait);
}

void tst_StatsService::requestsPerCycleAt100Queues()
{
    emulator::EmulatorConfig config = frozenConfig(100);
    config.warmup = std::chrono::minutes(2);
    TestEnvironment env(config);
    env.setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    env.setEnv(u"STATS_CUMULATIVE_INTERVAL"_s, u"3600"_s);
    QVERIFY(env.startService());
    WsClient client;
    QVERIFY(client.open(env.service().wsUrl(u"/websocket/realtimeStats"_s),
                        TestEnvironment::supervisorToken()));
    QVERIFY(client.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 100); }, kWait) >=
            0);

    emulator::TwilioEmulator &emu = env.emulator();
    emu.resetCounters();
    const auto count = [&emu](const char *op) {
        return emu.counters(QString::fromLatin1(op)).requests;
    };
    // Whole cycles only: every list of a cycle starts together.
    QTRY_VERIFY_WITH_TIMEOUT(count("ListTaskQueue") >= 3 && emu.totalCounters().inFlight == 0 &&
                                 count("ListTaskQueuesStatistics") == 4 * count("ListTaskQueue"),
                             kWait);
    const int cycles = count("ListTaskQueue");
    const int total = emu.totalCounters().requests;
    qInfo("%d realtime cycles at 100 queues x 4 channels: %d requests (%.1f per cycle)", cycles,
          total, double(total) / cycles);
    QVERIFY(total <= 5 * cycles + 4); // a cycle may have just begun
    QCOMPARE(count("FetchTaskQueueRealTimeStatistics"), 0);
    QCOMPARE(count("FetchTaskQueueCumulativeStatistics"), 0);
    QCOMPARE(count("CreateTaskQueueBulkRealTimeStatistics"), 0);
    const QList<emulator::RecordedRequest> requests = emu.recentRequests();
    for (const emulator::RecordedRequest &r : requests) {
        const QUrlQuery q(r.query);
        QCOMPARE(q.queryItemValue(u"PageSize"_s), u"1000"_s);
        if (r.operation == u"ListTaskQueuesStatistics"_s) {
            QCOMPARE(q.queryItemValue(u"Minutes"_s), u"1"_s); // realtime-only cycle
            QVERIFY(!q.hasQueryItem(u"StartDate"_s));
        }
    }
}

void tst_StatsService::slowConsumerDroppedOthersKeepReceiving()
{
    SlowReaderRig rig;
    QVERIFY(rig.start());

    QVERIFY2(rig.env.service().waitForOutput("does not keep up", 90000),
             rig.env.service().output().constData());
    QVERIFY(rig.slow.waitClosedByServer(kWait));
    QVERIFY(rig.good.socket().state() == QAbstractSocket::ConnectedState);
    const int received = int(rig.good.messages().size());
    QVERIFY(rig.good.waitForCount(received + 2, kWait) >= received + 2);
    QVERIFY(isQueueArray(rig.good.json(received + 1), 100));
}

void tst_StatsService::slowReaderSkipsToTheNewest()
{
    SlowReaderRig rig;
    QVERIFY(rig.start());
    const int before = int(rig.good.messages().size());
    // Three snapshots go by while the slow one reads nothing (it may miss four).
    QVERIFY(rig.good.waitForCount(before + 3, kWait) >= before + 3);
    rig.slow.startReading();
    const int resumed = int(rig.good.messages().size());
    QVERIFY(rig.good.waitForCount(resumed + 2, kWait) >= resumed + 2);
    QTRY_VERIFY_WITH_TIMEOUT(rig.slow.textFrames().size() >= 3, kWait);

    QVERIFY(rig.slow.connected());
    QVERIFY(!rig.env.service().output().contains("does not keep up"));
    // It got the snapshot of its connect and then the newest ones, not every
    // one that went by while it was stuck: fewer than the good subscriber.
    const int goodSince = int(rig.good.messages().size()) - before;
    QVERIFY2(rig.slow.textFrames().size() < goodSince,
             qPrintable(u"slow %1, good %2"_s.arg(rig.slow.textFrames().size()).arg(goodSince)));
    for (const QByteArray &frame : rig.slow.textFrames())
        QVERIFY(isQueueArray(QJsonDocument::fromJson(frame), 100));
}

void tst_StatsService::subscribeEchoAndLateJoiner()
{
    TestEnvironment env(frozenConfig(2));
    env.setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    QVERIFY(env.startService());
    WsClient plain, picky;
    const QUrl url = env.service().wsUrl(u"/websocket/realtimeStats"_s);
    QVERIFY(plain.open(url, TestEnvironment::supervisorToken()));
    QVERIFY(picky.open(url, TestEnvironment::supervisorToken()));
    QVERIFY(plain.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 2); }, kWait) >= 0);
    QVERIFY(picky.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 2); }, kWait) >= 0);

    // Other text is echoed, as the reference backend does.
    picky.sendText(u"hello"_s);
    QTRY_VERIFY_WITH_TIMEOUT(picky.messages().contains(u"echo: hello"_s), kWait);

    int from = int(picky.messages().size());
    picky.sendJson({{u"method"_s, u"subscribe"_s}, {u"channels"_s, QJsonArray{u"voice"_s}}});
    int i = picky.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 2); }, kWait, from);
    QVERIFY2(i >= 0, qPrintable(picky.dump()));
    for (const QJsonValue &v : picky.json(i).array()) {
        QCOMPARE(channelsWith(v.toObject(), u"realTimeStats_"_s), QSet<QString>{u"voice"_s});
        QCOMPARE(channelsWith(v.toObject(), u"cumulativeStats_"_s), QSet<QString>{u"voice"_s});
    }
    from = int(picky.messages().size());
    picky.sendJson({{u"method"_s, u"subscribe"_s}, {u"channels"_s, u"voice"_s}});
    i = picky.waitFor(
        [](const QJsonDocument &d) { return d.object().value(u"messageType"_s) == u"error"_s; },
        kWait, from);
    QVERIFY2(i >= 0, qPrintable(picky.dump()));

    // The plain plugin still gets everything; a newcomer gets the latest
    // array at once, identical to what the others last got.
    env.emulator().tick(100);
    const int p =
        plain.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 2); }, kWait, 1);
    QVERIFY(p >= 0);
    QCOMPARE(channelsWith(plain.json(p).array().at(0).toObject(), u"realTimeStats_"_s).size(), 4);
    WsClient late;
    QVERIFY(late.open(url, TestEnvironment::supervisorToken()));
    QVERIFY(late.waitForCount(1, kWait) >= 1);
    QVERIFY(isQueueArray(late.json(0), 2));
    QTRY_COMPARE_WITH_TIMEOUT(plain.messages().constLast(), late.messages().constLast(), kWait);
}

void tst_StatsService::reloadChangesChannelsWithoutDroppingSockets()
{
    TestEnvironment env(frozenConfig(2));
    env.setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    const QString envFile = env.stateDir() + u"/.env"_s;
    const auto writeEnv = [&envFile](const QByteArray &content) {
        QFile f(envFile);
        return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(content) > 0;
    };
    QVERIFY(writeEnv("STATS_CHANNELS=all,voice\nSLA_THRESHOLDS=30\n"));
    QVERIFY(env.startService());
    bool dropped = false; // outlives client, whose destructor still emits disconnected
    WsClient client;
    connect(&client.socket(), &QWebSocket::disconnected, this, [&dropped] { dropped = true; });
    QVERIFY(client.open(env.service().wsUrl(u"/websocket/realtimeStats"_s),
                        TestEnvironment::supervisorToken()));
    int i = client.waitFor([](const QJsonDocument &d) { return isQueueArray(d, 2); }, kWait);
    QVERIFY(i >= 0);
    QCOMPARE(channelsWith(client.json(i).array().at(0).toObject(), u"realTimeStats_"_s),
             (QSet<QString>{u"all"_s, u"voice"_s}));

    QVERIFY(writeEnv("STATS_CHANNELS=all,voice,chat\nSLA_THRESHOLDS=20,45\n"));
    env.service().signal(SIGHUP);
    i = client.waitFor(
        [](const QJsonDocument &d) {
            return isQueueArray(d, 2) &&
                   d.array().at(0).toObject().contains(u"cumulativeStats_chat"_s);
        },
        kWait, i + 1);
    QVERIFY2(i >= 0, qPrintable(client.dump() + QString::fromUtf8(env.service().output())));
    const QJsonObject q = client.json(i).array().at(0).toObject();
    QCOMPARE(channelsWith(q, u"realTimeStats_"_s),
             (QSet<QString>{u"all"_s, u"voice"_s, u"chat"_s}));
    QCOMPARE(q[u"cumulativeStats_all"_s][u"splitByWaitTime"_s].toObject().keys(),
             (QStringList{u"20"_s, u"45"_s}));
    QVERIFY(!dropped);
    QCOMPARE(client.socket().state(), QAbstractSocket::ConnectedState);
}

QTEST_GUILESS_MAIN(tst_StatsService)
#include "tst_statsservice.moc"
