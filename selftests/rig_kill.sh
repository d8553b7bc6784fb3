#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig_kill.sh - check that a multi-node test can kill a node's VM and start
# a fresh one in its place (scripts/vm-node).
#
#   scripts/vm --nodes 3 -- selftests/rig_kill.sh
#
# Runs on node 0 and kills the last node (node 2 with --nodes 3): the kill
# returns once its QEMU is gone, vm-exec to it fails at once (also one in
# flight), the other nodes go on; then a fresh guest boots in its place,
# with the same address, and answers vm-exec, ping and has its rxe0 again.
# Prints KTAP; exit status 0 pass, 1 failure, 4 skip.

ck=$(cd "$(dirname "$0")/.." && pwd -P)
x=$ck/scripts/vm-exec
vn=$ck/scripts/vm-node
n=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() {	# STATUS NAME [DIAG...]
	local st=$1 name=$2 d
	shift 2
	n=$((n + 1))
	for d in "$@"; do
		[ -n "$d" ] && printf '%s\n' "$d" | sed 's/^/# /'
	done
	if [ "$st" = 0 ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
}

ping1() {	# ping1 ADDR WAIT
	if command -v ping >/dev/null; then
		ping -q -c 2 -W "$2" "$1"
	else
		busybox ping -q -c 2 -W "$2" "$1"
	fi
}

ms() {	# milliseconds since boot
	local up _
	read -r up _ </proc/uptime
	echo $((${up/./} * 10))
}

echo "TAP version 13"
if [ -z "${MTIER_RUN_DIR:-}" ] || [ "${MTIER_NODES:-1}" -lt 2 ] ||
	[ "${MTIER_NODE:-}" != 0 ]; then
	echo "1..0 # SKIP needs node 0 of scripts/vm --nodes 2 (or more)"
	exit 4
fi
echo "1..13"

k=$((MTIER_NODES - 1))		# the victim
v=MTIER_NODE_ADDR_$k
addr=${!v}
nd=$MTIER_RUN_DIR/node$k

# 1: before: node k answers, and says which boot it is
boot1=$("$x" $k 'cat /proc/sys/kernel/random/boot_id' 2>"$tmp/err")
ok $? "node${k}_answers" "$(cat "$tmp/err")"

# 2: refusals: node 0, a node that does not exist, starting a running node
"$vn" kill 0 2>"$tmp/e0"; r0=$?
"$vn" kill $((MTIER_NODES + 3)) 2>"$tmp/e1"; r1=$?
"$vn" start $k 2>"$tmp/e2"; r2=$?
[ $r0 != 0 ] && [ $r1 != 0 ] && [ $r2 = 1 ]
ok $? refusals "kill 0: $r0, kill a missing node: $r1, start a running node: $r2" \
	"$(cat "$tmp/e0" "$tmp/e1" "$tmp/e2")"

# 3: kill it with a command in flight there (which notes when it gave up)
(
	"$x" $k 'sleep 120' >/dev/null 2>"$tmp/inflight.err"
	echo "$? $(ms)" >"$tmp/inflight.end"
) &
inflight=$!
sleep 1
t0=$(ms)
"$vn" kill $k 2>"$tmp/err"
rc=$?
t1=$(ms)
ok $rc "kill_node$k" "$(cat "$tmp/err")" "took $((t1 - t0)) ms"

# 4: the rig says so
st=$("$vn" state $k)
[ "$st" = down ] && [ -e "$nd/down" ] && [ -s "$nd/killed.1/console.log" ] &&
	[ ! -e "$nd/ready" ]
ok $? "node${k}_down" "state: $st" "$(ls "$nd" "$nd/killed.1" 2>&1 | tr '\n' ' ')"

# 5: the vm-exec in flight gave up, soon after the kill returned (the
# node is marked down before its QEMU is killed)
wait $inflight
read -r rc t3 <"$tmp/inflight.end"
[ "$rc" = 125 ] && [ $((t3 - t1)) -lt 5000 ]
ok $? inflight_exec_fails "status $rc, $((t3 - t1)) ms after the kill returned" \
	"$(cat "$tmp/inflight.err")"

# 6: a new vm-exec fails at once
t0=$(ms)
"$x" $k true 2>"$tmp/err"
rc=$?
t1=$(ms)
[ $rc = 125 ] && [ $((t1 - t0)) -lt 3000 ]
ok $? exec_fails_fast "status $rc in $((t1 - t0)) ms" "$(cat "$tmp/err")"

# 7: it is gone from the network too
! ping1 "$addr" 1 >"$tmp/ping" 2>&1
ok $? "node${k}_silent" "$(grep packets "$tmp/ping")"

# 8: the others go on
if [ "$k" -gt 1 ]; then
	out=$("$x" 1 'echo $MTIER_NODE' 2>"$tmp/err")
	[ "$out" = 1 ]
	ok $? node1_still_answers "$(cat "$tmp/err")"
else
	ok 0 "node1_still_answers # SKIP the victim is node 1"
fi

# 9: start a fresh one in its place
t0=$(ms)
"$vn" start $k 2>"$tmp/err"
rc=$?
t1=$(ms)
ok $rc "start_node$k" "$(cat "$tmp/err")" "up in $((t1 - t0)) ms"

# 10: vm-exec reaches it, it is node k at its address, and a new boot
out=$("$x" $k 'echo "$(hostname) $MTIER_NODE $MTIER_NODE_ADDR $(cat /proc/sys/kernel/random/boot_id)"' 2>"$tmp/err")
rc=$?
set -- $out
[ $rc = 0 ] && [ "$1 $2 $3" = "mtier-node$k $k $addr" ] && [ -n "$4" ] &&
	[ "$4" != "$boot1" ]
ok $? "node${k}_back" "rc=$rc out='$out' first boot $boot1" "$(cat "$tmp/err")"

# 11: the state, and the network
[ "$("$vn" state $k)" = up ] && [ ! -e "$nd/down" ] &&
	ping1 "$addr" 5 >"$tmp/ping" 2>&1
ok $? "node${k}_up_and_pinging" "$(grep packets "$tmp/ping")"

# 12: its SoftRoCE device is back (the rig set it up on the fresh boot)
out=$("$x" $k 'rdma link show rxe0/1' 2>&1)
case $out in *ACTIVE*) ok 0 "node${k}_rxe0" ;; *) ok 1 "node${k}_rxe0" "$out" ;; esac

# 13: kill and start once more, right away (the second generation's logs)
"$vn" kill $k 2>"$tmp/err" && "$vn" start $k 2>>"$tmp/err" &&
	"$x" $k true && [ -s "$nd/killed.2/console.log" ]
ok $? "kill_start_again" "$(cat "$tmp/err")"

echo "# $n tests, $failed failed"
[ $failed = 0 ]
