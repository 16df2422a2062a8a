#!/bin/busybox sh
# shellcheck shell=dash disable=SC1091,SC2013,SC2016
# Guest /init for tests/vm/vmtest.sh (runs under busybox, PID 1).
# Mounts the host's / (9p, read-only) at /host, gives it the pseudo and
# scratch filesystems a test needs, chroots into it and runs the command
# described by /cmd.sh. The last line it prints is the exit marker the
# harness turns into its own exit status; without that line the run fails.

/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys

# Written per run by vmtest.sh: VMTEST_RUN, VMTEST_CWD, VMTEST_TTY, VMTEST_TERM, "$@".
. /cmd.sh

# No marker on failure: the harness reports "VM failed", never a pass.
die() { echo "vmtest-init: $*"; poweroff -f; sleep 5; echo o >/proc/sysrq-trigger; }

while read -r m; do
	insmod "/lib/modules/$m.ko" || die "insmod $m failed"
done </lib/modules/order

H=/host
mkdir -p $H
# cache=loose: the export is read-only and static for the run; it makes exec
# and library loads much cheaper under TCG.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose host $H ||
	die "cannot mount the host's / over 9p"

# The cwd may sit below a directory about to be covered by tmpfs (/tmp, /root):
# keep a handle on it and bind it back afterwards.
mkdir -p /cwd
[ -d "$H$VMTEST_CWD" ] && mount -o bind "$H$VMTEST_CWD" /cwd

mount -t proc proc $H/proc
mount -t sysfs sys $H/sys
mount -t devtmpfs dev $H/dev
mkdir -p $H/dev/pts $H/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts $H/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $H/dev/shm
# devtmpfs lacks these; bash process substitution needs /dev/fd.
ln -sf /proc/self/fd $H/dev/fd
ln -sf /proc/self/fd/0 $H/dev/stdin
ln -sf /proc/self/fd/1 $H/dev/stdout
ln -sf /proc/self/fd/2 $H/dev/stderr

# The root is read-only: everything a test may write is tmpfs.
mount -t tmpfs -o mode=1777 tmpfs $H/tmp
mount -t tmpfs -o mode=1777 tmpfs $H/var/tmp
mount -t tmpfs -o mode=0755 tmpfs $H/run
mount -t tmpfs -o mode=0700 tmpfs $H/root

mount -t securityfs securityfs $H/sys/kernel/security
mount -t bpf bpf $H/sys/fs/bpf
mount -t tracefs tracefs $H/sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs $H/sys/kernel/debug 2>/dev/null
# Pure cgroup2 layout, controllers delegated to children like systemd does.
mount -t cgroup2 cgroup2 $H/sys/fs/cgroup
for c in $(cat $H/sys/fs/cgroup/cgroup.controllers); do
	echo "+$c" >$H/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
done

if [ ! -d "$H$VMTEST_CWD" ]; then
	mkdir -p "$H$VMTEST_CWD" && mount -o bind /cwd "$H$VMTEST_CWD"
fi

ip link set lo up
hostname kavachos-vm

echo "KAVACHOS_VMTEST_START run=$VMTEST_RUN"
set -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM="$VMTEST_TERM" LANG=C.UTF-8 \
	chroot $H /bin/sh -c 'cd "$1" || exit 125; shift; exec "$@"' vmtest "$VMTEST_CWD" "$@"
if [ "$VMTEST_TTY" = 1 ]; then
	# Interactive: a real controlling tty so job control and ^C work.
	setsid -c "$@" <>/dev/ttyS0 >&0 2>&0
else
	"$@" </dev/null
fi
rc=$?
echo
echo "KAVACHOS_VMTEST_EXIT=$rc run=$VMTEST_RUN"
poweroff -f
