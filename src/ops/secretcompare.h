#pragma once

#include <QByteArray>

namespace flex::ops {

// Compares a secret (a bearer token, a webhook signature) with what a client
// sent, in time independent of where they differ. The lengths may leak; the
// content does not.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

} // namespace flex::ops
