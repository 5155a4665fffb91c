#pragma once

#include "twilio/twilioerror.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QUrl>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;

namespace flex::twilio {

using FormFields = QList<QPair<QString, QString>>; // repeated keys allowed, order kept

// Encodes application/x-www-form-urlencoded as Twilio expects: UTF-8, every
// reserved byte percent-encoded, space as %20, repeated keys repeated.
QByteArray encodeForm(const FormFields &fields);

struct TwilioRequest
{
    enum class Method { Get, Post };
    Method method = Method::Get;
    QUrl url;
    FormFields form;              // POST body (form-encoded) when jsonBody is empty
    QByteArray jsonBody;          // POST body as application/json when set
    QString endpoint;             // metric label, e.g. "CreateCall"; never contains SIDs
    bool createsResource = false; // POST that creates: not retried unless provably not received
    std::optional<std::chrono::milliseconds> timeout; // default: client's
};

struct TwilioResult
{
    int httpStatus = 0;
    QJsonObject body;                 // parsed JSON object on success
    std::optional<TwilioError> error; // set on any failure
    int attempts = 0;
    bool ok() const { return !error.has_value(); }
};

struct RetryPolicy
{
    // Filled from config::Config (TWILIO_MAX_RETRIES, TWILIO_RETRY_*_DELAY_MS).
    int maxRetries{};
    std::chrono::milliseconds baseDelay{};
    std::chrono::milliseconds maxDelay{};
    // Delay before retry number `retry` (1-based): exponential backoff with
    // full jitter in [0, min(maxDelay, base * 2^(retry-1))], or Retry-After
    // when the server gave one (capped at maxDelay * 4). jitter01 in [0,1).
    std::chrono::milliseconds
    delayFor(int retry, std::optional<std::chrono::milliseconds> retryAfter, double jitter01) const;
};

// Parses a Retry-After header value (delta-seconds or HTTP-date, relative to now).
std::optional<std::chrono::milliseconds> parseRetryAfter(const QByteArray &value);

// What an HTTP answer of Twilio's means (pure; the client adds the
// network-level failures): 2xx with a JSON object or an empty body is a
// success, 2xx with anything else BadAnswer, any other status
// TwilioError::fromHttp.
TwilioResult answerFromHttp(int httpStatus, const QByteArray &body, const QString &reason = {});

// One page of a list answer: its items and where the next page is fetched
// (nextPageThroughBase of meta.next_page_url, or API 2010's next_page_uri
// resolved against firstPage). error: no array under key (empty key:
// meta.key), or a next page on a foreign origin; items are then empty.
struct ListPage
{
    QJsonArray items;
    std::optional<QUrl> next;
    std::optional<QString> error;
};
ListPage readListPage(const QJsonObject &body, const QString &key, const QUrl &firstPage);

// Where to fetch a list's next page: `next` itself when it is on base's
// origin; on another https *.twilio.com host (regional answers), the same
// path and query through base's origin; anywhere else nowhere (nullopt).
std::optional<QUrl> nextPageThroughBase(const QUrl &next, const QUrl &base);

// Twilio's REST APIs over one QNetworkAccessManager: basic auth, JSON answers,
// at most maxInFlight requests at once (the rest wait in FIFO order), a
// timeout per request, retries with backoff for 429, 503 and network errors.
//
// Retry rules (at most RetryPolicy::maxRetries; a retry waits, then re-enters
// the FIFO line): HTTP 429 and 503 (Retry-After honoured), connection refused,
// host/proxy not found, connection closed, Qt or our own timeout, temporary
// network failure. Nothing else (no other 4xx/5xx, TLS or protocol errors, bad
// answers). A request with createsResource is only retried when the failure
// proves Twilio did not act on it: 429 (20429: "not processed"), connection
// refused, host/proxy not found. Redirects are not followed (the
// Authorization header must not travel); answers over 16 MiB are cut off
// (BadAnswer). Defaults: 20 in flight, 15 s timeout.
class TwilioClient : public QObject
{
    Q_OBJECT
public:
    using Handler = std::function<void(const TwilioResult &)>;
    using PagesHandler =
        std::function<void(const QJsonArray &items, const std::optional<TwilioError> &)>;

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
    // A request whose context died while queued is never sent.
    void send(const TwilioRequest &request, QObject *context, Handler handler);

    // GETs firstPage, follows meta.next_page_url until null, and hands over
    // the concatenation of every page's `key` array (e.g. "task_queues"; empty
    // key: meta.key). API 2010's relative next_page_uri is followed too; a
    // next page on another twilio.com host goes through firstPage's origin
    // (nextPageThroughBase). Stops with BadAnswer on a URL seen before, a next
    // page anywhere else, or more than 1000 pages. On any error items is empty.
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
    // the HTTP status, or 0 when none.
    void requestFinished(const QString &endpoint, int status, std::chrono::milliseconds latency);
    void retrying(const QString &endpoint, int status, std::chrono::milliseconds delay);
    void idle();

private:
    struct Pending;
    class Impl;
    std::unique_ptr<Impl> d;
};

} // namespace flex::twilio
