#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rig_multinode.sh - check the multi-node mode of scripts/vm.
#
#   scripts/vm --nodes 2 -- selftests/rig_multinode.sh
#
# Runs on node 0 and talks to node 1: network, scripts/vm-exec (output,
# exit status, concurrency) and RDMA between the nodes over SoftRoCE, both
# through rdma_cm (perftest -R) and with plain verbs (ibv_rc_pingpong).
# Prints KTAP; exit status 0 pass, 1 failure, 4 skip.

ck=$(cd "$(dirname "$0")/.." && pwd -P)
x=$ck/scripts/vm-exec
n=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() {	# STATUS NAME [DIAG...]
	st=$1
	name=$2
	shift 2
	n=$((n + 1))
	for d in "$@"; do
		printf '%s\n' "$d" | sed 's/^/# /'
	done
	case $st in
	0) echo "ok $n $name" ;;
	skip) echo "ok $n $name # SKIP" ;;
	*) echo "not ok $n $name"; failed=$((failed + 1)) ;;
	esac
}

ping1() {	# ADDR [SIZE]
	if command -v ping >/dev/null; then
		ping -q -c 2 -W 5 ${2:+-M do -s "$2"} "$1"
	else
		busybox ping -q -c 2 -W 5 ${2:+-s "$2"} "$1"
	fi
}

echo "TAP version 13"
if [ -z "${MTIER_RUN_DIR:-}" ] || [ "${MTIER_NODES:-1}" -lt 2 ] ||
	[ "${MTIER_NODE:-}" != 0 ]; then
	echo "1..0 # SKIP needs node 0 of scripts/vm --nodes 2 (or more)"
	exit 4
fi
echo "1..9"

a0=$MTIER_NODE_ADDR_0
a1=$MTIER_NODE_ADDR_1

# 1: addresses as documented, and node 1 answers pings
if [ "$a0" = 10.77.0.1 ] && [ "$a1" = 10.77.0.2 ] &&
	[ "$MTIER_RDMA_ADDR" = "$a0" ] && ping1 "$a1" >"$tmp/ping" 2>&1; then
	ok 0 ping_node1 "$(grep 'packets' "$tmp/ping")"
else
	ok 1 ping_node1 "a0=$a0 a1=$a1 rdma=$MTIER_RDMA_ADDR" "$(cat "$tmp/ping")"
fi

# 2: jumbo frames pass unfragmented when eth0 took mtu 9000
mtu=$(cat /sys/class/net/eth0/mtu)
mtu1=$("$x" 1 'cat /sys/class/net/eth0/mtu')
if [ "$mtu" != 9000 ] || [ "$mtu1" != 9000 ]; then
	ok skip jumbo_frames "eth0 mtu is $mtu here, $mtu1 on node1"
elif ping1 "$a1" 8972 >"$tmp/ping" 2>&1; then
	ok 0 jumbo_frames
else
	ok 1 jumbo_frames "$(cat "$tmp/ping")"
fi

# 3: vm-exec returns the remote output and a zero status
out=$("$x" 1 'echo "$(hostname) $MTIER_NODE $MTIER_NODE_ADDR $(pwd)"' 2>"$tmp/err")
rc=$?
want="mtier-node1 1 $a1 $ck"
if [ $rc = 0 ] && [ "$out" = "$want" ] && [ ! -s "$tmp/err" ]; then
	ok 0 exec_output
else
	ok 1 exec_output "rc=$rc out='$out' want='$want'" "$(cat "$tmp/err")"
fi

# 4: a failing command: its status, stdout and stderr come back separately
out=$("$x" 1 'echo to-out; echo to-err >&2; exit 7' 2>"$tmp/err")
rc=$?
err=$(cat "$tmp/err")
if [ $rc = 7 ] && [ "$out" = to-out ] && [ "$err" = to-err ]; then
	ok 0 exec_failure_status
else
	ok 1 exec_failure_status "rc=$rc out='$out' err='$err'"
fi

# 5: argv form keeps the arguments intact
out=$("$x" 1 printf '<%s>' "a b" 'c$d' "")
if [ "$out" = '<a b><c$d><>' ]; then
	ok 0 exec_argv
