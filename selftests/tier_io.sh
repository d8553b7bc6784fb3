#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A tier's block device over a pool on the same node (SoftRoCE loops the
# traffic back): data integrity under fio verify, zeroes where nothing was
# written, two tiers kept apart, discard and write-zeroes, ENOSPC from a
# full pool, the donor doing no per-I/O work, EBUSY on an open device, and
# attach/detach cycles that give every byte back.
. "$(dirname "$0")/lib.sh"
require_root
require_rdma
mtier_load
mtier_flush

A=$MTIER_RDMA_ADDR
IO_MB=${MTIER_IO_MB:-512}	# the debug lane runs less of it
CYCLES=${MTIER_CYCLES:-50}
fio_run() {
	fio --output-format=terse --terse-version=3 --direct=1 --ioengine=libaio \
		--verify_fatal=1 --verify_state_save=0 --exitall_on_error=1 "$@" >/tmp/fio.out 2>&1
}

check "pool listens" "$MTIER" pool add p0 size 768M slab 16M listen "$A"
check "pool is listening" [ "$(field pool p0 'o["state"]')" = listening ]
check "peer connects" "$MTIER" peer add d0 addr "$A"
check "peer comes up" wait_for 20 peer_is d0 up
check "tier over it" "$MTIER" tier add t0 size 2G peer d0
dev=$(tier_dev t0)
check "block device $dev with the tier's name in sysfs" \
	sh -c "[ -b $dev ] && [ \"\$(cat /sys/block/${dev#/dev/}/mtier/name)\" = t0 ]"
check "tier is live" [ "$(field tier t0 'o["state"]')" = live ]
check "capacity is the tier's size" \
	[ "$(blockdev --getsize64 "$dev")" = $((2 << 30)) ]

check "never-written space reads as zeroes" \
	cmp <(dd if="$dev" bs=1M count=8 skip=100 iflag=direct 2>/dev/null) <(head -c 8M /dev/zero)
check "no slab after reads" [ "$(field pool p0 'o["used"]')" = 0 ]

ctrl0=$(field pool p0 'o["stats"]["ctrl-msgs"]')
check "fio: $IO_MB MiB of random 4 KiB writes, verified (crc32c)" \
	fio_run --name=rand4k --filename="$dev" --rw=randwrite --bs=4k \
		--size=${IO_MB}M --iodepth=16 --verify=crc32c --do_verify=1
used=$(field pool p0 'o["used"]')
check "the writes took slabs on the donor" [ "$used" -ge $((IO_MB << 20)) ]
echo 3 >/proc/sys/vm/drop_caches
check "re-read after dropping caches: zero mismatches" \
	fio_run --name=rand4k --filename="$dev" --rw=randwrite --bs=4k \
		--size=${IO_MB}M --iodepth=16 --verify=crc32c --verify_only=1
check "fio: mixed sizes 4K-256K, random, verified" \
	fio_run --name=mixed --filename="$dev" --offset=1G --size=$((IO_MB / 2))M \
		--rw=randrw --rwmixread=30 --bssplit=4k/40:16k/20:64k/20:256k/20 \
		--iodepth=8 --verify=crc32c --do_verify=1
echo 3 >/proc/sys/vm/drop_caches
check "mixed sizes re-read after dropping caches" \
	fio_run --name=mixed --filename="$dev" --offset=1G --size=$((IO_MB / 2))M \
		--rw=randrw --rwmixread=30 --bssplit=4k/40:16k/20:64k/20:256k/20 \
		--iodepth=8 --verify=crc32c --verify_only=1

# The donor's module does no per-I/O work: a read-only run of many
# thousands of requests moves only keepalives through its control path.
reads0=$(field tier t0 'o["stats"]["reads"]')
ctrl1=$(field pool p0 'o["stats"]["ctrl-msgs"]')
t0=$(date +%s)
fio_run --name=ro --filename="$dev" --rw=randread --bs=4k --size=${IO_MB}M \
	--iodepth=32 --runtime=10 --time_based
