#include "check/checkcontext.h"

#include "twilio/twilioclient.h"

#include <QRandomGenerator>

namespace flex::check {

using namespace Qt::StringLiterals;

namespace {

QUrl joined(const QUrl &base, const QString &path)
{
    QUrl url = base;
    QString prefix = url.path();
    if (prefix.endsWith(u'/'))
        prefix.chop(1);
    url.setPath(prefix + u'/' + path);
    return url;
}

twilio::TwilioClient *makeClient(const QString &user, const QString &password, QObject *parent)
{
    auto *client = new twilio::TwilioClient(parent);
    client->setCredentials(user, password);
    client->setDefaultTimeout(CheckContext::kRequestTimeout);
    client->setMaxInFlight(4);
    // One retry after 429/503, quickly: the run as a whole has 30 s.
    twilio::RetryPolicy policy;
    policy.maxRetries = 1;
    policy.baseDelay = std::chrono::milliseconds(200);
    policy.maxDelay = std::chrono::milliseconds(1000);
    client->setRetryPolicy(policy);
    return client;
}

} // namespace

CheckContext::CheckContext(const config::Config &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_rest(makeClient(config.restUsername(), config.restPassword(), this))
    , m_account(config.usesApiKey() ? makeClient(config.accountSid, config.authToken, this)
                                    : m_rest)
    , m_iam(makeClient(config.iamUsername(), config.iamPassword(), this))
{}

CheckContext::~CheckContext() = default;

QUrl CheckContext::taskrouterUrl(const QString &path) const
{
    return joined(m_config.taskrouterUrl, u"v1/"_s + path);
}

QUrl CheckContext::workspaceUrl(const QString &path) const
{
    const QString workspace = u"Workspaces/"_s + m_config.workspaceSid;
    return taskrouterUrl(path.isEmpty() ? workspace : workspace + u'/' + path);
}

QUrl CheckContext::iamUrl(const QString &path) const
{
    return joined(m_config.iamUrl, path);
}

QString CheckContext::taskrouterHost() const
{
    return m_config.taskrouterUrl.host();
}

QString CheckContext::restCredentialName() const
{
    return m_config.usesApiKey() ? u"the API key TWILIO_API_KEY / TWILIO_API_SECRET"_s
                                 : u"the auth token TWILIO_AUTH_TOKEN"_s;
}

QString CheckContext::credentialsPage() const
{
    const QString region = m_config.region.isEmpty() ? u"us1"_s : m_config.region;
    return u"Console > Account > API keys & tokens (region %1)"_s.arg(region);
}

CheckResult CheckContext::requestFailed(const QString &id, const QString &what,
                                        const twilio::TwilioError &error) const
{
    if (credentialsRejected(error))
        return CheckResult::fail(
            id, u"could not read %1: Twilio rejected %2"_s.arg(what, restCredentialName()),
            u"Fix the credentials first (see the credentials line)."_s);
    switch (error.kind) {
    case twilio::TwilioError::Kind::Timeout:
        return CheckResult::fail(
            id, u"could not read %1: Twilio did not answer in time"_s.arg(what),
            u"Make sure this host reaches %1 and that TWILIO_REGION / TWILIO_EDGE are right."_s.arg(
                taskrouterHost()));
    case twilio::TwilioError::Kind::Network:
        return CheckResult::fail(
            id, u"could not read %1: %2"_s.arg(what, error.message),
            u"Make sure this host reaches %1 and that TWILIO_REGION / TWILIO_EDGE are right."_s.arg(
                taskrouterHost()));
    default:
        return CheckResult::fail(id, u"could not read %1: %2"_s.arg(what, error.toString()),
                                 u"See the Twilio error above; try again later if it is "
                                 u"temporary."_s);
    }
}

QString randomNonce()
{
    QByteArray bytes(18, Qt::Uninitialized);
    for (char &byte : bytes)
        byte = char(QRandomGenerator::system()->bounded(256));
    return QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding));
}

bool credentialsRejected(const twilio::TwilioError &error)
{
    return error.blame() == twilio::TwilioError::Blame::Credentials;
}

} // namespace flex::check
