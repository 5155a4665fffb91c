#pragma once

namespace flex::twilio {

class TwilioClient;

// Counts a client's exchanges in the process metrics, from its signals:
// flex_twilio_requests_total{endpoint,status}, flex_twilio_request_duration_seconds{endpoint},
// flex_twilio_rate_limited_total{endpoint} and flex_twilio_retries_total{endpoint}.
// status is the HTTP status, else timeout, canceled, bad_answer or network.
void countExchanges(TwilioClient &client);

} // namespace flex::twilio
