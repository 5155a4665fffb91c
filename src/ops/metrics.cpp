#include "ops/metrics.h"

#include <algorithm>
#include <cmath>

namespace flex::ops {

Histogram::Histogram(std::vector<double> upperBounds)
    : m_bounds(std::move(upperBounds))
    , m_counts(m_bounds.size() + 1, 0)
{
    std::sort(m_bounds.begin(), m_bounds.end());
}

void Histogram::observe(double value)
{
    const auto it = std::lower_bound(m_bounds.begin(), m_bounds.end(), value);
    ++m_counts[size_t(it - m_bounds.begin())];
    ++m_count;
    m_sum += value;
}

Metrics &Metrics::instance()
{
    static Metrics registry;
    return registry;
}

namespace {

// [a-zA-Z_:][a-zA-Z0-9_:]*, as the exposition format requires.
bool validMetricName(const QByteArray &name)
{
    if (name.isEmpty() || (name[0] >= '0' && name[0] <= '9'))
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == ':';
    });
}

} // namespace

Metrics::Family &Metrics::family(const QByteArray &name, const QByteArray &help, Type type)
{
    Q_ASSERT_X(validMetricName(name), "Metrics", "invalid metric name");
    auto it = m_families.find(name);
    if (it == m_families.end())
        it = m_families.emplace(name, Family{type, help, {}, {}, {}}).first;
    Q_ASSERT_X(it->second.type == type, "Metrics", "one metric name registered with two types");
    return it->second;
}

Counter &Metrics::counter(const QByteArray &name, const QByteArray &help, const Labels &labels)
{
    auto &slot = family(name, help, Type::Counter).counters[labels];
    if (!slot)
        slot = std::make_unique<Counter>();
    return *slot;
}

Gauge &Metrics::gauge(const QByteArray &name, const QByteArray &help, const Labels &labels)
{
    auto &slot = family(name, help, Type::Gauge).gauges[labels];
    if (!slot)
        slot = std::make_unique<Gauge>();
    return *slot;
}

Histogram &Metrics::histogram(const QByteArray &name, const QByteArray &help,
                              const std::vector<double> &upperBounds, const Labels &labels)
{
    auto &slot = family(name, help, Type::Histogram).histograms[labels];
    if (!slot)
        slot = std::make_unique<Histogram>(upperBounds);
    return *slot;
}

void Metrics::addCollector(std::function<void()> collector)
{
    m_collectors.push_back(std::move(collector));
}

void Metrics::clear()
{
    m_families.clear();
    m_collectors.clear();
}

namespace {

QByteArray number(double value)
{
    if (std::isinf(value))
        return value > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    if (std::isnan(value))
        return QByteArrayLiteral("NaN");
    if (value == std::floor(value) && std::fabs(value) < 1e15)
        return QByteArray::number(qint64(value));
    return QByteArray::number(value, 'g', 12);
}

QByteArray escapeLabel(const QByteArray &value)
{
    QByteArray out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QByteArray labelText(const Labels &labels, const QByteArray &extraName = {},
                     const QByteArray &extraValue = {})
{
    if (labels.isEmpty() && extraName.isEmpty())
        return {};
    QByteArray out = "{";
    bool first = true;
    for (const auto &[name, value] : labels) {
        if (!first)
            out += ',';
        first = false;
        out += name + "=\"" + escapeLabel(value) + '"';
    }
    if (!extraName.isEmpty()) {
        if (!first)
            out += ',';
        out += extraName + "=\"" + extraValue + '"';
    }
    return out + '}';
}

QByteArray escapeHelp(QByteArray help)
{
    return help.replace('\\', "\\\\").replace('\n', "\\n");
}

} // namespace

QByteArray Metrics::render() const
{
    for (const auto &collector : m_collectors)
        collector();
    QByteArray out;
    out.reserve(8192);
    for (const auto &[name, fam] : m_families) {
        static const char *typeNames[] = {"counter", "gauge", "histogram"};
        out += "# HELP " + name + ' ' + escapeHelp(fam.help) + '\n';
        out += "# TYPE " + name + ' ' + typeNames[int(fam.type)] + '\n';
        for (const auto &[labels, c] : fam.counters)
            out += name + labelText(labels) + ' ' + number(c->value()) + '\n';
        for (const auto &[labels, g] : fam.gauges)
            out += name + labelText(labels) + ' ' + number(g->value()) + '\n';
        for (const auto &[labels, h] : fam.histograms) {
            quint64 cumulative = 0;
            for (size_t i = 0; i < h->upperBounds().size(); ++i) {
                cumulative += h->bucketCounts()[i];
                out += name + "_bucket" + labelText(labels, "le", number(h->upperBounds()[i])) +
                       ' ' + QByteArray::number(cumulative) + '\n';
            }
            out += name + "_bucket" + labelText(labels, "le", "+Inf") + ' ' +
                   QByteArray::number(h->count()) + '\n';
            out += name + "_sum" + labelText(labels) + ' ' + number(h->sum()) + '\n';
            out +=
                name + "_count" + labelText(labels) + ' ' + QByteArray::number(h->count()) + '\n';
        }
    }
    return out;
}

} // namespace flex::ops
