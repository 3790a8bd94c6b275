#!/usr/bin/env bash
# Provision a newer Debian MAME next to the system's, without touching the system: a minimal Debian root per
# suite (debootstrap), MAME installed by that root's own apt, and a launcher that runs the root's binary through
# the root's own dynamic loader (so host paths - Lua script, ROMs, temp folders, pipes - work unchanged).
#
#   scripts/provision_mame.sh trixie      # MAME 0.276 (Debian 13)
#   scripts/provision_mame.sh sid         # the newest packaged MAME (0.289 on 2026-12-02)
#
# Prints the launcher's path (use it as MAME_ZOO_MAME or `make test MAME=...`). Roots are cached in
# $MAME_ZOO_MAME_CACHE (default /var/cache/mame_zoo/mame), never in the repository or $HOME; an existing
# working launcher is reused. Needs root (or sudo) for debootstrap and the root's apt; about 450 MB per suite.
set -euo pipefail

suite=${1:?usage: provision_mame.sh SUITE (trixie, sid, ...)}
cache=${MAME_ZOO_MAME_CACHE:-/var/cache/mame_zoo/mame}
root="$cache/$suite"
launcher="$root/mame-launcher"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

if [ -x "$launcher" ] && "$launcher" -version >/dev/null 2>&1; then
    echo "$launcher"
    exit 0
fi

log() { echo "provision_mame: $*" >&2; }
if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q debootstrap >&2
fi
arch=$(dpkg --print-architecture)
case "$arch" in
    amd64) loader=lib64/ld-linux-x86-64.so.2 triplet=x86_64-linux-gnu ;;
    arm64) loader=lib/ld-linux-aarch64.so.1 triplet=aarch64-linux-gnu ;;
    *) log "unsupported architecture $arch"; exit 2 ;;
esac

if [ ! -e "$root/usr/bin/apt-get" ]; then
    log "building a minimal Debian $suite root in $root (about 20 s)"
    $sudo rm -rf "$root.partial"
    $sudo mkdir -p "$cache"
    $sudo debootstrap --variant=minbase --arch="$arch" "$suite" "$root.partial" >&2
    $sudo rm -rf "$root"
    $sudo mv "$root.partial" "$root"
fi
log "installing MAME into the $suite root with its own apt"
# apt in the root needs /proc for some maintainer scripts; mount it only for this call
$sudo mount -t proc proc "$root/proc" 2>/dev/null && mounted=1 || mounted=0
trap '[ "$mounted" = 1 ] && $sudo umount "$root/proc" 2>/dev/null || true' EXIT
# A package mirror may serve a frozen snapshot whose Release file has expired: accept it (signatures are still
# checked).
apt=(/usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get -q -o Acquire::Check-Valid-Until=false)
$sudo chroot "$root" "${apt[@]}" update >&2
$sudo chroot "$root" "${apt[@]}" install -y --no-install-recommends mame >&2
$sudo chroot "$root" apt-get clean >&2

# The real binary: sid's /usr/games/mame is a shell script (it writes $HOME/.mame/*.ini) around /usr/lib/mame/mame.
binary=/usr/games/mame
[ -x "$root/usr/lib/mame/mame" ] && binary=/usr/lib/mame/mame
libs="$root/usr/lib/$triplet:$root/usr/lib/$triplet/pulseaudio:$root/lib/$triplet"
tmp=$(mktemp)
cat >"$tmp" <<LAUNCH
#!/bin/sh
# MAME from the Debian $suite root $root, run through that root's own loader (made by provision_mame.sh)
exec "$root/$loader" --library-path "$libs" "$root$binary" "\$@"
LAUNCH
$sudo install -m 755 "$tmp" "$launcher"
rm -f "$tmp"
"$launcher" -version >&2
echo "$launcher"
