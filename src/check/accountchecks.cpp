#include "check/accountchecks.h"

#include "check/checkcontext.h"
#include "twilio/requestvalidator.h"
#include "twilio/twilioclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

namespace flex::check {

using namespace Qt::StringLiterals;

namespace {

const QString kCredentials = u"credentials"_s;
const QString kSignature = u"webhook-signature"_s;
const QString kTokenValidation = u"token-validation"_s;

twilio::TwilioRequest listWorkspaces(const CheckContext &context, int pageSize)
{
    twilio::TwilioRequest request;
    QUrl url = context.taskrouterUrl(u"Workspaces"_s);
    url.setQuery(QUrlQuery{{u"PageSize"_s, QString::number(pageSize)}});
    request.url = url;
    request.endpoint = u"ListWorkspace"_s;
    return request;
}

// The account the listed workspaces belong to, when it is not ours.
QString otherAccount(const QJsonArray &workspaces, const QString &accountSid)
{
    for (const QJsonValue &w : workspaces) {
        const QString owner = w.toObject().value(u"account_sid"_s).toString();
        if (!owner.isEmpty() && owner != accountSid)
            return owner;
    }
    return {};
}

} // namespace

QStringList CredentialsCheck::ids() const
{
    return {kCredentials};
}

void CredentialsCheck::start()
{
    const CheckContext &c = context();
    c.rest().send(listWorkspaces(c, 50), this, [this](const twilio::TwilioResult &result) {
        const CheckContext &c = context();
        const config::Config &config = c.config();
        if (!result.ok()) {
            if (!credentialsRejected(*result.error)) {
                report(c.requestFailed(kCredentials, u"the workspaces"_s, *result.error));
                return;
            }
            const QString fix =
                config.usesApiKey()
                    ? u"Create an API key for account %1 in %2 and set TWILIO_API_KEY and "
                      u"TWILIO_API_SECRET (keys work only in the region they were made in)."_s
                    : u"Copy the Auth Token of account %1 from %2 into TWILIO_AUTH_TOKEN."_s;
            report(CheckResult::fail(
                kCredentials,
                u"Twilio (%1) rejected %2 for account %3"_s.arg(
                    c.taskrouterHost(), c.restCredentialName(), config.accountSid),
                fix.arg(config.accountSid, c.credentialsPage())));
            return;
        }
        const QJsonArray workspaces = result.body.value(u"workspaces"_s).toArray();
        const QString owner = otherAccount(workspaces, config.accountSid);
        if (!owner.isEmpty()) {
            report(CheckResult::fail(
                kCredentials,
                u"%1 belongs to account %2, not to TWILIO_ACCOUNT_SID %3"_s.arg(
                    c.restCredentialName(), owner, config.accountSid),
                u"Use credentials of account %1, or set TWILIO_ACCOUNT_SID to the account "
                u"they belong to."_s.arg(config.accountSid)));
            return;
        }
        report(CheckResult::ok(kCredentials,
                               u"Twilio (%1) accepts %2 for account %3"_s.arg(
                                   c.taskrouterHost(), c.restCredentialName(), config.accountSid)));
    });
}

QStringList WebhookSignatureCheck::ids() const
{
    return {kSignature};
}

bool WebhookSignatureCheck::signsLocally() const
{
    // Signed exactly as Twilio signs a status callback, checked by the same
    // validator the webhook routes use.
    const config::Config &config = context().config();
    const QString url = config.webhookBaseUrl.toString(QUrl::StripTrailingSlash) +
                        u"/check?nonce="_s + randomNonce();
    const twilio::SignatureParams params = {{u"AccountSid"_s, config.accountSid},
                                            {u"CallSid"_s, u"CA"_s + QString(32, u'0')},
                                            {u"CallStatus"_s, u"ringing"_s}};
    const QByteArray token = config.authToken.toUtf8();
    const QByteArray signature = twilio::RequestValidator::computeSignature(token, url, params);
    return twilio::RequestValidator(token).validate(url, params, signature);
}

void WebhookSignatureCheck::start()
{
    const CheckContext &c = context();
    if (!signsLocally()) {
        report(CheckResult::fail(kSignature,
                                 u"a signature made with TWILIO_AUTH_TOKEN does not validate"_s,
                                 u"Set TWILIO_AUTH_TOKEN to the account's Auth Token."_s));
        return;
    }
    c.accountAuth().send(listWorkspaces(c, 1), this, [this](const twilio::TwilioResult &result) {
        const CheckContext &c = context();
        const config::Config &config = c.config();
        if (result.ok()) {
            report(CheckResult::ok(
                kSignature,
                u"TWILIO_AUTH_TOKEN is the auth token of account %1: webhook "
                u"signatures over %2 will validate"_s.arg(
                    config.accountSid, config.webhookBaseUrl.toString(QUrl::StripTrailingSlash))));
            return;
        }
        if (!credentialsRejected(*result.error)) {
            report(c.requestFailed(kSignature, u"the account with TWILIO_AUTH_TOKEN"_s,
                                   *result.error));
            return;
        }
        const QString why = config.usesApiKey()
                                ? u" (REST calls use the API key, but only the auth token can "
                                  u"check webhook signatures)"_s
                                : QString();
        report(CheckResult::fail(
            kSignature,
            u"Twilio rejected TWILIO_AUTH_TOKEN for account %1: the service would refuse "
            u"every webhook as forged%2"_s.arg(config.accountSid, why),
            u"Copy the primary Auth Token of account %1 from %2 into TWILIO_AUTH_TOKEN."_s.arg(
                config.accountSid, c.credentialsPage())));
    });
}

QStringList TokenValidationCheck::ids() const
{
    return {kTokenValidation};
}

void TokenValidationCheck::start()
{
    const CheckContext &c = context();
    twilio::TwilioRequest request;
    request.method = twilio::TwilioRequest::Method::Post;
    request.url = c.iamUrl(u"v1/Accounts/%1/Tokens/validate"_s.arg(c.config().accountSid));
    const QString madeUp = u"flex-backend-check-"_s + randomNonce();
    request.jsonBody =
        QJsonDocument(QJsonObject{{u"token"_s, madeUp}}).toJson(QJsonDocument::Compact);
    request.endpoint = u"ValidateToken"_s;
    c.iam().send(request, this, [this](const twilio::TwilioResult &result) {
        const CheckContext &c = context();
        const config::Config &config = c.config();
        const QString credential =
            config.iamApiKey.isEmpty()
                ? u"TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN"_s
                : u"the API key TWILIO_IAM_API_KEY / TWILIO_IAM_API_SECRET"_s;
        // A made-up token is invalid: any answer but "Authenticate" means
        // the credentials themselves were accepted.
        const bool answered =
            result.ok() || (result.error->kind == twilio::TwilioError::Kind::Http &&
                            result.error->httpStatus < 500 && result.error->httpStatus != 404);
        if (answered) {
            if (result.ok() || !credentialsRejected(*result.error)) {
                report(CheckResult::ok(kTokenValidation,
                                       u"Twilio (%1) accepts %2 for Flex token validation"_s.arg(
                                           config.iamUrl.host(), credential)));
                return;
            }
            const QString fix =
                config.iamApiKey.isEmpty()
                    ? u"Copy the Auth Token of account %1 from %2 into TWILIO_AUTH_TOKEN."_s.arg(
                          config.accountSid, c.credentialsPage())
                    : u"Create an API key of account %1 in %2 and set TWILIO_IAM_API_KEY and "
                      u"TWILIO_IAM_API_SECRET, or unset both to use the auth token."_s.arg(
                          config.accountSid, c.credentialsPage());
            report(CheckResult::fail(
                kTokenValidation,
                u"Twilio (%1) rejected %2 for Flex token validation: no agent could sign in"_s.arg(
                    config.iamUrl.host(), credential),
                fix));
            return;
        }
        report(c.requestFailed(kTokenValidation, u"Flex token validation"_s, *result.error));
    });
}

} // namespace flex::check
