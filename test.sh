#!/usr/bin/env bash
# Runs every test of the repository: installs the non-.NET clients the interop tests drive
# (Debian packages and npm's amqplib), then `dotnet test` on the whole solution.
# Extra arguments go to `dotnet test` (e.g. --filter). Set BROKER_TEST_URI to run the integration and
# interop tests against another broker, e.g. a RabbitMQ on amqp://guest:guest@127.0.0.1:5673/.
set -euo pipefail
cd "$(dirname "$0")"

if [[ -x tests/Broker.InteropTests/install-clients.sh ]]; then
    tests/Broker.InteropTests/install-clients.sh
fi

dotnet test Broker.sln --nologo "$@"
