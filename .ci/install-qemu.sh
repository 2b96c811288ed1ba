#!/usr/bin/env bash
# Install QEMU >= 8.2 (qemu-system-x86, qemu-utils for qemu-storage-daemon) from Debian's
# bookworm-backports so the `qemu` test suite can run. The backports entry is derived from the
# machine's existing Debian source entry (same URIs and keyring); no host name is written here.
# Idempotent: exits at once when a suitable QEMU is already installed.
set -euo pipefail

have_qemu() {
    command -v qemu-system-x86_64 >/dev/null 2>&1 || return 1
    command -v qemu-storage-daemon >/dev/null 2>&1 || return 1
    local version major minor
    version=$(qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
    read -r major minor <<<"$version"
    [ -n "${major:-}" ] || return 1
    [ "$major" -gt 8 ] || { [ "$major" -eq 8 ] && [ "$minor" -ge 2 ]; }
}

if have_qemu; then
    echo "install-qemu: $(qemu-system-x86_64 --version | head -1) already installed"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-qemu: no apt-get; install QEMU >= 8.2 and qemu-storage-daemon by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

src=/etc/apt/sources.list.d/debian.sources
dst=/etc/apt/sources.list.d/backports.sources
if [ ! -f "$dst" ]; then
    if [ ! -f "$src" ]; then
        echo "install-qemu: $src not found; cannot derive a bookworm-backports entry" >&2
        exit 1
    fi
    uri=$(awk '/^URIs:/{print $2; exit}' "$src")
    key=$(awk '/^Signed-By:/{print $2; exit}' "$src")
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' \
        "$uri" "$key" | $SUDO tee "$dst" >/dev/null
fi
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -t bookworm-backports \
    qemu-system-x86 qemu-utils
have_qemu
echo "install-qemu: $(qemu-system-x86_64 --version | head -1)"
