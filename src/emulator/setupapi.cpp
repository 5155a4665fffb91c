#include "setupapi.h"

#include "pager.h"
#include "setupmodel.h"
#include "twilioerror.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

// The set-up has no history: every resource was made at the same moment.
const QString kCreated = u"2024-01-01T00:00:00Z"_s;

// The FriendlyName a list request filters by (empty: all).
QString friendlyNameAsked(const HttpRequest &request)
{
    return request.query.queryItemValue(u"FriendlyName"_s, QUrl::FullyDecoded);
}

// The items with the FriendlyName asked for, and their sequence numbers.
template <typename Item>
std::pair<QList<Item>, QList<qint64>> named(const QList<Item> &all, const HttpRequest &request)
{
    const QString name = friendlyNameAsked(request);
    std::pair<QList<Item>, QList<qint64>> out;
    for (const Item &item : all) {
        if (name.isEmpty() || item.friendlyName == name) {
            out.first << item;
            out.second << item.seq;
        }
    }
    return out;
}

template <typename Item, typename ToJson>
HttpResponse pageOf(const QList<Item> &items, const QList<qint64> &seqs, const HttpRequest &request,
                    const QString &listUrl, const QString &key, ToJson toJson)
{
    QString error;
    const std::optional<Page> page = paginate(seqs, request.query, listUrl, key, &error);
    if (!page)
        return badRequest(error);
    QJsonArray out;
    for (qsizetype i = page->begin; i < page->end; ++i)
        out.append(toJson(items.at(i)));
    return jsonResponse(200, QJsonObject{{key, out}, {u"meta"_s, page->meta}});
}

} // namespace

