#include "server/flextokenvalidator.h"

#include "ops/logcategories.h"
#include "ops/metrics.h"
#include "server/flextokenshape.h"
#include "twilio/twilioclient.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace flex::server {

using namespace Qt::StringLiterals;
using Clock = std::chrono::steady_clock;

namespace {

FlexTokenValidator::Result validAnswer(const QJsonObject &body)
{
    FlexTokenValidator::Result result;
    result.outcome = FlexTokenValidator::Outcome::Valid;
    result.who.identity = body.value("identity"_L1).toString();
    result.who.workerSid = body.value("worker_sid"_L1).toString();
    result.who.realmUserId = body.value("realm_user_id"_L1).toString();
    const QJsonArray roles = body.value("roles"_L1).toArray();
    for (const QJsonValue &role : roles)
        result.who.roles << role.toString();
    result.who.expiration =
        QDateTime::fromString(body.value("expiration"_L1).toString(), Qt::ISODateWithMs);
    if (result.who.identity.isEmpty()) {
        result.outcome = FlexTokenValidator::Outcome::Invalid;
        result.reason = u"token has no identity"_s;
    }
    return result;
}

} // namespace

// The body decides, as in Twilio's own validator: a boolean "valid" is the
// verdict on the token whatever the status (200, 401 and 403 are all seen).
// Without one, the error's blame decides: the service's credentials, 429,
// 5xx and network failures make validation unavailable; any other refusal
// is a verdict on the token.
FlexTokenValidator::Result FlexTokenValidator::resultFromAnswer(const twilio::TwilioResult &answer)
{
    FlexTokenValidator::Result result;
    const QJsonObject body = answer.ok() ? answer.body : answer.error->body;
    const QJsonValue valid = body.value("valid"_L1);
    const bool twilioTrouble =
        !answer.ok() && answer.error->blame() == twilio::TwilioError::Blame::Twilio;
    if (valid.isBool() && !twilioTrouble) {
        if (valid.toBool() && answer.ok())
            return validAnswer(body);
        result.outcome = FlexTokenValidator::Outcome::Invalid;
        // Twilio's message is shown to the client; a blank one says nothing.
        const QString message = body.value("message"_L1).toString().trimmed();
        result.reason = message.isEmpty() ? u"token not valid"_s : message;
        return result;
    }
    if (answer.ok()) {
        result.outcome = FlexTokenValidator::Outcome::Unavailable;
        result.reason = u"token validation answer has no boolean \"valid\""_s;
        return result;
    }
    const twilio::TwilioError &error = *answer.error;
    result.outcome = error.isServiceFault() ? FlexTokenValidator::Outcome::Unavailable
                                            : FlexTokenValidator::Outcome::Invalid;
    result.credentialsRejected = error.blame() == twilio::TwilioError::Blame::Credentials;
    result.reason = error.toString();
    return result;
}

FlexTokenValidator::FlexTokenValidator(twilio::TwilioClient &iamClient, QObject *parent)
    : QObject(parent)
    , m_client(iamClient)
{}

void FlexTokenValidator::configure(const Settings &settings)
{
    m_settings = settings;
    m_client.setCredentials(settings.username, settings.password);
}

Authenticator::Answer FlexTokenValidator::answerOf(const Result &result)
{
    Answer answer;
    answer.outcome = result.outcome;
    answer.who = result.who;
    answer.reason = result.reason;
    return answer;
}

std::optional<FlexTokenValidator::Result> FlexTokenValidator::remembered(const QByteArray &key)
{
    const auto cached = m_cache.constFind(key);
    if (cached == m_cache.cend())
        return std::nullopt;
    if (cached->expiresAt > Clock::now())
        return cached->result;
    m_cache.erase(cached);
    return std::nullopt;
}

