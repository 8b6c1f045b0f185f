#!/usr/bin/env bash
# Installs the AMQP clients the interop tests run (tests/Broker.InteropTests), on Debian:
#   - Debian packages: python3-pika, python3-kombu (+ python3-amqp), ruby-bunny, amqp-tools, chromium (for the
#     browser tests), and nodejs/npm
#     when there is no node/npm on PATH. apt-get runs only when a package is missing (after one apt-get update).
#   - amqplib, pinned by clients/node/package-lock.json: `npm ci` runs only when clients/node/node_modules is
#     missing or was installed from another package-lock.json.
#   - rabbitmqadmin, RabbitMQ's management CLI (a Python script) from Debian's rabbitmq-server package: the .deb is
#     downloaded (`apt-get download`, never installed: that would start a RabbitMQ node) and unpacked into
#     clients/.rabbitmq-server/ only when clients/rabbitmqadmin (a link to the script; both git-ignored) is missing.
# Idempotent: a second run changes nothing and needs no network. Needs root (or sudo) only to install packages.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_dir="$here/clients/node"

log() { echo "install-clients: $*"; }

# chromium: the browser tests (tests/Broker.BrowserTests) drive /usr/bin/chromium through Playwright.
packages=(python3 python3-pika python3-kombu python3-amqp ruby ruby-bunny amqp-tools chromium)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for package in "${packages[@]}"; do
    is_installed "$package" || missing+=("$package")
done

if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    sudo=(false)
fi

if ((${#missing[@]} > 0)); then
    if [[ "${sudo[*]}" == false ]]; then
        log "missing Debian packages (${missing[*]}) and not root: run as root or install them" >&2
        exit 1
    fi
    log "installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    log "Debian packages present: ${packages[*]}"
fi

# npm ci, unless node_modules was installed from this very package-lock.json.
stamp="$node_dir/node_modules/.installed-from-package-lock.sha256"
wanted="$(sha256sum "$node_dir/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" && -f "$node_dir/node_modules/amqplib/package.json" ]]; then
    log "clients/node/node_modules up to date"
else
    log "npm ci in clients/node"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$wanted" >"$stamp"
fi

# rabbitmqadmin: only the script is kept (clients/.rabbitmq-server/rabbitmqadmin), with the package version beside it.
admin_dir="$here/clients/.rabbitmq-server"
admin_link="$here/clients/rabbitmqadmin"
if [[ -f "$admin_dir/rabbitmqadmin" && -L "$admin_link" ]]; then
    log "clients/rabbitmqadmin present (rabbitmq-server $(cat "$admin_dir/version" 2>/dev/null || echo '?'))"
else
    log "downloading rabbitmq-server's .deb for rabbitmqadmin"
    download="$(mktemp -d)"
    trap 'rm -rf "$download"' EXIT
    # apt-get download needs package lists; refresh them once if this one is not known yet.
    if ! (cd "$download" && apt-get download -qq rabbitmq-server >/dev/null 2>&1); then
        "${sudo[@]}" apt-get update -qq
        (cd "$download" && apt-get download -qq rabbitmq-server)
    fi
    deb="$(ls "$download"/rabbitmq-server_*.deb)"
    dpkg-deb -x "$deb" "$download/root"
    mkdir -p "$admin_dir"
    install -m 0755 "$download/root/usr/bin/rabbitmqadmin" "$admin_dir/rabbitmqadmin"
    dpkg-deb -f "$deb" Version >"$admin_dir/version"
    ln -sfn .rabbitmq-server/rabbitmqadmin "$admin_link"
    log "clients/rabbitmqadmin from rabbitmq-server $(cat "$admin_dir/version")"
fi

# Fail here, not in the tests, if something is still missing.
/usr/bin/python3 -c 'import pika, kombu, amqp' || { log "python3 cannot import pika/kombu/amqp" >&2; exit 1; }
/usr/bin/ruby -e 'require "bunny"' || { log "ruby cannot load bunny" >&2; exit 1; }
(cd "$node_dir" && node -e 'require("amqplib")') || { log "node cannot load amqplib" >&2; exit 1; }
/usr/bin/python3 "$admin_link" --version >/dev/null || { log "clients/rabbitmqadmin does not run" >&2; exit 1; }
for tool in amqp-declare-queue amqp-publish amqp-get amqp-consume amqp-delete-queue; do
    command -v "$tool" >/dev/null || { log "$tool not found" >&2; exit 1; }
done
log "clients ready"
