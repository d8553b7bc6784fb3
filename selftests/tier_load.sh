#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load that keeps every queue pair of a peer full.  The module is loaded
# with the smallest send queues it takes (data_sq_depth=8) and one segment
# per work request (data_max_sge=1: a 256 KiB request of 64 segments takes
# eight rounds of eight work requests).  Three tiers share one peer, one of
# them prefetching, while write-zeroes runs beside them.  fio verifies every
# byte; the transfers did wait for send slots (sq-waits), and yet nothing
# failed: no error, no timeout, and the connection never dropped.
. "$(dirname "$0")/lib.sh"
require_root
require_rdma

A=$MTIER_RDMA_ADDR
MB=${MTIER_LOAD_MB:-64}		# per tier; the debug lane runs less
SQ=${MTIER_LOAD_SQ:-8}
SGE=${MTIER_LOAD_SGE:-1}
was_loaded=0
if [ -d /sys/module/mtier ]; then
	was_loaded=1
	mtier_flush && rmmod mtier || { echo "# cannot unload mtier"; exit $ksft_fail; }
fi
mtier_insmod data_sq_depth=$SQ data_max_sge=$SGE || exit $ksft_fail
_loaded_here=1
check "loaded with $SQ send slots per data queue pair, $SGE segment(s) per work request" \
	[ "$(cat /sys/module/mtier/parameters/data_sq_depth)" = $SQ ]

check "pool" "$MTIER" pool add p0 size 768M slab 16M listen "$A"
check "peer" "$MTIER" peer add d0 addr "$A"
check "peer comes up" wait_for 20 peer_is d0 up
check "tier t0" "$MTIER" tier add t0 size 256M peer d0
check "tier t1" "$MTIER" tier add t1 size 256M peer d0
check "tier t2, prefetching" "$MTIER" tier add t2 size 256M peer d0 prefetch adaptive cache 8M
d0=$(tier_dev t0) d1=$(tier_dev t1) d2=$(tier_dev t2)
pstat() { field peer d0 "o[\"stats\"][\"$1\"]"; }
connects=$(pstat connects)

# Large requests, many in flight on every queue: with 8 slots a queue pair
# is full after one 256 KiB request.  Fragmented ones: without huge pages
# fio's buffers are scattered 4 KiB pages, a segment each.
thp=/sys/kernel/mm/transparent_hugepage/enabled
thp_was=$(sed 's/.*\[\(.*\)\].*/\1/' $thp 2>/dev/null)
[ -n "$thp_was" ] && echo never >$thp
fio_jobs() {
	fio --output-format=terse --terse-version=3 --direct=1 --ioengine=libaio \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 \
		--exitall_on_error=1 --size=${MB}M --iodepth=32 "$@" \
		--name=a --filename="$d0" --rw=randwrite \
			--bssplit=4k/20:64k/30:256k/50 \
		--name=b --filename="$d1" --rw=randwrite --randseed=7 \
			--bssplit=4k/20:64k/30:256k/50 \
		--name=c --filename="$d2" --rw=write --bs=256k \
		>/tmp/fio-load.out 2>&1
}
# Beside them, write-zeroes over part of a slab of t2 (the zeroing path
# takes slots of the same queue pairs), past what fio uses.
zoff=$((MB * 2 + 4))M
dd if=/dev/urandom of="$d2" bs=1M count=4 seek=$((MB * 2)) oflag=direct status=none
zeroes() {
	local i
	for i in $(seq 1 "$1"); do
		blkdiscard -z -o $(((MB * 2 << 20) + 4096)) -l $((2 << 20)) "$d2" || return 1
	done
}

zeroes 20 >/tmp/zeroes.out 2>&1 &
zpid=$!
check "three tiers written at once, 4K-256K, verified" fio_jobs --do_verify=1
check "write-zeroes beside them" wait $zpid
check "zeroed range reads as zeroes" \
	cmp <(dd if="$d2" bs=4096 skip=$(((MB * 2 << 8) + 1)) count=512 iflag=direct status=none) \
	    <(head -c $((2 << 20)) /dev/zero)
echo 3 >/proc/sys/vm/drop_caches
zeroes 20 >/tmp/zeroes.out 2>&1 &
zpid=$!
check "all three read back at once, verified (t2 sequential: prefetched)" \
	fio_jobs --verify_only=1
wait $zpid

waits=$(pstat sq-waits)
echo "# transfers that waited for send slots: $waits"
check "transfers waited for send slots" [ "$waits" -gt 0 ]
check "prefetches were issued on t2" [ "$(field tier t2 'o["stats"]["prefetch-issued"]')" -gt 0 ]
check "the connection never dropped (connects unchanged)" [ "$(pstat connects)" = "$connects" ]
check "peer: no errors" [ "$(pstat errors)" = 0 ]
check "peer: no timeouts" [ "$(pstat timeouts)" = 0 ]
for t in t0 t1 t2; do
	check "$t: no request failed" [ "$(field tier $t 'o["stats"]["errors"]')" = 0 ]
done

[ -n "$thp_was" ] && echo "$thp_was" >$thp
check "objects deleted" mtier_flush
rmmod mtier
_loaded_here=0
[ $was_loaded = 1 ] && mtier_insmod
finish
