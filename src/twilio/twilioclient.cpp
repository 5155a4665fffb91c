#include "twilio/twilioclient.h"

#include "ops/logcategories.h"
#include "ops/metrics.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonDocument>
#include <QLocale>
#include <QMetaObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QSet>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

namespace flex::twilio {

namespace {

using std::chrono::milliseconds;

constexpr qint64 kMaxAnswerBytes = 16 * 1024 * 1024;
constexpr int kMaxPages = 1000;
constexpr milliseconds kDefaultTimeout{15000};
constexpr int kDefaultMaxInFlight = 20;
constexpr int kTrafficDumpBytes = 4096;

const std::vector<double> &durationBuckets()
{
    static const std::vector<double> buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                             0.5,   1.0,  2.5,   5.0,  10.0};
    return buckets;
}

// Field names whose values must never reach a log (SipAuthPassword, CallToken, ...).
bool isSecretName(const QString &name)
{
    return name.contains(QLatin1String("password"), Qt::CaseInsensitive) ||
           name.contains(QLatin1String("secret"), Qt::CaseInsensitive) ||
           name.contains(QLatin1String("token"), Qt::CaseInsensitive);
}

QJsonValue redactJson(const QJsonValue &value)
{
    if (value.isObject()) {
        QJsonObject o = value.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            it.value() =
                isSecretName(it.key()) ? QJsonValue(QStringLiteral("***")) : redactJson(it.value());
        return o;
    }
    if (value.isArray()) {
        QJsonArray a = value.toArray();
        for (auto it = a.begin(); it != a.end(); ++it)
            *it = redactJson(*it);
        return a;
    }
    return value;
}

QByteArray redactedBody(const TwilioRequest &request)
{
    if (!request.jsonBody.isEmpty()) {
        const QJsonDocument doc = QJsonDocument::fromJson(request.jsonBody);
        if (doc.isObject())
            return QJsonDocument(redactJson(doc.object()).toObject())
                .toJson(QJsonDocument::Compact);
        if (doc.isArray())
            return QJsonDocument(redactJson(doc.array()).toArray()).toJson(QJsonDocument::Compact);
        return QByteArrayLiteral("<unparsable JSON body>");
    }
    FormFields shown = request.form;
    for (auto &field : shown) {
        if (isSecretName(field.first))
            field.second = QStringLiteral("***");
    }
    return encodeForm(shown);
}

QString safeUrl(const QUrl &url)
{
    // Our URLs never carry credentials, but strip user info anyway.
    return url.toDisplayString(QUrl::RemoveUserInfo);
}

QByteArray statusLabel(int status, const std::optional<TwilioError> &error)
{
    if (status > 0)
        return QByteArray::number(status);
    if (!error)
        return QByteArrayLiteral("0");
    switch (error->kind) {
    case TwilioError::Kind::Timeout:
        return QByteArrayLiteral("timeout");
    case TwilioError::Kind::Canceled:
        return QByteArrayLiteral("canceled");
    case TwilioError::Kind::BadAnswer:
        return QByteArrayLiteral("bad_answer");
    case TwilioError::Kind::Network:
    case TwilioError::Kind::Http:
        break;
    }
    return QByteArrayLiteral("network");
}

// Whether a failed exchange may be retried, and whether it proves that Twilio
// did not act on the request (so that a resource-creating POST is safe to repeat).
struct RetryClass
{
    bool retryable = false;
    bool provedNotProcessed = false;
};

RetryClass classify(int status, QNetworkReply::NetworkError netError, bool timedOut)
{
    if (status == 429)
        return {true, true}; // 20429: "the request was not processed"
    if (status == 503)
        return {true, false};
    if (status != 0)
        return {};
    if (timedOut)
        return {true, false};
    switch (netError) {
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::HostNotFoundError:
    case QNetworkReply::ProxyConnectionRefusedError:
    case QNetworkReply::ProxyNotFoundError:
        return {true, true}; // never connected: nothing was sent
    case QNetworkReply::RemoteHostClosedError:
    case QNetworkReply::TimeoutError:
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::ProxyTimeoutError:
        return {true, false};
    default:
        return {};
    }
}

} // namespace

