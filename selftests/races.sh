#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Deletions racing with what they must not trip over (under the debug
# kernel these are what KASAN and lockdep look at):
#  - tier del against opens of its device: each del either succeeds, after
#    which no open does, or is refused as busy; never both;
#  - a forced pool del against a client flooding keepalives (every 10 ms):
#    it ends the session at once, and the client reconnects when the pool
#    is back;
#  - peer del against its donor going away (pool del force) at once.
# Every step is bounded: a hang fails the test instead of the run.
. "$(dirname "$0")/lib.sh"
require_root
require_rdma
mtier_load
mtier_flush
A=$MTIER_RDMA_ADDR
ROUNDS=${MTIER_RACE_ROUNDS:-5}

check "pool" "$MTIER" pool add rp size 256M slab 16M listen "$A"
check "peer" "$MTIER" peer add rd addr "$A"
check "peer up" wait_for 20 peer_is rd up

# --- tier del against open ---------------------------------------------
ok=1
for i in $(seq "$ROUNDS"); do
	"$MTIER" tier add rt size 64M peer rd || { ok=0; break; }
	dev=$(tier_dev rt)
	dd if=/dev/urandom of="$dev" bs=1M count=1 oflag=direct status=none
	# an opener that records every open that succeeded, with its time
	(
		while :; do
			# the time is taken while the device is still open
			(exec 3<"$dev" && date +%s%N >>/tmp/races.opens) 2>/dev/null
			sleep 0.0$((RANDOM % 5))
		done
	) &
	opener=$!
	sleep 0.$((RANDOM % 5))
	deleted=
	for _ in $(seq 200); do
		if timeout 30 "$MTIER" tier del rt 2>/tmp/races.err; then
			deleted=$(date +%s%N)
			break
		fi
		grep -q "block device is open" /tmp/races.err ||
			{ echo "# round $i: $(cat /tmp/races.err)"; ok=0; break; }
		sleep 0.0$((RANDOM % 3))
	done
	kill $opener; wait $opener 2>/dev/null
	if [ -z "$deleted" ] && [ $ok = 1 ]; then
		# always open when we looked: once the opener is gone, it goes
		echo "# round $i: busy 200 times while opened; deleted after"
		timeout 30 "$MTIER" tier del rt && deleted=$(date +%s%N)
	fi
	[ -n "$deleted" ] || { echo "# round $i: never deleted"; ok=0; break; }
	# no open began after the delete had returned (1 ms of clock slack)
	late=$(awk -v d="$deleted" '$1 > d + 1000000' /tmp/races.opens 2>/dev/null | wc -l)
	[ "$late" = 0 ] || { echo "# round $i: $late opens after the delete"; ok=0; }
	rm -f /tmp/races.opens
	[ -e "$dev" ] && { echo "# round $i: $dev still there"; ok=0; }
	[ $ok = 1 ] || break
done
check "$ROUNDS tier deletes against opens: busy or gone, never both" [ $ok = 1 ]
check "every slab of the deleted tiers came back" \
	wait_for 10 field_is pool rp 'o["used"]' 0

# --- pool del force against a keepalive flood --------------------------
check "keepalives every 10 ms" "$MTIER" peer set rd keepalive 10 timeout 1000
ok=1
for i in $(seq "$ROUNDS"); do
	wait_for 20 peer_is rd up || { echo "# round $i: peer not up"; ok=0; break; }
	sleep 0.$((RANDOM % 3))
	t0=$(date +%s%N)
	timeout 20 "$MTIER" pool del rp force || { echo "# round $i: pool del failed"; ok=0; break; }
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -lt 5000 ] || { echo "# round $i: pool del force took $ms ms"; ok=0; }
	"$MTIER" pool add rp size 256M slab 16M listen "$A" || { ok=0; break; }
done
check "$ROUNDS forced pool deletes under a keepalive flood, each < 5 s" [ $ok = 1 ]
check "the peer reconnects to the new pool" wait_for 30 peer_is rd up

# --- peer del against its donor going away -----------------------------
check "peer back to normal keepalives" "$MTIER" peer set rd keepalive 1000 timeout 5000
ok=1
for i in $(seq "$ROUNDS"); do
	"$MTIER" pool add rq size 64M slab 16M listen "$A" port 7602 &&
	"$MTIER" peer add rx addr "$A" port 7602 keepalive 100 timeout 1000 ||
		{ ok=0; break; }
	wait_for 20 peer_is rx up
	timeout 30 "$MTIER" peer del rx &
	p1=$!
	timeout 30 "$MTIER" pool del rq force &
	p2=$!
	wait $p1 || { echo "# round $i: peer del failed"; ok=0; }
	wait $p2 || { echo "# round $i: pool del failed"; ok=0; }
	[ $ok = 1 ] || break
done
check "$ROUNDS peer deletes racing with their donor's" [ $ok = 1 ]

check "teardown" mtier_flush
check "module unloads" rmmod mtier
_loaded_here=0
finish
