#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>

namespace flex::server {

// Who a validated Flex token belongs to.
struct FlexIdentity
{
    QString identity;
    QStringList roles;
    QString workerSid;
    QString realmUserId;
    QDateTime expiration;
};

} // namespace flex::server
