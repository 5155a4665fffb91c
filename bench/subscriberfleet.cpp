// The parent side (SubscriberFleet) and the child side (`flex-bench
// stats-clients`) of many stats subscribers in several processes. The
// child prints lines on stdout:
//   state <upgraded> <closed> <withSnapshot> <refused>
//   d <key> <count> <firstNs> <lastNs> <bytes>
#include "subscriberfleet.h"

#include "rawsubscriber.h"
#include "scenario.h"

#include <QCoreApplication>
#include <QSet>
#include <QSocketNotifier>
#include <QTimer>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace flex::bench {

using namespace Qt::StringLiterals;

void Delivery::merge(const Delivery &other)
{
    if (other.count == 0)
        return;
    firstNs = count == 0 ? other.firstNs : std::min(firstNs, other.firstNs);
    lastNs = std::max(lastNs, other.lastNs);
    count += other.count;
    bytes = std::max(bytes, other.bytes);
}

SubscriberFleet::SubscriberFleet(const Settings &settings, QObject *parent)
    : QObject(parent)
    , m_settings(settings)
{}

SubscriberFleet::~SubscriberFleet()
{
    // Closing stdin tells a child to stop; the bench may block here.
    for (auto &child : m_children) {
        child->process->closeWriteChannel();
        if (!child->process->waitForFinished(10000))
            child->process->kill();
        child->process->waitForFinished(2000);
    }
}

void SubscriberFleet::start()
{
    int left = m_settings.subscribers;
    while (left > 0) {
        const int share = std::min(left, m_settings.perProcess);
        left -= share;
        auto child = std::make_unique<Child>();
        child->process = std::make_unique<QProcess>();
        Child *raw = child.get();
        connect(child->process.get(), &QProcess::readyReadStandardOutput, this,
                [this, raw] { onOutput(*raw); });
        connect(child->process.get(), &QProcess::finished, this, [this](int code) {
            if (code != 0)
                Q_EMIT childFailed(u"a stats-clients process exited with %1"_s.arg(code));
        });
        child->process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child->process->start(QCoreApplication::applicationFilePath(),
                              {u"stats-clients"_s, u"--port"_s, QString::number(m_settings.port),
                               u"--count"_s, QString::number(share), u"--batch"_s,
                               QString::number(m_settings.batch), u"--max-seconds"_s,
                               QString::number(m_settings.maxSeconds), u"--token"_s,
                               QString::fromUtf8(m_settings.token)});
        m_children.push_back(std::move(child));
    }
}

void SubscriberFleet::onOutput(Child &child)
{
    child.pending += child.process->readAllStandardOutput();
    qsizetype start = 0;
    for (qsizetype end; (end = child.pending.indexOf('\n', start)) >= 0; start = end + 1) {
        const QList<QByteArray> f = child.pending.mid(start, end - start).split(' ');
        if (f.value(0) == "state" && f.size() == 5) {
            child.upgraded = f[1].toInt();
            child.closed = f[2].toInt();
            child.withSnapshot = f[3].toInt();
            child.refused = f[4].toInt();
        } else if (f.value(0) == "d" && f.size() == 6) {
            Delivery &d = child.deliveries[f[1].toULongLong(nullptr, 16)];
            d.count = f[2].toInt();
            d.firstNs = f[3].toLongLong();
            d.lastNs = f[4].toLongLong();
            d.bytes = f[5].toLongLong();
        }
    }
    child.pending.remove(0, start);
}

int SubscriberFleet::upgraded() const
{
    int n = 0;
    for (const auto &c : m_children)
        n += c->upgraded;
    return n;
}

int SubscriberFleet::closed() const
{
    int n = 0;
    for (const auto &c : m_children)
        n += c->closed;
    return n;
}

int SubscriberFleet::withSnapshot() const
{
    int n = 0;
    for (const auto &c : m_children)
        n += c->withSnapshot;
    return n;
}

int SubscriberFleet::refused() const
{
    int n = 0;
    for (const auto &c : m_children)
        n += c->refused;
    return n;
}

QHash<quint64, Delivery> SubscriberFleet::deliveries() const
{
    QHash<quint64, Delivery> all;
    for (const auto &c : m_children) {
        for (auto it = c->deliveries.cbegin(); it != c->deliveries.cend(); ++it)
            all[it.key()].merge(it.value());
    }
    return all;
}

// ------------------------------------------------------- the child process

