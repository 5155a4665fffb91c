// flex-bench stats: N subscribers of /websocket/realtimeStats on loopback.
// Prints, per queue count: spread between the first and the last delivery
// of one snapshot (p50/p99), snapshot size, the service's RSS idle and per
// subscriber, and Twilio requests per poll cycle (emulator counters).
//
//   flex-bench stats [--subscribers N] [--queues 10,100] [--snapshots K]
#include "emulator/twilioemulator.h"
#include "scenario.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHash>
#include <QPointer>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

namespace flex::bench {
namespace {

using namespace Qt::StringLiterals;

const QString kToken = u"bench-supervisor-token-0123456789"_s;

void raiseFileLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 65536);
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// A minimal WebSocket client: handshake, then only frame headers are parsed;
// a sampled hash of each text message names the snapshot. Answers pings.
class RawSubscriber : public QObject
{
    Q_OBJECT
public:
    RawSubscriber(quint16 port, QObject *parent)
        : QObject(parent)
    {
        connect(&m_socket, &QTcpSocket::connected, this, [this, port] {
            m_socket.write("GET /websocket/realtimeStats HTTP/1.1\r\nHost: 127.0.0.1:" +
                           QByteArray::number(port) +
                           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " +
                           kToken.toUtf8() + "\r\n\r\n");
        });
        connect(&m_socket, &QTcpSocket::readyRead, this, &RawSubscriber::onRead);
        connect(&m_socket, &QTcpSocket::disconnected, this, [this] { m_closed = true; });
        m_socket.connectToHost(QHostAddress::LocalHost, port);
    }

    bool upgraded() const { return m_upgraded; }
    bool closed() const { return m_closed; }
    int messages() const { return m_messages; }
    qint64 lastMessageBytes() const { return m_lastBytes; }

Q_SIGNALS:
    void message(quint64 key, qint64 bytes);

private:
    void onRead()
    {
        m_buffer += m_socket.readAll();
        if (!m_upgraded) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            if (!m_buffer.startsWith("HTTP/1.1 101")) {
                m_socket.abort();
                m_closed = true;
                return;
            }
            m_upgraded = true;
            m_buffer.remove(0, end + 4);
        }
        qsizetype pos = 0;
        for (;;) {
            if (m_remaining == 0) {
                // Need a whole header.
                if (m_buffer.size() - pos < 2)
                    break;
                const auto *h = reinterpret_cast<const uchar *>(m_buffer.constData() + pos);
                qsizetype headerLen = 2;
                quint64 len = h[1] & 0x7f;
                if (len == 126)
                    headerLen = 4;
                else if (len == 127)
                    headerLen = 10;
                if (m_buffer.size() - pos < headerLen)
                    break;
                if (len == 126)
                    len = (quint64(h[2]) << 8) | h[3];
                else if (len == 127) {
                    len = 0;
                    for (int i = 0; i < 8; ++i)
                        len = (len << 8) | h[2 + i];
                }
                m_opcode = h[0] & 0x0f;
                m_fin = h[0] & 0x80;
                pos += headerLen;
                m_remaining = len;
                m_control.clear();
                if (m_opcode == 0x1 || m_opcode == 0x2) {
                    m_hash = 1469598103934665603ULL;
                    m_messageBytes = 0;
                }
                if (len == 0 && !finishFrame())
                    return;
                continue;
            }
            const qsizetype take =
                qsizetype(std::min<quint64>(m_remaining, quint64(m_buffer.size() - pos)));
            if (take == 0)
                break;
            if (m_opcode >= 0x8) {
                m_control.append(m_buffer.constData() + pos, take);
            } else {
                // Sampled FNV-1a: every 61st byte plus the length names the snapshot.
                const char *data = m_buffer.constData() + pos;
                for (qint64 off = (61 - m_messageBytes % 61) % 61; off < take; off += 61) {
                    m_hash ^= uchar(data[off]);
                    m_hash *= 1099511628211ULL;
                }
                m_messageBytes += take;
            }
            pos += take;
            m_remaining -= quint64(take);
            if (m_remaining == 0 && !finishFrame())
                return;
        }
        m_buffer.remove(0, pos);
    }

