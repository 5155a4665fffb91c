#pragma once

#include "contactcentre.h"
#include "emulatorconfig.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QSet>
#include <QString>

namespace flex::emulator {

struct SetupWorkspace
{
    QString sid;
    QString friendlyName;
    qint64 seq = 0;
};

struct SetupWorkflow
{
    QString sid;
    QString workspaceSid;
    QString friendlyName;
    QJsonObject configuration; // served as a JSON string, as Twilio does
    qint64 seq = 0;
};

// The Twilio set-up around the contact centre, as `flex-backend check` reads
// it: the account's workspaces (the Flex one and another), their workflows
// with configuration JSON, which activities and TaskChannels are listed, each
// queue's target_workers, and which credentials Twilio accepts. By default
// it is a correct set-up for the dialpad: the outbound workflow's first
// filter targets task.targetWorker==worker.contact_uri at priority 1000 into
// the first queue ("Everyone", 1==1); activities include Offline
// (unavailable) and Available. apply() breaks parts of it for tests (knobs
// in src/emulator/README.md, "Set-up").
class SetupModel : public QObject
{
    Q_OBJECT
public:
    SetupModel(const EmulatorConfig &config, const ContactCentre *centre,
               QObject *parent = nullptr);

    // A workspace's sid other than the Flex one, with a workflow of its own.
    static QString otherWorkspaceSid();
    static QString otherWorkflowSid();

    const QList<SetupWorkspace> &workspaces() const { return m_workspaces; }
    const SetupWorkspace *workspace(const QString &sid) const;
    QList<SetupWorkflow> workflows(const QString &workspaceSid) const;
    const SetupWorkflow *workflow(const QString &workspaceSid, const QString &sid) const;
    QList<Activity> activities() const; // the contact centre's, minus removed ones
    bool listsChannel(const QString &uniqueName) const;
    QString targetWorkers(const QString &queueSid) const;
    // HTTP basic auth ("Basic base64(user:password)"): the account SID with
    // its auth token, or the API key with its secret, unless a knob revoked
    // that credential.
    bool acceptsAuthorization(const QByteArray &header) const;

    // Applies knobs (see README); false with *error for an unknown one.
    bool apply(const QJsonObject &knobs, QString *error);
    void reset();
    QJsonObject state() const;

private:
    bool accepts(const QString &user, const QString &password) const;
    void rebuildWorkflows();
    QString outboundQueueSid() const;

    EmulatorConfig m_config;
    const ContactCentre *m_centre;
    QList<SetupWorkspace> m_workspaces;
    QList<SetupWorkflow> m_workflows;
    QString m_outboundQueue; // the first queue when the set-up was reset
    // Knobs.
    QString m_filterExpression;
    int m_filterPriority = 1000;
    bool m_filterFirst = true;
    bool m_workflowElsewhere = false;
    QString m_targetWorkers;
    QSet<QString> m_removedActivities;
    QSet<QString> m_removedChannels;
    bool m_rejectAuthToken = false;
    bool m_rejectApiKey = false;
};

} // namespace flex::emulator
