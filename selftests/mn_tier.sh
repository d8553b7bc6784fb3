#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two nodes (scripts/vm --nodes 2): node 1 donates a pool, node 0 (this
# one) attaches a tier over it.  Data integrity across the network, swap,
# and the donor failing under I/O: its link going down and its module
# being unloaded both fail the I/O with EIO within the peer's timeout,
# with no hang, and leave node 0's module unloadable.
. "$(dirname "$0")/lib.sh"
require_root
[ "${MTIER_NODES:-1}" -ge 2 ] || skip "needs scripts/vm --nodes 2"
command -v fio >/dev/null || skip "fio missing"
DONOR=$MTIER_NODE_ADDR_1
on1() { "$ROOT/scripts/vm-exec" 1 "$@"; }
fio_run() {
	fio --output-format=terse --terse-version=3 --direct=1 --ioengine=libaio \
		--verify_fatal=1 --verify_state_save=0 --exitall_on_error=1 "$@" >/tmp/fio.out 2>&1
}
donor_up() {
	on1 "cd $ROOT && ROOT=$ROOT . selftests/lib.sh && mtier_insmod &&
	     user/mtier pool add p1 size 768M slab 16M listen $DONOR"
}

check "node 1: module loaded, pool listening on $DONOR" donor_up
mtier_load
mtier_flush
check "peer to node 1 (keepalive 250 ms, timeout 2000 ms)" \
	"$MTIER" peer add n1 addr "$DONOR" keepalive 250 timeout 2000
check "peer comes up" wait_for 30 peer_is n1 up
echo "# $("$MTIER" peer show n1)"
check "tier over it" "$MTIER" tier add t size 2G peer n1
dev=$(tier_dev t)

check "fio across the network: 512 MiB random 4 KiB writes, verified" \
	fio_run --name=r --filename="$dev" --rw=randwrite --bs=4k --size=512M \
		--iodepth=16 --verify=crc32c --do_verify=1
echo 3 >/proc/sys/vm/drop_caches
check "re-read after dropping caches" \
	fio_run --name=r --filename="$dev" --rw=randwrite --bs=4k --size=512M \
		--iodepth=16 --verify=crc32c --verify_only=1
check "mixed sizes, verified" \
	fio_run --name=m --filename="$dev" --offset=1G --size=128M --rw=randrw \
		--bssplit=4k/40:16k/20:64k/20:256k/20 --iodepth=8 \
		--verify=crc32c --do_verify=1
check "the donor's pool holds it" \
	on1 "test \$($ROOT/user/mtier -j pool show p1 | jq '.[0].used') -ge $((512 << 20))"
check "discard it all" blkdiscard -f "$dev"

# Swap over the network.
if [ -x "$ROOT/selftests/memwalk" ] && [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	check "tier for swap" "$MTIER" tier add sw size 448M peer n1
	sdev=$(tier_dev sw)
	mkswap "$sdev" >/dev/null && swapon --discard=pages "$sdev"
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control
	mkdir -p /sys/fs/cgroup/mn
	echo $((48 << 20)) >/sys/fs/cgroup/mn/memory.max
	check "memwalk 192 MiB in a 48 MiB cgroup, swapping to node 1, every byte verified" \
		bash -c "echo \$\$ >/sys/fs/cgroup/mn/cgroup.procs && exec $ROOT/selftests/memwalk 192 2 random"
	sed 's/^/#   /' /tmp/check.out
	swapoff "$sdev"
	rmdir /sys/fs/cgroup/mn
	check "swap tier deleted" "$MTIER" tier del sw
fi

# Faults.  io_until_error: random reads and writes until one fails;
# prints how long after the fault the first error came.
io_until_error() {
	local fault=$1 t0 t1
	fio --name=f --filename="$dev" --direct=1 --ioengine=libaio --rw=randrw \
		--bs=4k --size=256M --iodepth=8 --time_based --runtime=120 \
		--exitall_on_error=1 >/tmp/fio-fault.out 2>&1 &
	local fio_pid=$!
	sleep 3
	t0=$(date +%s%N)
	on1 "$fault"
	wait $fio_pid
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

dd if=/dev/urandom of="$dev" bs=1M count=256 oflag=direct 2>/dev/null
ms=$(io_until_error "ip link set eth0 down")
echo "# link down: I/O failed after $ms ms (peer timeout 2000 ms)"
check "link down: fio stopped with an I/O error" grep -q "Input/output error" /tmp/fio-fault.out
check "link down: within the timeout and a bit (< 8 s)" [ "$ms" -lt 8000 ]
not_up() { [ "$(field peer n1 'o["state"]')" != up ]; }
check "link down: the peer leaves the up state" wait_for 10 not_up
check "link down: the slabs are lost: reads fail, no stale data" \
	sh -c "! dd if=$dev of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null"
check "link down: errors counted" [ "$(field tier t 'o["stats"]["errors"]')" -gt 0 ]
check "link back up" on1 "ip link set eth0 up"
check "peer reconnects" wait_for 60 peer_is n1 up
check "discard heals the lost slabs" blkdiscard -f "$dev"
check "new writes work" dd if=/dev/urandom of="$dev" bs=1M count=64 oflag=direct status=none

ms=$(io_until_error "rmmod mtier")
echo "# donor rmmod: I/O failed after $ms ms"
check "donor rmmod: fio stopped with an I/O error" grep -q "Input/output error" /tmp/fio-fault.out
check "donor rmmod: within the timeout and a bit (< 8 s)" [ "$ms" -lt 8000 ]
check "donor rmmod: the donor's module is gone" on1 "! test -d /sys/module/mtier"

check "delete the tier and the peer" sh -c "'$MTIER' tier del t && '$MTIER' peer del n1"
check "node 0: module unloads" rmmod mtier
_loaded_here=0
check "node 1: module loads again (clean teardown there)" \
	on1 "cd $ROOT && ROOT=$ROOT . selftests/lib.sh && mtier_insmod && rmmod mtier"
finish
