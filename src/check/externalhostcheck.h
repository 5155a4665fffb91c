#pragma once

#include "check/check.h"

class QHostInfo;
class QNetworkAccessManager;
class QNetworkReply;

namespace flex::check {

// "external-host": EXTERNAL_HOST resolves (asynchronously), and
// <webhook base>/healthz?nonce=<random> answers from flex-backend (the
// running service echoes the nonce). Nobody answering is a warning (the
// service may simply not run yet); something else answering, a name that
// does not resolve or a certificate Twilio would refuse is a failure. Plain
// http:// is a warning unless Twilio itself is local too (an emulator).
class ExternalHostCheck : public Check
{
    Q_OBJECT
public:
    explicit ExternalHostCheck(CheckContext &context, QObject *parent = nullptr);
    QStringList ids() const override;
    void start() override;

private:
    void onLookup(const QHostInfo &info);
    void probe();
    void onProbe(QNetworkReply *reply);
    void reportAnswered();
    bool localSetUp() const;

    QNetworkAccessManager *m_network;
    QString m_nonce;
};

} // namespace flex::check
