// flex-bench cluster: three flex-backend instances sharing one Redis against
// one Twilio emulator (its own process), on this machine, next to one
// instance alone under the same load:
//   - dial round trip at 50 sockets (p50/p99, lost, misrouted); in the
//     cluster, socket i is on instance i % 3 and nginx hands every status
//     callback to the *next* instance (routed by the ?owner= of the signed
//     callback URL), so no update reaches its socket from the instance that
//     received the webhook; the nginx log proves where each one went;
//   - Twilio requests per realtime interval for the whole cluster (emulator
//     counters) against one instance's;
//   - stats spread: 3 x 300 subscribers, from the first subscriber getting a
//     snapshot (on the poller) to the last one on any instance.
//
//   flex-bench cluster [--sockets 50] [--calls 20] [--step-ms 20] [--subscribers 300]
//                      [--snapshots 5]
#include "clusterrig.h"
#include "roundtrips.h"
#include "scenario.h"
#include "server/flextokenshape.h"
#include "subscriberfleet.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace flex::bench {
namespace {

using namespace Qt::StringLiterals;

constexpr int kNodes = ClusterRig::kNodes;
constexpr int kCountWindowMs = 6000;

QString identityOf(int i)
{
    // The instance holding the socket is in the name: nginx routes on it.
    return u"bench%1-a%2"_s.arg(i, 3, 10, QLatin1Char('0')).arg(i % kNodes);
}

QString tokenOf(int i)
{
    return server::FlexTokenShape::unsignedExample(identityOf(i), QByteArrayLiteral("bench"));
}

const QString kSupervisorToken =
    server::FlexTokenShape::unsignedExample(u"bench-supervisor"_s, QByteArrayLiteral("bench"));

struct Counts
{
    double perInterval = 0; // realtime-stats requests per STATS_REALTIME_INTERVAL
    double cycles = 0;      // ListTaskQueue requests per interval: pollers at work
};

class ClusterRun : public QObject
{
public:
    ClusterRun(const QStringList &args, std::function<void(int)> done)
        : m_sockets(intArg(args, u"--sockets"_s, 50))
        , m_calls(intArg(args, u"--calls"_s, 20))
        , m_subscribers(intArg(args, u"--subscribers"_s, 300))
        , m_snapshots(intArg(args, u"--snapshots"_s, 5))
        , m_stepMs(intArg(args, u"--step-ms"_s, 20))
        , m_done(std::move(done))
        , m_rig(rigSettings(m_sockets, m_stepMs))
    {
        std::printf("  %d dial sockets, %d calls each, emulator step %d ms; %d instances + Redis; "
                    "%d x %d stats subscribers\n",
                    m_sockets, m_calls, m_stepMs, kNodes, kNodes, m_subscribers);
        QTimer::singleShot(110000, this, [this] { fail("gave up after 110 s"); });
        m_rig.start([this](const QString &error) {
            if (!error.isEmpty())
                return fail(error.toUtf8());
            m_rig.startService(ClusterRig::kSingle, false, [this](bool up) {
                if (!up)
                    return fail("flex-backend did not start");
                QTimer::singleShot(2000, this, [this] { dialSingle(); });
            });
        });
    }

private:
    static ClusterRig::Settings rigSettings(int sockets, int stepMs)
    {
        ClusterRig::Settings settings;
        settings.stepMs = stepMs;
        for (int i = 0; i < sockets; ++i)
            settings.tokens << tokenOf(i) + u':' + identityOf(i) + u":agent"_s;
        settings.tokens << kSupervisorToken + u":bench-supervisor:supervisor"_s;
        return settings;
    }

    void startCluster(int slot)
    {
        m_rig.startService(slot, true, [this, slot](bool up) {
            if (!up)
                return fail("flex-backend did not start");
            if (slot + 1 < kNodes)
                return startCluster(slot + 1);
            QTimer::singleShot(3000, this, [this] { dialCluster(); });
        });
    }

    // ------------------------------------------------------------ phases

    void runDial(const QList<QUrl> &urls, std::function<void()> then)
    {
        RoundTrips::Settings settings;
        settings.urls = urls;
        settings.sockets = m_sockets;
        settings.calls = m_calls;
        settings.identity = identityOf;
        settings.token = tokenOf;
        settings.timeLimitMs = 40000;
        m_load = std::make_unique<RoundTrips>(settings);
        connect(m_load.get(), &RoundTrips::finished, this, std::move(then));
        m_load->start();
    }

    void dialSingle()
    {
        runDial({m_rig.dialUrl(ClusterRig::kSingle)}, [this] {
            m_single = m_load->result();
            countRequests([this](Counts c) {
                m_singleCounts = c;
                m_rig.stopService(ClusterRig::kSingle);
                startCluster(0);
            });
        });
    }

