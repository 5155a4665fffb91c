#include "roundtrips.h"

#include "scenario.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>
#include <cstdio>

namespace flex::bench {

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

struct RoundTrips::Dialer
{
    std::unique_ptr<QWebSocket> socket;
    int index = 0;
    int placed = 0;
    QElapsedTimer sentAt;
    QString current; // sid of the call in flight
    bool waitingForQueued = false;
    bool done = false; // placed all its calls and saw them complete
};

double DialResult::roundTrip(double p) const
{
    const auto it = latency.find("completed");
    if (it == latency.end())
        return 0;
    std::vector<double> v = it->second;
    std::sort(v.begin(), v.end());
    return percentile(v, p);
}

RoundTrips::RoundTrips(Settings settings, QObject *parent)
    : QObject(parent)
    , m_settings(std::move(settings))
{}

RoundTrips::~RoundTrips() = default;

void RoundTrips::start()
{
    QTimer::singleShot(m_settings.timeLimitMs, this, [this] {
        std::printf("  gave up after %d s\n", m_settings.timeLimitMs / 1000);
        finish();
    });
    for (int i = 0; i < m_settings.sockets; ++i) {
        auto d = std::make_unique<Dialer>();
        d->index = i;
        d->socket = std::make_unique<QWebSocket>();
        Dialer *dialer = d.get();
        connect(d->socket.get(), &QWebSocket::connected, this, [this] {
            if (++m_connected == m_settings.sockets) {
                m_wall.start();
                for (auto &x : m_dialers)
                    placeNext(*x);
            }
        });
        connect(d->socket.get(), &QWebSocket::textMessageReceived, this,
                [this, dialer](const QString &text) { onMessage(*dialer, text); });
        QNetworkRequest request(m_settings.urls.at(i % m_settings.urls.size()));
        request.setRawHeader("Sec-WebSocket-Protocol", m_settings.token(i).toUtf8());
        d->socket->open(request);
        m_dialers.push_back(std::move(d));
    }
}

void RoundTrips::placeNext(Dialer &d)
{
    if (d.placed == m_settings.calls) {
        d.done = true;
        if (++m_finished == m_settings.sockets) {
            m_result.complete = true;
            QTimer::singleShot(200ms, this, [this] { finish(); }); // stragglers: misrouted
        }
        return;
    }
    ++d.placed;
    d.current.clear();
    d.waitingForQueued = true;
    d.sentAt.start();
    // Numbers ending 0001..0004 are busy, unanswered, ...: keep every call answered.
    QString to = u"+1555%1"_s.arg(d.index * 1000 + d.placed, 7, 10, QLatin1Char('0'));
    if (to.endsWith(u"0001"_s) || to.endsWith(u"0002"_s) || to.endsWith(u"0003"_s) ||
        to.endsWith(u"0004"_s))
        to.replace(to.size() - 1, 1, u'9');
    const QJsonObject call{
        {"method"_L1, u"call"_s},
        {"to"_L1, to},
        {"from"_L1, u"+15557654321"_s},
        {"workerContactUri"_L1, QString(u"client:"_s + m_settings.identity(d.index))}};
    d.socket->sendTextMessage(
        QString::fromUtf8(QJsonDocument(call).toJson(QJsonDocument::Compact)));
}

void RoundTrips::onMessage(Dialer &d, const QString &text)
{
    const double ms = double(d.sentAt.nsecsElapsed()) / 1e6;
    const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
    if (o.value("messageType"_L1) == "error"_L1) {
        if (++m_result.errors <= 3)
            std::printf("  error: %s\n", qPrintable(o.value("message"_L1).toString()));
        placeNext(d);
        return;
    }
    const QString sid = o.value("callSid"_L1).toString();
    const QString status = o.value("callStatus"_L1).toString();
    if (d.waitingForQueued && status == "queued"_L1) {
        d.waitingForQueued = false;
        d.current = sid;
    }
    if (sid != d.current) {
        ++m_result.misrouted;
        return;
    }
    m_result.latency[status.toStdString()].push_back(ms);
    if (status == "completed"_L1 || status == "failed"_L1 || status == "busy"_L1 ||
        status == "no-answer"_L1 || status == "canceled"_L1)
        placeNext(d);
}

void RoundTrips::finish()
{
    if (m_done)
        return;
    m_done = true;
    m_result.seconds = double(m_wall.elapsed()) / 1000.0;
    m_result.calls = m_result.latency["queued"].size();
    for (const char *s : {"ringing", "in-progress", "completed"})
        m_result.lost += m_result.calls - std::min(m_result.calls, m_result.latency[s].size());
    for (auto &d : m_dialers) {
        if (!d->done && d->waitingForQueued)
            ++m_result.stuckBeforeQueued;
        else if (!d->done)
            ++m_result.stuckInCall;
        d->socket->close();
    }
    Q_EMIT finished();
}

void printLatencies(const char *label, std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    std::printf("  %-12s n=%-6zu p50=%7.1f ms  p90=%7.1f ms  p99=%7.1f ms  max=%7.1f ms\n", label,
                ms.size(), percentile(ms, 50), percentile(ms, 90), percentile(ms, 99),
                ms.empty() ? 0.0 : ms.back());
}

void printDialResult(const DialResult &r)
{
    std::printf("  latency from sending `call` to each update arriving:\n");
    for (const char *s : {"queued", "ringing", "in-progress", "completed"}) {
        const auto it = r.latency.find(s);
        printLatencies(s, it == r.latency.end() ? std::vector<double>{} : it->second);
    }
    std::printf("  round trip (call -> completed): p50=%.1f ms p99=%.1f ms\n", r.roundTrip(50),
                r.roundTrip(99));
    std::printf("  lost updates: %zu   misrouted updates: %d   errors: %d\n", r.lost, r.misrouted,
                r.errors);
    if (!r.complete)
        std::printf("  unfinished dialers: %d waiting for `queued`, %d in a call that never "
                    "completed\n",
                    r.stuckBeforeQueued, r.stuckInCall);
}

} // namespace flex::bench
