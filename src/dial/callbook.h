#pragma once

#include "dial/callstatus.h"

#include <QString>

#include <functional>
#include <optional>

namespace flex::dial {

// One outbound call this service placed and has not seen end.
struct CallRecord
{
    QString sid;
    QString owner; // Flex identity of the token that placed it
    QString to;
    CallStatus status = CallStatus::Queued;
    int sequence = -1;    // highest SequenceNumber applied, -1 before the first callback
    qint64 createdMs = 0; // wall clock (ms since epoch): survives restarts
    qint64 updatedMs = 0;

    friend bool operator==(const CallRecord &a, const CallRecord &b)
    {
        return a.sid == b.sid && a.owner == b.owner && a.to == b.to && a.status == b.status &&
               a.sequence == b.sequence && a.createdMs == b.createdMs && a.updatedMs == b.updatedMs;
    }
};

// What became of a status callback.
enum class CallbackOutcome {
    Relayed, // emitted to the owner
    Stale,   // older than what the owner already has (or the call ended): dropped
    Held,    // the call is not known yet; delivered once its create answer arrives
    Dropped, // unknown call and nowhere to keep it
};

// A status callback as the webhook received it.
struct CallbackEvent
{
    QString sid;
    QString owner; // from the StatusCallback URL (cluster mode); may be empty
    CallStatus status = CallStatus::Queued;
    int sequence = -1; // -1 when it carried no SequenceNumber
};

struct CallLookup
{
    std::optional<CallRecord> call; // empty: not in flight (or unknown)
    QString error;                  // set when it could not be looked up
};

// Where the calls in flight are kept and their order decided: in this
// process (CallRegistry, persisted in STATE_DIR) or in Redis for several
// instances (RedisCallBook). Answers may come later than the call (Redis);
// the in-process book answers at once.
class CallBook
{
public:
    virtual ~CallBook() = default;

    // Twilio accepted the create request: the owner hears `status` once it is
    // durable, then whatever came before it.
    virtual void addCall(const QString &sid, const QString &owner, CallStatus status,
                         const QString &to) = 0;
    virtual void applyCallback(const CallbackEvent &event,
                               std::function<void(CallbackOutcome)> done) = 0;
    virtual void findCall(const QString &sid, std::function<void(const CallLookup &)> done) = 0;
};

} // namespace flex::dial