    void dialCluster()
    {
        QList<QUrl> urls;
        for (int k = 0; k < kNodes; ++k)
            urls << m_rig.dialUrl(k);
        runDial(urls, [this] {
            m_cluster = m_load->result();
            countRequests([this](Counts c) {
                m_clusterCounts = c;
                startStats();
            });
        });
    }

    // Realtime-stats requests the emulator received over a window.
    void countRequests(std::function<void(Counts)> then)
    {
        m_rig.emulatorCall(
            "POST", u"/__emulator/counters/reset"_s, "{}", [this, then](const QJsonObject &) {
                QTimer::singleShot(kCountWindowMs, this, [this, then] {
                    m_rig.emulatorCall(
                        "GET", u"/__emulator/counters"_s, {}, [then](const QJsonObject &o) {
                            const QJsonObject ops = o.value(u"operations"_s).toObject();
                            const auto count = [&ops](const char *op) {
                                return ops.value(QLatin1String(op))
                                    .toObject()
                                    .value(u"requests"_s)
                                    .toDouble();
                            };
                            double stats = 0;
                            for (const char *op :
                                 {"ListTaskQueue", "ListTaskQueuesStatistics", "ListTaskChannel",
                                  "FetchTaskQueueRealTimeStatistics",
                                  "FetchTaskQueueCumulativeStatistics",
                                  "CreateTaskQueueBulkRealTimeStatistics"})
                                stats += count(op);
                            const double intervals = kCountWindowMs / 1000.0; // 1 s interval
                            then({stats / intervals, count("ListTaskQueue") / intervals});
                        });
                });
            });
    }

    void startStats()
    {
        // Numbers move again: a new snapshot every cycle.
        m_rig.emulatorCall(
            "POST", u"/__emulator/freeze"_s, R"({"frozen":false})", [this](const QJsonObject &) {
                for (int k = 0; k < kNodes; ++k) {
                    SubscriberFleet::Settings s;
                    s.port = m_rig.port(k);
                    s.token = kSupervisorToken.toUtf8();
                    s.subscribers = m_subscribers;
                    s.maxSeconds = 120;
                    m_fleets.push_back(std::make_unique<SubscriberFleet>(s));
                    connect(m_fleets.back().get(), &SubscriberFleet::childFailed, this,
                            [this](const QString &why) { fail(why.toUtf8()); });
                    m_fleets.back()->start();
                }
                waitUntil([this] { return withSnapshot() >= kNodes * m_subscribers; }, 40000,
                          "the stats subscribers did not all get a first snapshot",
                          [this] {
                              m_recordFromNs = -1;
                              QTimer::singleShot(500, this, [this] {
                                  m_recordFromNs = latestFirstNs();
                                  waitUntil(
                                      [this] { return complete().size() >= size_t(m_snapshots); },
                                      30000, "too few complete snapshots", [this] { report(); });
                              });
                          });
            });
    }

    int withSnapshot() const
    {
        int n = 0;
        for (const auto &f : m_fleets)
            n += f->withSnapshot();
        return n;
    }

    qint64 latestFirstNs() const
    {
        qint64 latest = 0;
        for (const auto &f : m_fleets) {
            const QHash<quint64, Delivery> all = f->deliveries();
            for (const Delivery &d : all)
                latest = std::max(latest, d.firstNs);
        }
        return latest;
    }

    // Snapshots first seen after recording began that every subscriber of
    // every instance got: per snapshot, the delivery on each instance.
    std::vector<std::vector<Delivery>> complete() const
    {
        QHash<quint64, std::vector<Delivery>> bySnapshot;
        for (size_t k = 0; k < m_fleets.size(); ++k) {
            const QHash<quint64, Delivery> all = m_fleets[k]->deliveries();
            for (auto it = all.cbegin(); it != all.cend(); ++it) {
                std::vector<Delivery> &slots = bySnapshot[it.key()];
                slots.resize(m_fleets.size());
                slots[k] = it.value();
            }
        }
        std::vector<std::vector<Delivery>> out;
        for (const std::vector<Delivery> &perNode : std::as_const(bySnapshot)) {
            bool full = true;
            qint64 first = -1;
            for (const Delivery &d : perNode) {
                full = full && d.count >= m_subscribers;
                if (d.firstNs >= 0 && (first < 0 || d.firstNs < first))
                    first = d.firstNs;
            }
            if (full && first > m_recordFromNs)
                out.push_back(perNode);
        }
        return out;
    }

    // ------------------------------------------------------------ report

    void printDial(const char *title, const DialResult &r)
    {
        std::printf("  %s: %zu calls in %.1f s (%.1f calls/s)\n", title, r.calls, r.seconds,
                    r.seconds > 0 ? double(r.calls) / r.seconds : 0.0);
        printDialResult(r);
    }

