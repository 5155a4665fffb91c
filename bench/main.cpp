// flex-bench: performance scenarios that print numbers (never assertions).
//   flex-bench               run every scenario
//   flex-bench NAME [ARGS]   run one (see --list)
#include "scenario.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTextStream>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace flex::bench {

std::vector<Scenario> &scenarios()
{
    static std::vector<Scenario> all;
    return all;
}

double percentile(const std::vector<double> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const double rank = p / 100.0 * double(sorted.size() - 1);
    const size_t low = size_t(std::floor(rank));
    const size_t high = std::min(sorted.size() - 1, low + 1);
    return sorted[low] + (sorted[high] - sorted[low]) * (rank - double(low));
}

int intArg(const QStringList &args, const QString &name, int fallback)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1).toInt() : fallback;
}

QString backendBinary()
{
    const QString env = qEnvironmentVariable("FLEX_BACKEND_BIN");
    if (!env.isEmpty())
        return env;
    const QString sibling =
        QCoreApplication::applicationDirPath() + QStringLiteral("/../src/app/flex-backend");
    return QFileInfo::exists(sibling) ? sibling : QStringLiteral(FLEX_BACKEND_BUILD_PATH);
}

quint16 freePort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort();
}

qint64 residentBytes(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> lines = status.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong() * 1024;
    }
    return 0;
}

qint64 cpuTicks(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return 0;
    // The command name (field 2) may hold spaces: count from its closing ')'.
    const QByteArray text = stat.readAll();
    const QList<QByteArray> f = text.mid(text.lastIndexOf(')') + 2).split(' ');
    return f.size() > 12 ? f.at(11).toLongLong() + f.at(12).toLongLong() : 0;
}

QByteArray httpGetBlocking(quint16 port, const QByteArray &path)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000))
        return {};
    socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QByteArray answer;
    while (socket.waitForReadyRead(5000))
        answer += socket.readAll();
    answer += socket.readAll();
    const qsizetype body = answer.indexOf("\r\n\r\n");
    return answer.startsWith("HTTP/1.1 200") && body >= 0 ? answer.mid(body + 4) : QByteArray();
}

double metricValue(const QByteArray &page, const QByteArray &sample)
{
    for (const QByteArray &line : page.split('\n')) {
        if (line.startsWith(QByteArray(sample + ' ')))
            return line.mid(sample.size() + 1).trimmed().toDouble();
    }
    return -1;
}

int openDescriptors(qint64 pid)
{
    const QDir fds(QStringLiteral("/proc/%1/fd").arg(pid));
    return fds.exists()
               ? int(fds.entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot).size())
               : -1;
}

} // namespace flex::bench

int main(int argc, char *argv[])
{
    using namespace flex::bench;
    QCoreApplication app(argc, argv);
    QStringList args = QCoreApplication::arguments().mid(1);
    auto &all = scenarios();
    std::sort(all.begin(), all.end(),
              [](const Scenario &a, const Scenario &b) { return a.name < b.name; });
    if (args.value(0) == QLatin1String("--list") || args.value(0) == QLatin1String("--help")) {
        for (const Scenario &s : all)
            std::printf("%-14s %s\n", qPrintable(s.name), qPrintable(s.description));
        return 0;
    }
    std::vector<const Scenario *> queue;
    QStringList scenarioArgs;
    if (args.isEmpty()) {
        for (const Scenario &s : all) {
            if (!s.internal)
                queue.push_back(&s);
        }
    } else {
        const auto it = std::find_if(all.begin(), all.end(),
                                     [&](const Scenario &s) { return s.name == args.first(); });
        if (it == all.end()) {
            std::fprintf(stderr, "flex-bench: unknown scenario %s (try --list)\n",
                         qPrintable(args.first()));
            return 64;
        }
        queue.push_back(&*it);
        scenarioArgs = args.mid(1);
    }
    const bool quiet = queue.size() == 1 && queue.front()->internal; // its stdout is a protocol
    int worst = 0;
    size_t next = 0;
    std::function<void()> runNext = [&] {
        if (next == queue.size()) {
            QCoreApplication::exit(worst);
            return;
        }
        const Scenario *s = queue[next++];
        if (!quiet) {
            std::printf("== %s: %s\n", qPrintable(s->name), qPrintable(s->description));
            std::fflush(stdout);
        }
        s->run(scenarioArgs, [&](int rc) {
            worst = std::max(worst, rc);
            QMetaObject::invokeMethod(&app, runNext, Qt::QueuedConnection);
        });
    };
    QMetaObject::invokeMethod(&app, runNext, Qt::QueuedConnection);
    return QCoreApplication::exec();
}
