#!/usr/bin/env bash
# Install what a fresh Debian 12 machine lacks to build and test KavachOS.
# Skips packages already installed; apt-get update only when something is missing.
set -euo pipefail
PKGS=(
	clang llvm libbpf-dev bpftool libseccomp-dev libssl-dev libelf-dev zlib1g-dev
	pkg-config make gcc libjson-c-dev libyaml-dev libcap-dev liburing-dev
	qemu-system-x86 busybox-static cpio iproute2 dnsmasq nftables hyperfine
	python3 procps kmod xz-utils
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
