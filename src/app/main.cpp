#include "app/commandline.h"
#include "app/devmode.h"
#include "app/service.h"
#include "config/configloader.h"
#include "ops/logcategories.h"
#include "ops/logging.h"
#include "ops/systemdnotifier.h"
#include "ops/unixsignalwatcher.h"

#include <QCoreApplication>
#include <QTimer>

#include <cstdio>

using namespace Qt::StringLiterals;
using namespace flex;

namespace {

constexpr int ExitUsage = 64;  // EX_USAGE
constexpr int ExitConfig = 78; // EX_CONFIG: systemd must not restart-loop on it
constexpr int ExitFailure = 1;

void printLine(FILE *stream, const QString &text)
{
    const QByteArray bytes = text.toLocal8Bit();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stream);
    if (!text.endsWith(u'\n'))
        std::fputc('\n', stream);
    std::fflush(stream);
}

config::LoadResult loadConfig(const app::CommandLine &cli, const app::DevMode *dev)
{
    config::Values values = cli.values;
    if (dev)
        dev->applyTo(values);
    return config::ConfigLoader::load(values, cli.envFile, cli.devMode);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"flex-backend"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(FLEX_VERSION));

    const app::CommandLine cli = app::parseCommandLine(QCoreApplication::arguments());
    switch (cli.action) {
    case app::CommandLine::Action::Help:
    case app::CommandLine::Action::Version:
        printLine(stdout, cli.text);
        return 0;
    case app::CommandLine::Action::Error:
        printLine(stderr, u"flex-backend: "_s + cli.text);
        return ExitUsage;
    case app::CommandLine::Action::Run:
        break;
    }

    ops::configureLogging(u"info"_s, u"text"_s);

    std::unique_ptr<app::DevMode> dev;
    if (cli.devMode) {
        dev = std::make_unique<app::DevMode>();
        QString error;
        if (!dev->start(&error)) {
            printLine(stderr, u"flex-backend: "_s + error);
            return ExitFailure;
        }
        ops::registerSecret(dev->agentToken());
        ops::registerSecret(dev->supervisorToken());
    }

    const config::LoadResult loaded = loadConfig(cli, dev.get());
    if (!loaded.ok()) {
        printLine(stderr, u"flex-backend: configuration error: "_s + loaded.error->toString());
        return ExitConfig;
    }
    config::Config config = *loaded.config;
    QString logError;
    ops::configureLogging(config.logLevel, config.logFormat, &logError);

    app::Service service(config);
    QString error;
    if (!service.start(&error)) {
        printLine(stderr, u"flex-backend: "_s + error);
        return error.startsWith(u"TLS_"_s) ? ExitConfig : ExitFailure;
    }
    const QString scheme = config.tlsEnabled() ? u"https"_s : u"http"_s;
    const QString host = config.bindAddress.protocol() == QAbstractSocket::IPv6Protocol
                             ? u'[' + config.bindAddress.toString() + u']'
                             : config.bindAddress.toString();
    const QUrl url(scheme + u"://"_s + host + u':' + QString::number(service.port()));
    if (dev && config.externalHost == u"http://127.0.0.1"_s)
        service.setWebhookBaseUrl(QUrl(u"http://127.0.0.1:"_s + QString::number(service.port())));
    qCInfo(lcApp).noquote() << "flex-backend" << FLEX_VERSION << "listening on" << url.toString()
                            << (cli.devMode ? "(dev mode)" : "");
    for (const QString &line : config::ConfigLoader::describe(service.config()))
        qCDebug(lcConfig).noquote() << line;
    if (dev)
        printLine(stdout, dev->welcome(url));

    ops::SystemdNotifier notifier;
    notifier.ready();
    QTimer statusTimer;
    QObject::connect(&statusTimer, &QTimer::timeout, &service,
                     [&] { notifier.status(service.statusLine()); });
    statusTimer.start(std::chrono::seconds(5));
    notifier.status(service.statusLine());

    ops::UnixSignalWatcher unixSignals;
    bool stopping = false;
    QObject::connect(&unixSignals, &ops::UnixSignalWatcher::terminateRequested, &service,
                     [&](int signal) {
                         if (stopping) {
                             qCWarning(lcApp) << "second stop signal: exiting now";
                             QCoreApplication::exit(ExitFailure);
                             return;
                         }
                         stopping = true;
                         qCInfo(lcApp) << "signal" << signal << "received: shutting down";
                         notifier.stopping();
                         service.shutdown([] { QCoreApplication::exit(0); });
                     });
    QObject::connect(&unixSignals, &ops::UnixSignalWatcher::reloadRequested, &service, [&] {
        notifier.reloading();
        const config::LoadResult next = loadConfig(cli, dev.get());
        QString reloadError;
        if (!next.ok()) {
            qCWarning(lcApp).noquote()
                << "reload refused, the old configuration stays:" << next.error->toString();
        } else {
            config::Config candidate = *next.config;
            if (dev)
                candidate.webhookBaseUrl = service.config().webhookBaseUrl;
            QString levelError;
            if (!service.reload(candidate, &reloadError)) {
                qCWarning(lcApp).noquote()
                    << "reload refused, the old configuration stays:" << reloadError;
            } else {
                ops::configureLogging(candidate.logLevel, candidate.logFormat, &levelError);
                qCInfo(lcApp) << "configuration reloaded";
            }
        }
        notifier.ready();
    });

    return QCoreApplication::exec();
}
