#pragma once

#include <QString>

namespace flex::ops {

// The process's open-files limit (RLIMIT_NOFILE), before and after
// raiseOpenFileLimit(). Every socket is a descriptor: the soft limit (often
// 1024 in a login shell) caps the connections the service can hold.
struct OpenFileLimit
{
    quint64 soft = 0;
    quint64 hard = 0;
    quint64 before = 0; // the soft limit found at start
    QString error;      // why it could not be raised (empty: fine)

    bool raised() const { return soft > before; }
    QString describe() const;
};

// Raises the soft limit to the hard limit (no privilege needed; systemd's
// LimitNOFILE= sets both). Does nothing when they are equal already.
OpenFileLimit raiseOpenFileLimit();

// Connections the service can hold: the soft open-files limit less a reserve
// for everything else (Twilio requests, Redis, the state file, logs).
int connectionCapacity();
constexpr int ReservedDescriptors = 256;

} // namespace flex::ops