    bool finishFrame()
    {
        if (m_opcode == 0x9) { // ping → masked pong (zero mask)
            QByteArray pong;
            pong.append(char(0x8a));
            pong.append(char(0x80 | m_control.size()));
            pong.append(4, '\0');
            pong.append(m_control);
            m_socket.write(pong);
        } else if (m_opcode == 0x8) {
            m_socket.abort();
            m_closed = true;
            return false;
        } else if (m_opcode < 0x8 && m_fin) {
            ++m_messages;
            m_lastBytes = m_messageBytes;
            // The same content may come back later (A, B, A): count repeats.
            const quint64 content = m_hash ^ quint64(m_messageBytes);
            const quint64 occurrence = quint64(m_seen[content]++);
            Q_EMIT message(content ^ (occurrence * 0x9e3779b97f4a7c15ULL), m_messageBytes);
        }
        return true;
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
    QByteArray m_control;
    bool m_upgraded = false;
    bool m_closed = false;
    quint64 m_remaining = 0;
    int m_opcode = 0;
    bool m_fin = false;
    quint64 m_hash = 0;
    qint64 m_messageBytes = 0;
    qint64 m_lastBytes = 0;
    int m_messages = 0;
    QHash<quint64, int> m_seen;
};

struct Delivery
{
    qint64 firstNs = -1;
    qint64 lastNs = -1;
    int count = 0;
    qint64 bytes = 0;
};

// One queue count: emulator + service + N subscribers, as a chain of steps
// on the event loop (the bench never blocks it either).
class StatsRun : public QObject
{
    Q_OBJECT
public:
    StatsRun(int queues, int subscribers, int snapshots, std::function<void(int)> done)
        : m_queues(queues)
        , m_subscribers(subscribers)
        , m_snapshots(snapshots)
        , m_done(std::move(done))
    {}

