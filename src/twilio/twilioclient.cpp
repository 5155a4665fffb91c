#include "twilio/twilioclient.h"

#include "twilio/requestjob.h"
#include "twilio/twiliometrics.h"

#include <QMetaObject>
#include <QNetworkAccessManager>
#include <QNetworkRequest>
#include <QSet>

#include <algorithm>
#include <deque>

namespace flex::twilio {

using std::chrono::milliseconds;

namespace {

constexpr milliseconds kDefaultTimeout{15000};
constexpr int kDefaultMaxInFlight = 20;

} // namespace

// The line of jobs: queued (FIFO), in flight (at most maxInFlight), waiting
// for a retry. Every job is a child of `jobs`, a member declared last: it is
// destroyed first, so the jobs (and their replies) go before the network
// access manager.
class TwilioClient::Impl
{
public:
    explicit Impl(TwilioClient *q)
        : q(q)
        , network(new QNetworkAccessManager(q))
    {
        // We add the Authorization header ourselves; a redirect must never carry it elsewhere.
        network->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    }

    TwilioClient *q;
    QNetworkAccessManager *network;
    QByteArray authorization;
    int maxInFlight = kDefaultMaxInFlight;
    milliseconds defaultTimeout = kDefaultTimeout;
    RetryPolicy policy;
    bool draining = false;
    bool idleEmitted = false;
    bool settlePosted = false;

    std::deque<RequestJob *> queue;
    QSet<RequestJob *> inFlight;
    QSet<RequestJob *> backingOff;
    QObject jobs;

    RequestJob *add(const TwilioRequest &request, QObject *context, Handler handler)
    {
        auto *job = new RequestJob(request, context, std::move(handler), &jobs);
        QObject::connect(job, &RequestJob::exchanged, q,
                         [this, job](const QString &endpoint, int status, milliseconds latency,
                                     const std::optional<TwilioError> &error) {
                             inFlight.remove(job);
                             pump();
                             Q_EMIT q->requestFinished(endpoint, status, latency, error);
                         });
        QObject::connect(job, &RequestJob::retrying, q,
                         [this, job](const QString &endpoint, int status, milliseconds delay) {
                             backingOff.insert(job);
                             Q_EMIT q->retrying(endpoint, status, delay);
                         });
        QObject::connect(job, &RequestJob::retryDue, q, [this, job] {
            backingOff.remove(job);
            enqueue(job);
        });
        QObject::connect(job, &RequestJob::finished, q, [this, job] { forget(job); });
        return job;
    }

    void enqueue(RequestJob *job)
    {
        if (draining) {
            job->cancel();
            return;
        }
        queue.push_back(job);
        pump();
    }

    void pump()
    {
        while (!draining && !queue.empty() && inFlight.size() < maxInFlight) {
            RequestJob *job = queue.front();
            queue.pop_front();
            inFlight.insert(job);
            job->start({network, authorization, defaultTimeout, policy});
        }
    }

    // A job is over (answered, canceled, or its context died). This may run
    // inside the destructor of that context: the next job starts, and idle()
    // is emitted, from the event loop.
    void forget(RequestJob *job)
    {
        inFlight.remove(job);
        backingOff.remove(job);
        queue.erase(std::remove(queue.begin(), queue.end(), job), queue.end());
        job->deleteLater();
        postSettle();
    }

    void postSettle()
    {
        if (settlePosted)
            return;
        settlePosted = true;
        QMetaObject::invokeMethod(
            q,
            [this] {
                settlePosted = false;
                pump();
                checkIdle();
            },
            Qt::QueuedConnection);
    }

    void checkIdle()
    {
        if (draining && !idleEmitted && inFlight.isEmpty() && backingOff.isEmpty()) {
            idleEmitted = true;
            Q_EMIT q->idle();
        }
    }

    void drain()
    {
        draining = true;
        for (RequestJob *job : std::as_const(inFlight))
            job->forbidRetries();
        std::deque<RequestJob *> waiting;
        waiting.swap(queue);
        waiting.insert(waiting.end(), backingOff.cbegin(), backingOff.cend());
        backingOff.clear();
        for (RequestJob *job : waiting)
            job->cancel();
        // idle() is a signal: emit it from the event loop, not inside drain().
        postSettle();
    }
};

TwilioClient::TwilioClient(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Impl>(this))
{
    countExchanges(*this);
}

TwilioClient::~TwilioClient() = default;

void TwilioClient::setCredentials(const QString &username, const QString &password)
{
    if (username.isEmpty() && password.isEmpty()) {
        d->authorization.clear();
        return;
    }
    d->authorization =
        QByteArrayLiteral("Basic ") + (username + QLatin1Char(':') + password).toUtf8().toBase64();
}

void TwilioClient::setMaxInFlight(int maxInFlight)
{
    d->maxInFlight = std::max(1, maxInFlight);
    d->pump();
}

void TwilioClient::setDefaultTimeout(std::chrono::milliseconds timeout)
{
    d->defaultTimeout = std::max(timeout, milliseconds{1});
}

void TwilioClient::setRetryPolicy(const RetryPolicy &policy)
{
    d->policy = policy;
    d->policy.maxRetries = std::max(0, policy.maxRetries);
}

void TwilioClient::send(const TwilioRequest &request, QObject *context, Handler handler)
{
    d->enqueue(d->add(request, context ? context : this, std::move(handler)));
}

void TwilioClient::getAllPages(const QUrl &firstPage, const QString &key, const QString &endpoint,
                               QObject *context, PagesHandler handler)
{
    new PageWalk(*this, {firstPage, key, endpoint}, std::move(handler), context ? context : this);
}

int TwilioClient::inFlight() const
{
    return int(d->inFlight.size());
}

int TwilioClient::waiting() const
{
    return int(d->queue.size() + d->backingOff.size());
}

void TwilioClient::drain()
{
    if (!d->draining)
        d->drain();
}

} // namespace flex::twilio
