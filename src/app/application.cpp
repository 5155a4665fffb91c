#include "app/application.h"

#include "app/devmode.h"
#include "app/service.h"
#include "ops/filelimit.h"
#include "ops/logcategories.h"
#include "ops/logging.h"
#include "ops/systemdnotifier.h"
#include "ops/unixsignalwatcher.h"

#include <QCoreApplication>

#include <cstdio>

namespace flex::app {

using namespace Qt::StringLiterals;

namespace {

void printText(FILE *stream, const QString &text)
{
    const QByteArray bytes = text.toLocal8Bit();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stream);
    if (!text.endsWith(u'\n'))
        std::fputc('\n', stream);
    std::fflush(stream);
}

QUrl listeningUrl(const config::Config &config, quint16 port)
{
    const QString scheme = config.tlsEnabled() ? u"https"_s : u"http"_s;
    const QString host = config.bindAddress.protocol() == QAbstractSocket::IPv6Protocol
                             ? u'[' + config.bindAddress.toString() + u']'
                             : config.bindAddress.toString();
    return QUrl(scheme + u"://"_s + host + u':' + QString::number(port));
}

} // namespace

Application::Application(const CommandLine &commandLine, QObject *parent)
    : QObject(parent)
    , m_commandLine(commandLine)
{}

Application::~Application() = default;

namespace {

void logOpenFileLimit(const ops::OpenFileLimit &files)
{
    if (files.error.isEmpty())
        qCInfo(lcApp).noquote() << files.describe();
    else
        qCWarning(lcApp).noquote() << files.describe();
}

} // namespace

int Application::run()
{
    if (const std::optional<StartupError> error = start()) {
        printText(stderr, u"flex-backend: "_s + error->message);
        return error->exitCode();
    }
    if (m_commandLine.action == CommandLine::Action::PrintConfig)
        return 0;
    return QCoreApplication::exec();
}

config::LoadResult Application::loadConfig() const
{
    config::LoadRequest request;
    request.commandLine = m_commandLine.values;
    request.envFile = m_commandLine.envFile;
    request.devMode = m_commandLine.devMode;
    if (m_dev) {
        request.devFallbacks = m_dev->fallbacks();
        request.devOverrides = m_dev->overrides();
    }
    return config::ConfigLoader::load(request);
}

std::optional<StartupError> Application::start()
{
    ops::configureLogging(u"info"_s, u"text"_s);
    if (m_commandLine.devMode) {
        m_dev = std::make_unique<DevMode>();
        if (std::optional<StartupError> error = m_dev->start())
            return error;
        ops::registerSecret(m_dev->agentToken());
        ops::registerSecret(m_dev->supervisorToken());
    }
    const config::LoadResult loaded = loadConfig();
    if (!loaded.ok())
        return StartupError::configuration(u"configuration error: "_s + loaded.error->toString());
    if (m_commandLine.action == CommandLine::Action::PrintConfig) {
        printText(stdout, config::ConfigLoader::describe(*loaded.config).join(u'\n'));
        return std::nullopt;
    }
    const config::Config &config = *loaded.config;
    ops::configureLogging(config.logLevel, config.logFormat);
    logOpenFileLimit(ops::raiseOpenFileLimit()); // every socket is a descriptor
    m_service = std::make_unique<Service>(config);
    if (std::optional<StartupError> error = m_service->start())
        return error;
    announce(m_service->config());
    watchSignals();
    return std::nullopt;
}

void Application::announce(const config::Config &config)
{
    // Tests and scripts read the port from this line (PORT=0 picks one).
    const QUrl url = listeningUrl(config, m_service->port());
    qCInfo(lcApp).noquote() << "flex-backend" << FLEX_VERSION << "listening on" << url.toString()
                            << (config.devMode ? "(dev mode)" : "");
    qCInfo(lcConfig).noquote() << "effective configuration:";
    const QStringList lines = config::ConfigLoader::describe(config);
    for (const QString &line : lines)
        qCInfo(lcConfig).noquote() << "  " << line;
    if (config.redis.enabled)
        qCInfo(lcApp).noquote() << "cluster mode: instance" << config.instanceId << "with Redis"
                                << config.redis.redactedUrl() << "key prefix"
                                << config.redisKeyPrefix;
    if (m_dev) {
        QString error;
        const QString checkEnv = m_dev->writeCheckEnvFile(config.stateDir, url, &error);
        if (checkEnv.isEmpty())
            qCWarning(lcApp).noquote() << "dev mode: no env file for check:" << error;
        printText(stdout, m_dev->welcome(url, checkEnv));
    }
}

void Application::watchSignals()
{
    m_notifier = std::make_unique<ops::SystemdNotifier>();
    m_notifier->ready();
    connect(&m_statusTimer, &QTimer::timeout, this,
            [this] { m_notifier->status(m_service->statusLine()); });
    m_statusTimer.start(std::chrono::seconds(5));
    m_notifier->status(m_service->statusLine());

    m_signals = std::make_unique<ops::UnixSignalWatcher>();
    connect(m_signals.get(), &ops::UnixSignalWatcher::terminateRequested, this,
            &Application::onTerminate);
    connect(m_signals.get(), &ops::UnixSignalWatcher::reloadRequested, this,
            &Application::onReload);
}

void Application::onTerminate(int signal)
{
    if (m_stopping) {
        qCWarning(lcApp) << "second stop signal: exiting now";
        QCoreApplication::exit(StartupError::failure({}).exitCode());
        return;
    }
    m_stopping = true;
    qCInfo(lcApp) << "signal" << signal << "received: shutting down";
    m_notifier->stopping();
    m_service->shutdown([] { QCoreApplication::exit(0); });
}

void Application::onReload()
{
    m_notifier->reloading();
    const config::LoadResult next = loadConfig();
    QString reloadError;
    if (!next.ok()) {
        qCWarning(lcApp).noquote()
            << "reload refused, the old configuration stays:" << next.error->toString();
    } else {
        const config::Config &candidate = *next.config;
        if (!m_service->reload(candidate, &reloadError)) {
            qCWarning(lcApp).noquote()
                << "reload refused, the old configuration stays:" << reloadError;
        } else {
            ops::configureLogging(candidate.logLevel, candidate.logFormat);
            qCInfo(lcApp) << "configuration reloaded";
        }
    }
    m_notifier->ready();
}

} // namespace flex::app
