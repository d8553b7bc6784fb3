#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two nodes, no mtier: SoftRoCE alone under load across the VMs' link.
# perftest's ib_write_bw and ib_read_bw (4 KiB messages, connected through
# rdma_cm) run for MTIER_RXE_SECS seconds each (default 60), node 0 the
# client, MTIER_RXE_ROUNDS times (default 3).  With STRESS_MTU set, both
# nodes' link takes that MTU first.  This is the reproducer of the rig's
# own SoftRoCE crash (Documentation/testing.rst): what it looks for is a
# node that dies, which scripts/vm reports; perftest's own failures to
# connect are printed, not counted.
. "$(dirname "$0")/lib.sh"
require_root
[ "${MTIER_NODES:-1}" -ge 2 ] || skip "needs scripts/vm --nodes 2"
command -v ib_write_bw >/dev/null || skip "perftest not installed"
[ -d /sys/module/mtier ] && skip "mtier is loaded: this runs SoftRoCE alone"
x="$ROOT/scripts/vm-exec"
a1=$MTIER_NODE_ADDR_1
secs=${MTIER_RXE_SECS:-60}
tmp=$(mktemp -d)

if [ -n "${STRESS_MTU:-}" ]; then
	check "link mtu $STRESS_MTU on both nodes" sh -c \
		"ip link set eth0 mtu $STRESS_MTU && '$x' 1 'ip link set eth0 mtu $STRESS_MTU'"
	sleep 1
fi
echo "# eth0 mtu $(cat /sys/class/net/eth0/mtu), rxe0$(ibv_devinfo -d rxe0 | sed -n 's/.*active_mtu:[[:space:]]*/ active_mtu /p')"

# run OP: one timed run, the server on node 1; prints perftest's result.
run() {
	local op=$1 srv i=0 rc
	"$x" 1 "timeout $((secs + 60)) $op -d rxe0 -R -s 4096 -D $secs" >"$tmp/srv" 2>&1 &
	srv=$!
	until "$x" 1 "rdma res show cm_id | grep -q 'state LISTEN.*comm $op'" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge 100 ] && break
		sleep 0.2
	done
	timeout $((secs + 30)) "$op" -d rxe0 -R -s 4096 -D "$secs" "$a1" >"$tmp/cli" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		echo "# $op: $(grep -A1 'BW average' "$tmp/cli" | tail -n 1 | awk '{print $4 " MB/s"}')"
	else
		echo "# $op: perftest failed ($rc): $(tail -n 2 "$tmp/cli" | tr '\n' ' ')"
		"$x" 1 "pkill $op" >/dev/null 2>&1
	fi
	wait "$srv"
}

for r in $(seq "${MTIER_RXE_ROUNDS:-3}"); do
	run ib_write_bw
	run ib_read_bw
	check "round $r: both nodes still up after $((2 * secs)) s of traffic" "$x" 1 true
done
rm -rf "$tmp"
finish
