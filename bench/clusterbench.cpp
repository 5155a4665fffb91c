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
#include "roundtrips.h"
#include "scenario.h"
#include "server/flextokenshape.h"
#include "servicerig.h"
#include "subscriberfleet.h"

#include "emulator/emulatorconfig.h"
#include "emulator/twilioemulator.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace flex::bench {
namespace {

using namespace Qt::StringLiterals;

constexpr int kNodes = 3;
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
    {
        for (quint16 &port : m_ports)
            port = freePort();
        m_nginxSingle = freePort();
        m_nginxCluster = freePort();
        std::printf("  %d dial sockets, %d calls each, emulator step %d ms; %d instances + Redis; "
                    "%d x %d stats subscribers\n",
                    m_sockets, m_calls, m_stepMs, kNodes, kNodes, m_subscribers);
        QTimer::singleShot(110000, this, [this] { fail("gave up after 110 s"); });
        startRedis();
    }

    ~ClusterRun() override
    {
        std::vector<QProcess *> all{&m_redis, &m_emulator, &m_nginx};
        for (auto &p : m_services)
            all.push_back(p.get());
        for (QProcess *process : all) {
            if (process->state() != QProcess::NotRunning) {
                process->terminate();
                process->waitForFinished(5000); // the bench, not the service
            }
        }
    }

private:
    // ------------------------------------------------------------ processes

    void startRedis()
    {
        const QString redis = QStandardPaths::findExecutable(u"redis-server"_s);
        if (redis.isEmpty())
            return fail("redis-server is not installed (apt-get install redis-server)");
        m_redisPort = freePort();
        const QStringList args{u"--port"_s,       QString::number(m_redisPort),
                               u"--bind"_s,       u"127.0.0.1"_s,
                               u"--save"_s,       u""_s,
                               u"--appendonly"_s, u"no"_s,
                               u"--dir"_s,        m_dir.path()};
        launchProcess(this, m_redis, redis, args, QProcessEnvironment::systemEnvironment(),
                      "Ready ", /* "to accept connections" */ std::make_shared<QByteArray>(),
                      [this](const QByteArray &up) {
                          if (up.isEmpty())
                              return fail("redis-server did not start");
                          startEmulator();
                      });
    }

    void startEmulator()
    {
        const QString step = QString::number(m_stepMs);
        QStringList args{u"--port"_s,   u"0"_s,
                         u"--frozen"_s, u"--warmup-s"_s,
                         u"0"_s,        u"--call-step-ms"_s,
                         step,          u"--talk-time-ms"_s,
                         step};
        for (int i = 0; i < m_sockets; ++i)
            args << u"--token"_s << tokenOf(i) + u':' + identityOf(i) + u":agent"_s;
        args << u"--token"_s << kSupervisorToken + u":bench-supervisor:supervisor"_s;
        const QString binary =
            QCoreApplication::applicationDirPath() + u"/../src/emulator/twilio-emulator"_s;
        launchProcess(this, m_emulator, binary, args, QProcessEnvironment::systemEnvironment(),
                      "listening on ", std::make_shared<QByteArray>(),
                      [this](const QByteArray &url) {
                          if (url.isEmpty())
                              return fail("twilio-emulator did not start");
                          m_emulatorUrl = QUrl(QString::fromUtf8(url.trimmed()));
                          startNginx();
                      });
    }

    QString nginxConfig() const
    {
        const QString d = m_dir.path();
        QString upstreams =
            u"  upstream single { server 127.0.0.1:%1; keepalive 16; }\n"_s.arg(m_ports[kNodes]);
        for (int k = 0; k < kNodes; ++k)
            upstreams += u"  upstream node%1 { server 127.0.0.1:%2; keepalive 16; }\n"_s.arg(k).arg(
                m_ports[k]);
        QString map = u"  map $arg_owner $next_node {\n    default node0;\n"_s;
        for (int k = 0; k < kNodes; ++k)
            map += u"    ~-a%1$ node%2;\n"_s.arg(k).arg((k + 1) % kNodes);
        map += u"  }\n"_s;
        const QString location = u"proxy_http_version 1.1; proxy_set_header Connection \"\"; "
                                 u"proxy_set_header Host $http_host;"_s;
        return u"error_log %1/error.log warn;\npid %1/nginx.pid;\nworker_processes 1;\n"
               u"events { worker_connections 4096; }\nhttp {\n"
               u"  log_format routed '$server_port $arg_owner $upstream_addr $status';\n"
               u"  access_log %1/access.log routed;\n"
               u"  client_body_temp_path %1/body; proxy_temp_path %1/proxy;\n"
               u"  fastcgi_temp_path %1/fastcgi; uwsgi_temp_path %1/uwsgi; "
               u"scgi_temp_path %1/scgi;\n"_s.arg(d) +
               upstreams + map +
               u"  server { listen 127.0.0.1:%1; location / { proxy_pass http://single; %3 } }\n"
               u"  server { listen 127.0.0.1:%2; location / { proxy_pass http://$next_node; "
               u"%3 } }\n}\n"_s.arg(m_nginxSingle)
                   .arg(m_nginxCluster)
                   .arg(location);
    }