else
	ok 1 exec_argv "got '$out'"
fi

# 6: requests run concurrently: each waits (60 s at most) for a mark the
# other one leaves, so they both succeed only if they overlap.  (No time
# bound: on a debug kernel every request costs seconds.)
t0=$(cut -d' ' -f1 /proc/uptime)
m=/tmp/rig_concurrent.$$
"$x" 1 "touch $m.a; timeout 60 sh -c 'until [ -e $m.b ]; do sleep 0.1; done'" &
p1=$!
"$x" 1 "touch $m.b; timeout 60 sh -c 'until [ -e $m.a ]; do sleep 0.1; done'" &
p2=$!
wait $p1
rc1=$?
wait $p2
rc2=$?
t1=$(cut -d' ' -f1 /proc/uptime)
dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
if [ $rc1 = 0 ] && [ $rc2 = 0 ]; then
	ok 0 exec_concurrent "took ${dt}s"
else
	ok 1 exec_concurrent "rc=$rc1,$rc2 took ${dt}s"
fi

# 7: SoftRoCE device on both nodes
if rdma link show | grep -q "^link rxe0/1 state ACTIVE.*netdev eth0" &&
	"$x" 1 'rdma link show' | grep -q "^link rxe0/1 state ACTIVE.*netdev eth0"; then
	ok 0 rxe_on_both_nodes
else
	ok 1 rxe_on_both_nodes "$(rdma link show)" "$("$x" 1 'rdma link show' 2>&1)"
fi

# Run server SRV on node 1 in the background, wait until node 1 passes the
# READY check, then run client CLI here.  Both ends have time limits (a
# perftest client that finds no listener may crash or hang).  Output is in
# $tmp/srv and $tmp/cli.
client_server() {	# SRV READY CLI
	"$x" 1 "timeout 90 $1" >"$tmp/srv" 2>&1 &
	srv=$!
	i=0
	until "$x" 1 "$2" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -ge 100 ] || ! kill -0 $srv 2>/dev/null; then
			echo "server never got ready" >"$tmp/cli"
			wait $srv
			return 1
		fi
		sleep 0.2
	done
	timeout 60 $3 >"$tmp/cli" 2>&1
	rc=$?
	wait $srv && [ $rc = 0 ]
}

# 8: RDMA READ across the nodes, connected through rdma_cm
if ! command -v ib_read_lat >/dev/null; then
	ok skip rdma_cm_read_across_nodes "perftest not installed"
elif client_server "ib_read_lat -d rxe0 -R -n 200" \
	"rdma res show cm_id | grep -q 'state LISTEN.*comm ib_read_lat'" \
	"ib_read_lat -d rxe0 -R -n 200 $a1"; then
	ok 0 rdma_cm_read_across_nodes "$(grep -A1 'bytes' "$tmp/cli" | tail -n 1)"
else
	ok 1 rdma_cm_read_across_nodes "$(cat "$tmp/cli")" "server:" "$(cat "$tmp/srv")"
fi

# 9: plain verbs RC ping-pong, with the RoCE v2 IPv4 GID picked by hand
gid=$(ibv_devinfo -v -d rxe0 | sed -n 's/.*GID\[ *\([0-9]*\)\]:.*:ffff:.*RoCE v2.*/\1/p' | head -n 1)
if ! command -v ibv_rc_pingpong >/dev/null; then
	ok skip verbs_rc_pingpong "ibv_rc_pingpong not installed"
elif [ -z "$gid" ]; then
	ok 1 verbs_rc_pingpong "no RoCE v2 IPv4 GID:" "$(ibv_devinfo -v -d rxe0)"
elif client_server "ibv_rc_pingpong -d rxe0 -g $gid -n 100" \
	"ss -ltn | grep -q ':18515 '" \
	"ibv_rc_pingpong -d rxe0 -g $gid -n 100 $a1"; then
	ok 0 verbs_rc_pingpong "gid index $gid: $(grep 'iters' "$tmp/cli" | tail -n 1)"
else
	ok 1 verbs_rc_pingpong "$(cat "$tmp/cli")" "server:" "$(cat "$tmp/srv")"
fi

echo "# $failed of $n failed"
[ $failed = 0 ] || exit 1
exit 0
