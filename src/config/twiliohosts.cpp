#include "config/twiliohosts.h"

namespace flex::config {

using namespace Qt::StringLiterals;

namespace {

QUrl httpsUrl(const QString &host)
{
    QUrl url;
    url.setScheme(u"https"_s);
    url.setHost(host);
    return url;
}

} // namespace

bool TwilioHosts::isHomeRegion(const QString &region)
{
    return region == u"us1" || region == u"ie1" || region == u"au1";
}

QString TwilioHosts::suggestedEdge(const QString &region)
{
    if (region == u"ie1")
        return u"dublin"_s;
    if (region == u"au1")
        return u"sydney"_s;
    return u"ashburn"_s;
}

std::optional<TwilioHosts> TwilioHosts::resolve(const QString &region, const QString &edge,
                                                QString *error)
{
    if (!region.isEmpty() && !isHomeRegion(region)) {
        *error = u"\"%1\" is not a Twilio home region; the regions are us1, ie1 and au1"_s.arg(
            region.left(20));
        return std::nullopt;
    }
    QString suffix;
    if (!edge.isEmpty()) {
        suffix = u'.' + edge + u'.' + (region.isEmpty() ? u"us1"_s : region);
    } else if (!region.isEmpty() && region != u"us1") {
        *error = u"%1 needs an edge: add TWILIO_EDGE=%2 (region-only hosts such as "
                 u"api.%1.twilio.com stopped working on 2026-04-28)"_s.arg(region,
                                                                           suggestedEdge(region));
        return std::nullopt;
    }
    return TwilioHosts{httpsUrl(u"api"_s + suffix + u".twilio.com"_s),
                       httpsUrl(u"taskrouter"_s + suffix + u".twilio.com"_s),
                       httpsUrl(u"iam.twilio.com"_s)};
}

} // namespace flex::config
