// flex-bench stats: N subscribers of /websocket/realtimeStats on loopback,
// held by child processes (SubscriberFleet), since 19,000 do not fit in one.
// Prints, per queue count: connect rate, spread between the first and the
// last delivery of one snapshot (p50/p99) and whether every subscriber got
// it, snapshot size, the service's RSS idle and per subscriber, and Twilio
// requests per poll cycle (emulator counters).
//
//   flex-bench stats [--subscribers N] [--queues 10,100] [--snapshots K]
//                    [--interval S] [--per-process N] [--batch N]
#include "emulator/twilioemulator.h"
#include "rawsubscriber.h"
#include "scenario.h"
#include "server/flextokenshape.h"
#include "subscriberfleet.h"

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

const QString kToken = server::FlexTokenShape::unsignedExample(u"bench-supervisor"_s);

// One queue count: emulator + service + N subscribers, as a chain of steps
// on the event loop (the bench never blocks it either).
class StatsRun : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int subscribers = 1000;
        int snapshots = 10;
        int interval = 1; // STATS_REALTIME_INTERVAL
        int perProcess = 4000;
        int batch = 100;
    };

    StatsRun(int queues, const Options &options, std::function<void(int)> done)
        : m_queues(queues)
        , m_subscribers(options.subscribers)
        , m_snapshots(options.snapshots)
        , m_options(options)
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
        env.insert(u"STATS_REALTIME_INTERVAL"_s, QString::number(m_options.interval));
        env.insert(u"STATS_CUMULATIVE_INTERVAL"_s, QString::number(5 * m_options.interval));
        env.insert(u"STATS_TIMEZONE"_s, u"UTC"_s);
        env.insert(u"LOG_LEVEL"_s, u"info"_s); // the "listening on" line is info
        if (qEnvironmentVariableIsSet("QT_NO_GLIB"))
            env.insert(u"QT_NO_GLIB"_s, qEnvironmentVariable("QT_NO_GLIB"));
        // Every subscriber is on 127.0.0.1 with the same (cached) token.
        env.insert(u"MAX_CONNECTIONS"_s, QString::number(m_subscribers + 100));
        env.insert(u"MAX_CONNECTIONS_PER_ADDRESS"_s, QString::number(m_subscribers + 100));
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
        // The service needs a descriptor per subscriber; it raises its own
        // soft limit to the hard one at start.
        m_process.start(backendBinary(), {});
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
        QTimer::singleShot(std::max(5500, 2500 * m_options.interval), this, [this] {
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
        SubscriberFleet::Settings settings;
        settings.port = m_port;
        settings.token = kToken.toUtf8();
        settings.subscribers = m_subscribers;
        settings.perProcess = m_options.perProcess;
        settings.batch = m_options.batch;
        m_fleet = std::make_unique<SubscriberFleet>(settings);
        connect(m_fleet.get(), &SubscriberFleet::childFailed, this,
                [this](const QString &why) { fail(why.toUtf8()); });
        m_clock.start();
        m_fleet->start();
        waitUntil([this] { return m_fleet->withSnapshot() + m_fleet->refused() >= m_subscribers; },
                  600000, "subscribers did not all get the first snapshot",
                  [this] {
                      m_connectSeconds = double(m_clock.elapsed()) / 1000.0;
                      // Let buffers drain and settle, then measure per-subscriber memory.
                      QTimer::singleShot(3000, this, [this] {
                          m_fullRss = residentBytes(m_process.processId());
                          m_recordFromNs = monotonicNs();
                          waitUntil([this] { return completeSnapshots() >= m_snapshots; },
                                    60000 + 3000 * m_options.interval * m_snapshots,
                                    "too few complete snapshots", [this] { report(); });
                      });
                  });
    }

    // Snapshots first sent after recording began; complete when every open
    // subscriber got them.
    std::vector<Delivery> recorded() const
    {
        std::vector<Delivery> out;
        const QHash<quint64, Delivery> all = m_fleet->deliveries();
        for (const Delivery &d : all) {
            if (d.firstNs >= m_recordFromNs)
                out.push_back(d);
        }
        return out;
    }

    int completeSnapshots() const
    {
        int n = 0;
        for (const Delivery &d : recorded())
            n += d.count >= openClients() ? 1 : 0;
        return n;
    }

    int openClients() const
    {
        return m_fleet->upgraded() - (m_fleet->closed() - m_fleet->refused());
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
        int complete = 0;
        int partial = 0;
        const int open = openClients();
        for (const Delivery &d : recorded()) {
            if (d.count < open) {
                ++partial; // replaced mid-round, or still on its way
                continue;
            }
            ++complete;
            spreads.push_back(double(d.lastNs - d.firstNs) / 1e6);
            bytes = std::max(bytes, d.bytes);
        }
        std::sort(spreads.begin(), spreads.end());
        const double perSubscriber =
            m_subscribers > 0 ? double(m_fullRss - m_idleRss) / m_subscribers : 0;
        std::printf("stats  queues=%-4d subscribers=%d in %d client processes (open %d, refused "
                    "%d)\n",
                    m_queues, m_subscribers, m_fleet->processes(), open, m_fleet->refused());
        std::printf("  connected and got the first snapshot in %.1f s: %.0f subscribers/s\n",
                    m_connectSeconds,
                    m_connectSeconds > 0 ? double(m_subscribers) / m_connectSeconds : 0.0);
        std::printf("  delivery spread first..last: p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%zu "
                    "snapshots)\n",
                    percentile(spreads, 50), percentile(spreads, 99),
                    spreads.empty() ? 0.0 : spreads.back(), spreads.size());
        std::printf("  every subscriber got every snapshot: %s (%d complete, %d not)\n",
                    open == m_subscribers && complete > 0 ? "yes" : "NO", complete, partial);
        std::printf("  snapshot size: %lld bytes (%.1f KiB)\n", static_cast<long long>(bytes),
                    double(bytes) / 1024.0);
        std::printf(
            "  service RSS: idle %.1f MiB, with %d subscribers %.1f MiB, per subscriber %.1f KiB\n",
            double(m_idleRss) / 1048576.0, m_subscribers, double(m_fullRss) / 1048576.0,
            perSubscriber / 1024.0);
        std::printf("  Twilio requests per realtime cycle: %.1f\n", m_requestsPerCycle);
        printServiceNotes();
        std::fflush(stdout);
        m_process.terminate();
        m_fleet.reset(); // children stop
        QTimer::singleShot(0, this, [this, open] { m_done(open == m_subscribers ? 0 : 1); });
    }

    // Why sockets closed, as the service logged it.
    void printServiceNotes() const
    {
        int slow = 0;
        int silent = 0;
        for (const QByteArray &line : m_output.split('\n')) {
            slow += line.contains("does not keep up") ? 1 : 0;
            silent += line.contains("did not answer the last ping") ? 1 : 0;
        }
        std::printf("  service closed %d subscribers as too slow, %d for not answering a ping\n",
                    slow, silent);
    }

    int m_queues;
    int m_subscribers;
    int m_snapshots;
    Options m_options;
    std::unique_ptr<SubscriberFleet> m_fleet;
    qint64 m_recordFromNs = 0;
    std::function<void(int)> m_done;
    std::unique_ptr<emulator::TwilioEmulator> m_emulator;
    QTemporaryDir m_stateDir;
    QProcess m_process;
    QByteArray m_output;
    quint16 m_port = 0;
    bool m_listening = false;
    bool m_finished = false;
    qint64 m_idleRss = 0;
    qint64 m_fullRss = 0;
    double m_requestsPerCycle = 0;
    double m_connectSeconds = 0;
    QElapsedTimer m_clock;
};