    ~StatsRun() override
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            m_process.waitForFinished(5000);
        }
    }

    void start()
    {
        emulator::EmulatorConfig config;
        config.queueCount = m_queues;
        config.arrivalsPerQueuePerMinute = 6; // numbers move every cycle
        config.warmup = std::chrono::minutes(5);
        m_emulator = std::make_unique<emulator::TwilioEmulator>(config);
        if (!m_emulator->listen())
            return fail("the emulator could not listen");
        m_emulator->addToken(kToken, u"bench"_s, {u"supervisor"_s},
                             QDateTime::currentDateTimeUtc().addSecs(7200));

        m_port = freePort();
        QProcessEnvironment env;
        env.insert(u"PATH"_s, qEnvironmentVariable("PATH"));
        const QList<QPair<QString, QString>> settings = m_emulator->serviceSettings();
        for (const auto &[key, value] : settings)
            env.insert(key, value);
        env.insert(u"EXTERNAL_HOST"_s, u"http://127.0.0.1:"_s + QString::number(m_port));
        env.insert(u"BIND_ADDRESS"_s, u"127.0.0.1"_s);
        env.insert(u"PORT"_s, QString::number(m_port));
        env.insert(u"STATE_DIR"_s, m_stateDir.path());
        env.insert(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
        env.insert(u"STATS_CUMULATIVE_INTERVAL"_s, u"5"_s);
        env.insert(u"STATS_TIMEZONE"_s, u"UTC"_s);
        env.insert(u"LOG_LEVEL"_s, u"info"_s); // the "listening on" line is info
        if (qEnvironmentVariableIsSet("QT_NO_GLIB"))
            env.insert(u"QT_NO_GLIB"_s, qEnvironmentVariable("QT_NO_GLIB"));
        env.insert(u"MAX_CONNECTIONS"_s, QString::number(m_subscribers + 100));
        m_process.setProcessEnvironment(env);
        m_process.setWorkingDirectory(m_stateDir.path());
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        connect(&m_process, &QProcess::readyRead, this, [this] {
            m_output += m_process.readAll();
            if (!m_listening && m_output.contains("listening on")) {
                m_listening = true;
                // Let it poll a few cycles before measuring "idle".
                QTimer::singleShot(4000, this, &StatsRun::measureIdle);
            }
        });
        connect(&m_process, &QProcess::finished, this, [this] {
            if (!m_finished)
                fail("flex-backend exited:\n" + m_output);
        });
        // The service needs a descriptor per subscriber, too.
        m_process.start(u"/bin/sh"_s,
                        {u"-c"_s, u"ulimit -n 8192 2>/dev/null; exec \"$0\""_s, backendBinary()});
    }

private:
    void fail(const QByteArray &why)
    {
        if (m_finished)
            return;
        m_finished = true;
        std::fprintf(stderr, "stats bench (%d queues): %s\n", m_queues, why.constData());
        QTimer::singleShot(0, this, [this] { m_done(1); });
    }

    void measureIdle()
    {
        m_idleRss = residentBytes(m_process.processId());
        // Requests per cycle from the emulator's counters over a few cycles.
        m_emulator->resetCounters();
        QTimer::singleShot(5500, this, [this] {
            const int cycles = m_emulator->counters(u"ListTaskQueue"_s).requests;
            int statsRequests = 0;
            for (const char *op :
                 {"ListTaskQueue", "ListTaskQueuesStatistics", "ListTaskChannel",
                  "FetchTaskQueueRealTimeStatistics", "FetchTaskQueueCumulativeStatistics",
                  "CreateTaskQueueBulkRealTimeStatistics"})
                statsRequests += m_emulator->counters(QString::fromLatin1(op)).requests;
            m_requestsPerCycle = cycles > 0 ? double(statsRequests) / cycles : 0;
            connectSubscribers();
        });
    }

    void connectSubscribers()
    {
        m_clock.start();
        for (int i = 0; i < m_subscribers; ++i) {
            auto *s = new RawSubscriber(m_port, this);
            m_clients.push_back(s);
            connect(s, &RawSubscriber::message, this, [this](quint64 key, qint64 bytes) {
                if (!m_recording)
                    return;
                Delivery &d = m_deliveries[key];
                const qint64 now = m_clock.nsecsElapsed();
                if (d.count == 0)
                    d.firstNs = now;
                d.lastNs = now;
                d.bytes = bytes;
                ++d.count;
            });
        }
        waitUntil(
            [this] {
                return std::all_of(m_clients.begin(), m_clients.end(), [](RawSubscriber *s) {
                    return s->messages() >= 1 || s->closed();
                });
            },
            60000, "subscribers did not all get the first snapshot",
            [this] {
                m_connectSeconds = double(m_clock.elapsed()) / 1000.0;
                // Let buffers drain and settle, then measure per-subscriber memory.
                QTimer::singleShot(3000, this, [this] {
                    m_fullRss = residentBytes(m_process.processId());
                    m_recording = true;
                    waitUntil([this] { return completeSnapshots() >= m_snapshots; }, 120000,
                              "too few complete snapshots", [this] { report(); });
                });
            });
    }

    int completeSnapshots() const
    {
        int n = 0;
        for (const Delivery &d : m_deliveries)
            n += d.count >= openClients() ? 1 : 0;
        return n;
    }

    int openClients() const
    {
        return int(std::count_if(m_clients.begin(), m_clients.end(),
                                 [](RawSubscriber *s) { return !s->closed(); }));
    }

    void waitUntil(std::function<bool()> pred, int timeoutMs, const char *what,
                   std::function<void()> then)
    {
        auto *timer = new QTimer(this);
        auto started = std::make_shared<QElapsedTimer>();
        started->start();
        connect(timer, &QTimer::timeout, this, [=] {
            if (pred()) {
                timer->deleteLater();
                timer->stop();
                then();
            } else if (started->elapsed() > timeoutMs) {
                timer->deleteLater();
                timer->stop();
                fail(what);
            }
        });
        timer->start(20);
    }

    void report()
    {
        m_finished = true;
        std::vector<double> spreads;
        qint64 bytes = 0;
        for (const Delivery &d : std::as_const(m_deliveries)) {
            if (d.count < openClients())
                continue; // skipped by some (replaced mid-round) or partly recorded
            spreads.push_back(double(d.lastNs - d.firstNs) / 1e6);
            bytes = std::max(bytes, d.bytes);
        }
        std::sort(spreads.begin(), spreads.end());
        const int open = openClients();
        const double perSubscriber =
            m_subscribers > 0 ? double(m_fullRss - m_idleRss) / m_subscribers : 0;
        std::printf("stats  queues=%-4d subscribers=%d (open %d, connected in %.1f s)\n", m_queues,
                    m_subscribers, open, m_connectSeconds);
        std::printf("  delivery spread first..last: p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%zu "
                    "snapshots)\n",
                    percentile(spreads, 50), percentile(spreads, 99),
                    spreads.empty() ? 0.0 : spreads.back(), spreads.size());
        std::printf("  snapshot size: %lld bytes (%.1f KiB)\n", static_cast<long long>(bytes),
                    double(bytes) / 1024.0);
        std::printf(
            "  service RSS: idle %.1f MiB, with %d subscribers %.1f MiB, per subscriber %.1f KiB\n",
            double(m_idleRss) / 1048576.0, m_subscribers, double(m_fullRss) / 1048576.0,
            perSubscriber / 1024.0);
        std::printf("  Twilio requests per realtime cycle: %.1f\n", m_requestsPerCycle);
        std::fflush(stdout);
        m_process.terminate();
        QTimer::singleShot(0, this, [this, open] { m_done(open == m_subscribers ? 0 : 1); });
    }

    int m_queues;
    int m_subscribers;
    int m_snapshots;
    std::function<void(int)> m_done;
    std::unique_ptr<emulator::TwilioEmulator> m_emulator;
    QTemporaryDir m_stateDir;
    QProcess m_process;
    QByteArray m_output;
    quint16 m_port = 0;
    bool m_listening = false;
    bool m_finished = false;
    bool m_recording = false;
    qint64 m_idleRss = 0;
    qint64 m_fullRss = 0;
    double m_requestsPerCycle = 0;
    double m_connectSeconds = 0;
    QElapsedTimer m_clock;
    std::vector<RawSubscriber *> m_clients;
    QHash<quint64, Delivery> m_deliveries;
};

