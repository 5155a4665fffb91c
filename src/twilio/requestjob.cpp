#include "twilio/requestjob.h"

#include "ops/logcategories.h"
#include "twilio/trafficlog.h"

#include <QMetaObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QTimer>

namespace flex::twilio {

using namespace Qt::StringLiterals;
using std::chrono::milliseconds;

namespace {

constexpr qint64 kMaxAnswerBytes = 16 * 1024 * 1024;

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

QNetworkRequest networkRequest(const TwilioRequest &r, const QByteArray &authorization)
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
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    return req;
}

} // namespace

// What the finished reply of one attempt said, read once.
struct RequestJob::Answer
{
    int status = 0;
    QNetworkReply::NetworkError netError = QNetworkReply::NoError;
    QString errorString;
    QString reason;
    QByteArray retryAfter;
    QByteArray body;
    milliseconds latency{0};
};

RequestJob::RequestJob(TwilioRequest request, QObject *context, Handler handler, QObject *parent)
    : QObject(parent)
    , m_request(std::move(request))
    , m_endpoint(m_request.endpoint.isEmpty() ? u"unknown"_s : m_request.endpoint)
    , m_context(context)
    , m_handler(std::move(handler))
    , m_timeout(new QTimer(this))
    , m_backoff(new QTimer(this))
{
    m_timeout->setSingleShot(true);
    connect(m_timeout, &QTimer::timeout, this, [this] {
        m_timedOut = true;
        if (m_reply)
            m_reply->abort();
    });
    m_backoff->setSingleShot(true);
    connect(m_backoff, &QTimer::timeout, this, [this] {
        m_state = State::Waiting;
        Q_EMIT retryDue();
    });
    connect(context, &QObject::destroyed, this, &RequestJob::abandon);
}

RequestJob::~RequestJob()
{
    dropReply();
}

void RequestJob::start(const AttemptSettings &settings)
{
    if (m_state != State::Waiting)
        return;
    m_state = State::InFlight;
    m_policy = settings.policy;
    ++m_attempts;
    m_timedOut = false;
    m_tooLarge = false;
    m_elapsed.start();
    m_reply = sendAttempt(settings);
    m_reply->setParent(this);
    trafficlog::request(m_request, m_attempts);
    m_timeout->start(m_request.timeout.value_or(settings.timeout));
    watchReply(m_reply);
}

QNetworkReply *RequestJob::sendAttempt(const AttemptSettings &settings)
{
    QNetworkRequest req = networkRequest(m_request, settings.authorization);
    if (m_request.method == TwilioRequest::Method::Get)
        return settings.network->get(req);
    if (!m_request.jsonBody.isEmpty()) {
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        return settings.network->post(req, m_request.jsonBody);
    }
    req.setHeader(QNetworkRequest::ContentTypeHeader,
                  QByteArrayLiteral("application/x-www-form-urlencoded"));
    return settings.network->post(req, encodeForm(m_request.form));
}

void RequestJob::watchReply(QNetworkReply *reply)
{
    connect(reply, &QNetworkReply::downloadProgress, this, [this](qint64 received, qint64 total) {
        if (m_reply && (received > kMaxAnswerBytes || total > kMaxAnswerBytes)) {
            m_tooLarge = true;
            m_reply->abort();
        }
    });
    connect(reply, &QNetworkReply::metaDataChanged, this, [this] {
        if (!m_reply)
            return;
        const QVariant length = m_reply->header(QNetworkRequest::ContentLengthHeader);
        if (length.isValid() && length.toLongLong() > kMaxAnswerBytes) {
            m_tooLarge = true;
            m_reply->abort();
        }
    });
    connect(reply, &QNetworkReply::finished, this, &RequestJob::onReplyFinished);
}

