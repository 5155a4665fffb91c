// flex-bench scenarios of outbound dialing:
//   dial      call round trip at N concurrent dial sockets, each its own Flex
//             identity, the emulator stepping 20 ms between call states
//   webhooks  signed status-callback webhooks per second and latency at N
//             keep-alive connections
// Both start the real flex-backend against an in-process Twilio emulator.
#include "roundtrips.h"
#include "scenario.h"
#include "servicerig.h"

#include "emulator/twilioemulator.h"
#include "server/flextokenshape.h"
#include "twilio/requestvalidator.h"
#include "twilio/twilioclient.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>
#include <QWebSocket>

#include <cstdio>
#include <map>
#include <memory>

namespace flex::bench {
namespace {

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

QString identityOf(int i)
{
    return u"bench%1"_s.arg(i, 3, 10, QLatin1Char('0'));
}

QString tokenOf(int i)
{
    // JWT-shaped, as the service wants before it asks Twilio.
    return server::FlexTokenShape::unsignedExample(identityOf(i), QByteArrayLiteral("bench"));
}

// The dial scenarios' rig: a frozen contact centre, fast call steps, one
// token per identity, stats polls out of the way.
ServiceRig::Options dialRig(std::chrono::milliseconds step, int identities)
{
    ServiceRig::Options options;
    options.emulatorArgs = QStringList{u"--frozen"_s,
                                       u"--warmup-s"_s,
                                       u"0"_s,
                                       u"--call-step-ms"_s,
                                       QString::number(step.count()),
                                       u"--talk-time-ms"_s,
                                       QString::number(step.count())};
    for (int i = 0; i < identities; ++i)
        options.emulatorArgs << u"--token"_s << tokenOf(i) + u':' + identityOf(i) + u":agent"_s;
    options.env = {{u"DIAL_MAX_CALLS_PER_MINUTE"_s, u"0"_s},
                   {u"STATS_REALTIME_INTERVAL"_s, u"3600"_s},
                   {u"STATS_CUMULATIVE_INTERVAL"_s, u"3600"_s}};
    return options;
}

// ---------------------------------------------------------------- dial

class DialRun : public QObject
{
public:
    DialRun(const QStringList &args, std::function<void(int)> done)
        : m_done(std::move(done))
        , m_rig(dialRig(std::chrono::milliseconds(intArg(args, u"--step-ms"_s, 20)),
                        intArg(args, u"--sockets"_s, 50)))
    {
        RoundTrips::Settings settings;
        settings.sockets = intArg(args, u"--sockets"_s, 50);
        settings.calls = intArg(args, u"--calls"_s, 20);
        settings.identity = identityOf;
        settings.token = tokenOf;
        settings.timeLimitMs = 600000;
        std::printf("  %d dial sockets (one Flex identity each), %d calls each in a row, "
                    "emulator step %d ms\n",
                    settings.sockets, settings.calls, intArg(args, u"--step-ms"_s, 20));
        m_rig.start([this, settings](bool ok) mutable {
            if (!ok)
                return finish(1);
            settings.urls = {m_rig.dialUrl()};
            m_load = std::make_unique<RoundTrips>(settings);
            connect(m_load.get(), &RoundTrips::finished, this, [this] { report(); });
            m_load->start();
        });
    }

private:
    void report()
    {
        const DialResult &r = m_load->result();
        std::printf("  %zu calls in %.1f s (%.1f calls/s), service RSS %.1f MiB\n", r.calls,
                    r.seconds, double(r.calls) / r.seconds,
                    double(residentBytes(m_rig.pid())) / 1048576.0);
        printDialResult(r);
        // What crash safety costs: one durable write per event-loop turn that created calls.
        const QByteArray metrics = httpGetBlocking(m_rig.port(), "/metrics");
        const double writes = metricValue(metrics, "flex_dial_state_write_duration_seconds_count");
        const double writeSeconds =
            metricValue(metrics, "flex_dial_state_write_duration_seconds_sum");
        if (writes > 0)
            std::printf("  state writes (fsync'ed; group commits and later-status saves): %.0f, "
                        "%.2f per call, mean %.2f ms, %.0f ms in all\n",
                        writes, writes / double(std::max<size_t>(r.calls, 1)),
                        writeSeconds / writes * 1000, writeSeconds * 1000);
        finish(r.complete ? 0 : 1);
    }

    void finish(int rc)
    {
        QTimer::singleShot(0, this, [this, rc] {
            const auto done = m_done;
            deleteLater();
            done(rc);
        });
    }

    std::function<void(int)> m_done;
    ServiceRig m_rig;
    std::unique_ptr<RoundTrips> m_load;
};

// ---------------------------------------------------------------- webhooks

class WebhookRun : public QObject
{
public:
    WebhookRun(const QStringList &args, std::function<void(int)> done)
        : m_connections(intArg(args, u"--connections"_s, 50))
        , m_seconds(intArg(args, u"--seconds"_s, 5))
        , m_done(std::move(done))
        , m_rig(dialRig(20ms, 1))
    {
        std::printf("  %d keep-alive connections, closed loop, %d s (after 1 s warm-up), "
                    "every request signed like Twilio's\n",
                    m_connections, m_seconds);
        m_rig.start([this](bool ok) { ok ? placeCall() : finish(1); });
    }

private:
    struct Connection
    {
        std::unique_ptr<QTcpSocket> socket;
        QByteArray buffer;
        QElapsedTimer sentAt;
        int next = 0;
    };

