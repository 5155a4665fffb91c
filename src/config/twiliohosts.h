#pragma once

#include <QString>
#include <QUrl>

#include <optional>

namespace flex::config {

// Base URLs of the Twilio products we call, named as the official helper
// libraries name them: {product}.{edge}.{region}.twilio.com. The home
// regions are us1, ie1 and au1; region-only hosts (api.ie1.twilio.com) were
// retired on 2026-04-28, so a region other than us1 needs an edge. An edge
// alone means that edge with us1; neither (or us1 alone) gives the global
// hosts (api.twilio.com). Flex token validation stays on iam.twilio.com, as
// the official validator does.
struct TwilioHosts
{
    QUrl api;
    QUrl taskrouter;
    QUrl iam;

    // Empty optional and *error set for an unknown region or a region
    // without the edge it needs.
    static std::optional<TwilioHosts> resolve(const QString &region, const QString &edge,
                                              QString *error);
    static bool isHomeRegion(const QString &region);
    // The edge to suggest for a region (ie1 -> dublin, au1 -> sydney).
    static QString suggestedEdge(const QString &region);
};

} // namespace flex::config
