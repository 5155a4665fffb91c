#include "check/resourcechecks.h"

#include "check/checkcontext.h"
#include "twilio/twilioclient.h"

#include <QJsonObject>
#include <QUrlQuery>

namespace flex::check {

using namespace Qt::StringLiterals;

namespace {

const QString kActivities = u"activities"_s;
const QString kChannels = u"channels"_s;
const QString kSettings = u"settings"_s;

QUrl firstListPage(QUrl url)
{
    url.setQuery(QUrlQuery{{u"PageSize"_s, u"100"_s}});
    return url;
}

// The first of names that exists with the wanted availability; *wrong
// collects those that exist with the other one.
QString findActivity(const QJsonArray &activities, const QStringList &names, bool available,
                     QStringList *wrong)
{
    for (const QString &name : names) {
        for (const QJsonValue &v : activities) {
            const QJsonObject a = v.toObject();
            if (a.value(u"friendly_name"_s).toString() != name)
                continue;
            if (a.value(u"available"_s).toBool() == available)
                return name;
            *wrong << u"\"%1\" is %2"_s.arg(name, available ? u"unavailable"_s : u"available"_s);
        }
    }
    return {};
}

} // namespace

QStringList ActivitiesCheck::ids() const
{
    return {kActivities};
}

void ActivitiesCheck::start()
{
    const CheckContext &c = context();
    c.rest().getAllPages(
        firstListPage(c.workspaceUrl(u"Activities"_s)), u"activities"_s, u"ListActivity"_s, this,
        [this](const twilio::PagesResult &pages) {
            if (pages.error)
                report(context().requestFailed(kActivities, u"the activities"_s, *pages.error));
            else
                report(judge(pages.items, context().config().workspaceSid));
        });
}

CheckResult ActivitiesCheck::judge(const QJsonArray &activities, const QString &workspaceSid)
{
    QStringList wrong;
    const QString busy = findActivity(activities, {u"Busy"_s, u"Offline"_s}, false, &wrong);
    const QString idle = findActivity(activities, {u"Idle"_s, u"Available"_s}, true, &wrong);
    if (!busy.isEmpty() && !idle.isEmpty())
        return CheckResult::ok(kActivities,
                               u"the dialpad can set \"%1\" (unavailable) while it dials and "
                               u"\"%2\" (available) when the call is answered"_s.arg(busy, idle));
    QStringList missing;
    if (busy.isEmpty())
        missing << u"an unavailable activity named Busy or Offline"_s;
    if (idle.isEmpty())
        missing << u"an available activity named Idle or Available"_s;
    QStringList names;
    for (const QJsonValue &v : activities)
        names << v.toObject().value(u"friendly_name"_s).toString();
    QString found = u"it has: "_s + (names.isEmpty() ? u"none"_s : names.join(u", "_s));
    if (!wrong.isEmpty())
        found += u"; "_s + wrong.join(u", "_s);
    return CheckResult::fail(
        kActivities,
        u"workspace %1 lacks %2 (%3)"_s.arg(workspaceSid, missing.join(u" and "_s), found),
        u"Create the missing activity in Console > TaskRouter > Workspaces > %1 > Activities "
        u"(the dialpad plugin switches agents by these names)."_s.arg(workspaceSid));
}

QStringList ChannelsCheck::ids() const
{
    return {kChannels};
}

void ChannelsCheck::start()
{
    const CheckContext &c = context();
    c.rest().getAllPages(
        firstListPage(c.workspaceUrl(u"TaskChannels"_s)), u"channels"_s, u"ListTaskChannel"_s, this,
        [this](const twilio::PagesResult &pages) {
            const config::Config &config = context().config();
            if (pages.error)
                report(context().requestFailed(kChannels, u"the TaskChannels"_s, *pages.error));
            else
                report(judge(pages.items, config.statsChannels, config.workspaceSid));
        });
}

CheckResult ChannelsCheck::judge(const QJsonArray &channels, const QStringList &wanted,
                                 const QString &workspaceSid)
{
    QStringList existing;
    for (const QJsonValue &v : channels)
        existing << v.toObject().value(u"unique_name"_s).toString();
    if (wanted == QStringList{u"auto"_s})
        return CheckResult::ok(kChannels,
                               u"STATS_CHANNELS=auto will report all, "_s + existing.join(u", "_s));
    QStringList missing;
    for (const QString &name : wanted) {
        if (name != u"all"_s && !existing.contains(name))
            missing << name;
    }
    if (missing.isEmpty())
        return CheckResult::ok(kChannels, u"the TaskChannels of STATS_CHANNELS exist: "_s +
                                              wanted.join(u", "_s));
    return CheckResult::fail(
        kChannels,
        u"STATS_CHANNELS names %1, which workspace %2 does not have (it has: %3)"_s.arg(
            missing.join(u", "_s), workspaceSid, existing.join(u", "_s)),
        u"Remove them from STATS_CHANNELS (or set it to auto), or create them in Console > "
        u"TaskRouter > Workspaces > %1 > Task Channels."_s.arg(workspaceSid));
}

QStringList SettingsCheck::ids() const
{
    return {kSettings};
}

void SettingsCheck::start()
{
    const config::Config &c = context().config();
    QStringList seconds;
    for (int threshold : c.slaThresholds)
        seconds << QString::number(threshold);
    const QString zone =
        QString::fromUtf8(c.statsTimeZone.id()) +
        (c.sourceOf(u"STATS_TIMEZONE"_s) == config::Source::Default ? u" (the system's)"_s
                                                                    : QString());
    const QString prefixes = c.dialAllowedPrefixes.isEmpty()
                                 ? u"any number may be dialled"_s
                                 : u"dialling limited to "_s + c.dialAllowedPrefixes.join(u", "_s);
    report(CheckResult::ok(kSettings, u"SLA_THRESHOLDS %1 s, STATS_TIMEZONE %2, %3"_s.arg(
                                          seconds.join(u", "_s), zone, prefixes)));
}

} // namespace flex::check
