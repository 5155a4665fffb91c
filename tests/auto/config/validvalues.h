#pragma once

#include "config/configloader.h"

// The smallest complete configuration outside dev mode.
inline flex::config::Values validValues()
{
    using namespace Qt::StringLiterals;
    return {
        {u"TWILIO_ACCOUNT_SID"_s, u"AC0123456789abcdef0123456789abcdef"_s},
        {u"TWILIO_AUTH_TOKEN"_s, u"fedcba9876543210fedcba9876543210"_s},
        {u"TWILIO_OUTBOUND_WORKFLOW_SID"_s, u"WW0123456789abcdef0123456789abcdef"_s},
        {u"TWILIO_FLEX_WORKSPACE_SID"_s, u"WS0123456789abcdef0123456789abcdef"_s},
        {u"EXTERNAL_HOST"_s, u"flex.example.com"_s},
    };
}