t1=$(date +%s)
reads=$(($(field tier t0 'o["stats"]["reads"]') - reads0))
ctrl=$(($(field pool p0 'o["stats"]["ctrl-msgs"]') - ctrl1))
echo "# $reads reads in $((t1 - t0))s; donor control messages meanwhile: $ctrl (keepalives)"
check "thousands of reads" [ "$reads" -gt 1000 ]
check "donor: control messages only for keepalives (<= 1 per second + 2)" \
	[ "$ctrl" -le $((t1 - t0 + 2)) ]
echo "# control messages for everything so far: $(($(field pool p0 'o["stats"]["ctrl-msgs"]') - ctrl0))"

# Discarding everything gives every slab back.
check "discard of the whole device" blkdiscard "$dev"
# All but the tier's spare slab, if the writes left room for one (the
# full-size run fills the pool; the debug lane's smaller one does not).
check "the donor has everything back (but a spare slab)" \
	[ "$(field pool p0 'o["used"]')" -le $((16 << 20)) ]
check "discarded data reads as zeroes" \
	cmp <(dd if="$dev" bs=1M count=4 skip=2 iflag=direct 2>/dev/null) <(head -c 4M /dev/zero)

# Two tiers on one donor see only their own data.
check "second tier" "$MTIER" tier add t1 size 1G peer d0
dev1=$(tier_dev t1)
head -c 4M /dev/urandom >/tmp/a.bin
head -c 4M /dev/urandom >/tmp/b.bin
dd if=/tmp/a.bin of="$dev" bs=1M seek=1536 oflag=direct 2>/dev/null
check "t1 reads zeroes where t0 has data" \
	cmp <(dd if="$dev1" bs=1M count=4 skip=0 iflag=direct 2>/dev/null) <(head -c 4M /dev/zero)
dd if=/tmp/b.bin of="$dev1" bs=1M seek=0 oflag=direct 2>/dev/null
check "t1 reads its own data" \
	cmp <(dd if="$dev1" bs=1M count=4 iflag=direct 2>/dev/null) /tmp/b.bin
check "t0 still reads its own data" \
	cmp <(dd if="$dev" bs=1M count=4 skip=1536 iflag=direct 2>/dev/null) /tmp/a.bin
check "deleting t1" "$MTIER" tier del t1

# Discard gives whole slabs back and reads as zeroes; write-zeroes too.
used=$(field pool p0 'o["used"]')
check "discard of 64 MiB at 1536M" blkdiscard -o $((1536 << 20)) -l $((64 << 20)) "$dev"
check "discarded space reads as zeroes" \
	cmp <(dd if="$dev" bs=1M count=4 skip=1536 iflag=direct 2>/dev/null) <(head -c 4M /dev/zero)
check "the donor got the slabs back" [ "$(field pool p0 'o["used"]')" -lt "$used" ]
dd if=/tmp/a.bin of="$dev" bs=1M seek=8 oflag=direct 2>/dev/null
check "write-zeroes of part of a slab" blkdiscard -z -o $((9 << 20)) -l $((1 << 20)) "$dev"
check "zeroed part reads zeroes, the rest is intact" bash -c "
	cmp <(dd if=$dev bs=1M count=1 skip=9 iflag=direct 2>/dev/null) <(head -c 1M /dev/zero) &&
	cmp <(dd if=$dev bs=1M count=1 skip=8 iflag=direct 2>/dev/null) <(head -c 1M /tmp/a.bin)" 
check "discards counted" [ "$(field tier t0 'o["stats"]["discards"]')" -ge 2 ]
check "no errors so far" [ "$(field tier t0 'o["stats"]["errors"]')" = 0 ]

# An open device cannot be deleted, nor the module unloaded.
exec 3<"$dev"
out=$("$MTIER" tier del t0 2>&1)
check "tier del of an open device is EBUSY" \
	sh -c "echo '$out' | grep -q 'its block device is open.*Device or resource busy'"
check "rmmod with an open device fails" sh -c '! rmmod mtier 2>/dev/null'
exec 3<&-
check "tier del once closed" "$MTIER" tier del t0
check "pool used back to 0" wait_for 10 field_is pool p0 'o["used"]' 0

