#!/usr/bin/env bash
# Run a command under Debian's 6.1 kernel (BPF-LSM, BTF) in QEMU, with the
# host's / mounted read-only as the guest's root. Exits with the command's
# status; a VM that dies, panics or times out exits 125/124. See README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${KAVACHOS_VM_CACHE:-$repo/.cache/vm}
timeout=1800 mem=2048 smp=2 kvm=0 verbose=0

usage() {
	cat <<EOF
usage: $0 [--cache DIR] [--timeout SECS] [--mem MB] [--smp N] [--kvm] [-v] -- CMD [ARGS...]
  --cache DIR     kernel cache and logs (default \$KAVACHOS_VM_CACHE or <repo>/.cache/vm)
  --timeout SECS  kill the VM after SECS (default $timeout)
  --mem MB        guest memory (default $mem)
  --smp N         guest CPUs (default $smp)
  --kvm           use KVM instead of TCG software emulation
  -v              show the guest kernel's boot messages
EOF
	exit "${1:-2}"
}

while [[ $# -gt 0 ]]; do
	case $1 in
	--cache) cache=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--kvm) kvm=1; shift ;;
	-v) verbose=1; shift ;;
	-h | --help) usage 0 ;;
	--) shift; break ;;
	*) echo "vmtest: unknown option '$1'" >&2; usage ;;
	esac
done
[[ $# -gt 0 ]] || usage

say() { echo "vmtest: $*" >&2; }
die() { say "error: $*"; exit 125; }
elapsed() { awk "BEGIN { printf \"%.1f\", ${2:-$EPOCHREALTIME} - $1 }"; }

for tool in qemu-system-x86_64:qemu-system-x86 cpio:cpio apt-get:apt dpkg:dpkg xz:xz-utils flock:util-linux; do
	command -v "${tool%%:*}" >/dev/null || die "${tool%%:*} not found: run make deps (apt package ${tool#*:})"
done
busybox=/bin/busybox
if [[ ! -x $busybox ]] || ldd "$busybox" >/dev/null 2>&1; then
	die "no static $busybox: run make deps (apt package busybox-static)"
fi

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
t_start=$EPOCHREALTIME

# --- kernel -------------------------------------------------------------
# The standard flavour, not -cloud-: the cloud kernel (checked on 6.1.0-56)
# has neither CONFIG_NET_9P nor CONFIG_9P_FS, so it cannot see the host's /.
kernel_pick() {
	apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' |
		cut -d' ' -f1 | sort -V | tail -n1
}

kernel_download() { # pkg dir
	local opts=()
	[[ $EUID -eq 0 ]] && opts=(-o APT::Sandbox::User=root) # quiet the _apt sandbox warning
	(cd "$2" && apt-get download -q "${opts[@]}" "$1" >&2)
}

# Booting the uncompressed ELF through its PVH entry skips ~5 s of xz
# decompression under TCG. Falls back to vmlinuz when that is not possible.
kernel_extract_elf() { # vmlinuz config out
	local off
	grep -q '^CONFIG_PVH=y' "$2" || return 1
	off=$(LC_ALL=C grep -m1 -abo $'\xfd7zXZ' "$1") || return 1
	off=${off%%:*}
	tail -c +$((off + 1)) "$1" | xz -dc --single-stream >"$3.tmp" 2>/dev/null || true
	[[ $(head -c4 "$3.tmp" | od -An -c | tr -d ' ') == 177ELF ]] || { rm -f "$3.tmp"; return 1; }
	mv "$3.tmp" "$3"
}

mod_file() { # name -> path of its .ko[.xz|.zst|.gz], empty if absent
	find "$moddir/kernel" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" -o -name "$1.ko.gz" | head -n1
}

# busybox insmod takes plain .ko only: decompress here, dependencies first
# (the package has no modules.dep; read depends= from .modinfo instead).
mod_add() { # name
	local f dep deps
	[[ " $mod_order " == *" $1 "* ]] && return 0
	f=$(mod_file "$1")
	if [[ -z $f ]]; then
		grep -q "/$1\.ko" "$moddir/modules.builtin" || say "warning: module $1 not in this kernel"
		return 0
	fi
	case $f in
	*.xz) xz -dc "$f" ;; *.zst) zstd -qdc "$f" ;; *.gz) gzip -dc "$f" ;; *) cat "$f" ;;
	esac >"$pkgdir/modules/$1.ko"
	deps=$(tr '\0' '\n' <"$pkgdir/modules/$1.ko" | sed -n 's/^depends=//p' | tr ',' ' ')
	for dep in $deps; do mod_add "$dep"; done
	mod_order+=" $1"
}