void RequestJob::onReplyFinished()
{
    m_timeout->stop();
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    reply->deleteLater();
    m_state = State::Waiting;

    Answer a;
    a.latency = milliseconds{m_elapsed.elapsed()};
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    a.status = status.isValid() ? status.toInt() : 0;
    a.netError = reply->error();
    a.errorString = reply->errorString();
    a.reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
    a.retryAfter = reply->rawHeader("Retry-After");
    a.body = m_tooLarge || !reply->isOpen() ? QByteArray() : reply->readAll();

    const TwilioResult result = resultOf(a);
    trafficlog::answer(m_endpoint, a.status, a.latency, a.body);
    const std::optional<milliseconds> delay = retryDelay(a, result);
    if (result.error) {
        qCInfo(lcTwilio).noquote()
            << m_endpoint << "attempt" << m_attempts << "failed:" << result.error->toString()
            << (delay ? u"- retrying in %1 ms"_s.arg(delay->count()) : QString());
    }

    QPointer<RequestJob> self(this);
    Q_EMIT exchanged(m_endpoint, a.status, a.latency, result.error);
    if (!self || m_state == State::Done)
        return;
    if (delay)
        backOff(a.status, *delay);
    else
        deliver(result);
}

TwilioResult RequestJob::resultOf(const Answer &a) const
{
    TwilioResult result;
    if (m_timedOut || a.netError == QNetworkReply::TimeoutError) {
        result.error = localError(TwilioError::Kind::Timeout,
                                  u"no complete answer within the request timeout"_s, a.status);
    } else if (m_tooLarge || a.body.size() > kMaxAnswerBytes) {
        TwilioError e = localError(TwilioError::Kind::BadAnswer,
                                   u"answer larger than %1 bytes"_s.arg(kMaxAnswerBytes), a.status);
        e.code = a.status;
        result.error = e;
    } else if (a.status == 0) {
        result.error = localError(a.netError == QNetworkReply::OperationCanceledError
                                      ? TwilioError::Kind::Canceled
                                      : TwilioError::Kind::Network,
                                  a.errorString);
    } else {
        result = answerFromHttp(a.status, a.body, a.reason);
    }
    result.httpStatus = a.status;
    result.attempts = m_attempts;
    return result;
}

std::optional<milliseconds> RequestJob::retryDelay(const Answer &a,
                                                   const TwilioResult &result) const
{
    if (!result.error || !m_retriesAllowed || m_attempts > m_policy.maxRetries)
        return std::nullopt;
    const RetryClass rc = classify(a.status, a.netError, m_timedOut);
    if (!rc.retryable || (m_request.createsResource && !rc.provedNotProcessed))
        return std::nullopt;
    std::optional<milliseconds> retryAfter;
    if (a.status == 429 || a.status == 503)
        retryAfter = parseRetryAfter(a.retryAfter);
    return m_policy.delayFor(m_attempts, retryAfter, QRandomGenerator::global()->generateDouble());
}

void RequestJob::backOff(int status, milliseconds delay)
{
    m_state = State::BackingOff;
    m_backoff->start(delay);
    Q_EMIT retrying(m_endpoint, status, delay);
}

// Runs the handler now (we are on the event loop); it may destroy the
// context, the client, and with it this job.
void RequestJob::deliver(const TwilioResult &result)
{
    m_state = State::Done;
    const Handler handler = std::move(m_handler);
    m_handler = nullptr;
    QPointer<RequestJob> self(this);
    if (handler && m_context)
        handler(result);
    if (self)
        Q_EMIT finished();
}

void RequestJob::cancel()
{
    if (m_state == State::Done || m_state == State::InFlight)
        return;
    m_state = State::Done;
    m_backoff->stop();
    if (m_handler && m_context) {
        TwilioResult result;
        result.attempts = m_attempts;
        result.error =
            localError(TwilioError::Kind::Canceled, u"the Twilio client is shutting down"_s);
        QMetaObject::invokeMethod(
            m_context.data(), [handler = std::move(m_handler), result] { handler(result); },
            Qt::QueuedConnection);
    }
    m_handler = nullptr;
    Q_EMIT finished();
}

void RequestJob::abandon()
{
    if (m_state == State::Done)
        return;
    m_state = State::Done;
    m_handler = nullptr;
    m_timeout->stop();
    m_backoff->stop();
    dropReply();
    Q_EMIT finished();
}

void RequestJob::dropReply()
{
    if (!m_reply)
        return;
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    disconnect(reply, nullptr, this, nullptr);
    reply->abort();
    reply->deleteLater();
}

} // namespace flex::twilio
