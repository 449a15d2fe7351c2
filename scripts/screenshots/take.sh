#!/usr/bin/env bash
# scripts/screenshots/take.sh KCFG VSIX OUTDIR
#
# Takes the screenshots of vscode-extension/README.md (diagnostics.png, hover.png, completion.png):
# VS Code (code-server) with the extension installed, driven by headless Chromium through
# puppeteer-core (shoot.js), on a copy of example.cfg.
#
# Needs (not installed by CI; this is a manual documentation step):
# - chromium (Debian package) and Node 20;
# - code-server 4.100.3 and puppeteer-core in $SHOTS_NODE (default /work/shots):
#     npm install --ignore-scripts code-server@4.100.3 puppeteer-core
#   then, inside node_modules/code-server/lib/vscode: `npm install --omit=dev --ignore-scripts`,
#   `node-gyp rebuild --nodedir=/usr` in node_modules/{node-pty,@vscode/spdlog,kerberos,...}
#   (packages libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev), /usr/bin/rg copied to
#   node_modules/@vscode/ripgrep/bin/rg, and the node_modules.asar symlink that code-server's
#   postinstall.sh makes. (Where GitHub is reachable, `npm install -g code-server` does all this.)
set -euo pipefail
kcfg=$(realpath "$1")
vsix=$(realpath "$2")
out=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
node_dir=${SHOTS_NODE:-/work/shots}
cs="$node_dir/node_modules/code-server/out/node/entry.js"
work=$(mktemp -d)
trap 'pkill -f "$work/ud" || true; rm -rf "$work"' EXIT
mkdir -p "$work/ws" "$work/ud/User" "$work/ext" "$out"
cp "$here/example.cfg" "$work/ws/kamailio.cfg"
cat >"$work/ud/User/settings.json" <<JSON
{
  "kcfg.path": "$kcfg",
  "kcfg.kamailioVersion": "5.6",
  "workbench.startupEditor": "none",
  "workbench.colorTheme": "Default Dark Modern",
  "security.workspace.trust.enabled": false,
  "editor.minimap.enabled": false,
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.ignoreRecommendations": true,
  "editor.fontSize": 15
}
JSON
node "$cs" --extensions-dir "$work/ext" --user-data-dir "$work/ud" --install-extension "$vsix"
node "$cs" --auth none --bind-addr 127.0.0.1:8123 --disable-telemetry --disable-update-check \
	--disable-workspace-trust --extensions-dir "$work/ext" --user-data-dir "$work/ud" "$work/ws" \
	>"$work/code-server.log" 2>&1 &
sleep 6
NODE_PATH="$node_dir/node_modules" SHOTS_FOLDER="$work/ws" node "$here/shoot.js" "$out"
echo "screenshots in $out"
