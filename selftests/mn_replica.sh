#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Three nodes (scripts/vm --nodes 3): nodes 1 and 2 donate, node 0 (this
# one) has a tier with replicas 2 over both, and donors die for real: their
# VMs are killed (scripts/vm-node kill, a SIGKILL of QEMU: no disconnect,
# no shutdown, the machine is just gone).
#
#   - a reference region written with dd, fio random writes with crc32c
#     verify beside it, and random reads of the reference; node 2's VM is
#     killed under that I/O: no I/O error, no verify error, the tier counts
#     no error and turns degraded; the reference reads back;
#   - a fresh node 2 boots in its place, loads mtier and donates again: the
#     tier heals onto it (degraded-slabs 0, live again);
#   - node 1's VM is killed: every byte of the reference reads back, from
#     the copies the heal made alone; writes go on, verified; no error.
#
# MTIER_REPLICA_MB sets the reference region (default 32 MiB).
. "$(dirname "$0")/lib.sh"
require_root
[ "${MTIER_NODES:-1}" -ge 3 ] || skip "needs scripts/vm --nodes 3"
require_rdma
VMNODE=$ROOT/scripts/vm-node
MB=${MTIER_REPLICA_MB:-32}
FIO_MB=16	# fio's region, after the reference
SLAB=8		# MiB
KA=250		# peer keepalive, ms
TMO=2000	# peer timeout, ms

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

check "node 1 donates" donor_up 1
check "node 2 donates" donor_up 2
mtier_load
mtier_flush
for i in 1 2; do
	check "peer d$i to node $i (keepalive $KA ms, timeout $TMO ms)" \
		"$MTIER" peer add "d$i" addr "$(addr $i)" keepalive $KA timeout $TMO
done
for i in 1 2; do
	check "peer d$i up" wait_for 30 peer_is "d$i" up
done
check "tier with replicas 2 over both donors" \
	"$MTIER" tier add tr size $((MB + FIO_MB))M peer d1,d2 replicas 2
dev=$(tier_dev tr)

head -c $((MB << 20)) /dev/urandom >/tmp/mnr.ref
check "write the $MB MiB reference (dd)" \
	dd if=/tmp/mnr.ref of="$dev" bs=1M oflag=direct status=none
check "it reads back" cmp_ref
used() { on "$1" "$ROOT/user/mtier -j pool show p$1 | jq '.[0].used'"; }
u1=$(used 1)
u2=$(used 2)
echo "# donated: node 1 $u1, node 2 $u2 bytes"
check "each donor holds a copy of every slab written" \
	[ "$u1" = "$u2" -a "$u1" -ge $(((MB + SLAB - 1) / SLAB * SLAB << 20)) ]
check "the tier is live" healed

# --- node 2's VM is killed under I/O --------------------------------------
fio --name=v --filename="$dev" --direct=1 --ioengine=libaio \
	--rw=randwrite --bs=4k --offset=${MB}M --size=${FIO_MB}M --iodepth=8 \
	--time_based --runtime=25 --verify=crc32c --verify_fatal=1 \
	--verify_backlog=64 --verify_state_save=0 --exitall_on_error=1 \
	>/tmp/mnr-fio.out 2>&1 &
fio_pid=$!
fio --name=r --filename="$dev" --direct=1 --ioengine=libaio --rw=randread \
	--bs=4k --size=${MB}M --iodepth=8 --time_based --runtime=25 \
	--exitall_on_error=1 >/tmp/mnr-fio-r.out 2>&1 &
rd_pid=$!
r0=$(st reads)
check "fio's I/O flows" wait_for 60 reads_moved "$r0"
t0=$(now_ms)
check "kill node 2's VM under I/O" "$VMNODE" kill 2
check "node 2 is gone: vm-exec fails at once" sh -c "! timeout 10 $ROOT/scripts/vm-exec 2 true"
check "fio: no I/O error, no verify error" wait $fio_pid
check "fio's reads: no I/O error" wait $rd_pid
grep -hE "err=|verify:" /tmp/mnr-fio.out /tmp/mnr-fio-r.out | head -4 | sed 's/^/# /'
check "the tier turns degraded" wait_for 30 degraded
show "after node 2's death ($(($(now_ms) - t0)) ms)"
check "the tier counted no error" [ "$(st errors)" = 0 ]
check "copies were marked stale" [ "$(st copy-failures)" -gt 0 ]
check "the reference reads back from node 1" cmp_ref

# --- a fresh node 2 comes back and the tier heals onto it -----------------
t0=$(now_ms)
check "start a fresh node 2" "$VMNODE" start 2
echo "# node 2 up again after $(($(now_ms) - t0)) ms"
check "node 2 loads mtier and donates again" donor_up 2
check "peer d2 up again" wait_for 120 peer_is d2 up
check "the tier heals onto node 2" wait_for 300 healed
show "healed $(($(now_ms) - t0)) ms after the restart"
check "slabs were healed" [ "$(st slabs-healed)" -gt 0 ]
check "node 2 holds the copies again" \
	[ "$(used 2)" -ge $(((MB + SLAB - 1) / SLAB * SLAB << 20)) ]
check "the reference reads back" cmp_ref

# --- node 1's VM is killed: only the healed copies are left ---------------
t0=$(now_ms)
check "kill node 1's VM" "$VMNODE" kill 1
check "every byte of the reference reads back from node 2's healed copies" cmp_ref
echo "# read in $(($(now_ms) - t0)) ms after the kill"
check "writes go on with one copy left, verified" fio --name=w \
	--filename="$dev" --direct=1 --rw=write --bs=64k --offset=${MB}M \
	--size=${FIO_MB}M --verify=crc32c --do_verify=1 --verify_fatal=1 \
	--verify_state_save=0 --output=/dev/null
check "the tier turns degraded" wait_for 30 degraded
show "after node 1's death"
check "still no error counted" [ "$(st errors)" = 0 ]

check "tier del" "$MTIER" tier del tr
check "peers del" sh -c "'$MTIER' peer del d1 && '$MTIER' peer del d2"
check "node 0: module unloads" rmmod mtier
_loaded_here=0
check "node 2: pool del, module unloads" \
	on 2 "$ROOT/user/mtier pool del p2 && rmmod mtier"
finish