QByteArray encodeForm(const FormFields &fields)
{
    QByteArray out;
    for (const auto &[name, value] : fields) {
        if (!out.isEmpty())
            out += '&';
        out += name.toUtf8().toPercentEncoding();
        out += '=';
        out += value.toUtf8().toPercentEncoding();
    }
    return out;
}

milliseconds RetryPolicy::delayFor(int retry, std::optional<milliseconds> retryAfter,
                                   double jitter01) const
{
    if (retryAfter) {
        const milliseconds cap = maxDelay * 4;
        return std::clamp(*retryAfter, milliseconds{0}, cap);
    }
    const int exponent = std::clamp(retry, 1, 31) - 1;
    const double ceiling =
        std::min(double(maxDelay.count()), double(baseDelay.count()) * std::ldexp(1.0, exponent));
    const double jitter = std::clamp(jitter01, 0.0, 1.0);
    return milliseconds{qint64(std::floor(std::max(0.0, ceiling) * jitter))};
}

std::optional<milliseconds> parseRetryAfter(const QByteArray &value)
{
    const QByteArray trimmed = value.trimmed();
    if (trimmed.isEmpty())
        return std::nullopt;
    const bool allDigits =
        std::all_of(trimmed.begin(), trimmed.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (allDigits) {
        if (trimmed.size() > 9) // more than ~30 years: absurd, but still "wait long"
            return milliseconds{qint64(999999999) * 1000};
        return milliseconds{trimmed.toLongLong() * 1000};
    }
    // HTTP-date (RFC 9110 IMF-fixdate, plus the obsolete RFC 850 and asctime forms).
    const QString text = QString::fromLatin1(trimmed);
    const QLocale c = QLocale::c();
    QDateTime when;
    for (const auto *format : {"ddd, dd MMM yyyy HH:mm:ss 'GMT'", "dddd, dd-MMM-yy HH:mm:ss 'GMT'",
                               "ddd MMM d HH:mm:ss yyyy", "ddd MMM  d HH:mm:ss yyyy"}) {
        when = c.toDateTime(text, QLatin1String(format));
        if (when.isValid())
            break;
    }
    if (!when.isValid())
        return std::nullopt;
    when.setTimeSpec(Qt::UTC);
    const qint64 delta = QDateTime::currentDateTimeUtc().msecsTo(when);
    return milliseconds{std::max<qint64>(0, delta)};
}

struct TwilioClient::Pending
{
    TwilioRequest request;
    QPointer<QObject> context;
    Handler handler;
    int attempts = 0;
    // Per attempt:
    QElapsedTimer elapsed;
    bool timedOut = false;
    bool tooLarge = false;
    QTimer *retryTimer = nullptr; // set while waiting to retry
};

class TwilioClient::Impl
{
public:
    explicit Impl(TwilioClient *q)
        : q(q)
        , nam(new QNetworkAccessManager(q))
    {
        // We add the Authorization header ourselves; a redirect must never carry it elsewhere.
        nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    }

    using PendingPtr = std::shared_ptr<Pending>;

    TwilioClient *q;
    QNetworkAccessManager *nam;
    QByteArray authorization;
    int maxInFlight = kDefaultMaxInFlight;
    milliseconds defaultTimeout = kDefaultTimeout;
    RetryPolicy policy;
    bool draining = false;
    bool idleEmitted = false;

    std::deque<PendingPtr> queue;
    QHash<QNetworkReply *, PendingPtr> active;
    std::set<PendingPtr> backingOff;

    void enqueue(const PendingPtr &p)
    {
        if (draining) {
            cancel(p);
            return;
        }
        queue.push_back(p);
        pump();
    }

    void pump()
    {
        while (!draining && !queue.empty() && active.size() < maxInFlight) {
            PendingPtr p = queue.front();
            queue.pop_front();
            if (!p->context) // nobody left to tell: do not bother Twilio
                continue;
            start(p);
        }
    }

    QNetworkRequest buildRequest(const TwilioRequest &r) const
    {
        QNetworkRequest req(r.url);
        if (!authorization.isEmpty())
            req.setRawHeader("Authorization", authorization);
        req.setRawHeader("Accept", "application/json");
        req.setRawHeader("Accept-Charset", "utf-8");
        req.setRawHeader("User-Agent", QByteArrayLiteral("flex-backend/") + FLEX_VERSION);
        req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
        req.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
        req.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
        req.setAttribute(QNetworkRequest::CacheLoadControlAttribute,
                         QNetworkRequest::AlwaysNetwork);
        return req;
    }

    void start(const PendingPtr &p)
    {
        ++p->attempts;
        p->timedOut = false;
        p->tooLarge = false;
        p->elapsed.start();

        const TwilioRequest &r = p->request;
        QNetworkRequest req = buildRequest(r);
        QNetworkReply *reply = nullptr;
        if (r.method == TwilioRequest::Method::Get) {
            reply = nam->get(req);
        } else {
            QByteArray body;
            if (!r.jsonBody.isEmpty()) {
                req.setHeader(QNetworkRequest::ContentTypeHeader,
                              QByteArrayLiteral("application/json"));
                body = r.jsonBody;
            } else {
                req.setHeader(QNetworkRequest::ContentTypeHeader,
                              QByteArrayLiteral("application/x-www-form-urlencoded"));
                body = encodeForm(r.form);
            }
            reply = nam->post(req, body);
        }
        qCDebug(lcTwilioTraffic).noquote()
            << (r.method == TwilioRequest::Method::Get ? "GET" : "POST") << safeUrl(r.url)
            << "attempt" << p->attempts
            << (r.method == TwilioRequest::Method::Post ? QString::fromUtf8(redactedBody(r))
                                                        : QString());
        active.insert(reply, p);

        auto *timer = new QTimer(reply);
        timer->setSingleShot(true);
        QObject::connect(timer, &QTimer::timeout, q, [p, reply] {
            p->timedOut = true;
            reply->abort();
        });
        timer->start(r.timeout.value_or(defaultTimeout));

        QObject::connect(reply, &QNetworkReply::downloadProgress, q,
                         [p, reply](qint64 received, qint64 total) {
                             if (received > kMaxAnswerBytes || total > kMaxAnswerBytes) {
                                 p->tooLarge = true;
                                 reply->abort();
                             }
                         });
        QObject::connect(reply, &QNetworkReply::metaDataChanged, q, [p, reply] {
            const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
            if (length.isValid() && length.toLongLong() > kMaxAnswerBytes) {
                p->tooLarge = true;
                reply->abort();
            }
        });
        QObject::connect(reply, &QNetworkReply::finished, q, [this, reply] { onFinished(reply); });
    }

    void onFinished(QNetworkReply *reply)
    {
        const auto it = active.find(reply);
        if (it == active.end())
            return;
        const PendingPtr p = it.value();
        active.erase(it);
        reply->deleteLater();

        const milliseconds latency{p->elapsed.elapsed()};
        const QVariant statusAttr = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        const int status = statusAttr.isValid() ? statusAttr.toInt() : 0;
        const QNetworkReply::NetworkError netError = reply->error();
        const QByteArray body = p->tooLarge || !reply->isOpen() ? QByteArray() : reply->readAll();
        const QString endpoint =
            p->request.endpoint.isEmpty() ? QStringLiteral("unknown") : p->request.endpoint;

        TwilioResult result;
        result.httpStatus = status;
        result.attempts = p->attempts;
        if (p->timedOut || netError == QNetworkReply::TimeoutError) {
            TwilioError e;
            e.kind = TwilioError::Kind::Timeout;
            e.httpStatus = status;
            e.message = QStringLiteral("no complete answer within the request timeout");
            result.error = e;
        } else if (p->tooLarge || body.size() > kMaxAnswerBytes) {
            TwilioError e;
            e.kind = TwilioError::Kind::BadAnswer;
            e.httpStatus = status;
            e.code = status;
            e.message = QStringLiteral("answer larger than %1 bytes").arg(kMaxAnswerBytes);
            result.error = e;
        } else if (status == 0) {
            TwilioError e;
            e.kind = netError == QNetworkReply::OperationCanceledError ? TwilioError::Kind::Canceled
                                                                       : TwilioError::Kind::Network;
            e.message = reply->errorString();
            result.error = e;
        } else {
            const TwilioResult answer = answerFromHttp(
                status, body,
                reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString());
            result.body = answer.body;
            result.error = answer.error;
        }
        qCDebug(lcTwilioTraffic).noquote()
            << "answer" << endpoint << status << latency.count() << "ms"
            << QString::fromUtf8(body.left(kTrafficDumpBytes));

        auto &m = flex::ops::metrics();
        const QByteArray endpointLabel = endpoint.toUtf8();
        m.counter("flex_twilio_requests_total", "Twilio REST exchanges by endpoint and status",
                  {{"endpoint", endpointLabel}, {"status", statusLabel(status, result.error)}})
            .inc();
        m.histogram("flex_twilio_request_duration_seconds", "Twilio REST exchange latency",
                    durationBuckets(), {{"endpoint", endpointLabel}})
            .observe(double(latency.count()) / 1000.0);
        if (status == 429)
            m.counter("flex_twilio_rate_limited_total", "Twilio answers with HTTP 429",
                      {{"endpoint", endpointLabel}})
                .inc();

        std::optional<milliseconds> retryDelay;
        if (result.error && !draining && p->context) {
            const RetryClass rc = classify(status, netError, p->timedOut);
            const bool allowed = rc.retryable &&
                                 (!p->request.createsResource || rc.provedNotProcessed) &&
                                 p->attempts <= policy.maxRetries;
            if (allowed) {
                std::optional<milliseconds> retryAfter;
                if (status == 429 || status == 503)
                    retryAfter = parseRetryAfter(reply->rawHeader("Retry-After"));
                retryDelay = policy.delayFor(p->attempts, retryAfter,
                                             QRandomGenerator::global()->generateDouble());
            }
        }

        if (result.error) {
            qCInfo(lcTwilio).noquote()
                << endpoint << "attempt" << p->attempts << "failed:" << result.error->toString()
                << (retryDelay ? QStringLiteral("- retrying in %1 ms").arg(retryDelay->count())
                               : QString());
        }

        if (retryDelay) {
            m.counter("flex_twilio_retries_total", "Twilio requests retried",
                      {{"endpoint", endpointLabel}})
                .inc();
            scheduleRetry(p, *retryDelay);
        }
        pump();

        QPointer<TwilioClient> self(q);
        Q_EMIT q->requestFinished(endpoint, status, latency);
        if (!self)
            return;
        if (retryDelay) {
            Q_EMIT q->retrying(endpoint, status, *retryDelay);
            if (!self)
                return;
        } else {
            deliver(p, result);
            if (!self)
                return;
        }
        checkIdle();
    }

    void scheduleRetry(const PendingPtr &p, milliseconds delay)
    {
        auto *timer = new QTimer(q);
        timer->setSingleShot(true);
        p->retryTimer = timer;
        backingOff.insert(p);
        QObject::connect(timer, &QTimer::timeout, q, [this, p] {
            p->retryTimer->deleteLater();
            p->retryTimer = nullptr;
            backingOff.erase(p);
            enqueue(p);
        });
        timer->start(delay);
    }

    // Runs the handler now (we are on the event loop); the handler may destroy the client.
    static void deliver(const PendingPtr &p, const TwilioResult &result)
    {
        if (!p->context || !p->handler)
            return;
        const Handler handler = std::move(p->handler);
        p->handler = nullptr;
        handler(result);
    }

    // Hands Kind::Canceled over later, on the event loop.
    void cancel(const PendingPtr &p)
    {
        if (!p->context || !p->handler)
            return;
        TwilioResult result;
        result.attempts = p->attempts;
        TwilioError e;
        e.kind = TwilioError::Kind::Canceled;
        e.message = QStringLiteral("the Twilio client is shutting down");
        result.error = e;
        Handler handler = std::move(p->handler);
        p->handler = nullptr;
        QMetaObject::invokeMethod(
            p->context.data(), [handler = std::move(handler), result] { handler(result); },
            Qt::QueuedConnection);
    }

    void checkIdle()
    {
        if (draining && !idleEmitted && active.isEmpty() && backingOff.empty()) {
            idleEmitted = true;
            Q_EMIT q->idle();
        }
    }

    void shutdown()
    {
        draining = true;
        for (QNetworkReply *reply : active.keys()) {
            QObject::disconnect(reply, nullptr, q, nullptr);
            reply->abort();
        }
        active.clear();
        for (const PendingPtr &p : std::as_const(backingOff)) {
            if (p->retryTimer)
                QObject::disconnect(p->retryTimer, nullptr, q, nullptr);
        }
        backingOff.clear();
        queue.clear();
    }
};

TwilioClient::TwilioClient(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Impl>(this))
{}

TwilioClient::~TwilioClient()
{
    d->shutdown();
}

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
    auto p = std::make_shared<Pending>();
    p->request = request;
    p->context = context ? context : this;
    p->handler = std::move(handler);
    d->enqueue(p);
}