SetupApi::SetupApi(const EmulatorConfig &config, SetupModel *model, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_model(model)
{
    const QString ws = u"^/v1/Workspaces/([^/]+)"_s;
    m_routes = {
        {u"ListWorkspace"_s, QRegularExpression(u"^/v1/Workspaces$"_s), &SetupApi::listWorkspaces},
        {u"FetchWorkspace"_s, QRegularExpression(ws + u"$"_s), &SetupApi::fetchWorkspace},
        {u"ListWorkflow"_s, QRegularExpression(ws + u"/Workflows$"_s), &SetupApi::listWorkflows},
        {u"FetchWorkflow"_s, QRegularExpression(ws + u"/Workflows/([^/]+)$"_s),
         &SetupApi::fetchWorkflow},
        {u"ListActivity"_s, QRegularExpression(ws + u"/Activities$"_s), &SetupApi::listActivities},
    };
}

std::optional<MatchedOperation> SetupApi::match(const HttpRequest &request,
                                                const QString &origin) const
{
    if (request.method != "GET")
        return std::nullopt;
    for (const Route &r : m_routes) {
        QRegularExpressionMatch match = r.pattern.match(request.path);
        if (!match.hasMatch())
            continue;
        return MatchedOperation{
            r.operation, [this, &r, request, match, origin](const Done &done) {
                done(m_model->acceptsAuthorization(request.header("authorization"))
                         ? (this->*r.handler)(request, match, origin)
                         : twilioError(401, 20003, u"Authenticate"_s));
            }};
    }
    return std::nullopt;
}

HttpResponse SetupApi::fetchWorkspace(const HttpRequest &request,
                                      const QRegularExpressionMatch &match,
                                      const QString &origin) const
{
    const SetupWorkspace *workspace = m_model->workspace(match.captured(1));
    if (!workspace)
        return resourceNotFound(request.path);
    return jsonResponse(200, workspaceJson(*workspace, origin));
}

HttpResponse SetupApi::fetchWorkflow(const HttpRequest &request,
                                     const QRegularExpressionMatch &match,
                                     const QString &origin) const
{
    const SetupWorkspace *workspace = m_model->workspace(match.captured(1));
    const SetupWorkflow *workflow =
        workspace ? m_model->workflow(workspace->sid, match.captured(2)) : nullptr;
    return workflow ? jsonResponse(200, workflowJson(*workflow, origin))
                    : resourceNotFound(request.path);
}

HttpResponse SetupApi::listWorkspaces(const HttpRequest &request, const QRegularExpressionMatch &,
                                      const QString &origin) const
{
    const auto [items, seqs] = named(m_model->workspaces(), request);
    return pageOf(items, seqs, request, origin + u"/v1/Workspaces"_s, u"workspaces"_s,
                  [this, &origin](const SetupWorkspace &w) { return workspaceJson(w, origin); });
}

HttpResponse SetupApi::listWorkflows(const HttpRequest &request,
                                     const QRegularExpressionMatch &match,
                                     const QString &origin) const
{
    const SetupWorkspace *workspace = m_model->workspace(match.captured(1));
    if (!workspace)
        return resourceNotFound(request.path);
    const QString workspaceSid = workspace->sid;
    const auto [items, seqs] = named(m_model->workflows(workspaceSid), request);
    return pageOf(items, seqs, request,
                  origin + u"/v1/Workspaces/"_s + workspaceSid + u"/Workflows"_s, u"workflows"_s,
                  [this, &origin](const SetupWorkflow &w) { return workflowJson(w, origin); });
}

HttpResponse SetupApi::listActivities(const HttpRequest &request,
                                      const QRegularExpressionMatch &match,
                                      const QString &origin) const
{
    const SetupWorkspace *workspace = m_model->workspace(match.captured(1));
    if (!workspace)
        return resourceNotFound(request.path);
    const QString workspaceSid = workspace->sid;
    const QString url = origin + u"/v1/Workspaces/"_s + workspaceSid;
    const QString name = friendlyNameAsked(request);
    const QString available = request.query.queryItemValue(u"Available"_s).toLower();
    QList<Activity> items;
    QList<qint64> seqs;
    const QList<Activity> all = m_model->activities();
    for (qsizetype i = 0; i < all.size(); ++i) {
        const Activity &a = all.at(i);
        if ((!name.isEmpty() && a.friendlyName != name) ||
            (!available.isEmpty() && (available == u"true"_s) != a.available))
            continue;
        items << a;
        seqs << qint64(i + 1);
    }
    return pageOf(items, seqs, request, url + u"/Activities"_s, u"activities"_s,
                  [this, &url, &workspaceSid](const Activity &a) {
                      return QJsonObject{
                          {u"account_sid"_s, m_config.accountSid},
                          {u"available"_s, a.available},
                          {u"date_created"_s, kCreated},
                          {u"date_updated"_s, kCreated},
                          {u"friendly_name"_s, a.friendlyName},
                          {u"sid"_s, a.sid},
                          {u"workspace_sid"_s, workspaceSid},
                          {u"url"_s, QString(url + u"/Activities/"_s + a.sid)},
                          {u"links"_s, QJsonObject{{u"workspace"_s, url}}},
                      };
                  });
}

QJsonObject SetupApi::workspaceJson(const SetupWorkspace &w, const QString &origin) const
{
    const QString url = origin + u"/v1/Workspaces/"_s + w.sid;
    QJsonObject links;
    for (const QString &link : {u"activities"_s, u"statistics"_s, u"task_queues"_s, u"tasks"_s,
                                u"workers"_s, u"workflows"_s, u"task_channels"_s, u"events"_s})
        links.insert(link, QString(url + u'/' + link));
    const QList<Activity> activities = m_model->activities();
    QString offlineSid;
    for (const Activity &a : activities) {
        if (a.friendlyName == u"Offline"_s)
            offlineSid = a.sid;
    }
    const QJsonValue offline = offlineSid.isEmpty() ? QJsonValue() : QJsonValue(u"Offline"_s);
    const QJsonValue offlineSidValue = offlineSid.isEmpty() ? QJsonValue() : QJsonValue(offlineSid);
    return QJsonObject{
        {u"account_sid"_s, m_config.accountSid},
        {u"date_created"_s, kCreated},
        {u"date_updated"_s, kCreated},
        {u"default_activity_name"_s, offline},
        {u"default_activity_sid"_s, offlineSidValue},
        {u"event_callback_url"_s, QJsonValue()},
        {u"events_filter"_s, QJsonValue()},
        {u"friendly_name"_s, w.friendlyName},
        {u"multi_task_enabled"_s, true},
        {u"sid"_s, w.sid},
        {u"timeout_activity_name"_s, offline},
        {u"timeout_activity_sid"_s, offlineSidValue},
        {u"prioritize_queue_order"_s, u"FIFO"_s},
        {u"url"_s, url},
        {u"links"_s, links},
    };
}

QJsonObject SetupApi::workflowJson(const SetupWorkflow &w, const QString &origin) const
{
    const QString url = origin + u"/v1/Workspaces/"_s + w.workspaceSid + u"/Workflows/"_s + w.sid;
    return QJsonObject{
        {u"account_sid"_s, m_config.accountSid},
        {u"assignment_callback_url"_s, QJsonValue()},
        {u"configuration"_s,
         QString::fromUtf8(QJsonDocument(w.configuration).toJson(QJsonDocument::Compact))},
        {u"date_created"_s, kCreated},
        {u"date_updated"_s, kCreated},
        {u"document_content_type"_s, u"application/json"_s},
        {u"fallback_assignment_callback_url"_s, QJsonValue()},
        {u"friendly_name"_s, w.friendlyName},
        {u"sid"_s, w.sid},
        {u"task_reservation_timeout"_s, 120},
        {u"workspace_sid"_s, w.workspaceSid},
        {u"url"_s, url},
        {u"links"_s,
         QJsonObject{{u"statistics"_s, QString(url + u"/Statistics"_s)},
                     {u"real_time_statistics"_s, QString(url + u"/RealTimeStatistics"_s)},
                     {u"cumulative_statistics"_s, QString(url + u"/CumulativeStatistics"_s)}}},
    };
}

HttpResponse SetupApi::control(const QByteArray &method, const QJsonObject &body)
{
    if (method == "POST") {
        QString error;
        if (!m_model->apply(body, &error))
            return jsonResponse(400, QJsonObject{{u"error"_s, error}});
    } else if (method != "GET") {
        return jsonResponse(405, QJsonObject{{u"error"_s, u"GET or POST"_s}});
    }
    return jsonResponse(200, m_model->state());
}

} // namespace flex::emulator
