#include "setupmodel.h"

#include <QJsonArray>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

const QString kTargetWorker = u"task.targetWorker==worker.contact_uri"_s;
const QString kEveryone = u"1==1"_s;

QStringList strings(const QJsonValue &value)
{
    QStringList out;
    for (const QJsonValue &v : value.toArray())
        out << v.toString();
    return out;
}

} // namespace

SetupModel::SetupModel(const EmulatorConfig &config, const ContactCentre *centre, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_centre(centre)
    , m_workspaces{{config.workspaceSid, u"Flex Task Assignment"_s, 1},
                   {otherWorkspaceSid(), u"Sandbox"_s, 2}}
{
    reset();
}

QString SetupModel::otherWorkspaceSid()
{
    return u"WS0000000000000000000000000000a002"_s;
}

QString SetupModel::otherWorkflowSid()
{
    return u"WW0000000000000000000000000000a003"_s;
}

void SetupModel::reset()
{
    m_outboundQueue = m_centre->queues().isEmpty() ? QString() : m_centre->queues().first().sid;
    m_filterExpression = kTargetWorker;
    m_filterPriority = 1000;
    m_filterFirst = true;
    m_workflowElsewhere = false;
    m_targetWorkers = kEveryone;
    m_removedActivities.clear();
    m_removedChannels.clear();
    m_rejectAuthToken = false;
    m_rejectApiKey = false;
    rebuildWorkflows();
}

QString SetupModel::outboundQueueSid() const
{
    return m_outboundQueue;
}

void SetupModel::rebuildWorkflows()
{
    const QString queue = outboundQueueSid();
    const QJsonObject outbound{
        {u"filter_friendly_name"_s, u"Outbound calls"_s},
        {u"expression"_s, u"1==1"_s},
        {u"targets"_s, QJsonArray{QJsonObject{{u"queue"_s, queue},
                                              {u"expression"_s, m_filterExpression},
                                              {u"priority"_s, m_filterPriority}}}}};
    const QJsonObject catchAll{
        {u"filter_friendly_name"_s, u"Everything"_s},
        {u"expression"_s, u"1==1"_s},
        {u"targets"_s, QJsonArray{QJsonObject{{u"queue"_s, queue}, {u"priority"_s, 10}}}}};
    QJsonArray filters{outbound};
    if (!m_filterFirst)
        filters.prepend(catchAll);
    const QJsonObject defaultFilter{{u"queue"_s, queue}};
    const auto routing = [&defaultFilter](const QJsonArray &f) {
        return QJsonObject{{u"task_routing"_s,
                            QJsonObject{{u"filters"_s, f}, {u"default_filter"_s, defaultFilter}}}};
    };
    const QString outboundHome = m_workflowElsewhere ? otherWorkspaceSid() : m_config.workspaceSid;
    m_workflows = {
        {m_config.workflowSid, outboundHome, u"Outbound dialpad"_s, routing(filters), 1},
        {u"WW0000000000000000000000000000a002"_s, m_config.workspaceSid, u"Assign to Anyone"_s,
         routing(QJsonArray{catchAll}), 2},
        {otherWorkflowSid(), otherWorkspaceSid(), u"Sandbox routing"_s,
         routing(QJsonArray{catchAll}), 3},
    };
}

const SetupWorkspace *SetupModel::workspace(const QString &sid) const
{
    for (const SetupWorkspace &w : m_workspaces) {
        if (w.sid == sid)
            return &w;
    }
    return nullptr;
}

QList<SetupWorkflow> SetupModel::workflows(const QString &workspaceSid) const
{
    QList<SetupWorkflow> out;
    for (const SetupWorkflow &w : m_workflows) {
        if (w.workspaceSid == workspaceSid)
            out << w;
    }
    return out;
}

const SetupWorkflow *SetupModel::workflow(const QString &workspaceSid, const QString &sid) const
{
    for (const SetupWorkflow &w : m_workflows) {
        if (w.workspaceSid == workspaceSid && w.sid == sid)
            return &w;
    }
    return nullptr;
}

QList<Activity> SetupModel::activities() const
{
    QList<Activity> out;
    for (const Activity &a : m_centre->activities()) {
        if (!m_removedActivities.contains(a.friendlyName))
            out << a;
    }
    return out;
}

bool SetupModel::listsChannel(const QString &uniqueName) const
{
    return !m_removedChannels.contains(uniqueName);
}

QString SetupModel::targetWorkers(const QString &queueSid) const
{
    return queueSid == outboundQueueSid() ? m_targetWorkers : kEveryone;
}

bool SetupModel::acceptsAuthorization(const QByteArray &header) const
{
    if (!header.startsWith("Basic "))
        return false;
    const QByteArray decoded = QByteArray::fromBase64(header.mid(6).trimmed());
    const qsizetype colon = decoded.indexOf(':');
    return colon >= 0 && accepts(QString::fromUtf8(decoded.left(colon)),
                                 QString::fromUtf8(decoded.mid(colon + 1)));
}

bool SetupModel::accepts(const QString &user, const QString &password) const
{
    if (user == m_config.accountSid)
        return !m_rejectAuthToken && password == m_config.authToken;
    return !m_rejectApiKey && !m_config.apiKeySid.isEmpty() && user == m_config.apiKeySid &&
           password == m_config.apiKeySecret;
}

bool SetupModel::apply(const QJsonObject &knobs, QString *error)
{
    static const QStringList known = {
        u"reset"_s,           u"filterExpression"_s, u"filterPriority"_s, u"filterFirst"_s,
        u"targetWorkers"_s,   u"removeActivities"_s, u"removeChannels"_s, u"workflowElsewhere"_s,
        u"rejectAuthToken"_s, u"rejectApiKey"_s};
    for (auto it = knobs.begin(); it != knobs.end(); ++it) {
        if (!known.contains(it.key())) {
            *error = u"unknown set-up knob: "_s + it.key();
            return false;
        }
    }
    if (knobs.value(u"reset"_s).toBool())
        reset();
    m_filterExpression = knobs.value(u"filterExpression"_s).toString(m_filterExpression);
    m_filterPriority = knobs.value(u"filterPriority"_s).toInt(m_filterPriority);
    m_filterFirst = knobs.value(u"filterFirst"_s).toBool(m_filterFirst);
    m_targetWorkers = knobs.value(u"targetWorkers"_s).toString(m_targetWorkers);
    m_workflowElsewhere = knobs.value(u"workflowElsewhere"_s).toBool(m_workflowElsewhere);
    m_rejectAuthToken = knobs.value(u"rejectAuthToken"_s).toBool(m_rejectAuthToken);
    m_rejectApiKey = knobs.value(u"rejectApiKey"_s).toBool(m_rejectApiKey);
    for (const QString &name : strings(knobs.value(u"removeActivities"_s)))
        m_removedActivities.insert(name);
    for (const QString &name : strings(knobs.value(u"removeChannels"_s)))
        m_removedChannels.insert(name);
    rebuildWorkflows();
    return true;
}

QJsonObject SetupModel::state() const
{
    return QJsonObject{
        {u"filterExpression"_s, m_filterExpression},
        {u"filterPriority"_s, m_filterPriority},
        {u"filterFirst"_s, m_filterFirst},
        {u"targetWorkers"_s, m_targetWorkers},
        {u"workflowElsewhere"_s, m_workflowElsewhere},
        {u"removeActivities"_s, QJsonArray::fromStringList(m_removedActivities.values())},
        {u"removeChannels"_s, QJsonArray::fromStringList(m_removedChannels.values())},
        {u"rejectAuthToken"_s, m_rejectAuthToken},
        {u"rejectApiKey"_s, m_rejectApiKey},
        {u"otherWorkspaceSid"_s, otherWorkspaceSid()},
        {u"otherWorkflowSid"_s, otherWorkflowSid()},
    };
}

} // namespace flex::emulator
