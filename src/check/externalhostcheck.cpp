#include "check/externalhostcheck.h"

#include "check/checkcontext.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QUrlQuery>

namespace flex::check {

using namespace Qt::StringLiterals;

namespace {

const QString kExternalHost = u"external-host"_s;

bool isLoopbackName(const QString &host)
{
    const QHostAddress address(host);
    return host == u"localhost"_s || (!address.isNull() && address.isLoopback());
}

QString healthzText(const QUrl &base)
{
    return base.toString(QUrl::StripTrailingSlash) + u"/healthz"_s;
}

} // namespace

ExternalHostCheck::ExternalHostCheck(CheckContext &context, QObject *parent)
    : Check(context, parent)
    , m_network(new QNetworkAccessManager(this))
    , m_nonce(randomNonce())
{
    m_network->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    m_network->setTransferTimeout(
        int(std::chrono::milliseconds(CheckContext::kRequestTimeout).count()));
}

QStringList ExternalHostCheck::ids() const
{
    return {kExternalHost};
}

void ExternalHostCheck::start()
{
    const QUrl &base = context().config().webhookBaseUrl;
    if (base.port() == 0) {
        report(CheckResult::warn(
            kExternalHost,
            u"EXTERNAL_HOST has port 0, which only the running service turns into its port"_s,
            u"Set EXTERNAL_HOST to the host and port Twilio reaches the service at."_s));
        return;
    }
    if (!QHostAddress(base.host()).isNull()) {
        probe();
        return;
    }
    QHostInfo::lookupHost(base.host(), this, &ExternalHostCheck::onLookup);
}

void ExternalHostCheck::onLookup(const QHostInfo &info)
{
    if (info.error() == QHostInfo::NoError && !info.addresses().isEmpty()) {
        probe();
        return;
    }
    const QString host = context().config().webhookBaseUrl.host();
    report(CheckResult::fail(
        kExternalHost, u"EXTERNAL_HOST %1 does not resolve (%2)"_s.arg(host, info.errorString()),
        u"Set EXTERNAL_HOST to the public DNS name Twilio reaches this service at, or create "
        u"that DNS record."_s));
}

void ExternalHostCheck::probe()
{
    QUrl url(healthzText(context().config().webhookBaseUrl));
    url.setQuery(QUrlQuery{{u"nonce"_s, m_nonce}});
    QNetworkRequest request(url);
    request.setRawHeader("Accept", "application/json");
    QNetworkReply *reply = m_network->get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        onProbe(reply);
    });
}

void ExternalHostCheck::onProbe(QNetworkReply *reply)
{
    const QString url = healthzText(context().config().webhookBaseUrl);
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QNetworkReply::NetworkError error = reply->error();
    if (status == 0) {
        const bool tls = error == QNetworkReply::SslHandshakeFailedError;
        if (tls) {
            report(CheckResult::fail(
                kExternalHost,
                u"%1: the TLS certificate is not accepted (%2)"_s.arg(url, reply->errorString()),
                u"Serve a publicly trusted certificate for %1; Twilio refuses others."_s.arg(
                    context().config().webhookBaseUrl.host())));
            return;
        }
        report(CheckResult::warn(
            kExternalHost,
            u"no flex-backend answered at %1 (%2): it is not running, or this host cannot "
            u"reach it"_s.arg(url, reply->errorString()),
            u"Start the service and run check again; if it runs, make EXTERNAL_HOST reach it "
            u"(DNS, proxy, tunnel, firewall)."_s));
        return;
    }
    const QJsonObject body = QJsonDocument::fromJson(reply->readAll()).object();
    if (status != 200 || body.value(u"nonce"_s).toString() != m_nonce) {
        report(CheckResult::fail(
            kExternalHost,
            u"%1 answers HTTP %2, but not from this flex-backend (the nonce was not echoed): "
            u"Twilio's webhooks would go elsewhere"_s.arg(url)
                .arg(status),
            u"Point EXTERNAL_HOST (DNS, proxy or tunnel) at this service's PORT."_s));
        return;
    }
    reportAnswered();
}

bool ExternalHostCheck::localSetUp() const
{
    const config::Config &c = context().config();
    return isLoopbackName(c.webhookBaseUrl.host()) && isLoopbackName(c.apiUrl.host()) &&
           isLoopbackName(c.taskrouterUrl.host());
}

void ExternalHostCheck::reportAnswered()
{
    const QUrl &base = context().config().webhookBaseUrl;
    const QString url = healthzText(base);
    if (base.scheme() == u"https"_s) {
        report(CheckResult::ok(
            kExternalHost, u"%1 resolves and flex-backend answers at %2"_s.arg(base.host(), url)));
    } else if (localSetUp()) {
        report(CheckResult::ok(kExternalHost,
                               u"flex-backend answers at %1 (plain http: a local set-up, Twilio "
                               u"is local too)"_s.arg(url)));
    } else {
        report(CheckResult::warn(
            kExternalHost,
            u"flex-backend answers at %1, but over plain http: for local set-ups only"_s.arg(url),
            u"Serve https (TLS_CERT_FILE or a proxy) and set EXTERNAL_HOST to host[:port] "
            u"without http://."_s));
    }
}

} // namespace flex::check
