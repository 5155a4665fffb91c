#pragma once

#include "emulatorconfig.h"
#include "httpmessage.h"
#include "operation.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QRegularExpression>

#include <optional>

namespace flex::emulator {

class SetupModel;
struct SetupWorkflow;
struct SetupWorkspace;

// The Twilio operations that read the set-up (ListWorkspace, FetchWorkspace,
// ListWorkflow, FetchWorkflow, ListActivity), shaped like Twilio's OpenAPI,
// and the control route /__emulator/setup that breaks it for tests.
class SetupApi : public QObject
{
    Q_OBJECT
public:
    SetupApi(const EmulatorConfig &config, SetupModel *model, QObject *parent = nullptr);

    // The operation a GET request is for, authentication included in its
    // answer; origin is the absolute base of URLs in that answer.
    std::optional<MatchedOperation> match(const HttpRequest &request, const QString &origin) const;

    // GET /__emulator/setup: the knobs; POST: apply knobs (JSON object).
    HttpResponse control(const QByteArray &method, const QJsonObject &body);

private:
    using Handler = HttpResponse (SetupApi::*)(const HttpRequest &, const QRegularExpressionMatch &,
                                               const QString &origin) const;
    struct Route
    {
        QString operation;
        QRegularExpression pattern;
        Handler handler;
    };

    HttpResponse listWorkspaces(const HttpRequest &request, const QRegularExpressionMatch &match,
                                const QString &origin) const;
    HttpResponse fetchWorkspace(const HttpRequest &request, const QRegularExpressionMatch &match,
                                const QString &origin) const;
    HttpResponse listWorkflows(const HttpRequest &request, const QRegularExpressionMatch &match,
                               const QString &origin) const;
    HttpResponse fetchWorkflow(const HttpRequest &request, const QRegularExpressionMatch &match,
                               const QString &origin) const;
    HttpResponse listActivities(const HttpRequest &request, const QRegularExpressionMatch &match,
                                const QString &origin) const;
    QJsonObject workspaceJson(const SetupWorkspace &workspace, const QString &origin) const;
    QJsonObject workflowJson(const SetupWorkflow &workflow, const QString &origin) const;

    EmulatorConfig m_config;
    SetupModel *m_model;
    QList<Route> m_routes;
};

} // namespace flex::emulator
