#pragma once

// The standard process_* metrics every Prometheus client library exports,
// read from /proc/self at scrape time:
//   process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_cpu_seconds_total, process_open_fds, process_max_fds,
//   process_start_time_seconds
//
// Wiring: flex::ops::installProcessMetrics(); once at start (idempotent per
// registry; call again after Metrics::clear()).

namespace flex::ops {

class Metrics;

void installProcessMetrics(Metrics &registry);
void installProcessMetrics(); // on flex::ops::metrics()

} // namespace flex::ops
