#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QSet>
#include <QUrl>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

class QWebSocket;

namespace flex::bench {

// What a dial load measured: per status, the time from sending `call` to
// that update arriving; lost (expected, never received) and misrouted
// (another call's) updates.
struct DialResult
{
    size_t calls = 0;
    double seconds = 0;
    std::map<std::string, std::vector<double>> latency; // ms, by callStatus
    size_t lost = 0;
    int misrouted = 0;
    int errors = 0;
    bool complete = false;     // every dialer finished its calls
    int stuckBeforeQueued = 0; // dialers still waiting for `queued` at the end
    int stuckInCall = 0;       // dialers with a call that never completed

    // Percentile p of the round trip to `completed`.
    double roundTrip(double p) const;
};

// N dial sockets, socket i on urls[i % urls.size()] with the Flex identity
// identity(i) and token(i); each places `calls` answered calls one after
// another and follows each to `completed`. finished() once all are done (or
// after the time limit), with the result.
class RoundTrips : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        QList<QUrl> urls;
        int sockets = 50;
        int calls = 20;
        std::function<QString(int)> identity;
        std::function<QString(int)> token;
        int timeLimitMs = 120000;
    };

    explicit RoundTrips(Settings settings, QObject *parent = nullptr);
    ~RoundTrips() override;

    void start();
    const DialResult &result() const { return m_result; }

Q_SIGNALS:
    void finished();

private:
    struct Dialer;
    void placeNext(Dialer &d);
    void onMessage(Dialer &d, const QString &text);
    void finish();

    Settings m_settings;
    std::vector<std::unique_ptr<Dialer>> m_dialers;
    DialResult m_result;
    QElapsedTimer m_wall;
    int m_connected = 0;
    int m_finished = 0;
    bool m_done = false;
};

// Prints a result as `flex-bench dial` does (latency per status, round
// trip, lost and misrouted).
void printDialResult(const DialResult &result);

// p50/p90/p99/max of a list of milliseconds, on one line.
void printLatencies(const char *label, std::vector<double> ms);

} // namespace flex::bench
