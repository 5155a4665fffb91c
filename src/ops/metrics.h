#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace flex::ops {

using Labels = QList<QPair<QByteArray, QByteArray>>;

class Counter
{
public:
    void inc(double by = 1.0) { m_value += by; }
    // Only for collectors mirroring a total kept elsewhere (CPU seconds from
    // /proc); everything else counts with inc().
    void set(double total) { m_value = total; }
    double value() const { return m_value; }

private:
    double m_value = 0;
};

class Gauge
{
public:
    void set(double value) { m_value = value; }
    void inc(double by = 1.0) { m_value += by; }
    void dec(double by = 1.0) { m_value -= by; }
    double value() const { return m_value; }

private:
    double m_value = 0;
};

class Histogram
{
public:
    explicit Histogram(std::vector<double> upperBounds);
    void observe(double value);
    const std::vector<double> &upperBounds() const { return m_bounds; }
    const std::vector<quint64> &bucketCounts() const { return m_counts; } // not cumulative
    quint64 count() const { return m_count; }
    double sum() const { return m_sum; }

private:
    std::vector<double> m_bounds;
    std::vector<quint64> m_counts;
    quint64 m_count = 0;
    double m_sum = 0;
};

// The process-wide metric registry, rendered in the Prometheus text format
// (0.0.4). Metric objects live as long as the registry: callers may keep the
// references they get. Names follow Prometheus conventions (flex_*_total for
// counters). Single-threaded like the rest of the service.
class Metrics
{
public:
    static Metrics &instance();

    Counter &counter(const QByteArray &name, const QByteArray &help, const Labels &labels = {});
    Gauge &gauge(const QByteArray &name, const QByteArray &help, const Labels &labels = {});
    Histogram &histogram(const QByteArray &name, const QByteArray &help,
                         const std::vector<double> &upperBounds, const Labels &labels = {});

    // Called before each render, to refresh gauges that are cheaper to read
    // on demand (connection counts, process metrics).
    void addCollector(std::function<void()> collector);

    QByteArray render() const;

    // Whether a metric family of that name is registered.
    bool contains(const QByteArray &name) const { return m_families.count(name) > 0; }

    // The Content-Type of render()'s output.
    static QByteArray contentType()
    {
        return QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8");
    }

    // Tests and the reload path only: forget every metric.
    void clear();

private:
    enum class Type { Counter, Gauge, Histogram };
    struct Family
    {
        Type type;
        QByteArray help;
        std::map<Labels, std::unique_ptr<Counter>> counters;
        std::map<Labels, std::unique_ptr<Gauge>> gauges;
        std::map<Labels, std::unique_ptr<Histogram>> histograms;
    };
    Family &family(const QByteArray &name, const QByteArray &help, Type type);

    std::map<QByteArray, Family> m_families;
    std::vector<std::function<void()>> m_collectors;
};

// Shorthand: flex::ops::metrics().counter(...)
inline Metrics &metrics()
{
    return Metrics::instance();
}

} // namespace flex::ops