# A pool too small: writes past its capacity fail with ENOSPC.
check "small pool" "$MTIER" pool add small size 32M slab 16M listen "$A" port 7601
check "peer to it" "$MTIER" peer add ds addr "$A" port 7601
check "it comes up" wait_for 20 peer_is ds up
check "tier bigger than the pool" "$MTIER" tier add ts size 256M peer ds
devs=$(tier_dev ts)
dd if=/dev/zero of="$devs" bs=1M count=64 oflag=direct 2>/tmp/dd.err
check "writing past the pool fails with No space left on device" \
	grep -q "No space left on device" /tmp/dd.err
# The client knows the donor is full (keepalives carry its free space) and
# stops asking; a request that still reaches it is refused and counted.
check "the pool is full" [ "$(field pool small 'o["free"]')" = 0 ]
check "the peer knows: donor-free 0" [ "$(field peer ds 'o["donor-free"]')" = 0 ]
check "what fitted is readable" \
	cmp <(dd if="$devs" bs=1M count=32 iflag=direct 2>/dev/null) <(head -c 32M /dev/zero)
check "the donor keeps running" peer_is ds up
"$MTIER" tier del ts; "$MTIER" peer del ds; "$MTIER" pool del small

# A tier keeps one spare slab ahead of its writes, and takes it first.
check "tier for the spare" "$MTIER" tier add sp size 256M peer d0
dsp=$(tier_dev sp)
dd if=/tmp/a.bin of="$dsp" bs=1M count=1 oflag=direct 2>/dev/null
check "a first write: its slab and a spare" \
	wait_for 10 field_is pool p0 'o["used"]' $((32 << 20))
allocs=$(field pool p0 'o["stats"]["slab-allocs"]')
dd if=/tmp/a.bin of="$dsp" bs=1M count=1 seek=64 oflag=direct 2>/dev/null
check "a write to a new slab takes the spare, another is allocated" \
	wait_for 10 field_is pool p0 'o["used"]' $((48 << 20))
check "one allocation more, after the write" \
	[ "$(field pool p0 'o["stats"]["slab-allocs"]')" = $((allocs + 1)) ]
check "the data is where it was written" \
	cmp <(dd if="$dsp" bs=1M count=1 skip=64 iflag=direct 2>/dev/null) <(head -c 1M /tmp/a.bin)
check "tier del gives the spare back too" "$MTIER" tier del sp
check "pool used back to 0 again" wait_for 10 field_is pool p0 'o["used"]' 0
check "a tier of one slab" "$MTIER" tier add sp size 16M peer d0
dd if=/tmp/a.bin of="$(tier_dev sp)" bs=1M count=1 oflag=direct 2>/dev/null
sleep 1
check "has no spare once all of it is there" [ "$(field pool p0 'o["used"]')" = $((16 << 20)) ]
check "deleted" "$MTIER" tier del sp

# Attach/detach cycles give every byte back.
allocs0=$(field pool p0 'o["stats"]["slab-allocs"]')
frees0=$(field pool p0 'o["stats"]["slab-frees"]')
ok=1
for i in $(seq "$CYCLES"); do
	"$MTIER" tier add c size 64M peer d0 || { ok=0; break; }
	d=$(tier_dev c)
	dd if=/tmp/a.bin of="$d" bs=1M count=2 seek=$((i % 32)) oflag=direct 2>/dev/null || ok=0
	"$MTIER" tier del c || { ok=0; break; }
done
check "$CYCLES attach/write/detach cycles" [ $ok = 1 ]
check "pool used returns to 0" [ "$(field pool p0 'o["used"]')" = 0 ]
check "as many slabs freed as allocated" [ \
	$(($(field pool p0 'o["stats"]["slab-allocs"]') - allocs0)) = \
	$(($(field pool p0 'o["stats"]["slab-frees"]') - frees0)) ]
check "peer holds no slab" [ "$(field peer d0 'o["stats"]["slabs"]')" = 0 ]

check "teardown" mtier_flush
finish
