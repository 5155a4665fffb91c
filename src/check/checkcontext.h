#pragma once

#include "check/checkresult.h"
#include "config/config.h"
#include "twilio/twilioerror.h"

#include <QObject>
#include <QUrl>

#include <chrono>
#include <optional>

namespace flex::twilio {
class TwilioClient;
}

namespace flex::check {

// What every check shares: the configuration, the Twilio clients (one per
// credential the service uses: REST, the auth token, Flex token validation)
// and the wording of failures they have in common.
class CheckContext : public QObject
{
    Q_OBJECT
public:
    // Timeouts: each Twilio request, and each check as a whole.
    static constexpr std::chrono::seconds kRequestTimeout{8};
    static constexpr std::chrono::seconds kCheckTimeout{12};

    explicit CheckContext(const config::Config &config, QObject *parent = nullptr);
    ~CheckContext() override;

    const config::Config &config() const { return m_config; }
    twilio::TwilioClient &rest() const { return *m_rest; }
    // Basic auth with the account SID and TWILIO_AUTH_TOKEN (the REST client
    // itself when no API key is set).
    twilio::TwilioClient &accountAuth() const { return *m_account; }
    twilio::TwilioClient &iam() const { return *m_iam; }
    std::chrono::seconds checkTimeout() const { return kCheckTimeout; }

    // https://taskrouter.../v1/<path>, path without a leading slash.
    QUrl taskrouterUrl(const QString &path) const;
    QUrl workspaceUrl(const QString &path = {}) const; // .../v1/Workspaces/{WS}[/path]
    QUrl iamUrl(const QString &path) const;
    QString taskrouterHost() const;

    // The REST credential in use, named by its variables.
    QString restCredentialName() const;
    // The Twilio console page where that credential lives, with its region.
    QString credentialsPage() const;

    // A failed REST request of check `id`, while reading `what` ("the
    // workspace"): rejected credentials, network or timeout.
    CheckResult requestFailed(const QString &id, const QString &what,
                              const twilio::TwilioError &error) const;

private:
    config::Config m_config;
    twilio::TwilioClient *m_rest;
    twilio::TwilioClient *m_account;
    twilio::TwilioClient *m_iam;
};

// A fresh random URL-safe string (nonces, made-up tokens).
QString randomNonce();

// True when Twilio refused the credentials themselves (TwilioError::Blame::Credentials).
bool credentialsRejected(const twilio::TwilioError &error);

} // namespace flex::check
