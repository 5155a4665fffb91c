#pragma once

#include <QString>
#include <QUrl>

namespace flex::config {

// Base URLs of the Twilio products we call, named as the official helper
// libraries name them: product[.edge][.region].twilio.com, where an edge
// without a region implies us1.
struct TwilioHosts
{
    QUrl api;
    QUrl taskrouter;
    QUrl iam;

    static TwilioHosts forRegion(const QString &region, const QString &edge);
    static QString hostFor(const QString &product, const QString &region, const QString &edge);
};

} // namespace flex::config