namespace {

class ClientsProcess : public QObject
{
public:
    ClientsProcess(const QStringList &args, std::function<void(int)> done)
        : m_port(quint16(intArg(args, u"--port"_s, 0)))
        , m_count(intArg(args, u"--count"_s, 0))
        , m_batch(std::max(1, intArg(args, u"--batch"_s, 100)))
        , m_token(args.value(args.indexOf(u"--token"_s) + 1).toUtf8())
        , m_done(std::move(done))
        , m_stdin(STDIN_FILENO, QSocketNotifier::Read)
    {
        rlimit limit{};
        if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
            limit.rlim_cur = limit.rlim_max;
            setrlimit(RLIMIT_NOFILE, &limit);
        }
        // The parent closed our stdin (or died): stop.
        connect(&m_stdin, &QSocketNotifier::activated, this, [this] {
            char buffer[256];
            if (::read(STDIN_FILENO, buffer, sizeof buffer) <= 0)
                finish();
        });
        QTimer::singleShot(std::chrono::seconds(intArg(args, u"--max-seconds"_s, 900)), this,
                           [this] { finish(); });
        connect(&m_reportTimer, &QTimer::timeout, this, [this] { report(); });
        m_reportTimer.start(200);
        m_clients.reserve(size_t(m_count));
        nextBatch();
    }

private:
    // A window of at most m_batch handshakes in flight: one that is slow
    // (a SYN dropped by a full accept queue, retried a second later) holds
    // one place, not a whole batch.
    void nextBatch()
    {
        while (m_inFlight < m_batch && int(m_clients.size()) < m_count) {
            ++m_inFlight;
            auto *s = new RawSubscriber(m_port, m_token, this);
            m_clients.push_back(s);
            connect(s, &RawSubscriber::message, this, [this, s](quint64 key, qint64 bytes) {
                if (s->messages() == 1) {
                    ++m_withSnapshot;
                    handshakeDone();
                }
                Delivery &d = m_deliveries[key];
                const qint64 now = monotonicNs();
                if (d.count == 0)
                    d.firstNs = now;
                d.lastNs = now;
                d.bytes = bytes;
                ++d.count;
                m_changed.insert(key);
            });
            connect(s, &RawSubscriber::ended, this, [this, s] {
                ++m_closed;
                if (!s->upgraded())
                    ++m_refused;
                if (s->messages() == 0)
                    handshakeDone();
            });
        }
    }

    void handshakeDone()
    {
        --m_inFlight;
        if (!m_moreScheduled && int(m_clients.size()) < m_count) {
            m_moreScheduled = true;
            QTimer::singleShot(0, this, [this] {
                m_moreScheduled = false;
                nextBatch();
            });
        }
    }

    void report()
    {
        int upgraded = 0;
        for (const RawSubscriber *s : m_clients)
            upgraded += s->upgraded() ? 1 : 0;
        QByteArray out = "state " + QByteArray::number(upgraded) + ' ' +
                         QByteArray::number(m_closed) + ' ' + QByteArray::number(m_withSnapshot) +
                         ' ' + QByteArray::number(m_refused) + '\n';
        for (const quint64 key : std::as_const(m_changed)) {
            const Delivery &d = m_deliveries[key];
            out += "d " + QByteArray::number(key, 16) + ' ' + QByteArray::number(d.count) + ' ' +
                   QByteArray::number(d.firstNs) + ' ' + QByteArray::number(d.lastNs) + ' ' +
                   QByteArray::number(d.bytes) + '\n';
        }
        m_changed.clear();
        std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
        std::fflush(stdout);
    }

    void finish()
    {
        if (m_finishing)
            return;
        m_finishing = true;
        m_stdin.setEnabled(false);
        QTimer::singleShot(0, this, [this] { m_done(0); });
    }

    const quint16 m_port;
    const int m_count;
    const int m_batch;
    const QByteArray m_token;
    std::function<void(int)> m_done;
    QSocketNotifier m_stdin;
    QTimer m_reportTimer;
    std::vector<RawSubscriber *> m_clients;
    int m_inFlight = 0;
    bool m_moreScheduled = false;
    int m_closed = 0;
    int m_refused = 0;
    int m_withSnapshot = 0;
    bool m_finishing = false;
    QHash<quint64, Delivery> m_deliveries;
    QSet<quint64> m_changed;
};

void runClients(const QStringList &args, std::function<void(int)> done)
{
    auto *clients = new ClientsProcess(args, std::move(done));
    clients->setParent(qApp); // lives until the process exits
}

const Registrar clientsScenario({u"stats-clients"_s,
                                 u"(internal) the subscribers of one process of `stats`"_s,
                                 &runClients, true});

} // namespace
} // namespace flex::bench
