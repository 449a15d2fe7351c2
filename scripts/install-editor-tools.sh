#!/usr/bin/env bash
# Installs what the editor tests (tests/tests/editors.rs) need: Neovim, Emacs and Debian's eglot,
# git, pre-commit (PyPI); Node.js >= 20 and npm are expected on the machine (the VS Code extension's
# packaging needs Node 20), and newer Neovims under /opt/kcfg-nvim. Idempotent and quiet: installs only
# what is missing.
set -euo pipefail

need=()
command -v nvim >/dev/null 2>&1 || need+=(neovim)
command -v emacs >/dev/null 2>&1 || need+=(emacs-nox)
dpkg -s elpa-eglot >/dev/null 2>&1 || need+=(elpa-eglot)
command -v git >/dev/null 2>&1 || need+=(git)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! command -v pre-commit >/dev/null 2>&1; then
  python3 -m pip install -q --disable-pip-version-check pre-commit
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then
  echo "install-editor-tools: Node.js >= 20 is needed for vscode-extension (found ${node_major})" >&2
  exit 1
fi

# Neovim 0.10 (trixie) and the sid release (>= 0.11) beside Debian 12's 0.7, for the plugin's other
# client API paths (unpacked under /opt/kcfg-nvim, the system is not changed)
"$(dirname "$0")/install-neovim-versions.sh"
