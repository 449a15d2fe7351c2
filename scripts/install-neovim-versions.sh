#!/usr/bin/env bash
# Installs newer Neovims beside Debian 12's 0.7.2, so the editor tests (tests/tests/editors.rs) cover
# every API path of editors/neovim: 0.10 from Debian trixie (vim.lsp.start) and the current sid
# release (>= 0.11: vim.lsp.config + vim.lsp.enable). Their packages (and the newer glibc they need)
# are unpacked under /opt/kcfg-nvim/SUITE — nothing is installed into the system — and
# /opt/kcfg-nvim/SUITE/nvim runs them with that glibc's loader. Idempotent.
# Usage: scripts/install-neovim-versions.sh [SUITE...]   (default: trixie sid)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${KCFG_NVIM_DIR:-/opt/kcfg-nvim}
suites=("$@")
[ "${#suites[@]}" -gt 0 ] || suites=(trixie sid)
for suite in "${suites[@]}"; do
	root="$dest/$suite/root"
	if [ -x "$dest/$suite/nvim" ] && "$dest/$suite/nvim" --version >/dev/null 2>&1; then
		continue
	fi
	tmp=$(mktemp -d)
	python3 "$here/debian/resolve-debs.py" "$suite" neovim >"$tmp/urls"
	(cd "$tmp" && xargs -n1 curl -sSfLO <urls)
	rm -rf "$root" && mkdir -p "$root"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$root"; done
	rm -rf "$tmp"
	cat >"$dest/$suite/nvim" <<WRAP
#!/bin/sh
# Neovim of Debian $suite with its own glibc (unpacked by scripts/install-neovim-versions.sh)
export VIMRUNTIME=$root/usr/share/nvim/runtime
exec $root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path $root/usr/lib/x86_64-linux-gnu $root/usr/bin/nvim "\$@"
WRAP
	chmod +x "$dest/$suite/nvim"
	echo "install-neovim-versions: $("$dest/$suite/nvim" --version | head -1) in $dest/$suite" >&2
done
