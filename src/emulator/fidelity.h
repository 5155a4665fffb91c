#pragma once

#include "httpmessage.h"

#include <QJsonObject>
#include <QString>

namespace flex::emulator {

// Ways real Twilio may answer that the emulator's defaults do not: each knob
// makes one answer as thin, or as differently shaped, as the official
// sources allow. Set through POST /__emulator/fidelity; reset() restores them.
struct Fidelity
{
    // HTTP status of {"valid":false} for an unknown or expired token. The
    // official validator reads only the body; its tests answer 200.
    int invalidTokenStatus = 403;
    // ListTaskQueuesStatistics answers exactly the fields of the official
    // example: cumulative without split_by_wait_time, wait_duration_* and
    // tasks_completed; realtime without tasks_by_priority.
    bool officialStatisticsList = false;
    // When set, meta.next_page_url of list answers names https://<pageHost>
    // (regional answers name their own host) instead of the request's origin.
    QString pageHost;

    QJsonObject toJson() const;
    // Applies the members present in json; false with *error on a bad value
    // (nothing is applied then).
    bool apply(const QJsonObject &json, QString *error);

    // The official example's item fields, for officialStatisticsList.
    static QJsonObject officialCumulative(const QJsonObject &full);
    static QJsonObject officialRealtime(const QJsonObject &full);
    // Rewrites meta.next_page_url of a JSON list answer for pageHost.
    HttpResponse withPageHost(HttpResponse response) const;
};

} // namespace flex::emulator