void FlexTokenValidator::authenticate(const QString &token, const Budget &budget, QObject *context,
                                      Handler handler)
{
    if (!FlexTokenShape::isPlausible(token)) {
        Answer answer;
        answer.outcome = Outcome::Invalid;
        answer.reason = token.isEmpty() ? u"no token"_s : u"malformed token"_s;
        handler(answer);
        return;
    }
    const QByteArray key = QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256);
    if (const std::optional<Result> known = remembered(key)) {
        ops::metrics()
            .counter("flex_token_cache_hits_total", "Flex token checks answered from cache")
            .inc();
        handler(answerOf(*known));
        return;
    }
    const auto waiting = m_waiting.find(key);
    if (waiting != m_waiting.end()) {
        waiting->append({context, std::move(handler)});
        return;
    }
    // Only a token that costs a new request to Twilio spends the budget.
    if (const std::optional<std::chrono::seconds> wait = budget ? budget() : std::nullopt) {
        Answer answer;
        answer.outcome = Outcome::OverBudget;
        answer.reason = u"too many unknown tokens from this client"_s;
        answer.retryAfter = *wait;
        handler(answer);
        return;
    }
    m_waiting.insert(key, {{context, std::move(handler)}});
    ask(token, key);
}

void FlexTokenValidator::ask(const QString &token, const QByteArray &key)
{
    twilio::TwilioRequest request;
    request.method = twilio::TwilioRequest::Method::Post;
    QUrl url = m_settings.iamBaseUrl;
    url.setPath(url.path() + "/v1/Accounts/"_L1 + m_settings.accountSid + "/Tokens/validate"_L1);
    request.url = url;
    request.jsonBody =
        QJsonDocument(QJsonObject{{"token"_L1, token}}).toJson(QJsonDocument::Compact);
    request.endpoint = u"ValidateToken"_s;
    m_client.send(request, this, [this, key](const twilio::TwilioResult &answer) {
        finish(key, resultFromAnswer(answer));
    });
}

void FlexTokenValidator::noteCredentials(const Result &result)
{
    if (!result.credentialsRejected) {
        // Any verdict on a token means Twilio accepted our credentials.
        if (result.outcome != Outcome::Unavailable)
            m_credentialsRejectedSince.reset();
        return;
    }
    const auto now = Clock::now();
    if (!m_credentialsRejectedSince)
        m_credentialsRejectedSince = now;
    if (!m_lastCredentialsLog || now - *m_lastCredentialsLog >= std::chrono::minutes(1)) {
        m_lastCredentialsLog = now;
        qCCritical(lcAuth).noquote()
            << "Twilio rejected the credentials used for Flex token validation (" << result.reason
            << "); set TWILIO_IAM_API_KEY/TWILIO_IAM_API_SECRET or the account's auth token";
    }
}

void FlexTokenValidator::finish(const QByteArray &key, Result result)
{
    noteCredentials(result);
    if (result.outcome == Outcome::Unavailable && !result.credentialsRejected)
        qCWarning(lcAuth) << "Flex token validation unavailable:" << result.reason;
    remember(key, result);
    const QList<Waiter> waiters = m_waiting.take(key);
    const Answer answer = answerOf(result);
    for (const Waiter &waiter : waiters) {
        if (waiter.context)
            waiter.handler(answer);
    }
}

void FlexTokenValidator::remember(const QByteArray &key, const Result &result)
{
    if (m_settings.maxEntries <= 0 || result.outcome == Outcome::Unavailable)
        return;
    const auto now = Clock::now();
    auto expiresAt = now;
    if (result.outcome == Outcome::Valid) {
        expiresAt = now + m_settings.positiveTtl;
        if (result.who.expiration.isValid()) {
            const qint64 left = QDateTime::currentDateTimeUtc().msecsTo(result.who.expiration);
            expiresAt =
                std::min(expiresAt, now + std::chrono::milliseconds(std::max<qint64>(0, left)));
        }
    } else {
        expiresAt = now + m_settings.negativeTtl;
    }
    if (expiresAt <= now)
        return;

    while (m_cache.size() >= m_settings.maxEntries && !m_insertionOrder.empty()) {
        m_cache.remove(m_insertionOrder.front());
        m_insertionOrder.pop_front();
    }
    if (!m_cache.contains(key))
        m_insertionOrder.push_back(key);
    m_cache.insert(key, {result, expiresAt});
    // The order list may hold keys that already left the cache; keep it bounded.
    if (m_insertionOrder.size() > size_t(m_settings.maxEntries) * 2) {
        std::deque<QByteArray> live;
        for (const QByteArray &k : m_insertionOrder) {
            if (m_cache.contains(k))
                live.push_back(k);
        }
        m_insertionOrder.swap(live);
    }
}

} // namespace flex::server
