#pragma once

#include "server/authenticator.h"
#include "server/flexidentity.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <chrono>
#include <deque>
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
// a reconnect storm does not become an IAM storm; only a token that is
// neither remembered nor being checked spends the caller's budget. Tokens
// are held only as SHA-256 digests, computed once per check.
class FlexTokenValidator : public QObject, public Authenticator
{
    Q_OBJECT
public:
    using Outcome = Authenticator::Outcome;
    struct Result
    {
        Outcome outcome = Outcome::Unavailable;
        FlexIdentity who;
        QString reason;                   // for logs and metrics; never contains the token
        bool credentialsRejected = false; // Twilio refused the service's credentials
    };

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
    void authenticate(const QString &token, const Budget &budget, QObject *context,
                      Handler handler) override;

    // Since the last answer refused our credentials, until an answer accepts them.
    bool credentialsRejected() const { return m_credentialsRejectedSince.has_value(); }

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

    static Answer answerOf(const Result &result);
    // The remembered verdict, if it has not expired (an expired one is dropped).
    std::optional<Result> remembered(const QByteArray &key);
    void ask(const QString &token, const QByteArray &key);
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
