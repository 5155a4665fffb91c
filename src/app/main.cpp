#include "app/application.h"
#include "app/commandline.h"
#include "check/checkcommand.h"

#include <QCoreApplication>

#include <cstdio>

using namespace Qt::StringLiterals;

int main(int argc, char *argv[])
{
    // Qt's GLib event dispatcher finds a socket notifier by walking a list
    // (Qt 6.4: QEventDispatcherGlib::unregisterSocketNotifier), and every
    // socket's write notifier toggles at each write: with 19,000 sockets
    // that took 80 % of the CPU. The plain Unix dispatcher keeps them in a
    // hash. A headless service needs nothing from GLib's loop.
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"flex-backend"_s);
    QCoreApplication::setApplicationVersion(u"" FLEX_VERSION ""_s);

    const flex::app::CommandLine cli = flex::app::parseCommandLine(QCoreApplication::arguments());
    switch (cli.action) {
    case flex::app::CommandLine::Action::Help:
    case flex::app::CommandLine::Action::Version:
        std::fputs(cli.text.toLocal8Bit().append('\n').constData(), stdout);
        return 0;
    case flex::app::CommandLine::Action::Error: {
        const flex::app::StartupError error{flex::app::StartupError::Kind::Usage, cli.text};
        std::fputs((u"flex-backend: "_s + error.message + u'\n').toLocal8Bit().constData(), stderr);
        return error.exitCode();
    }
    case flex::app::CommandLine::Action::Check: {
        flex::config::LoadRequest request;
        request.commandLine = cli.values;
        request.envFile = cli.envFile;
        flex::check::CheckCommand command(request, cli.json);
        return command.run();
    }
    case flex::app::CommandLine::Action::Run:
    case flex::app::CommandLine::Action::PrintConfig:
        break;
    }
    flex::app::Application application(cli);
    return application.run();
}
