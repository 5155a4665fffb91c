#include "ops/processmetrics.h"

#include "ops/metrics.h"

#include <QDir>
#include <QFile>

#include <time.h>
#include <unistd.h>

namespace flex::ops {

namespace {

QByteArray readProcFile(const char *path)
{
    // /proc files report size 0; readAll() reads until EOF.
    QFile file(QString::fromLatin1(path));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Unbuffered))
        return {};
    return file.readAll();
}

// Wall-clock time of boot, from two clocks rather than /proc/stat, which the
// unit's ProcSubset=pid hides.
double bootTimeSeconds()
{
    timespec real = {}, boot = {};
    clock_gettime(CLOCK_REALTIME, &real);
    clock_gettime(CLOCK_BOOTTIME, &boot);
    return double(real.tv_sec - boot.tv_sec) + double(real.tv_nsec - boot.tv_nsec) / 1e9;
}

struct ProcStat
{
    double utimeTicks = 0;
    double stimeTicks = 0;
    double startTicks = 0;
    double vsize = 0;
    double rssPages = 0;
    bool ok = false;
};

ProcStat readStat()
{
    ProcStat out;
    const QByteArray stat = readProcFile("/proc/self/stat");
    // The command name (field 2) may contain spaces; fields after it are
    // counted from the closing parenthesis.
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return out;
    const QList<QByteArray> f = stat.mid(close + 2).split(' ');
    // f[0] is field 3 (state): field N is f[N - 3].
    if (f.size() < 22)
        return out;
    out.utimeTicks = f[14 - 3].toDouble();
    out.stimeTicks = f[15 - 3].toDouble();
    out.startTicks = f[22 - 3].toDouble();
    out.vsize = f[23 - 3].toDouble();
    out.rssPages = f[24 - 3].toDouble();
    out.ok = true;
    return out;
}

double maxFds()
{
    const QList<QByteArray> lines = readProcFile("/proc/self/limits").split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("Max open files")) {
            const QList<QByteArray> parts = line.mid(14).simplified().split(' ');
            if (!parts.isEmpty())
                return parts.first() == "unlimited" ? -1 : parts.first().toDouble();
        }
    }
    return 0;
}

} // namespace

void installProcessMetrics(Metrics &registry)
{
    if (registry.contains("process_start_time_seconds"))
        return;
    Gauge &resident =
        registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
    Gauge &virtualMemory =
        registry.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
    Counter &cpu = registry.counter("process_cpu_seconds_total",
                                    "Total user and system CPU time spent in seconds.");
    Gauge &openFds = registry.gauge("process_open_fds", "Number of open file descriptors.");
    Gauge &maxFdsGauge =
        registry.gauge("process_max_fds", "Maximum number of open file descriptors.");
    Gauge &startTime = registry.gauge("process_start_time_seconds",
                                      "Start time of the process since unix epoch in seconds.");

    const double ticks = double(sysconf(_SC_CLK_TCK));
    const double pageSize = double(sysconf(_SC_PAGESIZE));
    const double bootTime = bootTimeSeconds();

    // Metric objects live as long as the registry, which owns this collector.
    registry.addCollector([resident = &resident, virtualMemory = &virtualMemory, cpu = &cpu,
                           openFds = &openFds, maxFdsGauge = &maxFdsGauge, startTime = &startTime,
                           ticks, pageSize, bootTime] {
        const ProcStat stat = readStat();
        if (stat.ok && ticks > 0) {
            resident->set(stat.rssPages * pageSize);
            virtualMemory->set(stat.vsize);
            cpu->set((stat.utimeTicks + stat.stimeTicks) / ticks);
            startTime->set(bootTime + stat.startTicks / ticks);
        }
        // Minus the descriptor QDir itself holds while listing.
        const auto fds = QDir(QStringLiteral("/proc/self/fd"))
                             .entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot)
                             .size();
        openFds->set(double(std::max<qsizetype>(fds - 1, 0)));
        maxFdsGauge->set(maxFds());
    });
}

void installProcessMetrics()
{
    installProcessMetrics(metrics());
}

} // namespace flex::ops
