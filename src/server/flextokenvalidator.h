#pragma once

#include "server/flexidentity.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <chrono>
#include <deque>
#include <functional>
#include <optional>

namespace flex::twilio {
class TwilioClient;
struct TwilioResult;
} // namespace flex::twilio

namespace flex::server {

// Checks Flex tokens with Twilio's token validation endpoint
// (POST {IAM}/v1/Accounts/{AC}/Tokens/validate) and remembers the answers:
// valid ones until their expiration (at most the positive TTL), invalid ones
// for the negative TTL. Concurrent checks of one token share one request, so
// a reconnect storm does not become an IAM storm. Tokens are held only as
// SHA-256 digests.
class FlexTokenValidator : public QObject
{
    Q_OBJECT
public:
    enum class Outcome { Valid, Invalid, Unavailable };
    struct Result
    {
        Outcome outcome = Outcome::Unavailable;
        FlexIdentity who;
        QString reason; // for logs and metrics; never contains the token
        bool fromCache = false;
        bool credentialsRejected = false; // Twilio refused the service's credentials
    };
    using Handler = std::function<void(const Result &)>;

    struct Settings
    {
        // Every field is filled from config::Config (src/app/service.cpp).
        QUrl iamBaseUrl;
        QString accountSid;
        QString username; // basic auth on iam.twilio.com: API key SID or account SID
        QString password; // its secret or the auth token
        std::chrono::seconds positiveTtl{};
        std::chrono::seconds negativeTtl{};
        int maxEntries{};
    };

    FlexTokenValidator(twilio::TwilioClient &iamClient, QObject *parent = nullptr);

    // The verdict of Twilio's answer to a validation request (pure).
    static Result resultFromAnswer(const twilio::TwilioResult &answer);

    void configure(const Settings &settings); // keeps cached answers
    // Tokens that are not JWT-shaped (FlexTokenShape) are refused at once.
    void validate(const QString &token, QObject *context, Handler handler);
    // Whether validate() would answer without a new request to Twilio
    // (cached verdict, or a check of the same token in flight).
    bool isKnown(const QString &token) const;

    int cachedEntries() const { return int(m_cache.size()); }
    // Since the last answer refused our credentials, until an answer accepts them.
    bool credentialsRejected() const { return m_credentialsRejectedSince.has_value(); }
    void clearCache();

private:
    struct Entry
    {
        Result result;
        std::chrono::steady_clock::time_point expiresAt;
    };
    struct Waiter
    {
        QPointer<QObject> context;
        Handler handler;
    };

    void finish(const QByteArray &key, Result result);
    void noteCredentials(const Result &result);
    void remember(const QByteArray &key, const Result &result);

    twilio::TwilioClient &m_client;
    Settings m_settings;
    QHash<QByteArray, Entry> m_cache;
    std::deque<QByteArray> m_insertionOrder;
    QHash<QByteArray, QList<Waiter>> m_waiting;
    std::optional<std::chrono::steady_clock::time_point> m_credentialsRejectedSince;
    std::optional<std::chrono::steady_clock::time_point> m_lastCredentialsLog;
};

} // namespace flex::server