namespace {

struct PageWalk
{
    QUrl first;
    QString key;
    QString endpoint;
    QPointer<QObject> context;
    TwilioClient::PagesHandler handler;
    QJsonArray items;
    QSet<QUrl> seen;
    int pages = 0;

    void fail(TwilioError::Kind kind, const QString &message)
    {
        TwilioError e;
        e.kind = kind;
        e.message = message;
        handler({}, e);
    }
};

bool sameOrigin(const QUrl &a, const QUrl &b)
{
    return a.scheme() == b.scheme() && a.host().compare(b.host(), Qt::CaseInsensitive) == 0 &&
           a.port(a.scheme() == QLatin1String("https") ? 443 : 80) ==
               b.port(b.scheme() == QLatin1String("https") ? 443 : 80);
}

bool isTwilioHost(const QUrl &url)
{
    const QString host = url.host().toLower();
    return url.scheme() == QLatin1String("https") &&
           (host == QLatin1String("twilio.com") || host.endsWith(QLatin1String(".twilio.com")));
}

} // namespace

TwilioResult answerFromHttp(int httpStatus, const QByteArray &body, const QString &reason)
{
    TwilioResult result;
    result.httpStatus = httpStatus;
    if (httpStatus < 200 || httpStatus >= 300) {
        result.error = TwilioError::fromHttp(httpStatus, body, reason);
        return result;
    }
    if (body.trimmed().isEmpty())
        return result;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        TwilioError e;
        e.kind = TwilioError::Kind::BadAnswer;
        e.httpStatus = httpStatus;
        e.code = httpStatus;
        e.message = QStringLiteral("answer is not a JSON object");
        result.error = e;
    } else {
        result.body = doc.object();
    }
    return result;
}