    // One real call that rings until hung up: the callbacks are about it,
    // so each one goes through signature, parsing, registry and relaying.
    void placeCall()
    {
        m_owner = std::make_unique<QWebSocket>();
        connect(m_owner.get(), &QWebSocket::connected, this, [this] {
            m_owner->sendTextMessage(
                uR"({"method":"call","to":"+15551230004","from":"+15557654321","workerContactUri":"client:bench000"})"_s);
        });
        connect(m_owner.get(), &QWebSocket::textMessageReceived, this, [this](const QString &t) {
            ++m_relayed;
            if (m_sid.isEmpty()) {
                m_sid = QJsonDocument::fromJson(t.toUtf8()).object().value("callSid"_L1).toString();
                prepare();
                startLoad();
            }
        });
        QNetworkRequest request(m_rig.dialUrl());
        request.setRawHeader("Sec-WebSocket-Protocol", tokenOf(0).toUtf8());
        m_owner->open(request);
    }

    void prepare()
    {
        const QString path = u"/twilio-webhook/callStatusCallbackHandler"_s;
        const QString url = m_rig.webhookBase() + path;
        const QByteArray token = m_rig.emulatorConfig().authToken.toUtf8();
        for (int i = 0; i < 1000; ++i) {
            // Repeats of "ringing" with rising numbers: accepted, not relayed twice.
            const twilio::FormFields params{
                {u"AccountSid"_s, m_rig.emulatorConfig().accountSid},
                {u"ApiVersion"_s, u"2010-04-01"_s},
                {u"CallSid"_s, m_sid},
                {u"CallStatus"_s, u"ringing"_s},
                {u"CallbackSource"_s, u"call-progress-events"_s},
                {u"Direction"_s, u"outbound-api"_s},
                {u"From"_s, u"+15557654321"_s},
                {u"SequenceNumber"_s, QString::number(100 + i)},
                {u"Timestamp"_s,
                 u"Mon, 01 Jan 2024 00:00:%1 +0000"_s.arg(i % 60, 2, 10, QLatin1Char('0'))},
                {u"To"_s, u"+15551230004"_s},
            };
            const QByteArray body = twilio::encodeForm(params);
            const QByteArray signature =
                twilio::RequestValidator::computeSignature(token, url, params);
            m_wrkEntries.append("  {\"" + body + "\", \"" + signature + "\"},\n");
            m_requests.append("POST " + path.toUtf8() +
                              " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_rig.port()) +
                              "\r\nUser-Agent: TwilioProxy/1.1\r\nContent-Type: "
                              "application/x-www-form-urlencoded\r\nX-Twilio-Signature: " +
                              signature + "\r\nContent-Length: " + QByteArray::number(body.size()) +
                              "\r\n\r\n" + body);
        }
    }

    void startLoad()
    {
        for (int i = 0; i < m_connections; ++i) {
            auto c = std::make_unique<Connection>();
            c->socket = std::make_unique<QTcpSocket>();
            c->next = i;
            Connection *conn = c.get();
            connect(c->socket.get(), &QTcpSocket::connected, this, [this, conn] { send(*conn); });
            connect(c->socket.get(), &QTcpSocket::readyRead, this, [this, conn] { onRead(*conn); });
            connect(c->socket.get(), &QTcpSocket::disconnected, this, [this] { ++m_disconnects; });
            c->socket->connectToHost(QHostAddress::LocalHost, m_rig.port());
            m_conns.push_back(std::move(c));
        }
        QTimer::singleShot(1s, this, [this] {
            m_measuring = true;
            m_wall.start();
            m_cpuBefore = cpuTicks(m_rig.pid());
            QTimer::singleShot(std::chrono::seconds(m_seconds), this, [this] { report(); });
        });
    }

    void send(Connection &c)
    {
        c.sentAt.start();
        c.socket->write(m_requests.at(c.next));
        c.next = (c.next + m_connections) % int(m_requests.size());
    }

    void onRead(Connection &c)
    {
        c.buffer += c.socket->readAll();
        for (;;) {
            const qsizetype headEnd = c.buffer.indexOf("\r\n\r\n");
            if (headEnd < 0)
                return;
            const QByteArray head = c.buffer.left(headEnd).toLower();
            qsizetype length = 0;
            const qsizetype cl = head.indexOf("content-length:");
            if (cl >= 0)
                length = head.mid(cl + 15, head.indexOf('\r', cl) - cl - 15).trimmed().toLongLong();
            if (c.buffer.size() < headEnd + 4 + length)
                return;
            const int status = head.mid(9, 3).toInt();
            c.buffer.remove(0, headEnd + 4 + length);
            if (m_stopped)
                return;
            if (m_measuring) {
                m_latencies.push_back(double(c.sentAt.nsecsElapsed()) / 1e6);
                ++m_byStatus[status];
            }
            send(c);
        }
    }

