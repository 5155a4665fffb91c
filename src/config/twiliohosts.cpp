#include "config/twiliohosts.h"

namespace flex::config {

using namespace Qt::StringLiterals;

QString TwilioHosts::hostFor(const QString &product, const QString &region, const QString &edge)
{
    QString effectiveRegion = region;
    if (effectiveRegion.isEmpty() && !edge.isEmpty())
        effectiveRegion = u"us1"_s;
    QString host = product;
    if (!edge.isEmpty())
        host += u'.' + edge;
    if (!effectiveRegion.isEmpty())
        host += u'.' + effectiveRegion;
    return host + u".twilio.com"_s;
}

TwilioHosts TwilioHosts::forRegion(const QString &region, const QString &edge)
{
    const auto url = [&](const QString &product) {
        QUrl u;
        u.setScheme(u"https"_s);
        u.setHost(hostFor(product, region, edge));
        return u;
    };
    // Flex token validation is served globally; the validator library only
    // moves it for Twilio-internal realms, which we do not support.
    QUrl iam;
    iam.setScheme(u"https"_s);
    iam.setHost(u"iam.twilio.com"_s);
    return {url(u"api"_s), url(u"taskrouter"_s), iam};
}

} // namespace flex::config
