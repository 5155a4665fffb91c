#pragma once

// Parsers for the settings whose text has a structure of its own. Each
// answers an error message (empty when fine) that never repeats a secret.

#include "config/config.h"

#include <QString>

namespace flex::config {

// redis://[user:password@]host[:port][/db], rediss://… (TLS),
// unix://[user:password@]/path[?db=N]; empty text: disabled.
QString parseRedisUrl(const QString &text, RedisEndpoint *out);

// "10.0.0.1, 192.168.0.0/16, ::1" -> (address, prefix length) pairs.
QString parseTrustedProxies(const QString &text, QList<QPair<QHostAddress, int>> *out);
QString showTrustedProxies(const QList<QPair<QHostAddress, int>> &proxies);

// EXTERNAL_HOST: host[:port] (https implied) or http(s)://host[:port].
QString parseExternalHost(const QString &text, QUrl *webhookBaseUrl);

// SLA_THRESHOLDS: one to three distinct whole seconds, sorted ascending.
QString parseSlaThresholds(const QString &text, QList<int> *out);

// STATS_CHANNELS: channel names (unique, order kept) or "auto" alone.
QString parseStatsChannels(const QString &text, QStringList *out);

// The trimmed, non-empty items of a comma-separated list.
QStringList splitList(const QString &text);

} // namespace flex::config