kernel_fetch() {
	local pkg dl
	rm -rf "$cache"/dl.* # left by an interrupted fetch
	pkg=$(kernel_pick)
	dl=$(mktemp -d "$cache/dl.XXXXXX")
	# Refresh the index only when it is empty or stale (download fails).
	if [[ -z $pkg ]] || ! kernel_download "$pkg" "$dl"; then
		say "refreshing the apt index"
		apt-get update -q >&2 || die "apt-get update failed (needs root and the Debian mirror)"
		pkg=$(kernel_pick)
		[[ -n $pkg ]] || die "no linux-image-6.1.0-*-amd64-unsigned in apt (Debian 12 sources needed)"
		kernel_download "$pkg" "$dl" || die "apt-get download $pkg failed"
	fi
	say "fetched $pkg"
	pkgdir=$cache/$pkg
	rm -rf "$pkgdir" && mkdir -p "$pkgdir/modules"
	dpkg -x "$dl"/*.deb "$pkgdir/root"
	rm -rf "$dl"

	local config
	config=$(echo "$pkgdir"/root/boot/config-*)
	for opt in BPF_LSM=y DEBUG_INFO_BTF=y 'NET_9P=[ym]' 'NET_9P_VIRTIO=[ym]' '9P_FS=[ym]'; do
		grep -qE "^CONFIG_$opt\$" "$config" || die "$pkg lacks CONFIG_$opt"
	done
	if kernel_extract_elf "$pkgdir"/root/boot/vmlinuz-* "$config" "$pkgdir/vmlinux"; then
		echo vmlinux >"$pkgdir/kernel"
	else
		echo root/boot/"$(basename "$pkgdir"/root/boot/vmlinuz-*)" >"$pkgdir/kernel"
	fi

	for moddir in "$pkgdir"/root/lib/modules/* "$pkgdir"/root/usr/lib/modules/*; do
		[[ -d $moddir/kernel ]] && break
	done
	mod_order=
	for m in virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci \
		netfs fscache 9pnet 9pnet_virtio 9p veth; do
		mod_add "$m"
	done
	tr ' ' '\n' <<<"${mod_order# }" >"$pkgdir/modules/order"
	rm -rf "$pkgdir/root/lib/modules" "$pkgdir/root/usr/lib/modules" # ~400 MB we never boot with
	touch "$pkgdir/ready"
}

# Reuse the newest complete kernel in the cache; otherwise fetch one. The lock
# keeps parallel first runs from fetching into the same place.
exec 9>"$cache/.lock"
flock 9
pkgdir=$(printf '%s\n' "$cache"/linux-image-*/ready | grep -v '\*' | sort -V | tail -n1 || true)
if [[ -n $pkgdir ]]; then
	pkgdir=${pkgdir%/ready}
else
	t_fetch=$EPOCHREALTIME
	kernel_fetch
	say "kernel downloaded and prepared in $(elapsed "$t_fetch") s"
fi
flock -u 9
kernel=$pkgdir/$(cat "$pkgdir/kernel")

# --- initramfs: busybox, modules, init and this run's command ---------------
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
mkdir -p "$run/root"/{bin,dev,proc,sys,lib/modules}
cp "$busybox" "$run/root/bin/busybox"
cp "$pkgdir"/modules/* "$run/root/lib/modules/"
cp "$here/init.sh" "$run/root/init"
chmod 755 "$run/root/init"

sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
id=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n') # tells our marker from one the command prints
tty=0
[[ -t 0 ]] && tty=1
{
	echo "VMTEST_RUN=$id"
	echo "VMTEST_CWD=$(sh_quote "$PWD")"
	echo "VMTEST_TTY=$tty"
	echo "VMTEST_TERM=$(sh_quote "${TERM:-dumb}")"
	printf 'set --'
	for a in "$@"; do printf ' %s' "$(sh_quote "$a")"; done
	echo
} >"$run/root/cmd.sh"
(cd "$run/root" && find . | cpio -o -H newc --quiet) >"$run/initramfs.cpio"

# --- boot ---------------------------------------------------------------
append="console=ttyS0 panic=-1 lsm=landlock,lockdown,yama,bpf"
[[ $verbose -eq 1 ]] || append+=" quiet"
# qboot: a minimal firmware that boots faster than SeaBIOS and prints nothing
# (SeaBIOS clears the terminal over serial).
firmware=()
[[ -f /usr/share/qemu/qboot.rom ]] && firmware=(-bios /usr/share/qemu/qboot.rom)
if [[ $kvm -eq 1 ]]; then
	accel=(-accel kvm -cpu host)
else
	accel=(-accel "tcg,thread=multi" -cpu max)
fi
log=$cache/vmtest.$$.log
say "booting $(basename "$pkgdir") ($(basename "$kernel"), ${accel[1]}), log: $cache/vmtest.log"

t_boot=$EPOCHREALTIME
set +e
# multidevs=remap: the host's / spans several filesystems; keep inode numbers unique.
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
	-nodefaults -no-user-config -nographic -serial mon:stdio -no-reboot \
	"${firmware[@]}" "${accel[@]}" -m "$mem" -smp "$smp" \
	-kernel "$kernel" -initrd "$run/initramfs.cpio" -append "$append" \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	2>&1 | tee "$log" | {
	# Note when the command starts, then stream the rest as-is.
	while IFS= read -r line; do
		printf '%s\n' "$line"
		if [[ $line == *"KAVACHOS_VMTEST_START run=$id"* ]]; then
			echo "$EPOCHREALTIME" >"$run/started"
			break
		fi
	done
	cat
}
qemu_rc=${PIPESTATUS[0]}
set -e
mv -f "$log" "$cache/vmtest.log"
log=$cache/vmtest.log

[[ -f $run/started ]] && say "booted to the command in $(elapsed "$t_boot" "$(cat "$run/started")") s"
status=125 # failure unless the guest says otherwise
marker=$(grep -ao "KAVACHOS_VMTEST_EXIT=[0-9]* run=$id" "$log" | tail -n1 || true)
if [[ -n $marker ]]; then
	status=${marker#KAVACHOS_VMTEST_EXIT=}
	status=${status%% *}
	[[ $qemu_rc -eq 0 ]] || say "warning: qemu exited $qemu_rc after the command finished"
elif [[ $qemu_rc -eq 124 || $qemu_rc -eq 137 ]]; then
	say "error: timed out after $timeout s; killed the VM"
	status=124
else
	say "error: the VM stopped before the command finished (panic, crash or init failure; qemu exit $qemu_rc)"
fi
say "exit status $status; total $(elapsed "$t_start") s"
exit "$status"
