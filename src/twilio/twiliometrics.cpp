#include "twilio/twiliometrics.h"

#include "ops/metrics.h"
#include "twilio/twilioclient.h"

#include <vector>

namespace flex::twilio {

namespace {

const std::vector<double> &durationBuckets()
{
    static const std::vector<double> buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                             0.5,   1.0,  2.5,   5.0,  10.0};
    return buckets;
}

QByteArray statusLabel(int status, const std::optional<TwilioError> &error)
{
    if (status > 0)
        return QByteArray::number(status);
    if (!error)
        return QByteArrayLiteral("0");
    switch (error->kind) {
    case TwilioError::Kind::Timeout:
        return QByteArrayLiteral("timeout");
    case TwilioError::Kind::Canceled:
        return QByteArrayLiteral("canceled");
    case TwilioError::Kind::BadAnswer:
        return QByteArrayLiteral("bad_answer");
    case TwilioError::Kind::Network:
    case TwilioError::Kind::Http:
        break;
    }
    return QByteArrayLiteral("network");
}

void countExchange(const QString &endpoint, int status, std::chrono::milliseconds latency,
                   const std::optional<TwilioError> &error)
{
    auto &m = ops::metrics();
    const QByteArray endpointLabel = endpoint.toUtf8();
    m.counter("flex_twilio_requests_total", "Twilio REST exchanges by endpoint and status",
              {{"endpoint", endpointLabel}, {"status", statusLabel(status, error)}})
        .inc();
    m.histogram("flex_twilio_request_duration_seconds", "Twilio REST exchange latency",
                durationBuckets(), {{"endpoint", endpointLabel}})
        .observe(double(latency.count()) / 1000.0);
    if (status == 429)
        m.counter("flex_twilio_rate_limited_total", "Twilio answers with HTTP 429",
                  {{"endpoint", endpointLabel}})
            .inc();
}

} // namespace

void countExchanges(TwilioClient &client)
{
    QObject::connect(&client, &TwilioClient::requestFinished, &client, &countExchange);
    QObject::connect(&client, &TwilioClient::retrying, &client,
                     [](const QString &endpoint, int, std::chrono::milliseconds) {
                         ops::metrics()
                             .counter("flex_twilio_retries_total", "Twilio requests retried",
                                      {{"endpoint", endpoint.toUtf8()}})
                             .inc();
                     });
}

} // namespace flex::twilio
