#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A tier against a hostile donor (rdma_hostile_donor, userspace): for each
# way it misbehaves -- an out-of-range status, the wrong reply type, the
# wrong slab length, a reply to a tag never sent, slabs out of its memory,
# a disconnect mid-call, silence, a keepalive answered with an error, data
# queue pairs that vanish under a zeroing write, another slab size after a
# reconnect -- the client fails I/O with a clear error within the peer's
# timeout, never hangs or oopses (run.sh fails a test on any splat), and
# the same tier works again once the donor behaves.  Then peers deleted
# while their donor disconnects them.
#
# MTIER_HOSTILE_CASES="status tag ..." runs only those cases;
# MTIER_HOSTILE_RACES sets the rounds of the last one.
. "$(dirname "$0")/lib.sh"
require_root
require_rdma
mtier_load
mtier_flush
A=$MTIER_RDMA_ADDR
HD=$ROOT/selftests/rdma_hostile_donor
[ -x "$HD" ] || skip "$HD not built"
CASES=${MTIER_HOSTILE_CASES:-status type len tag addr disconnect silent kastatus deadqp slabsize race}
RACES=${MTIER_HOSTILE_RACES:-5}
PORT=7700
export HOSTILE_MODE_FILE=/tmp/hd.mode
: >/tmp/hd.log

# The donor, on $A:$PORT, one process for the whole test.
echo good >$HOSTILE_MODE_FILE
"$HD" "$A" $PORT good >>/tmp/hd.log 2>&1 &
hd_pid=$!
trap 'kill $hd_pid 2>/dev/null' EXIT

# set_mode MODE: the donor misbehaves that way from now on.
set_mode() {
	local n

	n=$(grep -c "^mode " /tmp/hd.log)
	echo "$1" >$HOSTILE_MODE_FILE
	kill -HUP $hd_pid
	wait_for 10 sh -c "[ \$(grep -c '^mode ' /tmp/hd.log) -gt $n ]"
}

connects() { field peer hp 'o["stats"]["connects"]'; }
connected_since() { [ "$(connects)" -gt "$1" ] && peer_is hp up; }

# logged REGEX: the kernel said it during this case, after its marker.
# (Not by counting lines: once the kernel's log buffer is full, as it is
# after the rest of the suite, its length stays the same.)
logged() {
	dmesg | awk -v m="$mark" -v t="$1" '
		index($0, m) { after = 1; seen = 0; next }
		after && $0 ~ t { seen = 1 }
		END { exit !seen }'
}

# write_fails DEV OFFSET_MIB: a 4 MiB direct write there fails, and
# promptly (not ended by timeout).  4 slabs: the tier's spare slab, taken
# from the donor ahead of need, serves one at most.
write_fails() {
	timeout 20 dd if=/dev/urandom of="$1" bs=1M count=4 seek="$2" \
		oflag=direct status=none
	rc=$?
	echo "dd exit $rc"
	[ $rc != 0 ] && [ $rc != 124 ]
}

read_fails() {
	timeout 20 dd if="$1" of=/dev/null bs=4k count=1 skip="$2" \
		iflag=direct status=none
	rc=$?
	echo "dd exit $rc"
	[ $rc != 0 ] && [ $rc != 124 ]
}

# write_reads_back DEV OFFSET_MIB: 2 MiB written there read back the same.
write_reads_back() {
	head -c 2M /dev/urandom >/tmp/hd.bin
	timeout 20 dd if=/tmp/hd.bin of="$1" bs=1M seek="$2" oflag=direct \
		status=none &&
	cmp <(timeout 20 dd if="$1" bs=1M skip="$2" count=2 iflag=direct \
		status=none) /tmp/hd.bin
}

# The donor behaves again: the peer reconnects, a discard clears the lost
# slabs, and the same tier works.
recover() {
	check "$1: a good donor again" set_mode good
	c1=$(connects)
	kill -USR1 $hd_pid	# no session of the bad mode left
	check "$1: the peer reconnects" wait_for 30 connected_since "$c1"
	check "$1: discard the lost slabs" timeout 20 blkdiscard -f "$dev"
	check "$1: the tier works again" write_reads_back "$dev" 4
}

# A write to new space fails cleanly, for the reason the kernel gives.
case_bad_alloc() {
	check "$1: a write that needs a slab fails" write_fails "$dev" 0
	check "$1: the connection fails: $2" wait_for 10 logged "$2"
	recover "$1"
}

check "donor listens" wait_for 10 grep -q "ready: good on $A:$PORT" /tmp/hd.log
check "peer" "$MTIER" peer add hp addr "$A" port $PORT keepalive 200 timeout 1000
check "peer up" wait_for 20 peer_is hp up
check "tier" "$MTIER" tier add ht size 16M peer hp
dev=$(tier_dev ht)
check "the tier works over a good donor" write_reads_back "$dev" 0
check "discard" timeout 20 blkdiscard -f "$dev"

