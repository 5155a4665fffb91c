// flex-bench soak: mixed load for N minutes against the real service and the
// emulator (its own process), sampling the service every 10 s.
//
//   flex-bench soak [--minutes 30] [--agents 10] [--subscribers 500] [--fault-minutes 3]
//
// Load: dial agents placing calls one after another (status callbacks from
// the emulator), token churn (an agent reconnects with a fresh token every
// 15 s; stats tokens renewed every 30 s), stats subscribers with 5 replaced
// per second, and a Twilio fault (via the emulator's fault API) every few
// minutes, each of a kind the service must absorb without the agents or
// supervisors noticing. Samples: RSS, open descriptors, CPU, and the
// event-loop lag seen from outside (GET /healthz round trip, every 500 ms).
// Verdict: after warm-up, RSS and descriptors grow < 5 % and no errors.
#include "scenario.h"
#include "servicerig.h"
#include "soakload.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QNetworkReply>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace flex::bench {
namespace {

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

struct Sample
{
    double minute = 0;
    double rssMiB = 0;
    int fds = 0;
    double cpuPercent = 0;
    double lagP50Ms = 0;
    double lagMaxMs = 0;
    int calls = 0;
    int errors = 0;
};

// Faults the service absorbs (retries, last good snapshot kept).
struct FaultKind
{
    const char *operation;
    const char *kind;
    int count;
};
constexpr FaultKind Faults[] = {
    {"CreateCall", "429", 2},
    {"ListTaskQueue", "503", 2},
    {"CreateTaskQueueBulkRealTimeStatistics", "500", 2},
    {"UpdateCall", "429", 1},
    {"ListTaskQueuesStatistics", "429", 2},
};

class SoakRun : public QObject
{
public:
    SoakRun(const QStringList &args, std::function<void(int)> done)
        : m_minutes(std::max(1, intArg(args, u"--minutes"_s, 30)))
        , m_faultEvery(std::max(1, intArg(args, u"--fault-minutes"_s, 3)))
        , m_done(std::move(done))
        , m_rig(rigOptions(intArg(args, u"--agents"_s, 10)))
        , m_dial(m_rig, m_nam, m_errors, intArg(args, u"--agents"_s, 10))
        , m_stats(m_rig, m_nam, m_errors, intArg(args, u"--subscribers"_s, 500))
    {
        std::printf("  %d minutes; %d dial agents, %d stats subscribers (5 replaced/s), token "
                    "churn, a Twilio fault every %d min; sample every 10 s\n",
                    m_minutes, intArg(args, u"--agents"_s, 10),
                    intArg(args, u"--subscribers"_s, 500), m_faultEvery);
        std::fflush(stdout);
        m_rig.start([this](bool ok) { ok ? begin() : finish(1); });
    }

private:
    static ServiceRig::Options rigOptions(int agents)
    {
        ServiceRig::Options options;
        options.emulatorArgs =
            QStringList{u"--call-step-ms"_s, u"300"_s,        u"--talk-time-ms"_s,
                        u"2000"_s,           u"--warmup-s"_s, u"60"_s} +
            DialLoad::emulatorTokenArgs(agents) + StatsChurn::emulatorTokenArgs();
        // All clients share 127.0.0.1, and token churn is the point.
        options.env = {{u"DIAL_MAX_CALLS_PER_MINUTE"_s, u"0"_s},
                       {u"MAX_CONNECTIONS_PER_ADDRESS"_s, u"5000"_s},
                       {u"AUTH_RATE_PER_ADDRESS"_s, u"10000"_s},
                       // What each agent was sent: printed for a lost call.
                       {u"QT_LOGGING_RULES"_s, u"flex.dial*.debug=true"_s}};
        return options;
    }

