#include "dial/callstore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace flex::dial {

using namespace Qt::StringLiterals;

namespace {

constexpr int FormatVersion = 1;

} // namespace

CallStore::CallStore(const QString &stateDir)
{
    setStateDir(stateDir);
}

void CallStore::setStateDir(const QString &stateDir)
{
    m_stateDir = stateDir;
    m_path = stateDir.isEmpty() ? QString() : QDir(stateDir).filePath(u"dial-calls.json"_s);
}

QByteArray CallStore::serialize(const QList<CallRecord> &calls)
{
    QJsonArray list;
    for (const CallRecord &c : calls) {
        list.append(QJsonObject{
            {"sid"_L1, c.sid},
            {"owner"_L1, c.owner},
            {"to"_L1, c.to},
            {"status"_L1, statusText(c.status)},
            {"sequence"_L1, c.sequence},
            {"createdMs"_L1, double(c.createdMs)},
            {"updatedMs"_L1, double(c.updatedMs)},
        });
    }
    return QJsonDocument(QJsonObject{{"version"_L1, FormatVersion}, {"calls"_L1, list}})
        .toJson(QJsonDocument::Indented);
}

std::optional<QList<CallRecord>> CallStore::deserialize(const QByteArray &data, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(data, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = u"not a JSON object (%1)"_s.arg(parseError.errorString());
        return std::nullopt;
    }
    const QJsonObject root = doc.object();
    if (root.value("version"_L1).toInt() != FormatVersion) {
        *error = u"unknown format version %1"_s.arg(root.value("version"_L1).toInt());
        return std::nullopt;
    }
    QList<CallRecord> calls;
    const QJsonArray list = root.value("calls"_L1).toArray();
    for (const QJsonValue &v : list) {
        const QJsonObject o = v.toObject();
        const std::optional<CallStatus> status = parseCallStatus(o.value("status"_L1).toString());
        CallRecord c;
        c.sid = o.value("sid"_L1).toString();
        c.owner = o.value("owner"_L1).toString();
        c.to = o.value("to"_L1).toString();
        c.sequence = o.value("sequence"_L1).toInt(-1);
        c.createdMs = qint64(o.value("createdMs"_L1).toDouble());
        c.updatedMs = qint64(o.value("updatedMs"_L1).toDouble());
        if (!status || c.sid.isEmpty() || c.owner.isEmpty())
            continue; // a damaged entry must not cost the others
        c.status = *status;
        calls.append(c);
    }
    return calls;
}

bool CallStore::save(const QList<CallRecord> &calls, QString *error) const
{
    if (m_path.isEmpty()) {
        *error = u"no state directory"_s;
        return false;
    }
    if (!QDir().mkpath(m_stateDir)) {
        *error = u"cannot create %1"_s.arg(m_stateDir);
        return false;
    }
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = u"cannot write %1: %2"_s.arg(m_path, file.errorString());
        return false;
    }
    // Owner identities and dialled numbers: readable by the service only.
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(serialize(calls));
    if (!file.commit()) {
        *error = u"cannot write %1: %2"_s.arg(m_path, file.errorString());
        return false;
    }
    return true;
}

std::optional<QList<CallRecord>> CallStore::load(QString *error) const
{
    if (m_path.isEmpty() || !QFile::exists(m_path))
        return QList<CallRecord>{};
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = u"cannot read %1: %2"_s.arg(m_path, file.errorString());
        return std::nullopt;
    }
    QString why;
    std::optional<QList<CallRecord>> calls = deserialize(file.readAll(), &why);
    if (!calls)
        *error = u"%1 is damaged: %2"_s.arg(m_path, why);
    return calls;
}

} // namespace flex::dial
