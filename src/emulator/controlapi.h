#pragma once

#include "httpmessage.h"

#include <QObject>

namespace flex::emulator {

class TwilioEmulator;

// JSON control API under /__emulator/ for the schema test, the benchmark and
// humans driving the standalone executable. No authentication: the emulator
// listens on loopback only. Routes are listed in src/emulator/README.md.
class ControlApi : public QObject
{
    Q_OBJECT
public:
    explicit ControlApi(TwilioEmulator *emulator);

    HttpResponse handle(const HttpRequest &request, const QString &origin);

private:
    TwilioEmulator *m_emulator;
};

} // namespace flex::emulator