    void begin()
    {
        std::printf("  service pid %lld on port %d\n", static_cast<long long>(m_rig.pid()),
                    m_rig.port());
        std::printf("  %6s %8s %6s %6s %9s %9s %7s %7s\n", "minute", "RSS MiB", "fds", "CPU %",
                    "lag p50", "lag max", "calls", "errors");
        std::fflush(stdout);
        m_wall.start();
        m_cpuBefore = cpuTicks(m_rig.pid());
        m_dial.start();
        m_stats.start();
        connect(&m_probeTimer, &QTimer::timeout, this, [this] { probe(); });
        m_probeTimer.start(500ms);
        connect(&m_sampleTimer, &QTimer::timeout, this, [this] { sample(); });
        m_sampleTimer.start(10s);
        connect(&m_faultTimer, &QTimer::timeout, this, [this] { injectFault(); });
        m_faultTimer.start(std::chrono::minutes(m_faultEvery));
        QTimer::singleShot(std::chrono::minutes(m_minutes), this, [this] { end(); });
    }

    // Event-loop lag from outside: a /healthz round trip, one at a time.
    void probe()
    {
        if (m_probing)
            return;
        m_probing = true;
        auto clock = std::make_shared<QElapsedTimer>();
        clock->start();
        QNetworkRequest request(m_rig.serviceUrl(u"/healthz"_s));
        request.setTransferTimeout(10000);
        QNetworkReply *reply = m_nam.get(request);
        connect(reply, &QNetworkReply::finished, this, [this, reply, clock] {
            reply->deleteLater();
            m_probing = false;
            if (reply->error() != QNetworkReply::NoError)
                m_errors.add("healthz", reply->errorString());
            else
                m_lags.push_back(double(clock->nsecsElapsed()) / 1e6);
        });
    }

    void sample()
    {
        if (!m_rig.serviceRunning()) {
            m_errors.add("service", u"flex-backend exited:\n"_s +
                                        QString::fromUtf8(m_rig.serviceOutput().right(2000)));
            return end();
        }
        const qint64 ticks = cpuTicks(m_rig.pid());
        Sample s;
        s.minute = double(m_wall.elapsed()) / 60000.0;
        s.rssMiB = double(residentBytes(m_rig.pid())) / 1048576.0;
        s.fds = openDescriptors(m_rig.pid());
        s.cpuPercent = double(ticks - m_cpuBefore) / 100.0 / 10.0 * 100.0;
        m_cpuBefore = ticks;
        std::sort(m_lags.begin(), m_lags.end());
        s.lagP50Ms = percentile(m_lags, 50);
        s.lagMaxMs = m_lags.empty() ? 0 : m_lags.back();
        m_lags.clear();
        s.calls = m_dial.callsCompleted();
        s.errors = m_errors.total();
        m_samples.push_back(s);
        printRow(s);
    }

    static void printRow(const Sample &s)
    {
        std::printf("  %6.1f %8.1f %6d %6.1f %6.1f ms %6.1f ms %7d %7d\n", s.minute, s.rssMiB,
                    s.fds, s.cpuPercent, s.lagP50Ms, s.lagMaxMs, s.calls, s.errors);
        std::fflush(stdout);
    }

    void injectFault()
    {
        const FaultKind &f = Faults[m_faults++ % int(std::size(Faults))];
        std::printf("  fault: %s answers %s, %d time(s)\n", f.operation, f.kind, f.count);
        postToEmulator(m_nam, m_rig, u"/__emulator/faults"_s,
                       {{"operation"_L1, QString::fromLatin1(f.operation)},
                        {"kind"_L1, QString::fromLatin1(f.kind)},
                        {"count"_L1, f.count},
                        {"retryAfter"_L1, 1}},
                       this, [this](bool ok) {
                           if (!ok)
                               m_errors.add("emulator", u"fault not accepted"_s);
                       });
    }

    // Mean of a field over the samples within [from, to) minutes.
    template <typename Field> double meanOver(double from, double to, Field field) const
    {
        double sum = 0;
        int n = 0;
        for (const Sample &s : m_samples) {
            if (s.minute >= from && s.minute < to) {
                sum += double(field(s));
                ++n;
            }
        }
        return n > 0 ? sum / n : 0;
    }