void runStats(const QStringList &args, std::function<void(int)> done)
{
    raiseFileLimit();
    int subscribers = 1000;
    int snapshots = 10;
    QList<int> queueCounts{10, 100};
    for (qsizetype i = 0; i + 1 < args.size(); i += 2) {
        if (args.at(i) == u"--subscribers"_s)
            subscribers = args.at(i + 1).toInt();
        else if (args.at(i) == u"--snapshots"_s)
            snapshots = args.at(i + 1).toInt();
        else if (args.at(i) == u"--queues"_s) {
            queueCounts.clear();
            for (const QString &q : args.at(i + 1).split(u','))
                queueCounts << q.toInt();
        }
    }
    auto worst = std::make_shared<int>(0);
    auto next = std::make_shared<std::function<void(qsizetype)>>();
    auto current = std::make_shared<std::unique_ptr<StatsRun>>();
    *next = [=](qsizetype index) {
        if (index == queueCounts.size()) {
            QTimer::singleShot(0, qApp, [current, done, worst] {
                current->reset();
                done(*worst);
            });
            return;
        }
        auto run =
            std::make_unique<StatsRun>(queueCounts.at(index), subscribers, snapshots, [=](int rc) {
                *worst = std::max(*worst, rc);
                QTimer::singleShot(0, qApp, [=] {
                    current->reset();
                    (*next)(index + 1);
                });
            });
        StatsRun *raw = run.get();
        *current = std::move(run);
        raw->start();
    };
    (*next)(0);
}

const Registrar statsScenario({u"stats"_s,
                               u"1000 realtimeStats subscribers: delivery spread, snapshot size, "
                               u"RSS, Twilio requests per cycle (10 and 100 queues)"_s,
                               &runStats});

} // namespace
} // namespace flex::bench

#include "statsbench.moc"