    void startNginx()
    {
        const QString nginx =
            QStandardPaths::findExecutable(u"nginx"_s, {u"/usr/sbin"_s, u"/usr/bin"_s});
        if (nginx.isEmpty())
            return fail("nginx is not installed (apt-get install nginx-light)");
        QFile conf(m_dir.filePath(u"nginx.conf"_s));
        if (!conf.open(QIODevice::WriteOnly))
            return fail("cannot write nginx.conf");
        conf.write(nginxConfig().toUtf8());
        conf.close();
        m_nginx.setProcessChannelMode(QProcess::MergedChannels);
        m_nginx.start(nginx,
                      {u"-p"_s, m_dir.path(), u"-c"_s, conf.fileName(), u"-g"_s, u"daemon off;"_s});
        waitUntil([this] { return QFile::exists(m_dir.filePath(u"nginx.pid"_s)); }, 15000,
                  "nginx did not start", [this] { startService(kNodes, false); });
    }

    QProcessEnvironment serviceEnv(int slot, bool cluster) const
    {
        QProcessEnvironment env;
        env.insert(u"PATH"_s, qEnvironmentVariable("PATH"));
        const auto settings =
            emulator::TwilioEmulator::serviceSettings(emulator::EmulatorConfig{}, m_emulatorUrl);
        for (const auto &[key, value] : settings)
            env.insert(key, value);
        const quint16 front = cluster ? m_nginxCluster : m_nginxSingle;
        env.insert(u"EXTERNAL_HOST"_s, u"http://127.0.0.1:%1"_s.arg(front));
        env.insert(u"BIND_ADDRESS"_s, u"127.0.0.1"_s);
        env.insert(u"PORT"_s, QString::number(m_ports[slot]));
        env.insert(u"STATE_DIR"_s, m_dir.filePath(u"state-%1"_s.arg(slot)));
        env.insert(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
        env.insert(u"STATS_CUMULATIVE_INTERVAL"_s, u"3600"_s);
        env.insert(u"STATS_TIMEZONE"_s, u"UTC"_s);
        env.insert(u"DIAL_MAX_CALLS_PER_MINUTE"_s, u"0"_s);
        env.insert(u"LOG_LEVEL"_s, u"info"_s);
        if (cluster) {
            env.insert(u"REDIS_URL"_s, u"redis://127.0.0.1:%1"_s.arg(m_redisPort));
            env.insert(u"INSTANCE_ID"_s, u"node-%1"_s.arg(slot));
        }
        return env;
    }

    // Slot kNodes is the single instance; 0..kNodes-1 the cluster.
    void startService(int slot, bool cluster)
    {
        QDir().mkpath(m_dir.filePath(u"state-%1"_s.arg(slot)));
        m_services.push_back(std::make_unique<QProcess>());
        m_outputs.push_back(std::make_shared<QByteArray>());
        QProcess &process = *m_services.back();
        process.setWorkingDirectory(m_dir.path());
        launchProcess(this, process, backendBinary(), {}, serviceEnv(slot, cluster),
                      "listening on ", m_outputs.back(),
                      [this, slot, cluster](const QByteArray &url) {
                          if (url.isEmpty())
                              return fail("flex-backend did not start");
                          if (!cluster)
                              return QTimer::singleShot(2000, this, [this] { dialSingle(); });
                          if (slot + 1 < kNodes)
                              return startService(slot + 1, true);
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

    static QUrl dialUrl(quint16 port)
    {
        return QUrl(u"ws://127.0.0.1:%1/websocket/outboundDial"_s.arg(port));
    }

    void dialSingle()
    {
        runDial({dialUrl(m_ports[kNodes])}, [this] {
            m_single = m_load->result();
            countRequests([this](Counts c) {
                m_singleCounts = c;
                m_services.back()->terminate();
                startService(0, true);
            });
        });
    }

    void dialCluster()
    {
        QList<QUrl> urls;
        for (int k = 0; k < kNodes; ++k)
            urls << dialUrl(m_ports[k]);
        runDial(urls, [this] {
            m_cluster = m_load->result();
            countRequests([this](Counts c) {
                m_clusterCounts = c;
                startStats();
            });
        });
    }

    void emulatorCall(const QByteArray &verb, const QString &path, const QByteArray &body,
                      std::function<void(const QJsonObject &)> then)
    {
        QUrl url = m_emulatorUrl;
        url.setPath(path);
        QNetworkRequest request(url);
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        QNetworkReply *reply = m_nam.sendCustomRequest(request, verb, body);
        connect(reply, &QNetworkReply::finished, this, [reply, then] {
            reply->deleteLater();
            then(QJsonDocument::fromJson(reply->readAll()).object());
        });
    }

    // Realtime-stats requests the emulator received over a window.
    void countRequests(std::function<void(Counts)> then)
    {
        emulatorCall(
            "POST", u"/__emulator/counters/reset"_s, "{}", [this, then](const QJsonObject &) {
                QTimer::singleShot(kCountWindowMs, this, [this, then] {
                    emulatorCall(
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
        emulatorCall(
            "POST", u"/__emulator/freeze"_s, R"({"frozen":false})", [this](const QJsonObject &) {
                for (int k = 0; k < kNodes; ++k) {
                    SubscriberFleet::Settings s;
                    s.port = m_ports[k];
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

    // Status callbacks nginx handed to the instance holding the owner's socket.
    QPair<int, int> callbacksOnOwnInstance() const
    {
        QFile log(m_dir.filePath(u"access.log"_s));
        if (!log.open(QIODevice::ReadOnly))
            return {-1, -1};
        int own = 0;
        int routed = 0;
        const QList<QByteArray> lines = log.readAll().split('\n');
        for (const QByteArray &line : lines) {
            const QList<QByteArray> f = line.split(' ');
            if (f.size() < 4 || f[0].toInt() != m_nginxCluster || !f[1].contains("-a"))
                continue;
            ++routed;
            const int socketNode = f[1].mid(f[1].lastIndexOf("-a") + 2).toInt();
            own += f[2].endsWith(QByteArray(':' + QByteArray::number(m_ports[socketNode]))) ? 1 : 0;
        }
        return {own, routed};
    }

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
        const auto [own, routed] = callbacksOnOwnInstance();
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
        printWarnings();
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
            const QByteArray metrics = httpGetBlocking(m_ports[k], "/metrics");
            const bool leader = metricValue(metrics, "flex_stats_leader") == 1;
            std::printf("    node-%d%s: first subscriber %.1f ms after the first anywhere (p50)\n",
                        k, leader ? " (the poller)" : "", percentile(v, 50));
        }
    }

    // The services' warnings (a few per instance), so a bad number has a why.
    void printWarnings() const
    {
        for (size_t i = 0; i < m_outputs.size(); ++i) {
            int shown = 0;
            const QList<QByteArray> lines = m_outputs[i]->split('\n');
            for (const QByteArray &line : lines) {
                if ((line.contains(" warning ") || line.contains(" critical ")) && shown++ < 5)
                    std::printf("    %s: %s\n", i == 0 ? "single" : "cluster",
                                line.left(300).constData());
            }
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
    QTemporaryDir m_dir;
    quint16 m_ports[kNodes + 1] = {}; // the cluster's, then the single instance's
    quint16 m_nginxSingle = 0;
    quint16 m_nginxCluster = 0;
    quint16 m_redisPort = 0;
    QProcess m_redis;
    QProcess m_emulator;
    QProcess m_nginx;
    std::vector<std::unique_ptr<QProcess>> m_services;
    std::vector<std::shared_ptr<QByteArray>> m_outputs; // each service's log
    QUrl m_emulatorUrl;
    QNetworkAccessManager m_nam;
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
