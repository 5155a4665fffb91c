#pragma once

#include "twilio/pagewalk.h"
#include "twilio/twilioerror.h"
#include "twilio/twiliorequest.h"

#include <QObject>
#include <QUrl>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace flex::twilio {

// Twilio's REST APIs over one QNetworkAccessManager: the credentials, at most
// maxInFlight requests at once (the rest wait in FIFO order) and the drain at
// shutdown. Each request is a RequestJob (requestjob.h: its reply, timeout,
// retries and handler; the retry rules are written there); a retry waits, then
// re-enters the FIFO line. Lists are walked by PageWalk (pagewalk.h).
// Prometheus metrics watch the signals (twiliometrics.h); the traffic dump and
// its redaction are in trafficlog.h. Defaults: 20 in flight, 15 s timeout.
//
// Cancelling is destroying the context given to send() or getAllPages(): a
// request in flight is aborted, a queued one is never sent, a walk stops.
class TwilioClient : public QObject
{
    Q_OBJECT
public:
    using Handler = std::function<void(const TwilioResult &)>;
    using PagesHandler = twilio::PagesHandler;

    explicit TwilioClient(QObject *parent = nullptr);
    // Aborts what is in flight and drops what is queued: those handlers are
    // never called (no Kind::Canceled from the destructor).
    ~TwilioClient() override;

    // May be called again at any time (reload); affects requests started later.
    void setCredentials(const QString &username, const QString &password);
    void setMaxInFlight(int maxInFlight);
    void setDefaultTimeout(std::chrono::milliseconds timeout);
    void setRetryPolicy(const RetryPolicy &policy);

    // Starts (or queues) a request. The handler runs once, on the event loop,
    // unless context is destroyed first (a null context means the client).
    // Destroying the context aborts the request if it is in flight (no
    // requestFinished for it) and drops it if it is queued (never sent).
    void send(const TwilioRequest &request, QObject *context, Handler handler);

    // Walks a list (PageWalk: every page's `key` array, e.g. "task_queues";
    // empty key: meta.key) and hands over its items and how many requests it
    // took. The walk is a child of context (a null context means the client):
    // destroying the context cancels it.
    void getAllPages(const QUrl &firstPage, const QString &key, const QString &endpoint,
                     QObject *context, PagesHandler handler);

    int inFlight() const;
    int waiting() const; // queued plus waiting for a retry

    // Stops starting queued requests; in-flight ones finish. Emits idle() when none remain.
    // Queued requests, requests waiting for a retry and any later send() get
    // Kind::Canceled (on the event loop); in-flight ones are not retried.
    void drain();

Q_SIGNALS:
    // For metrics and logs, once per HTTP exchange (each attempt). status is
    // the HTTP status, or 0 when none; error is the attempt's failure, if any.
    // Not emitted for an attempt aborted because its context was destroyed.
    void requestFinished(const QString &endpoint, int status, std::chrono::milliseconds latency,
                         const std::optional<flex::twilio::TwilioError> &error);
    void retrying(const QString &endpoint, int status, std::chrono::milliseconds delay);
    void idle();

private:
    class Impl;
    std::unique_ptr<Impl> d;
};

} // namespace flex::twilio
