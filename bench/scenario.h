#pragma once

#include <QStringList>

#include <functional>
#include <vector>

namespace flex::bench {

// One benchmark scenario of flex-bench. run() starts asynchronous work on the
// event loop and calls done(exitCode) once it has printed its numbers.
struct Scenario
{
    QString name;
    QString description;
    std::function<void(const QStringList &args, std::function<void(int)> done)> run;
    bool internal = false; // a helper mode the others start; not run by plain `flex-bench`
};

std::vector<Scenario> &scenarios();

// Registers a scenario at static-initialisation time, from its own .cpp:
//   static const flex::bench::Registrar reg({u"dial"_s, u"..."_s, &runDial});
struct Registrar
{
    explicit Registrar(Scenario scenario) { scenarios().push_back(std::move(scenario)); }
};

// Percentile of an ascending-sorted list (p in [0,100]); 0 when empty.
double percentile(const std::vector<double> &sorted, double p);

// The value after `name` in args as a number, or fallback.
int intArg(const QStringList &args, const QString &name, int fallback);

// The flex-backend binary: FLEX_BACKEND_BIN, else the one in this build tree.
QString backendBinary();

// A free TCP port on 127.0.0.1 (bound and released).
quint16 freePort();

// Resident set size of a process in bytes, from /proc/<pid>/status (0 if unknown).
qint64 residentBytes(qint64 pid);

// CPU time (user + system) of a process in clock ticks (1/100 s), from /proc/<pid>/stat.
qint64 cpuTicks(qint64 pid);

// GET http://127.0.0.1:port/path, blocking (the bench's own thread, never the
// service's): the body, empty on failure.
QByteArray httpGetBlocking(quint16 port, const QByteArray &path);

// The value of one sample line of a Prometheus text page ("name{labels} value"), or -1.
double metricValue(const QByteArray &page, const QByteArray &sample);

// Open file descriptors of a process (entries of /proc/<pid>/fd; -1 if unknown).
int openDescriptors(qint64 pid);

} // namespace flex::bench
