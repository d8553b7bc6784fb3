#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The RDMA device disappears under I/O (rdma link delete): the I/O fails
# with EIO within the peer's timeout, never hangs, the pool stops
# listening, the peer is failed, and everything is deletable and the
# module unloadable.  When the device comes back, the pool listens again,
# the peer reconnects, and once a discard clears the lost slabs the tier
# works again.
. "$(dirname "$0")/lib.sh"
require_root
require_rdma
mtier_load
mtier_flush
A=$MTIER_RDMA_ADDR
NETDEV=${MTIER_RDMA_NETDEV:-dummy0}

check "pool on $A" "$MTIER" pool add fp size 256M slab 16M listen "$A"
check "peer (keepalive 200 ms, timeout 1000 ms)" \
	"$MTIER" peer add fd addr "$A" keepalive 200 timeout 1000
check "peer up" wait_for 20 peer_is fd up
check "tier" "$MTIER" tier add ft size 512M peer fd
dev=$(tier_dev ft)
check "fill 128 MiB" dd if=/dev/urandom of="$dev" bs=1M count=128 oflag=direct status=none

fio --name=f --filename="$dev" --direct=1 --ioengine=libaio --rw=randrw \
	--bs=4k --size=128M --iodepth=8 --time_based --runtime=120 \
	--exitall_on_error=1 >/tmp/fio-rm.out 2>&1 &
fio_pid=$!
# The device goes once fio's I/O flows (under KASAN fio can take seconds
# to start: removing the device before would test nothing in flight).
reads0=$(field tier ft 'o["stats"]["reads"]')
io_flows() { [ "$(field tier ft 'o["stats"]["reads"]')" -gt $((reads0 + 100)) ]; }
check "fio's I/O flows" wait_for 60 io_flows
# Every request's dispatch and completion by the kernel's clock (that of
# the kernel log): when mtier fails requests, not when fio gets round to
# exiting, is what failure detection is about.
traced=0
rq_trace_start && traced=1
echo "mtier-test: rdma link delete" >/dev/kmsg
t0=$(date +%s%N)
check "rdma link delete under I/O" rdma link delete rxe0
t1=$(date +%s%N)
wait $fio_pid
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# fio ended $ms ms after the device went; rdma link delete took $(((t1 - t0) / 1000000)) ms"
check "fio stopped with an I/O error" grep -q "Input/output error" /tmp/fio-rm.out
# Bounds, the same on both kernels: a request fails within the peer's
# timeout (1000 ms) of reaching mtier, and mtier fails what it holds
# within that of being told.  Measured: stock 15-17 ms from told to
# failure; KASAN 0.2 s (see Documentation/testing.rst).  fio ending is
# only checked not to hang: its own exit is slow under KASAN.
BOUND=1000
HANG=10000
check "fio ended within $HANG ms (never hangs)" [ "$ms" -lt "$HANG" ]
# By the kernel's clock: the delete, mtier told (the device's
# unregistration reaching its ib_client: not ours), the first and the last
# request failed (ours).
read -r k_del k_lost < <(dmesg | awk '
	{ t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t); t = int(t * 1000) }
	/mtier-test: rdma link delete/ { del = t; lost = "" }
	/peer fd: connection lost/ && del != "" && lost == "" { lost = t }
	END { print del, lost }')
echo "# kernel clock: mtier told $((k_lost - k_del)) ms after the delete began"
check "mtier is told of the removal within 5 s" [ $((k_lost - k_del)) -lt 5000 ]
if [ $traced = 1 ]; then
	rq_trace_stop
	read -r n_failed k_first k_last max_rq < <(rq_trace_failed "$dev")
	echo "# $n_failed requests failed, the first $((k_first - k_lost)) ms and the last $((k_last - k_lost)) ms after mtier was told; the longest took $max_rq ms from dispatch to failure"
	check "requests failed" [ "$n_failed" -gt 0 ]
	check "requests fail once mtier is told (< $BOUND ms)" \
		[ $((k_first - k_lost)) -lt "$BOUND" ]
	check "the last too (< $BOUND ms)" [ $((k_last - k_lost)) -lt "$BOUND" ]
	check "none spent more than the peer's timeout in mtier (< $BOUND ms)" \
		[ "$max_rq" -lt "$BOUND" ]
fi
check "the pool stopped listening" [ "$(field pool fp 'o["state"]')" = down ]
check "the pool's session is gone, its memory back" \
	wait_for 10 field_is pool fp 'o["used"]' 0
not_up() { [ "$(field peer fd 'o["state"]')" != up ]; }
check "the peer is not up" not_up
check "the tier is degraded" [ "$(field tier ft 'o["state"]')" = degraded ]
check "reads fail cleanly while it is gone" \
	sh -c "! dd if=$dev of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null"
check "errors counted" [ "$(field tier ft 'o["stats"]["errors"]')" -gt 0 ]

check "the device comes back" rdma link add rxe0 type rxe netdev "$NETDEV"
check "the pool listens again" wait_for 20 sh -c "'$MTIER' pool show fp | grep -q 'state listening'"
check "the peer reconnects" wait_for 30 peer_is fd up
check "the lost slabs still fail: no stale data" \
	sh -c "! dd if=$dev of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null"
check "a discard clears them" blkdiscard -f "$dev"
check "it reads zeroes" cmp <(dd if="$dev" bs=1M count=4 iflag=direct 2>/dev/null) <(head -c 4M /dev/zero)
head -c 8M /dev/urandom >/tmp/f.bin
check "new data goes to new slabs" dd if=/tmp/f.bin of="$dev" bs=1M oflag=direct status=none
check "and reads back" cmp <(dd if="$dev" bs=1M count=8 iflag=direct 2>/dev/null) /tmp/f.bin

# Deleting a peer that is connecting (its donor gone) does not wait long.
check "peer to nowhere" "$MTIER" peer add ghost addr 10.99.0.77
t0=$(date +%s)
check "deleting it while it tries" "$MTIER" peer del ghost
check "promptly (< 15 s)" [ $(($(date +%s) - t0)) -lt 15 ]

check "teardown" mtier_flush
check "module unloads" rmmod mtier
_loaded_here=0
finish