ListPage readListPage(const QJsonObject &body, const QString &key, const QUrl &firstPage)
{
    ListPage page;
    const QJsonObject meta = body.value(QLatin1String("meta")).toObject();
    const QString itemsKey = key.isEmpty() ? meta.value(QLatin1String("key")).toString() : key;
    const QJsonValue array = body.value(itemsKey);
    if (itemsKey.isEmpty() || !array.isArray()) {
        page.error = QStringLiteral("list answer has no array \"%1\"").arg(itemsKey);
        return page;
    }
    page.items = array.toArray();
    // TaskRouter: meta.next_page_url (absolute); API 2010: next_page_uri (relative).
    QUrl next;
    const QJsonValue nextUrl = meta.value(QLatin1String("next_page_url"));
    const QJsonValue nextUri = body.value(QLatin1String("next_page_uri"));
    if (nextUrl.isString() && !nextUrl.toString().isEmpty())
        next = QUrl(nextUrl.toString());
    else if (nextUri.isString() && !nextUri.toString().isEmpty())
        next = firstPage.resolved(QUrl(nextUri.toString()));
    if (next.isEmpty())
        return page;
    page.next = nextPageThroughBase(next, firstPage);
    if (!page.next) {
        // Never send our credentials to a host we were not asked to talk to.
        page.error = QStringLiteral("next page URL points to another origin");
        page.items = {};
    }
    return page;
}