    void report()
    {
        m_reported = true;
        printDial("one instance", m_single);
        printDial("three instances, callbacks on another instance than the socket", m_cluster);
        const auto [own, routed] = m_rig.callbacksOnOwnInstance();
        std::printf("  status callbacks through nginx: %d, on the socket's own instance: %d\n",
                    routed, own);
        const double ratio =
            m_single.roundTrip(99) > 0 ? m_cluster.roundTrip(99) / m_single.roundTrip(99) : 0;
        std::printf("  round-trip p99, cluster / one instance: %.2f (target <= 1.25)\n", ratio);
        std::printf("  Twilio realtime-stats requests per 1 s interval: one instance %.1f "
                    "(%.1f cycles), cluster of %d %.1f (%.1f cycles)\n",
                    m_singleCounts.perInterval, m_singleCounts.cycles, kNodes,
                    m_clusterCounts.perInterval, m_clusterCounts.cycles);
        reportStats();
        m_rig.printWarnings();
        const bool ok = m_single.complete && m_cluster.complete && m_cluster.lost == 0 &&
                        m_cluster.misrouted == 0 && m_cluster.errors == 0;
        finish(ok ? 0 : 1);
    }

    void reportStats()
    {
        std::vector<double> spreads;
        std::vector<std::vector<double>> firstOffset(static_cast<size_t>(kNodes));
        for (const std::vector<Delivery> &perNode : complete()) {
            qint64 first = perNode[0].firstNs;
            qint64 last = perNode[0].lastNs;
            for (const Delivery &d : perNode) {
                first = std::min(first, d.firstNs);
                last = std::max(last, d.lastNs);
            }
            spreads.push_back(double(last - first) / 1e6);
            for (int k = 0; k < kNodes; ++k)
                firstOffset[size_t(k)].push_back(double(perNode[size_t(k)].firstNs - first) / 1e6);
        }
        std::sort(spreads.begin(), spreads.end());
        std::printf("  stats, %d x %d subscribers, %zu snapshots every one got: spread from the "
                    "first subscriber to the last on any instance p50 %.1f ms, p99 %.1f ms\n",
                    kNodes, m_subscribers, spreads.size(), percentile(spreads, 50),
                    percentile(spreads, 99));
        for (int k = 0; k < kNodes; ++k) {
            std::vector<double> &v = firstOffset[size_t(k)];
            std::sort(v.begin(), v.end());
            const QByteArray metrics = httpGetBlocking(m_rig.port(k), "/metrics");
            const bool leader = metricValue(metrics, "flex_stats_leader") == 1;
            std::printf("    node-%d%s: first subscriber %.1f ms after the first anywhere (p50)\n",
                        k, leader ? " (the poller)" : "", percentile(v, 50));
        }
    }

    // ------------------------------------------------------------ plumbing

    void waitUntil(std::function<bool()> pred, int timeoutMs, const char *what,
                   std::function<void()> then)
    {
        auto *timer = new QTimer(this);
        auto started = std::make_shared<QElapsedTimer>();
        started->start();
        connect(timer, &QTimer::timeout, this, [=] {
            if (pred() || started->elapsed() > timeoutMs) {
                timer->stop();
                timer->deleteLater();
                pred() ? then() : fail(what);
            }
        });
        timer->start(20);
    }

    void fail(const QByteArray &why)
    {
        if (m_finished || m_reported)
            return;
        std::printf("  cluster bench failed: %s\n", why.constData());
        finish(1);
    }

    void finish(int rc)
    {
        if (m_finished)
            return;
        m_finished = true;
        m_fleets.clear();
        QTimer::singleShot(0, this, [this, rc] {
            const auto done = m_done;
            deleteLater();
            done(rc);
        });
    }

    const int m_sockets;
    const int m_calls;
    const int m_subscribers;
    const int m_snapshots;
    const int m_stepMs; // the emulator's call steps and talk time
    std::function<void(int)> m_done;
    ClusterRig m_rig;
    std::unique_ptr<RoundTrips> m_load;
    DialResult m_single;
    DialResult m_cluster;
    Counts m_singleCounts;
    Counts m_clusterCounts;
    std::vector<std::unique_ptr<SubscriberFleet>> m_fleets;
    qint64 m_recordFromNs = 0;
    bool m_reported = false;
    bool m_finished = false;
};

const Registrar clusterScenario(
    {u"cluster"_s,
     u"three instances + Redis next to one: dial round trip at 50 sockets with callbacks on "
     u"another instance, Twilio requests per cycle, stats spread over 3 x 300 subscribers "
     u"[--sockets N --calls N --step-ms N --subscribers N --snapshots N]"_s,
     [](const QStringList &args, std::function<void(int)> done) {
         new ClusterRun(args, std::move(done));
     }});

} // namespace
} // namespace flex::bench
