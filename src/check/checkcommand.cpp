#include "check/checkcommand.h"

#include "check/checkrunner.h"
#include "check/reportformat.h"
#include "ops/logging.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <cstdio>

namespace flex::check {

using namespace Qt::StringLiterals;

namespace {

void write(FILE *stream, const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stream);
    std::fflush(stream);
}

} // namespace

CheckCommand::CheckCommand(const config::LoadRequest &request, bool json, QObject *parent)
    : QObject(parent)
    , m_request(request)
    , m_json(json)
{}

CheckCommand::~CheckCommand() = default;

int CheckCommand::run()
{
    // Only problems go to the log (stderr); the report is on stdout.
    ops::configureLogging(u"warning"_s, u"text"_s);
    // The Redis check reports what the connection found; its "retrying"
    // warnings would only repeat it (the check does not retry).
    QLoggingCategory::setFilterRules(ops::filterRulesForLevel(u"warning"_s) +
                                     u"\nflex.bus.warning=false"_s);
    const config::LoadResult loaded = config::ConfigLoader::load(m_request);
    if (!loaded.ok()) {
        write(
            stderr,
            (u"flex-backend: configuration error: "_s + loaded.error->toString() + u'\n').toUtf8());
        return kConfigurationError;
    }
    const config::Config &config = *loaded.config;
    for (const QString &secret : {config.authToken, config.apiSecret, config.iamApiSecret,
                                  config.redis.password, config.metricsToken})
        ops::registerSecret(secret);
    m_heading = u"flex-backend check: account %1, workspace %2, TaskRouter at %3"_s.arg(
        config.accountSid, config.workspaceSid, config.taskrouterUrl.host());
    m_runner = std::make_unique<CheckRunner>(config);
    connect(m_runner.get(), &CheckRunner::finished, this, [this] {
        print();
        QCoreApplication::exit(m_runner->report().exitCode());
    });
    m_runner->start();
    return QCoreApplication::exec();
}

void CheckCommand::print()
{
    const CheckReport &report = m_runner->report();
    write(stdout, m_json ? formatJson(report) : formatText(report, m_heading).toUtf8());
}

} // namespace flex::check
