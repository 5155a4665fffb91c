#pragma once

#include "twilio/twiliorequest.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>

#include <chrono>
#include <functional>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;
class QTimer;

namespace flex::twilio {

// What one attempt of a job takes from its client, read when the attempt starts.
struct AttemptSettings
{
    QNetworkAccessManager *network = nullptr;
    QByteArray authorization; // "Basic ..." or empty
    std::chrono::milliseconds timeout{};
    RetryPolicy policy;
};

// One Twilio request from its first attempt to its answer (the shape of
// qBittorrent's download handler). It owns the QNetworkReply of the attempt
// in flight, that attempt's timeout, the backoff timer between attempts and
// the handler, which it calls at most once.
//
// Its client decides when an attempt starts (in-flight limit, FIFO order) and
// calls start(); the job says when an exchange ended (exchanged), when it
// waits to try again (retrying, then retryDue: queue me again) and when it is
// over (finished: the client forgets it and deletes it later).
//
// Retry rules (at most RetryPolicy::maxRetries): HTTP 429 and 503
// (Retry-After honoured), connection refused, host/proxy not found,
// connection closed, Qt or our own timeout, temporary network failure.
// Nothing else (no other 4xx/5xx, TLS or protocol errors, bad answers). A
// request with createsResource is only retried when the failure proves Twilio
// did not act on it: 429 (20429: "not processed"), connection refused,
// host/proxy not found. Redirects are not followed (the Authorization header
// must not travel); answers over 16 MiB are cut off (BadAnswer).
//
// Cancelling is destroying the context: the reply in flight is aborted, a
// backoff stops, the handler is dropped and finished() follows; no exchanged()
// for the aborted attempt (it is our decision, not Twilio's answer).
class RequestJob : public QObject
{
    Q_OBJECT
public:
    using Handler = std::function<void(const TwilioResult &)>;

    // context must be alive; parent owns the job (the client's job holder).
    RequestJob(TwilioRequest request, QObject *context, Handler handler, QObject *parent);
    // Aborts a reply in flight; neither the handler nor any signal runs.
    ~RequestJob() override;

    void start(const AttemptSettings &settings);
    // Over now, for a job not in flight (the client drains): the handler gets
    // Kind::Canceled later, on the event loop, unless its context dies first.
    void cancel();
    // The attempt in flight is the last one (the client drains).
    void forbidRetries() { m_retriesAllowed = false; }

Q_SIGNALS:
    // Once per HTTP exchange (each attempt); status is 0 when there was no answer.
    void exchanged(const QString &endpoint, int status, std::chrono::milliseconds latency,
                   const std::optional<flex::twilio::TwilioError> &error);
    void retrying(const QString &endpoint, int status, std::chrono::milliseconds delay);
    void retryDue();
    void finished();

private:
    enum class State { Waiting, InFlight, BackingOff, Done };
    struct Answer;

    QNetworkReply *sendAttempt(const AttemptSettings &settings);
    void watchReply(QNetworkReply *reply);
    void onReplyFinished();
    TwilioResult resultOf(const Answer &answer) const;
    std::optional<std::chrono::milliseconds> retryDelay(const Answer &answer,
                                                        const TwilioResult &result) const;
    void backOff(int status, std::chrono::milliseconds delay);
    void deliver(const TwilioResult &result);
    void abandon(); // the context is being destroyed
    void dropReply();

    TwilioRequest m_request;
    QString m_endpoint; // metric and log label ("unknown" when the request had none)
    QPointer<QObject> m_context;
    Handler m_handler;
    State m_state = State::Waiting;
    RetryPolicy m_policy;
    bool m_retriesAllowed = true;
    int m_attempts = 0;
    // The attempt in flight:
    QNetworkReply *m_reply = nullptr; // a child of this job
    QElapsedTimer m_elapsed;
    bool m_timedOut = false;
    bool m_tooLarge = false;
    QTimer *m_timeout;
    QTimer *m_backoff;
};

} // namespace flex::twilio
