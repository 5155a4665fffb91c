#include "config/configloader.h"

#include "config/twiliohosts.h"

#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QRegularExpression>

namespace flex::config {

using namespace Qt::StringLiterals;

namespace {

QString unquote(QString value)
{
    value = value.trimmed();
    if (value.size() >= 2 && (value.front() == u'"' || value.front() == u'\'') &&
        value.back() == value.front()) {
        const bool doubleQuoted = value.front() == u'"';
        value = value.mid(1, value.size() - 2);
        if (doubleQuoted) {
            value.replace(u"\\n"_s, u"\n"_s);
            value.replace(u"\\\""_s, u"\""_s);
            value.replace(u"\\\\"_s, u"\\"_s);
        }
        return value;
    }
    // Unquoted: a " #" starts a comment.
    const qsizetype hash = value.indexOf(u" #"_s);
    if (hash >= 0)
        value.truncate(hash);
    return value.trimmed();
}

// Fills the row's member from the strongest layer that sets it (an empty
// value counts as unset), else from the row's default.
std::optional<ConfigError> applySetting(const Setting &setting, const LayeredValues &values,
                                        bool devMode, Config &c)
{
    QString text;
    Source source = Source::Default;
    const auto given = values.find(setting.env);
    if (given && !given->first.trimmed().isEmpty()) {
        text = given->first.trimmed();
        source = given->second;
    } else if (setting.required() && !devMode) {
        return ConfigError{setting.env, u"not set (required)"_s};
    } else {
        text = devMode && !setting.devDefault.isEmpty() ? setting.devDefault : setting.defaultValue;
    }
    c.sources.insert(setting.env, source);
    const QString message = setting.binding.parse(text, c);
    if (!message.isEmpty())
        return ConfigError{setting.env, message};
    return std::nullopt;
}

// Two settings that are given together or not at all.
std::optional<ConfigError> together(QLatin1StringView first, const QString &firstValue,
                                    QLatin1StringView second, const QString &secondValue)
{
    if (firstValue.isEmpty() == secondValue.isEmpty())
        return std::nullopt;
    return ConfigError{firstValue.isEmpty() ? QString(first) : QString(second),
                       u"%1 and %2 go together"_s.arg(first, second)};
}

std::optional<ConfigError> deriveTwilioUrls(Config &c)
{
    QString error;
    const std::optional<TwilioHosts> hosts = TwilioHosts::resolve(c.region, c.edge, &error);
    if (!hosts)
        return ConfigError{QString(names::Region), error};
    if (c.apiUrl.isEmpty())
        c.apiUrl = hosts->api;
    if (c.taskrouterUrl.isEmpty())
        c.taskrouterUrl = hosts->taskrouter;
    if (c.iamUrl.isEmpty())
        c.iamUrl = hosts->iam;
    return std::nullopt;
}

// Rules that concern more than one row, and values derived from several.
std::optional<ConfigError> finish(Config &c, const LayeredValues &values)
{
    if (auto error = together(names::ApiKey, c.apiKey, names::ApiSecret, c.apiSecret))
        return error;
    if (auto error = together(names::IamApiKey, c.iamApiKey, names::IamApiSecret, c.iamApiSecret))
        return error;
    if (auto error = together(names::TlsCertFile, c.tlsCertFile, names::TlsKeyFile, c.tlsKeyFile))
        return error;
    if (auto error = deriveTwilioUrls(c))
        return error;
    if (c.stateDir.isEmpty()) // systemd's StateDirectory= sets STATE_DIRECTORY
        c.stateDir = values.text(u"STATE_DIRECTORY"_s).section(u':', 0, 0);
    if (c.stateDir.isEmpty())
        c.stateDir = u"state"_s;
    return std::nullopt;
}

QString shownValue(const Setting &setting, const Config &c)
{
    const QString value = setting.binding.show(c);
    if (setting.secret())
        return value.isEmpty() ? u"(unset)"_s : u"(set)"_s;
    return value.isEmpty() ? u"(unset)"_s : value;
}

} // namespace

QString sourceName(Source source)
{
    switch (source) {
    case Source::Default:
        return u"default"_s;
    case Source::DevMode:
        return u"dev mode"_s;
    case Source::EnvFile:
        return u"env file"_s;
    case Source::Environment:
        return u"environment"_s;
    case Source::CommandLine:
        return u"command line"_s;
    }
    return {};
}

void LayeredValues::add(Source source, const Values &values)
{
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        m_values.insert(it.key(), {it.value(), source});
}

std::optional<QPair<QString, Source>> LayeredValues::find(const QString &env) const
{
    const auto it = m_values.constFind(env);
    if (it == m_values.cend())
        return std::nullopt;
    return *it;
}

std::optional<ConfigError> ConfigLoader::parseEnvFile(const QByteArray &contents, Values &out)
{
    static const QRegularExpression keyPattern(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
    const QStringList lines = QString::fromUtf8(contents).split(u'\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        QString line = lines.at(i).trimmed();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        if (line.startsWith(u"export "_s))
            line = line.mid(7).trimmed();
        const qsizetype eq = line.indexOf(u'=');
        const QString key = eq > 0 ? line.left(eq).trimmed() : QString();
        if (eq <= 0 || !keyPattern.match(key).hasMatch())
            return ConfigError{u"env file"_s, u"line %1 is not KEY=VALUE"_s.arg(i + 1)};
        out.insert(key, unquote(line.mid(eq + 1)));
    }
    return std::nullopt;
}

std::optional<ConfigError> ConfigLoader::readEnvFile(const QString &path, Values &out)
{
    const QFileInfo info(path);
    if (!info.exists())
        return ConfigError{u"--env-file"_s, u"%1 does not exist"_s.arg(path)};
    if (info.isDir())
        return ConfigError{u"--env-file"_s, u"%1 is a directory"_s.arg(path)};
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return ConfigError{u"--env-file"_s, u"cannot read %1: %2"_s.arg(path, file.errorString())};
    if (auto error = parseEnvFile(file.readAll(), out)) {
        error->variable = path;
        return error;
    }
    return std::nullopt;
}

LoadResult ConfigLoader::build(const Values &values, bool devMode)
{
    LayeredValues layered;
    layered.add(Source::Environment, values);
    return build(layered, devMode);
}

LoadResult ConfigLoader::build(const LayeredValues &values, bool devMode)
{
    Config c;
    c.devMode = devMode;
    for (const Setting &setting : settingTable()) {
        if (auto error = applySetting(setting, values, devMode, c))
            return {std::nullopt, error};
    }
    if (auto error = finish(c, values))
        return {std::nullopt, error};
    return {c, std::nullopt};
}

LoadResult ConfigLoader::load(const LoadRequest &request)
{
    // A named file must be there; ./.env is read when present.
    const QString path = request.envFile.isEmpty() ? u".env"_s : request.envFile;
    const bool readFile = !request.envFile.isEmpty() || QFileInfo::exists(path);
    Values fileValues;
    if (readFile) {
        if (auto error = readEnvFile(path, fileValues))
            return {std::nullopt, error};
    }
    Values environment;
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QStringList keys = env.keys();
    for (const QString &key : keys)
        environment.insert(key, env.value(key));

    LayeredValues values;
    values.add(Source::DevMode, request.devFallbacks);
    values.add(Source::EnvFile, fileValues);
    values.add(Source::Environment, environment);
    values.add(Source::CommandLine, request.commandLine);
    values.add(Source::DevMode, request.devOverrides);
    LoadResult result = build(values, request.devMode);
    if (result.config && readFile)
        result.config->envFile = path;
    return result;
}

QStringList ConfigLoader::describe(const Config &c)
{
    QStringList lines;
    for (const Setting &setting : settingTable())
        lines << u"%1=%2 (%3)"_s.arg(setting.env, shownValue(setting, c),
                                     sourceName(c.sourceOf(setting.env)));
    lines << u"Webhook base URL: "_s + c.webhookBaseUrl.toString()
          << u"Voice API base URL: "_s + c.apiUrl.toString()
          << u"TaskRouter base URL: "_s + c.taskrouterUrl.toString()
          << u"IAM (Flex token validation) base URL: "_s + c.iamUrl.toString();
    if (!c.envFile.isEmpty())
        lines << u"env file: "_s + c.envFile;
    return lines;
}

Config Config::defaults()
{
    const LoadResult result = ConfigLoader::build(Values{}, true);
    Q_ASSERT(result.ok());
    Config c = *result.config;
    c.devMode = false;
    return c;
}

} // namespace flex::config
