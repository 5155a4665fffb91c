#pragma once

#include "config/configloader.h"

#include <QObject>

#include <memory>

namespace flex::check {

class CheckRunner;

// `flex-backend check [--json]`: loads the configuration exactly as the
// service does (environment, env file, command line), starts no server,
// runs every check and prints the report. Exit status: 0 nothing failed
// (warnings allowed), 1 a check failed, 78 configuration error.
class CheckCommand : public QObject
{
    Q_OBJECT
public:
    static constexpr int kConfigurationError = 78; // EX_CONFIG, as the service

    CheckCommand(const config::LoadRequest &request, bool json, QObject *parent = nullptr);
    ~CheckCommand() override;

    // Runs the event loop until the report is printed; answers the exit status.
    int run();

private:
    void print();

    config::LoadRequest m_request;
    bool m_json;
    QString m_heading;
    std::unique_ptr<CheckRunner> m_runner;
};

} // namespace flex::check
