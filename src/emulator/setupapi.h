#pragma once

#include "emulatorconfig.h"
#include "httpmessage.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QRegularExpression>

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

    static const QStringList &operations();
    // The operationId for a request, or an empty string.
    QString operationFor(const HttpRequest &request) const;
    // Answers an operation of operations(), authentication included.
    HttpResponse handle(const HttpRequest &request, const QString &operation,
                        const QString &origin) const;
    // GET /__emulator/setup: the knobs; POST: apply knobs (JSON object).
    HttpResponse control(const QByteArray &method, const QJsonObject &body);

private:
    struct Route
    {
        QString operation;
        QRegularExpression pattern;
    };
    bool authenticated(const HttpRequest &request) const;
    HttpResponse listWorkspaces(const HttpRequest &request, const QString &origin) const;
    HttpResponse listWorkflows(const HttpRequest &request, const QString &workspaceSid,
                               const QString &origin) const;
    HttpResponse listActivities(const HttpRequest &request, const QString &workspaceSid,
                                const QString &origin) const;
    QJsonObject workspaceJson(const SetupWorkspace &workspace, const QString &origin) const;
    QJsonObject workflowJson(const SetupWorkflow &workflow, const QString &origin) const;

    EmulatorConfig m_config;
    SetupModel *m_model;
    QList<Route> m_routes;
};

} // namespace flex::emulator
