#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Four nodes (scripts/vm --nodes 4): node 0 (this one) has a tier with
# replicas 2 over peers on nodes 1, 2 and 3, and donors die for real: their
# VMs are killed (scripts/vm-node kill, a SIGKILL of QEMU: no disconnect,
# no shutdown, the machine is just gone).  Node 3 donates only once the
# first slabs are placed, so every slab starts on nodes 1 and 2.
#
#   - a dd-written reference region, then fio random writes with crc32c
#     verify beside it and random reads of the reference (the "load");
#   - under load, node 1's link flaps three times (down 2.5 to 4 s, each
#     past the peer timeout): no I/O or verify error, the tier heals, and
#     every donor holds exactly the copies the client counts on it;
#   - node 3 donates; under load, node 2's VM is killed: no error, the tier
#     turns degraded and heals onto node 3 (the one peer holding no copy);
#   - node 1's VM is killed: before the heal it held the only copy left of
#     every slab, so every byte of the reference must now come from the
#     copies the heal wrote on node 3; verified writes go on;
#   - a fresh node 2 boots at the same address and donates: the tier heals
#     onto it; node 3's VM is killed: every byte reads back from node 2.
#
# MTIER_REPLICA_MB sets the reference region (default 32 MiB), MTIER_FLAPS
# the flaps' lengths (default "2.5 3 4" seconds).
. "$(dirname "$0")/lib.sh"
require_root
[ "${MTIER_NODES:-1}" -ge 4 ] || skip "needs scripts/vm --nodes 4"
require_rdma
VMNODE=$ROOT/scripts/vm-node
MB=${MTIER_REPLICA_MB:-32}
FIO_MB=16	# fio's region, after the reference
SLAB=8		# MiB
NSLABS=$(((MB + FIO_MB) / SLAB))	# every slab, once fio has run
KA=250		# peer keepalive, ms
TMO=2000	# peer timeout, ms
FLAPS=${MTIER_FLAPS:-2.5 3 4}	# node 1's link flaps, seconds down