for c in $CASES; do
	mark="mtier-test: hostile donor case $c $RANDOM"
	echo "$mark" >/dev/kmsg
	c0=$(connects)
	t0=$(date +%s)
	echo "# --- case $c"
	[ "$c" = race ] || check "$c: donor in mode $c" set_mode "$c"
	case $c in
	status)
		case_bad_alloc status "reply with an out-of-range status" ;;
	type)
		case_bad_alloc type "bad reply type" ;;
	len)
		case_bad_alloc len "bad reply to a slab request" ;;
	tag)
		case_bad_alloc tag "unexpected control reply" ;;
	addr)
		case_bad_alloc addr "connection lost: remote .*error" ;;
	disconnect)
		case_bad_alloc disconnect "connection lost: disconnected" ;;
	silent)
		case_bad_alloc silent "control call timed out" ;;
	kastatus)
		# A keepalive answered with an error: the connection fails at
		# once; before, keepalives just stopped and the peer stayed up
		# over a session that answered nothing more.
		check "kastatus: the connection fails at once" \
			wait_for 3 logged "keepalive answered with an error"
		recover kastatus
		;;
	deadqp)
		# The donor's data queue pairs vanish without a word: a zeroing
		# write (a discard of part of a slab) gets no answer, and must
		# end within the peer's timeout, not when RDMA retries run out.
		check "deadqp: the tier works" write_reads_back "$dev" 0
		kill -USR2 $hd_pid
		check "deadqp: data queue pairs gone" \
			wait_for 10 grep -q "data queue pairs destroyed" /tmp/hd.log
		traced=0
		rq_trace_start && traced=1
		t1=$(date +%s%N)
		check "deadqp: a partial discard fails" \
			sh -c "! timeout 30 blkdiscard -f -o 4096 -l 4096 $dev"
		ms=$((($(date +%s%N) - t1) / 1000000))
		echo "# the discard ended after $ms ms"
		check "deadqp: it did not hang (< 10 s)" [ $ms -lt 10000 ]
		if [ $traced = 1 ]; then
			# In mtier, by the kernel's clock (blkdiscard's own start
			# is slow under KASAN): the 1 s timeout and a margin.
			rq_trace_stop
			read -r n _ _ max_rq < <(rq_trace_failed "$dev")
			echo "# in mtier: $max_rq ms from dispatch to failure"
			check "deadqp: the discard failed" [ "$n" -ge 1 ]
			check "deadqp: within the peer's timeout and a margin (< 1500 ms)" \
				[ "$max_rq" -lt 1500 ]
		fi
		check "deadqp: the kernel says why" logged "zeroing timed out"
		recover deadqp
		;;
	slabsize)
		# Slabs of 1 MiB, then a reconnect offers 2 MiB ones: no slab
		# of the wrong size ever enters the tier's map.
		check "slabsize: the tier works with 1 MiB slabs" \
			write_reads_back "$dev" 0
		kill -USR1 $hd_pid
		check "slabsize: the donor comes back with 2 MiB slabs" \
			wait_for 30 field_is peer hp 'o["slab-size"]' 2097152
		check "slabsize: reconnected" wait_for 30 connected_since "$c0"
		check "slabsize: the old slabs are lost" read_fails "$dev" 0
		check "slabsize: a write to new space fails" write_fails "$dev" 8
		check "slabsize: the kernel says why" logged "slab size"
		recover slabsize
		check "slabsize: 1 MiB slabs again" \
			field_is peer hp 'o["slab-size"]' 1048576
		;;
	race)
		# Peers deleted while their donor (another one) disconnects
		# them.
		"$HD" "$A" $((PORT + 1)) good >/tmp/hd2.log 2>&1 &
		hd2_pid=$!
		check "race: a second donor" \
			wait_for 10 grep -q "ready: good" /tmp/hd2.log
		ok=0
		for i in $(seq "$RACES"); do
			"$MTIER" peer add hr addr "$A" port $((PORT + 1)) \
				keepalive 200 \
				timeout 1000 || break
			wait_for 20 peer_is hr up || break
			# the disconnect 0-90 ms after the deletion starts
			(sleep "0.0$((i % 10))"; kill -USR1 $hd2_pid) &
			timeout 30 "$MTIER" peer del hr || break
			wait $!
			ok=$((ok + 1))
		done
		check "race: $RACES peers deleted during a disconnect" \
			[ $ok = "$RACES" ]
		kill $hd2_pid
		wait $hd2_pid
		;;
	esac
	echo "# case $c took $(($(date +%s) - t0)) s"
done

check "teardown" mtier_flush
kill $hd_pid
wait $hd_pid
finish
