#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two nodes: the start of a tier's life over the network, again and again.
# Each round creates a tier over node 1's pool, writes it with random
# 4 KiB blocks from fio at queue depth 16 (every slab is allocated in the
# first seconds, while writes wait for them), reads it back verified and
# deletes it.  mn_tier.sh does this once; this does it MTIER_STORM_ROUNDS
# times (default 8), for what happens rarely there.
. "$(dirname "$0")/lib.sh"
require_root
[ "${MTIER_NODES:-1}" -ge 2 ] || skip "needs scripts/vm --nodes 2"
command -v fio >/dev/null || skip "fio missing"
DONOR=$MTIER_NODE_ADDR_1
ROUNDS=${MTIER_STORM_ROUNDS:-8}
MB=${MTIER_STORM_MB:-256}
on1() { "$ROOT/scripts/vm-exec" 1 "$@"; }

check "node 1: module loaded, pool listening on $DONOR" \
	on1 "cd $ROOT && ROOT=$ROOT . selftests/lib.sh && mtier_insmod &&
	     user/mtier pool add p1 size 768M slab 16M listen $DONOR"
mtier_load
mtier_flush
check "peer to node 1" "$MTIER" peer add n1 addr "$DONOR" keepalive 250 timeout 2000
check "peer comes up" wait_for 30 peer_is n1 up

round() {
	local dev
	"$MTIER" tier add s size 1G peer n1 || return 1
	dev=$(tier_dev s)
	fio --output-format=terse --terse-version=3 --direct=1 --ioengine=libaio \
		--verify_fatal=1 --verify_state_save=0 --exitall_on_error=1 \
		--name=s --filename="$dev" --rw=randwrite --bs=4k --size="${MB}M" \
		--iodepth=16 --verify=crc32c --do_verify=1 >/tmp/fio.out 2>&1 ||
		{ cat /tmp/fio.out; "$MTIER" tier del s; return 1; }
	"$MTIER" tier del s
}
t0=$(date +%s)
for i in $(seq "$ROUNDS"); do
	check "round $i: a new tier, $MB MiB of random writes, verified, deleted" round
done
echo "# $ROUNDS rounds in $(($(date +%s) - t0)) s"
check "the donor's pool is empty again" \
	on1 "test \$($ROOT/user/mtier -j pool show p1 | jq '.[0].used') -eq 0"
check "delete the peer" "$MTIER" peer del n1
check "node 0: module unloads" rmmod mtier
_loaded_here=0
check "node 1: module unloads" on1 "rmmod mtier"
finish
