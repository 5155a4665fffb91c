#include "fidelity.h"

#include <QJsonDocument>
#include <QStringList>
#include <QUrl>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

QJsonObject only(const QJsonObject &full, const QStringList &keys)
{
    QJsonObject out;
    for (const QString &key : keys) {
        if (full.contains(key))
            out.insert(key, full.value(key));
    }
    return out;
}

} // namespace

QJsonObject Fidelity::toJson() const
{
    return QJsonObject{{u"invalidTokenStatus"_s, invalidTokenStatus},
                       {u"officialStatisticsList"_s, officialStatisticsList},
                       {u"pageHost"_s, pageHost}};
}

bool Fidelity::apply(const QJsonObject &json, QString *error)
{
    Fidelity next = *this;
    if (json.contains(u"invalidTokenStatus"_s)) {
        next.invalidTokenStatus = json.value(u"invalidTokenStatus"_s).toInt(-1);
        if (next.invalidTokenStatus != 200 && next.invalidTokenStatus != 401 &&
            next.invalidTokenStatus != 403) {
            *error = u"invalidTokenStatus must be 200, 401 or 403"_s;
            return false;
        }
    }
    if (json.contains(u"officialStatisticsList"_s)) {
        const QJsonValue v = json.value(u"officialStatisticsList"_s);
        if (!v.isBool()) {
            *error = u"officialStatisticsList must be a boolean"_s;
            return false;
        }
        next.officialStatisticsList = v.toBool();
    }
    if (json.contains(u"pageHost"_s)) {
        next.pageHost = json.value(u"pageHost"_s).toString();
        if (!next.pageHost.isEmpty() && QUrl(u"https://"_s + next.pageHost).host().isEmpty()) {
            *error = u"pageHost must be a host name"_s;
            return false;
        }
    }
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (!toJson().contains(it.key())) {
            *error = u"unknown fidelity knob: "_s + it.key();
            return false;
        }
    }
    *this = next;
    return true;
}

QJsonObject Fidelity::officialCumulative(const QJsonObject &full)
{
    return only(full,
                {u"avg_task_acceptance_time"_s, u"end_time"_s, u"reservations_accepted"_s,
                 u"reservations_canceled"_s, u"reservations_created"_s, u"reservations_rejected"_s,
                 u"reservations_rescinded"_s, u"reservations_timed_out"_s, u"start_time"_s,
                 u"tasks_canceled"_s, u"tasks_deleted"_s, u"tasks_entered"_s, u"tasks_moved"_s});
}

QJsonObject Fidelity::officialRealtime(const QJsonObject &full)
{
    return only(full,
                {u"activity_statistics"_s, u"longest_task_waiting_age"_s,
                 u"longest_task_waiting_sid"_s, u"tasks_by_status"_s, u"total_available_workers"_s,
                 u"total_eligible_workers"_s, u"total_tasks"_s});
}

HttpResponse Fidelity::withPageHost(HttpResponse response) const
{
    if (pageHost.isEmpty() || response.status != 200)
        return response;
    QJsonObject body = QJsonDocument::fromJson(response.body).object();
    QJsonObject meta = body.value(u"meta"_s).toObject();
    const QJsonValue next = meta.value(u"next_page_url"_s);
    if (!next.isString())
        return response;
    QUrl url(next.toString());
    url.setScheme(u"https"_s);
    url.setHost(pageHost);
    url.setPort(-1);
    meta.insert(u"next_page_url"_s, url.toString());
    body.insert(u"meta"_s, meta);
    response.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    return response;
}

} // namespace flex::emulator
