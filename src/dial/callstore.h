#pragma once

#include "dial/callregistry.h"

#include <QList>
#include <QString>

#include <optional>

namespace flex::dial {

// Calls in flight on disk (STATE_DIR/dial-calls.json). A save is durable
// when it returns: the list goes to a temporary file that is fsync'ed, renamed
// over the old file, and the directory is fsync'ed, so a crash at any moment
// (kill -9, power loss) leaves either the old or the new list, never half.
class CallStore
{
public:
    struct Loaded
    {
        QList<CallRecord> calls;
        QString problem; // why the file was refused; empty when it was fine or missing
        QString movedTo; // where a refused file was moved aside (empty: it stayed)
        int skipped = 0; // damaged entries left out of an otherwise good file
    };

    explicit CallStore(const QString &stateDir = {});

    void setStateDir(const QString &stateDir);
    QString filePath() const { return m_path; }
    bool enabled() const { return !m_path.isEmpty(); }

    bool save(const QList<CallRecord> &calls, QString *error) const;
    // Writes an already serialized list durably; safe from a worker thread
    // (it reads only the paths, which do not change while a write runs).
    bool write(const QByteArray &serialized, QString *error) const;
    // A missing file is an empty list. A damaged one (truncated, not JSON, an
    // unknown version) is refused: moved aside to dial-calls.json.corrupt-<UTC
    // time> so that the next save does not destroy the evidence, and the list
    // is empty. A temporary file left by a crash mid-write is removed.
    Loaded load() const;

    static QByteArray serialize(const QList<CallRecord> &calls);
    static std::optional<QList<CallRecord>> deserialize(const QByteArray &data, QString *error,
                                                        int *skipped = nullptr);

private:
    QString tempPath() const;
    QString moveAside() const;

    QString m_stateDir;
    QString m_path;
};

} // namespace flex::dial
