#pragma once

#include "dial/callregistry.h"

#include <QList>
#include <QString>

#include <optional>

namespace flex::dial {

// Calls in flight on disk (STATE_DIR/dial-calls.json), written atomically
// with QSaveFile so a crash leaves either the old or the new file, never half.
class CallStore
{
public:
    explicit CallStore(const QString &stateDir = {});

    void setStateDir(const QString &stateDir);
    QString filePath() const { return m_path; }

    bool save(const QList<CallRecord> &calls, QString *error) const;
    // A missing file is an empty list; a damaged one is an error (and no list).
    std::optional<QList<CallRecord>> load(QString *error) const;

    static QByteArray serialize(const QList<CallRecord> &calls);
    static std::optional<QList<CallRecord>> deserialize(const QByteArray &data, QString *error);

private:
    QString m_stateDir;
    QString m_path;
};

} // namespace flex::dial