std::optional<QUrl> nextPageThroughBase(const QUrl &next, const QUrl &base)
{
    if (!next.isValid() || next.isRelative())
        return std::nullopt;
    if (sameOrigin(next, base))
        return next;
    // Regional answers name their own host (taskrouter.dublin.ie1.twilio.com);
    // the path and query are what matter, and our credentials only ever go
    // to the configured base.
    if (!isTwilioHost(next))
        return std::nullopt;
    QUrl through = next;
    through.setScheme(base.scheme());
    through.setHost(base.host());
    through.setPort(base.port());
    return through;
}

namespace {

void fetchPage(TwilioClient *client, const std::shared_ptr<PageWalk> &walk, const QUrl &url)
{
    walk->seen.insert(url);
    ++walk->pages;
    TwilioRequest request;
    request.method = TwilioRequest::Method::Get;
    request.url = url;
    request.endpoint = walk->endpoint;
    QPointer<TwilioClient> guard(client);
    client->send(request, walk->context, [guard, walk, url](const TwilioResult &result) {
        if (!result.ok()) {
            walk->handler({}, result.error);
            return;
        }
        const ListPage page = readListPage(result.body, walk->key, walk->first);
        if (page.error) {
            walk->fail(TwilioError::Kind::BadAnswer, *page.error);
            return;
        }
        for (const QJsonValue &item : page.items)
            walk->items.append(item);
        if (!page.next) {
            walk->handler(walk->items, std::nullopt);
            return;
        }
        const QUrl next = *page.next;
        if (walk->seen.contains(next)) {
            walk->fail(TwilioError::Kind::BadAnswer, QStringLiteral("pagination loop"));
            return;
        }
        if (walk->pages >= kMaxPages) {
            walk->fail(TwilioError::Kind::BadAnswer,
                       QStringLiteral("more than %1 pages").arg(kMaxPages));
            return;
        }
        if (!guard)
            return;
        fetchPage(guard, walk, next);
    });
}

} // namespace

