#!/usr/bin/env bash
# Install real Kamailio 5.6.3 (Debian bookworm) and its module packages for the
# differential tests. Never starts the service. Needs root (or sudo) and apt.
# kcfg itself does not need Kamailio: only its tests compare against it.
set -euo pipefail
# tcpdump: tests/tests/trace_regression.rs records Kamailio's traffic with it
if command -v kamailio >/dev/null 2>&1 && [ -f /usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so ] &&
	command -v tcpdump >/dev/null 2>&1; then
	kamailio -v | head -n1
	exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
pkgs=(kamailio kamailio-extra-modules kamailio-json-modules kamailio-utils-modules
	kamailio-websocket-modules kamailio-tls-modules kamailio-sqlite-modules kamailio-lua-modules
	kamailio-python3-modules kamailio-presence-modules kamailio-xml-modules kamailio-redis-modules
	kamailio-mysql-modules kamailio-postgres-modules tcpdump)
# keep the package's service from starting during the install
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${pkgs[@]}"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	$SUDO systemctl disable --now kamailio >/dev/null 2>&1 || true
fi
kamailio -v | head -n1
