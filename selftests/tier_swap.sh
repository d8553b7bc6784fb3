#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Swap on a tier: a program whose working set is four times its cgroup's
# memory.max fills memory with a known pattern, walks it in several
# orders and checks every byte; its pages travel to the donor and back.
. "$(dirname "$0")/lib.sh"
require_root
require_rdma
mtier_load
mtier_flush
MEMWALK=$ROOT/selftests/memwalk
[ -x "$MEMWALK" ] || skip "memwalk not built"
[ -f /sys/fs/cgroup/cgroup.controllers ] || skip "no cgroup v2"
swapoff -a 2>/dev/null

WS_MB=${MTIER_SWAP_WS_MB:-256}
MAX_MB=$((WS_MB / 4))
A=$MTIER_RDMA_ADDR
cg=/sys/fs/cgroup/mtier-swap

check "pool" "$MTIER" pool add swp size 512M slab 16M listen "$A"
check "peer" "$MTIER" peer add swd addr "$A"
check "peer up" wait_for 20 peer_is swd up
check "tier (no larger than the pool: swap spreads over its device)" "$MTIER" tier add swt size 448M peer swd
dev=$(tier_dev swt)
check "mkswap" mkswap "$dev"
check "swapon, discarding freed pages" swapon -p 100 --discard=pages "$dev"
check "the tier is the swap" grep -q "^$dev " /proc/swaps

echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
mkdir -p $cg
echo $((MAX_MB << 20)) >$cg/memory.max
echo max >$cg/memory.swap.max
for pattern in ${MTIER_SWAP_PATTERNS:-seq reverse stride random}; do
	check "memwalk: $WS_MB MiB in a $MAX_MB MiB cgroup, $pattern order, every byte verified" \
		bash -c "echo \$\$ >$cg/cgroup.procs && exec $MEMWALK $WS_MB 1 $pattern"
	sed 's/^/#   /' /tmp/check.out
done
swapped=$(awk '/^pswpout/ { print $2 }' /proc/vmstat)
echo "# pages swapped out since boot: $swapped; tier: $("$MTIER" -s tier show swt | tail -n 1)"
check "pages went to the tier" [ "$(field tier swt 'o["stats"]["write-bytes"]')" -gt $((WS_MB << 19)) ]
check "and came back" [ "$(field tier swt 'o["stats"]["read-bytes"]')" -gt $((WS_MB << 19)) ]
check "no I/O errors" [ "$(field tier swt 'o["stats"]["errors"]')" = 0 ]
rmdir $cg 2>/dev/null

check "swapoff" swapoff "$dev"
check "teardown" mtier_flush
finish