void TwilioClient::getAllPages(const QUrl &firstPage, const QString &key, const QString &endpoint,
                               QObject *context, PagesHandler handler)
{
    auto walk = std::make_shared<PageWalk>();
    walk->first = firstPage;
    walk->key = key;
    walk->endpoint = endpoint;
    walk->context = context ? context : this;
    walk->handler = std::move(handler);
    fetchPage(this, walk, firstPage);
}

int TwilioClient::inFlight() const
{
    return int(d->active.size());
}

int TwilioClient::waiting() const
{
    return int(d->queue.size() + d->backingOff.size());
}

void TwilioClient::drain()
{
    if (d->draining)
        return;
    d->draining = true;
    std::deque<Impl::PendingPtr> queued;
    queued.swap(d->queue);
    for (const auto &p : queued)
        d->cancel(p);
    const auto waitingRetry = d->backingOff;
    d->backingOff.clear();
    for (const auto &p : waitingRetry) {
        if (p->retryTimer) {
            p->retryTimer->stop();
            p->retryTimer->deleteLater();
            p->retryTimer = nullptr;
        }
        d->cancel(p);
    }
    if (d->active.isEmpty()) {
        // idle() is a signal: emit it from the event loop, not inside drain().
        QMetaObject::invokeMethod(
            this, [this] { d->checkIdle(); }, Qt::QueuedConnection);
    }
}

} // namespace flex::twilio
