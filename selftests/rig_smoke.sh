#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rig_smoke.sh - check the guest environment scripts/vm provides.
#
#   scripts/vm --rdma -- selftests/rig_smoke.sh
#
# Meant to run inside the VM; skips (exit 4) anywhere else.  Prints KTAP.
# Exit status: 0 pass, 1 failure, 4 skip (kselftest convention).

ck=$(cd "$(dirname "$0")/.." && pwd -P)
n=0
failed=0

ok() {	# STATUS NAME [DIAG...]
	st=$1
	name=$2
	shift 2
	n=$((n + 1))
	for d in "$@"; do
		echo "# $d"
	done
	case $st in
	0) echo "ok $n $name" ;;
	skip) echo "ok $n $name # SKIP" ;;
	*) echo "not ok $n $name"; failed=$((failed + 1)) ;;
	esac
}

# mount type at exactly DIR, from /proc/self/mountinfo (last mount wins)
fstype_at() {
	awk -v d="$1" '$5 == d { for (i = 7; $i != "-"; i++) ; t = $(i + 1) }
		END { print t }' /proc/self/mountinfo
}

echo "TAP version 13"
if [ -z "${MTIER_RUN_DIR:-}" ] || [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP not inside scripts/vm"
	exit 4
fi
if [ -n "${MTIER_RDMA_DEV:-}" ]; then
	echo "1..11"
else
	echo "1..9"
fi

# 1: the root is an overlay and writable, and the write stays in the guest
f=/usr/.rig_smoke.$$
if [ "$(fstype_at /)" = overlay ] && echo x >"$f" && [ "$(cat "$f")" = x ] &&
	rm "$f"; then
	ok 0 root_overlay_writable
else
	ok 1 root_overlay_writable "/ is $(fstype_at /)"
fi

# 2: the checkout is a 9p mount at its host path, and writable
f=$ck/.rig_smoke.$$
if [ "$(fstype_at "$ck")" = 9p ] && [ -x "$ck/scripts/vm" ] &&
	echo x >"$f" && rm "$f"; then
	ok 0 checkout_mounted_writable
else
	ok 1 checkout_mounted_writable "$ck is $(fstype_at "$ck"), cwd $(pwd -P)"
fi

# 3: the run dir is shared and writable
f=$MTIER_RUN_DIR/.rig_smoke.$$
if [ "$(fstype_at "$MTIER_RUN_DIR")" = 9p ] && echo x >"$f" && rm "$f"; then
	ok 0 run_dir_writable
else
	ok 1 run_dir_writable "$MTIER_RUN_DIR is $(fstype_at "$MTIER_RUN_DIR")"
fi

# 4: cgroup2, debugfs, configfs, tmpfs /tmp and /run, devpts
bad=
for m in /sys/fs/cgroup:cgroup2 /sys/kernel/debug:debugfs \
	/sys/kernel/config:configfs /tmp:tmpfs /run:tmpfs /dev:devtmpfs \
	/dev/pts:devpts /proc:proc /sys:sysfs; do
	t=$(fstype_at "${m%%:*}")
	[ "$t" = "${m#*:}" ] || bad="$bad ${m%%:*}=$t"
done
if [ -z "$bad" ] && [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	ok 0 special_mounts
else
	ok 1 special_mounts "wrong mounts:$bad"
fi

# 5: HOME writable, hostname set, lo up, console log level 1
f=$HOME/.rig_smoke.$$
lvl=$(cut -f1 /proc/sys/kernel/printk)
if [ "$HOME" = /root ] && echo x >"$f" && rm "$f" &&
	[ "$(hostname)" != "(none)" ] && [ "$lvl" = 1 ] &&
	ip -o link show lo | grep -q 'state UNKNOWN\|state UP'; then
	ok 0 basics
else
	ok 1 basics "HOME=$HOME hostname=$(hostname) loglevel=$lvl"
fi

# 6: module tooling works for the booted kernel
if [ -d "/lib/modules/$(uname -r)" ] && modprobe -n -q dummy; then
	ok 0 modules_available
else
	ok 1 modules_available "no usable /lib/modules/$(uname -r)"
fi

# 7: SoftRoCE loads
if modprobe rdma_rxe; then
	ok 0 modprobe_rdma_rxe
else
	ok 1 modprobe_rdma_rxe
fi

# 8: the node environment scripts/vm promises
if [ "${MTIER_NODE:-}" = 0 ] && [ -n "${MTIER_NODES:-}" ]; then
	ok 0 node_env
else
	ok 1 node_env "MTIER_NODE=${MTIER_NODE:-} MTIER_NODES=${MTIER_NODES:-}"
fi

# 9: nothing nasty in the kernel log so far
if dmesg | grep -q -E '(^|[^[:alnum:]_])BUG:|\] WARNING:|Call Trace:'; then
	ok 1 dmesg_clean "$(dmesg | grep -m 3 -E 'BUG:|WARNING:|Call Trace:')"
else
	ok 0 dmesg_clean
fi

if [ -n "${MTIER_RDMA_DEV:-}" ]; then
	dev=$MTIER_RDMA_DEV
	# 10: the rxe device is there, active, and visible to verbs
	links=$(rdma link show 2>&1)
	devs=$(ibv_devices 2>&1)
	if echo "$links" | grep -q "^link $dev/1 state ACTIVE" &&
		echo "$devs" | grep -q "^[[:space:]]*${dev}[[:space:]]"; then
		ok 0 rdma_device "$(echo "$links" | grep "^link $dev/")"
	else
		ok 1 rdma_device "rdma link show: $links" "ibv_devices: $devs"
	fi

	# 11: a connection through rdma_cm, looped back by rxe
	if ! command -v ib_send_lat >/dev/null; then
		ok skip rdma_cm_loopback "perftest not installed"
	else
		ib_send_lat -d "$dev" -R -n 100 >/tmp/rig_srv.log 2>&1 &
		srv=$!
		sleep 1
		i=0
		until ib_send_lat -d "$dev" -R -n 100 "$MTIER_RDMA_ADDR" >/tmp/rig_cli.log 2>&1; do
			i=$((i + 1))
			[ $i -lt 3 ] || break
			sleep 1
		done
		if [ $i -lt 3 ] && wait $srv; then
			ok 0 rdma_cm_loopback "$(grep -A1 'bytes' /tmp/rig_cli.log | tail -n 1)"
		else
			kill $srv 2>/dev/null
			ok 1 rdma_cm_loopback "$(cat /tmp/rig_cli.log /tmp/rig_srv.log)"
		fi
	fi
fi

echo "# $failed of $n failed"
[ $failed = 0 ] || exit 1
exit 0
