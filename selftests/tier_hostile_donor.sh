#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A tier against a hostile donor (rdma_hostile_donor, userspace): for each
# way it misbehaves -- an out-of-range status, the wrong reply type, the
# wrong slab length, a reply to a tag never sent, slabs out of its memory,
# silence, a disconnect mid-call, a keepalive answered with an error,
# another slab size after a reconnect -- the client fails I/O with a clear
# error within the peer's timeout, never hangs or oopses (run.sh fails a
# test on any splat), and the same tier works again once the donor
# behaves.  Then peers deleted while their donor disconnects them.
#
# MTIER_HOSTILE_CASES="status tag ..." runs only those cases.
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
port=7700
hd_pid=

# start_donor MODE [SLAB_MIB]: a hostile donor on $A:$port.
start_donor() {
	"$HD" "$A" $port "$@" >>/tmp/hd.log 2>&1 &
	hd_pid=$!
	wait_for 10 grep -q "ready: $1 on $A:$port" /tmp/hd.log
}

stop_donor() {
	[ -n "$hd_pid" ] || return 0
	kill "$hd_pid" 2>/dev/null
	wait "$hd_pid" 2>/dev/null
	hd_pid=
}

# write_fails DEV OFFSET_MIB: a 1 MiB direct write there fails, and
# promptly (not ended by timeout).
write_fails() {
	timeout 20 dd if=/dev/urandom of="$1" bs=1M count=1 seek="$2" \
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

# Peer and tier over a donor started in MODE; waits for it to be up.
attach() {
	port=$((port + 1))
	: >/tmp/hd.log
	check "$1: donor listens" start_donor "$@"
	check "$1: peer" "$MTIER" peer add hp addr "$A" port $port \
		keepalive 200 timeout 1000
	if [ "$1" != silent ]; then
		check "$1: peer up" wait_for 20 peer_is hp up
	fi
	check "$1: tier" "$MTIER" tier add ht size 16M peer hp
	dev=$(tier_dev ht)
}

# The donor now behaves: the same tier works again, lost slabs discarded.
recover() {
	stop_donor
	check "$1: a good donor on the same port" start_donor good
	check "$1: peer up again" wait_for 30 peer_is hp up
	check "$1: discard the lost slabs" timeout 20 blkdiscard -f "$dev"
	check "$1: the tier works again" write_reads_back "$dev" 4
}

detach() {
	check "$1: tier deleted" timeout 30 "$MTIER" tier del ht
	check "$1: peer deleted" timeout 30 "$MTIER" peer del hp
	stop_donor
}

logged() {	# logged TEXT: the kernel said TEXT during this case
	dmesg | tail -n +$((dmesg0 + 1)) | grep -q "$1"
}

errors_grew() {
	[ "$(field peer hp 'o["stats"]["errors"]')" -gt 0 ]
}

# A write to new space fails cleanly; the donor's reply was bad.
case_bad_alloc() {
	check "$1: a write that needs a slab fails" write_fails "$dev" 0
	check "$1: the connection was failed" wait_for 10 errors_grew
	[ -n "$2" ] && check "$1: the kernel says why" logged "$2"
	recover "$1"
	detach "$1"
}

for c in $CASES; do
	dmesg0=$(dmesg | wc -l)
	t0=$(date +%s)
	echo "# --- case $c"
	case $c in
	good)
		attach good
		check "good: the tier works" write_reads_back "$dev" 0
		check "good: and again elsewhere" write_reads_back "$dev" 8
		detach good
		;;
	status)
		attach status
		case_bad_alloc status "out-of-range status"
		;;
	type)
		attach type
		case_bad_alloc type "bad reply"
		;;
	len)
		attach len
		case_bad_alloc len "bad reply to a slab request"
		;;
	tag)
		attach tag
		case_bad_alloc tag "unexpected control reply"
		;;
	addr)
		attach addr
		case_bad_alloc addr ""
		;;
	disconnect)
		attach disconnect
		case_bad_alloc disconnect ""
		;;
	silent)
		attach silent
		check "silent: the peer fails for want of keepalive replies" \
			wait_for 10 errors_grew
		case_bad_alloc silent ""
		;;
	kastatus)
		# A keepalive answered with an error, then silence: the
		# connection fails at once, not when keepalives just stop.
		attach kastatus
		check "kastatus: the connection fails" wait_for 5 errors_grew
		check "kastatus: the kernel says why" \
			logged "keepalive answered with an error"
		check "kastatus: the peer reconnects" wait_for 30 peer_is hp up
		check "kastatus: the tier works" write_reads_back "$dev" 0
		detach kastatus
		;;
	deadqp)
		# The donor's data queue pairs vanish without a word: a zeroing
		# write (a discard of part of a slab) gets no answer, and must
		# end within the peer's timeout, not when RDMA retries run out.
		attach deadqp
		check "deadqp: the tier works" write_reads_back "$dev" 0
		kill -USR2 "$hd_pid"
		check "deadqp: data queue pairs gone" \
			wait_for 10 grep -q "data queue pairs destroyed" /tmp/hd.log
		t1=$(date +%s%N)
		check "deadqp: a partial discard fails" \
			sh -c "! timeout 30 blkdiscard -f -o 4096 -l 4096 $dev"
		ms=$((($(date +%s%N) - t1) / 1000000))
		echo "# the discard ended after $ms ms"
		check "deadqp: within the peer's timeout (< 2.5 s)" [ $ms -lt 2500 ]
		check "deadqp: the kernel says why" logged "zeroing timed out"
		recover deadqp
		detach deadqp
		;;
	slabsize)
		# Slabs of 1 MiB, then a reconnect offers 2 MiB ones: no slab
		# of the wrong size ever enters the tier's map.
		attach slabsize
		check "slabsize: the tier works with 1 MiB slabs" \
			write_reads_back "$dev" 0
		kill -USR1 "$hd_pid"
		check "slabsize: the donor comes back with 2 MiB slabs" \
			wait_for 30 field_is peer hp 'o["slab-size"]' 2097152
		check "slabsize: reconnected" wait_for 30 peer_is hp up
		check "slabsize: the old slabs are lost" read_fails "$dev" 0
		check "slabsize: a write to new space fails" write_fails "$dev" 8
		check "slabsize: the kernel says why" logged "slab size"
		recover slabsize
		detach slabsize
		;;
	race)
		# Peers deleted while their donor disconnects them.
		port=$((port + 1))
		: >/tmp/hd.log
		check "race: donor listens" start_donor good
		ok=0
		for i in $(seq "$RACES"); do
			"$MTIER" peer add hr addr "$A" port $port keepalive 200 \
				timeout 1000 || break
			wait_for 20 peer_is hr up || break
			sleep "0.0$((i % 10))"
			kill -USR1 "$hd_pid" &
			timeout 30 "$MTIER" peer del hr || break
			wait $!
			ok=$((ok + 1))
		done
		check "race: $RACES peers deleted during a disconnect" \
			[ $ok = "$RACES" ]
		stop_donor
		;;
	esac
	echo "# case $c took $(($(date +%s) - t0)) s"
done

stop_donor
check "teardown" mtier_flush
finish