on() { local i=$1; shift; "$ROOT/scripts/vm-exec" "$i" "$@"; }
addr() { eval "echo \$MTIER_NODE_ADDR_$1"; }
# donor_up I: node I loads mtier and donates a pool.
donor_up() {
	on "$1" "cd $ROOT && ROOT=$ROOT . selftests/lib.sh && mtier_insmod &&
	     user/mtier pool add p$1 size $((2 * (MB + FIO_MB)))M slab ${SLAB}M listen $(addr "$1")"
}
st() { field tier tr "o[\"stats\"][\"$1\"]"; }
state() { field tier tr 'o["state"]'; }
healed() { [ "$(st degraded-slabs)" = 0 ] && [ "$(state)" = live ]; }
degraded() { [ "$(state)" = degraded ] && [ "$(st degraded-slabs)" -gt 0 ]; }
reads_moved() { [ "$(st reads)" -gt $(($1 + 200)) ]; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
cmp_ref() {
	cmp <(dd if="$dev" bs=1M count="$MB" iflag=direct status=none) /tmp/mnr.ref
}
show() { echo "# $1: state $(state), degraded-slabs $(st degraded-slabs), copy-failures $(st copy-failures), read-retries $(st read-retries), slabs-healed $(st slabs-healed), resync-bytes $(st resync-bytes), errors $(st errors)"; }
used() { on "$1" "$ROOT/user/mtier -j pool show p$1 | jq '.[0].used'"; }
slabs_of() { field peer "d$1" 'o["stats"]["slabs"]'; }
# holds "I=N ...": donor I holds N copies by the client's count, and its
# pool's used says the same: no slab left behind, none placed twice.
holds() {
	local a
	for a in "$@"; do
		[ "$(slabs_of "${a%=*}")" = "${a#*=}" ] &&
			[ "$(used "${a%=*}")" = $((${a#*=} * SLAB << 20)) ] || return 1
	done
}
holdings() {
	local i out=
	for i in "$@"; do
		out+=" node $i: $(slabs_of "$i") slabs, $(used "$i") bytes;"
	done
	echo "#$out"
}
# load: 25 s of fio random writes (crc32c verified) beside the reference
# and random reads of it, in the background (fio_pid, rd_pid).
load() {
	fio --name=v --filename="$dev" --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=4k --offset=${MB}M --size=${FIO_MB}M \
		--iodepth=8 --time_based --runtime=25 --verify=crc32c \
		--verify_fatal=1 --verify_backlog=64 --verify_state_save=0 \
		--exitall_on_error=1 >/tmp/mnr-fio.out 2>&1 &
	fio_pid=$!
	fio --name=r --filename="$dev" --direct=1 --ioengine=libaio \
		--rw=randread --bs=4k --size=${MB}M --iodepth=8 --time_based \
		--runtime=25 --exitall_on_error=1 >/tmp/mnr-fio-r.out 2>&1 &
	rd_pid=$!
	local r0
	r0=$(st reads)
	check "fio's I/O flows" wait_for 180 reads_moved "$r0"
}
load_ok() {
	check "fio: no I/O error, no verify error" wait $fio_pid
	check "fio's reads: no I/O error" wait $rd_pid
	grep -hE "err=|verify:" /tmp/mnr-fio.out /tmp/mnr-fio-r.out | head -4 | sed 's/^/# /'
}
flaps() {
	on 1 "for d in $FLAPS; do
		ip link set eth0 down; sleep \$d; ip link set eth0 up; sleep 2
	done"
}

check "node 1 donates" donor_up 1
check "node 2 donates" donor_up 2
mtier_load
mtier_flush
for i in 1 2 3; do
	check "peer d$i to node $i (keepalive $KA ms, timeout $TMO ms)" \
		"$MTIER" peer add "d$i" addr "$(addr $i)" keepalive $KA timeout $TMO
done
for i in 1 2; do
	check "peer d$i up" wait_for 30 peer_is "d$i" up
done
check "tier with replicas 2 over the three peers (node 3 not donating yet)" \
	"$MTIER" tier add tr size $((MB + FIO_MB))M peer d1,d2,d3 replicas 2
dev=$(tier_dev tr)

head -c $((MB << 20)) /dev/urandom >/tmp/mnr.ref
check "write the $MB MiB reference (dd)" \
	dd if=/tmp/mnr.ref of="$dev" bs=1M oflag=direct status=none
check "it reads back" cmp_ref
# The slabs written, and the spare one the tier keeps ahead of need
# (blkdev.c, mtier_tier_refill_spare()) while it is not all mapped.
n=$(((MB + SLAB - 1) / SLAB + 1))
check "nodes 1 and 2 each hold a copy of each of the $n slabs (one spare)" \
	wait_for 30 holds 1=$n 2=$n
holdings 1 2
check "the tier is live" healed

# --- node 1's link flaps under load ---------------------------------------
# Each flap is longer than the peer timeout: the peer fails, reconnects in
# a new generation, and its copies heal, maybe while the next flap starts.
# Flaps shorter than the timeout, which the queue pairs ride out by
# retransmitting, trip a SoftRoCE bug (testing.rst, "Link flaps"):
# MTIER_FLAPS="0.3 1 4 0.3 1" runs them all the same.
load
c0=$(field peer d1 'o["stats"]["connects"]')
check "node 1's link flaps: down $FLAPS s" flaps
load_ok
check "peer d1 up after the flaps" wait_for 60 peer_is d1 up
echo "# peer d1 connected $(($(field peer d1 'o["stats"]["connects"]') - c0)) more times"
check "the tier heals" wait_for 300 healed
show "after the flaps"
check "the tier counted no error" [ "$(st errors)" = 0 ]
check "nodes 1 and 2 hold one copy of every slab each, none left behind" \
	wait_for 60 holds 1=$NSLABS 2=$NSLABS
holdings 1 2
check "the reference reads back" cmp_ref

# --- node 3 donates; node 2's VM is killed under load: heal onto node 3 ---
check "node 3 donates" donor_up 3
check "peer d3 up" wait_for 60 peer_is d3 up
check "node 3 holds nothing yet" holds 3=0
h0=$(st slabs-healed)
load
t0=$(now_ms)
check "kill node 2's VM under load" "$VMNODE" kill 2
check "node 2 is gone: vm-exec fails at once" sh -c "! timeout 10 $ROOT/scripts/vm-exec 2 true"
load_ok
check "the tier counted no error" [ "$(st errors)" = 0 ]
check "copies were marked stale" [ "$(st copy-failures)" -gt 0 ]
check "the reference reads back" cmp_ref
check "the tier heals onto node 3 without node 2" wait_for 300 healed
show "healed $(($(now_ms) - t0)) ms after node 2's death"
check "every slab was healed (each had a copy on node 2)" \
	[ "$(st slabs-healed)" -ge $((h0 + NSLABS)) ]
check "nodes 1 and 3 hold one copy of every slab each, node 2 none" \
	wait_for 60 holds 1=$NSLABS 3=$NSLABS
check "the client counts nothing on node 2" [ "$(slabs_of 2)" = 0 ]
holdings 1 3

# --- node 1's VM is killed: only the healed copies are left ---------------
t0=$(now_ms)
check "kill node 1's VM" "$VMNODE" kill 1
check "every byte of the reference reads back from node 3's healed copies" cmp_ref
echo "# read in $(($(now_ms) - t0)) ms after the kill"
check "writes go on with one copy left, verified" fio --name=w \
	--filename="$dev" --direct=1 --rw=write --bs=64k --offset=${MB}M \
	--size=${FIO_MB}M --verify=crc32c --do_verify=1 --verify_fatal=1 \
	--verify_state_save=0 --output=/dev/null
check "the tier turns degraded" wait_for 30 degraded
show "after node 1's death"
check "still no error counted" [ "$(st errors)" = 0 ]

# --- a fresh node 2 comes back: the tier heals onto it --------------------
t0=$(now_ms)
check "start a fresh node 2" "$VMNODE" start 2
echo "# node 2 up again after $(($(now_ms) - t0)) ms"
check "node 2 loads mtier and donates again" donor_up 2
check "peer d2 up again" wait_for 120 peer_is d2 up
check "the tier heals onto node 2" wait_for 300 healed
show "healed $(($(now_ms) - t0)) ms after the restart"
check "nodes 2 and 3 hold one copy of every slab each" \
	wait_for 60 holds 2=$NSLABS 3=$NSLABS
holdings 2 3
check "kill node 3's VM" "$VMNODE" kill 3
check "every byte of the reference reads back from node 2's new copies" cmp_ref
show "after node 3's death"
check "still no error counted" [ "$(st errors)" = 0 ]

check "tier del" "$MTIER" tier del tr
check "peers del" sh -c "'$MTIER' peer del d1 && '$MTIER' peer del d2 && '$MTIER' peer del d3"
check "node 0: module unloads" rmmod mtier
_loaded_here=0
check "node 2: pool del, module unloads" \
	on 2 "$ROOT/user/mtier pool del p2 && rmmod mtier"
finish