    void end()
    {
        if (m_ended)
            return;
        m_ended = true;
        m_probeTimer.stop();
        m_sampleTimer.stop();
        m_faultTimer.stop();
        m_dial.stop();
        m_stats.stop();
        report();
        QTimer::singleShot(1s, this, [this] { finish(m_passed ? 0 : 1); });
    }

    void report()
    {
        const double last = m_samples.empty() ? 0 : m_samples.back().minute;
        const double warmup = std::max(2.0, last / 10.0);
        const auto rss = [](const Sample &s) { return s.rssMiB; };
        const auto fds = [](const Sample &s) { return s.fds; };
        const double rssStart = meanOver(warmup, warmup + 2, rss);
        const double rssEnd = meanOver(last - 2, last + 1, rss);
        const double fdStart = meanOver(warmup, warmup + 2, fds);
        const double fdEnd = meanOver(last - 2, last + 1, fds);
        const double rssGrowth = rssStart > 0 ? (rssEnd - rssStart) / rssStart * 100 : 0;
        const double fdGrowth = fdStart > 0 ? (fdEnd - fdStart) / fdStart * 100 : 0;
        double lagMax = 0;
        double cpu = 0;
        for (const Sample &s : m_samples) {
            lagMax = std::max(lagMax, s.lagMaxMs);
            cpu += s.cpuPercent / double(m_samples.size());
        }
        // A condensed table: one row every few minutes.
        std::printf("\n  summary (every %d min):\n", std::max(1, m_minutes / 10));
        std::printf("  %6s %8s %6s %6s %9s %9s %7s %7s\n", "minute", "RSS MiB", "fds", "CPU %",
                    "lag p50", "lag max", "calls", "errors");
        const int every = std::max(1, m_minutes / 10) * 6;
        for (size_t i = 0; i < m_samples.size(); ++i) {
            if ((i + 1) % size_t(every) == 0 || i + 1 == m_samples.size())
                printRow(m_samples[i]);
        }
        m_passed = m_samples.size() >= 3 && m_errors.total() == 0 && rssGrowth < 5 && fdGrowth < 5;
        std::printf("  after %.1f min warm-up: RSS %.1f -> %.1f MiB (%+.1f %%), fds %.0f -> %.0f "
                    "(%+.1f %%); mean CPU %.1f %%, worst /healthz %.1f ms\n",
                    warmup, rssStart, rssEnd, rssGrowth, fdStart, fdEnd, fdGrowth, cpu, lagMax);
        std::printf("  calls completed %d, agent tokens rotated %d, stats subscribers replaced "
                    "%d, faults %d; errors: %s\n",
                    m_dial.callsCompleted(), m_dial.tokensRotated(), m_stats.replaced(), m_faults,
                    qPrintable(m_errors.summary()));
        std::printf("  verdict: %s\n", m_passed ? "PASS (flat, no errors)" : "FAIL");
        std::fflush(stdout);
    }

    void finish(int rc)
    {
        QTimer::singleShot(0, this, [this, rc] {
            const auto done = m_done;
            deleteLater();
            done(rc);
        });
    }

    const int m_minutes;
    const int m_faultEvery;
    std::function<void(int)> m_done;
    QNetworkAccessManager m_nam;
    SoakErrors m_errors;
    ServiceRig m_rig;
    DialLoad m_dial;
    StatsChurn m_stats;
    QTimer m_probeTimer;
    QTimer m_sampleTimer;
    QTimer m_faultTimer;
    QElapsedTimer m_wall;
    qint64 m_cpuBefore = 0;
    std::vector<double> m_lags;
    std::vector<Sample> m_samples;
    int m_faults = 0;
    bool m_probing = false;
    bool m_ended = false;
    bool m_passed = false;
};

void runSoak(const QStringList &args, std::function<void(int)> done)
{
    new SoakRun(args, std::move(done)); // deletes itself when done
}

const Registrar soakScenario({u"soak"_s,
                              u"mixed load for --minutes N (default 30): RSS, fds, CPU and "
                              u"event-loop lag every 10 s, verdict flat or not"_s,
                              &runSoak, true});

} // namespace
} // namespace flex::bench
