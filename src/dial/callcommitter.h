#pragma once

#include "dial/callstatus.h"

#include <QList>
#include <QObject>
#include <QSet>
#include <QString>
#include <QThreadPool>
#include <QTimer>

#include <functional>

namespace flex::dial {

class CallRegistry;
struct CallRecord;
class CallStore;

// Keeps the promise behind `queued`: no update of a call reaches its owner
// before the call is on disk. Updates of a call the last write did not
// contain are held; at the end of the event-loop turn one write (a group
// commit: every call created in that turn) makes them durable, then they are
// published in their order. Updates of calls already on disk pass at once;
// their changes are saved shortly after (saveSoon), since losing a later
// status only means a restored call resumes from an earlier one.
// The write itself (fsync) runs on one worker thread, never on the event
// loop; one write is in flight at a time and the next gathers everything
// that arrived meanwhile.
class CallCommitter : public QObject
{
    Q_OBJECT
public:
    using Publish = std::function<void(const QString &owner, const QString &callSid, CallStatus)>;

    CallCommitter(CallStore &store, const CallRegistry &registry, Publish publish,
                  QObject *parent = nullptr);
    ~CallCommitter() override; // waits for a write in flight

    // An update from the registry: published now or after the next write.
    void offer(const QString &owner, const QString &callSid, CallStatus status);
    // The registry changed in a way that need not hold anything up.
    void saveSoon();
    // Writes the registry now, on the calling thread (shutdown), and releases
    // what waited for it; false when the write failed (what waited is
    // released anyway, with a warning: the call exists at Twilio and the
    // agent must hear of it).
    bool saveNow();
    // The calls restored from disk are on disk.
    void markSaved();

    int heldUpdates() const { return int(m_held.size() + m_writing.size()); }
    int writes() const { return m_writes; } // attempted, since start

private:
    struct Update
    {
        QString owner;
        QString callSid;
        CallStatus status;
    };

    void commit(); // starts a write on the worker unless one is in flight
    void finishWrite(bool saved, const QString &error, qint64 nanoseconds,
                     const QList<CallRecord> &calls, const QList<Update> &released);

    CallStore &m_store;
    const CallRegistry &m_registry;
    Publish m_publish;
    QSet<QString> m_onDisk;  // sids in the last file written
    QList<Update> m_held;    // waiting for the next write
    QList<Update> m_writing; // waiting for the write in flight
    bool m_inFlight = false;
    int m_writeNumber = 0;     // the write whose answer is awaited
    bool m_writeAgain = false; // changes came while a write was in flight
    QThreadPool m_writer;      // one thread: the blocking write and fsync
    QTimer m_commitTimer;      // zero: the end of this event-loop turn
    QTimer m_saveTimer;        // debounce of saveSoon()
    int m_writes = 0;
};

} // namespace flex::dial