    void report()
    {
        m_stopped = true;
        const double seconds = double(m_wall.elapsed()) / 1000.0;
        const double cpu = double(cpuTicks(m_rig.pid()) - m_cpuBefore) / 100.0 / seconds;
        std::printf("  %zu webhooks in %.1f s: %.0f signed webhooks/s (service CPU %.0f %% of one "
                    "core)\n",
                    m_latencies.size(), seconds, double(m_latencies.size()) / seconds, cpu * 100);
        printLatencies("latency", m_latencies);
        QStringList statuses;
        for (const auto &[status, n] : m_byStatus)
            statuses.append(u"%1 x%2"_s.arg(status).arg(n));
        std::printf("  answers: %s; disconnects: %d; updates relayed to the owner: %d\n",
                    qPrintable(statuses.join(u", "_s)), m_disconnects, m_relayed);
        const int rc = m_byStatus.size() == 1 && m_byStatus.count(200) ? 0 : 1;
        for (auto &c : m_conns)
            c->socket->abort();
        runWrk(rc);
    }

    // The Qt client above shares the machine's two cores with the service and
    // tops out first; wrk (C, epoll) shows what the service itself sustains.
    // Same signed requests, same connection count.
    void runWrk(int rc)
    {
        const QString wrk = QStandardPaths::findExecutable(u"wrk"_s);
        if (wrk.isEmpty() || !m_wrkDir.isValid()) {
            std::printf("  (install wrk for a second measurement with a C load generator)\n");
            finish(rc);
            return;
        }
        QFile script(m_wrkDir.filePath(u"webhooks.lua"_s));
        if (!script.open(QIODevice::WriteOnly)) {
            finish(rc);
            return;
        }
        script.write("local requests = {\n" + m_wrkEntries.join() +
                     "}\nlocal i = 0\n"
                     "request = function()\n  i = i % #requests + 1\n"
                     "  return wrk.format('POST', '/twilio-webhook/callStatusCallbackHandler',\n"
                     "    {['Content-Type'] = 'application/x-www-form-urlencoded',\n"
                     "     ['X-Twilio-Signature'] = requests[i][2]}, requests[i][1])\nend\n");
        script.close();
        auto *process = new QProcess(this);
        process->setProcessChannelMode(QProcess::MergedChannels);
        connect(process, &QProcess::finished, this, [this, process, rc] {
            const QList<QByteArray> lines = process->readAll().split('\n');
            std::printf("  wrk, %d connections, %d s:\n", m_connections, m_seconds);
            for (const QByteArray &line : lines) {
                if (line.contains("Requests/sec") || line.contains("99%") || line.contains("50%") ||
                    line.contains("requests in") || line.contains("Non-2xx"))
                    std::printf("    %s\n", line.trimmed().constData());
            }
            finish(rc);
        });
        process->start(wrk, {u"-t1"_s, u"-c%1"_s.arg(m_connections), u"-d%1s"_s.arg(m_seconds),
                             u"--latency"_s, u"-s"_s, script.fileName(),
                             u"http://127.0.0.1:%1/twilio-webhook/callStatusCallbackHandler"_s.arg(
                                 m_rig.port())});
    }

    void finish(int rc)
    {
        for (auto &c : m_conns)
            c->socket->abort();
        QTimer::singleShot(0, this, [this, rc] {
            const auto done = m_done;
            deleteLater();
            done(rc);
        });
    }

    const int m_connections;
    const int m_seconds;
    std::function<void(int)> m_done;
    ServiceRig m_rig;
    std::unique_ptr<QWebSocket> m_owner;
    QString m_sid;
    QList<QByteArray> m_requests;
    QList<QByteArray> m_wrkEntries; // {body, signature} rows of the wrk script
    QTemporaryDir m_wrkDir;
    std::vector<std::unique_ptr<Connection>> m_conns;
    std::vector<double> m_latencies;
    std::map<int, int> m_byStatus;
    QElapsedTimer m_wall;
    qint64 m_cpuBefore = 0;
    int m_disconnects = 0;
    int m_relayed = 0;
    bool m_measuring = false;
    bool m_stopped = false;
};

const Registrar dialScenario({u"dial"_s,
                              u"call round trip at 50 dial sockets (own identity each), "
                              u"emulator stepping 20 ms [--sockets N --calls N --step-ms N]"_s,
                              [](const QStringList &args, std::function<void(int)> done) {
                                  new DialRun(args, std::move(done));
                              }});

const Registrar webhookScenario({u"webhooks"_s,
                                 u"signed status-callback webhooks/s and latency at 50 "
                                 u"keep-alive connections [--connections N --seconds N]"_s,
                                 [](const QStringList &args, std::function<void(int)> done) {
                                     new WebhookRun(args, std::move(done));
                                 }});

} // namespace
} // namespace flex::bench
