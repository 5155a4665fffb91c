#pragma once

#include "check/check.h"

namespace flex::check {

// "credentials": Twilio accepts the REST credential (auth token or API key)
// for TWILIO_ACCOUNT_SID in the configured region (it lists the workspaces).
class CredentialsCheck : public Check
{
    Q_OBJECT
public:
    using Check::Check;
    QStringList ids() const override;
    void start() override;
};

// "webhook-signature": a signature made with TWILIO_AUTH_TOKEN over a sample
// webhook URL passes the service's own validator, and Twilio accepts that
// token for the account, so it is the token Twilio signs webhooks with. An
// API-key-only set-up (a wrong or placeholder auth token) fails here.
class WebhookSignatureCheck : public Check
{
    Q_OBJECT
public:
    using Check::Check;
    QStringList ids() const override;
    void start() override;

private:
    bool signsLocally() const;
};

// "token-validation": Twilio's IAM accepts the credentials the service
// validates Flex tokens with (TWILIO_IAM_API_KEY, else the auth token); a
// made-up token must come back as invalid, not as "Authenticate".
class TokenValidationCheck : public Check
{
    Q_OBJECT
public:
    using Check::Check;
    QStringList ids() const override;
    void start() override;
};

} // namespace flex::check
