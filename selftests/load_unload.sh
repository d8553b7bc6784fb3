#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload the module many times with objects of every kind present
# (tiers holding peers, a listening monitor, a changed setting): unloading
# must tear everything down, every time, without a splat.
. "$(dirname "$0")/lib.sh"
require_root
[ -f "$MTIER_KO" ] || skip "$MTIER_KO not built"
[ -x "$MTIER" ] || skip "$MTIER not built"

cycles=${MTIER_CYCLES:-20}
was_loaded=0
[ -d /sys/module/mtier ] && was_loaded=1
check "module can be unloaded at the start" sh -c "[ $was_loaded = 0 ] || rmmod mtier"

populate() {
	"$MTIER" pool add big size 256M slab 16M &&
	"$MTIER" pool add small size 64M listen 127.0.0.1:7500 &&
	"$MTIER" peer add a addr 10.8.0.1 &&
	"$MTIER" peer add b addr 10.8.0.2:7600 keepalive 200 timeout 2000 &&
	"$MTIER" peer add c addr fd00::8 &&
	"$MTIER" tier add t1 size 1G peer a,b &&
	"$MTIER" tier add t2 size 4G peer c prefetch adaptive cache 16M &&
	"$MTIER" tier set t1 prefetch sequential window-max 64 &&
	"$MTIER" pool set big size 512M
}

counts() {
	echo "$("$MTIER" -j pool | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
	     "$("$MTIER" -j peer | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
	     "$("$MTIER" -j tier | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')"
}

ok=1
for i in $(seq "$cycles"); do
	mtier_insmod || { ok=0; echo "# insmod failed in cycle $i"; break; }
	"$MTIER" -j monitor >/tmp/monitor.$i 2>&1 &
	mon=$!
	sleep 0.3	# let it subscribe
	populate || { ok=0; echo "# populating failed in cycle $i"; }
	[ "$(counts)" = "2 3 2" ] || { ok=0; echo "# cycle $i: counts $(counts)"; }
	kill $mon 2>/dev/null
	wait $mon 2>/dev/null
	rmmod mtier || { ok=0; echo "# rmmod failed in cycle $i"; break; }
	[ ! -d /sys/module/mtier ] || { ok=0; echo "# still loaded after cycle $i"; break; }
done
check "$cycles load/populate/unload cycles" [ $ok = 1 ]
check "the monitor saw every object of the last cycle appear" \
	sh -c "[ \$(grep -c '\"event\": *\"add\"' /tmp/monitor.$cycles) -ge 7 ]"

# Unload with objects in another network namespace (they belong to it, and
# the namespace's pernet exit is what deletes them): a listening pool, whose
# rdma_cm id holds a reference on the namespace, and a tier over a peer.
mtier_insmod
ip netns add mtier-lu 2>/dev/null
check "objects created in another network namespace" \
	sh -c "ip netns exec mtier-lu '$MTIER' peer add ns addr 10.8.0.9 &&
	       ip netns exec mtier-lu '$MTIER' tier add nst size 1G peer ns &&
	       ip netns exec mtier-lu '$MTIER' pool add nsp size 64M"
check "the initial namespace neither sees nor uses them" \
	sh -c "[ -z \"\$('$MTIER' peer)\" ] && ! '$MTIER' tier add t size 1G peer ns"
"$MTIER" peer add ns addr 10.8.0.9 >/dev/null	# same name, other namespace
check "unload with objects in two namespaces" rmmod mtier
ip netns del mtier-lu 2>/dev/null

[ $was_loaded = 1 ] && mtier_insmod
finish