void runStats(const QStringList &args, std::function<void(int)> done)
{
    StatsRun::Options options;
    options.subscribers = intArg(args, u"--subscribers"_s, 1000);
    // Thousands of subscribers: one realistic queue count, a slower poll, a
    // few snapshots (each is 44 KiB times every subscriber on loopback).
    const bool many = options.subscribers > 2000;
    options.snapshots = intArg(args, u"--snapshots"_s, many ? 3 : 10);
    options.interval = intArg(args, u"--interval"_s, many ? 10 : 1);
    options.perProcess = std::max(1, intArg(args, u"--per-process"_s, 4000));
    options.batch = std::max(1, intArg(args, u"--batch"_s, 100));
    QList<int> queueCounts = many ? QList<int>{10} : QList<int>{10, 100};
    const qsizetype q = args.indexOf(u"--queues"_s);
    if (q >= 0 && q + 1 < args.size()) {
        queueCounts.clear();
        for (const QString &n : args.at(q + 1).split(u','))
            queueCounts << n.toInt();
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
        auto run = std::make_unique<StatsRun>(queueCounts.at(index), options, [=](int rc) {
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
                               u"1000 realtimeStats subscribers (--subscribers 19000: from several "
                               u"processes): connect rate, delivery spread, RSS per subscriber, "
                               u"Twilio requests per cycle"_s,
                               &runStats});

} // namespace
} // namespace flex::bench

#include "statsbench.moc"
