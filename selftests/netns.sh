#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Objects belong to the network namespace they were created in, as network
# devices do: another namespace neither sees them (show, dump, JSON, the
# monitor) nor changes them (ENOENT), the same names live side by side in
# two namespaces, CAP_NET_ADMIN over the namespace is what changes need,
# and a namespace that goes away takes its objects with it.
. "$(dirname "$0")/lib.sh"
require_root
command -v ip >/dev/null || skip "ip (iproute2) missing"
command -v jq >/dev/null || skip "jq missing"
was_loaded=0
[ -d /sys/module/mtier ] && was_loaded=1
mtier_load
mtier_flush

A=mtier-nsa
B=mtier-nsb
C=mtier-nsc
D=mtier-nsd
holder=
cleanup() {
	local ns
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	for ns in $A $B $C $D; do
		ip netns del $ns 2>/dev/null
	done
}
trap cleanup EXIT
cleanup
ip netns add $A && ip netns add $B || skip "cannot create network namespaces"

in_ns() {	# in_ns NS ARGS...: the CLI in namespace NS
	local ns=$1
	shift
	ip netns exec "$ns" "$MTIER" "$@"
}

count() {	# count NS KIND: how many objects of KIND NS lists (JSON)
	in_ns "$1" -j "$2" show | jq length
}

count_is() {	# count_is NS KIND N
	[ "$(count "$1" "$2")" = "$3" ]
}

# fails_with ERRNO-TEXT COMMAND...: COMMAND fails, and says why.
fails_with() {
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "succeeded: $out"
		return 1
	fi
	echo "$out"
	echo "$out" | grep -q "$want"
}

check "pool in $A" in_ns $A pool add p0 size 64M
check "peer in $A" in_ns $A peer add d0 addr 10.8.0.1
check "tier in $A over its peer" in_ns $A tier add t0 size 1G peer d0
check "$A lists its own objects" \
	sh -c "[ \"\$(ip netns exec $A '$MTIER' -j tier show t0 | jq -r '.[0].peer[0]')\" = d0 ]"

for kind in pool peer tier; do
	check "$B lists no $kind of $A (JSON)" count_is $B $kind 0
	check "the initial namespace lists no $kind of $A" \
		sh -c "[ \"\$('$MTIER' -j $kind show | jq length)\" = 0 ]"
done
check "$B lists nothing in text either" \
	sh -c "[ -z \"\$(ip netns exec $B '$MTIER' pool; ip netns exec $B '$MTIER' peer; ip netns exec $B '$MTIER' tier)\" ]"
check "$B cannot show pool p0 (ENOENT)" \
	fails_with "No such file" in_ns $B pool show p0
check "$B cannot show peer d0 (ENOENT)" \
	fails_with "No such file" in_ns $B peer show d0
check "$B cannot show tier t0 (ENOENT)" \
	fails_with "No such file" in_ns $B tier show t0
check "$B cannot change pool p0 (ENOENT)" \
	fails_with "No such file" in_ns $B pool set p0 size 128M
check "$B cannot change peer d0 (ENOENT)" \
	fails_with "No such file" in_ns $B peer set d0 keepalive 500
check "$B cannot change tier t0 (ENOENT)" \
	fails_with "No such file" in_ns $B tier set t0 prefetch off
check "$B cannot delete tier t0 (ENOENT)" \
	fails_with "No such file" in_ns $B tier del t0
check "$B cannot delete peer d0 (ENOENT)" \
	fails_with "No such file" in_ns $B peer del d0
check "$B cannot delete pool p0 (ENOENT)" \
	fails_with "No such file" in_ns $B pool del p0
check "$B cannot build a tier over $A's peer (ENOENT)" \
	fails_with "peer 'd0' does not exist" in_ns $B tier add tx size 1G peer d0
check "the initial namespace cannot delete tier t0 (ENOENT)" \
	fails_with "No such file" "$MTIER" tier del t0
check "$A's objects are unchanged" \
	sh -c "[ \"\$(ip netns exec $A '$MTIER' -j pool show p0 | jq '.[0].size')\" = $((64 << 20)) ]"

# The same names in another namespace, and in the initial one.
check "pool p0 in $B too" in_ns $B pool add p0 size 32M
check "peer d0 in $B too, same address" in_ns $B peer add d0 addr 10.8.0.1
check "tier t0 in $B too" in_ns $B tier add t0 size 2G peer d0
check "tier t0 in the initial namespace too" \
	sh -c "'$MTIER' peer add d0 addr 10.8.0.1 && '$MTIER' tier add t0 size 4G peer d0"
check "each namespace sees its own tier t0" \
	sh -c "[ \"\$(ip netns exec $A '$MTIER' -j tier show t0 | jq '.[0].size')\" = $((1 << 30)) ] &&
	       [ \"\$(ip netns exec $B '$MTIER' -j tier show t0 | jq '.[0].size')\" = $((2 << 30)) ] &&
	       [ \"\$('$MTIER' -j tier show t0 | jq '.[0].size')\" = $((4 << 30)) ]"
check "a duplicate name within a namespace is still refused" \
	fails_with "File exists" in_ns $B pool add p0 size 32M
check "deleting $B's tier t0 leaves $A's" \
	sh -c "ip netns exec $B '$MTIER' tier del t0 &&
	       ip netns exec $A '$MTIER' tier show t0 >/dev/null"
"$MTIER" tier del t0 >/dev/null 2>&1
"$MTIER" peer del d0 >/dev/null 2>&1

# The monitor of a namespace hears about its own objects only.
ip netns exec $B timeout 60 "$MTIER" -j monitor >/tmp/netns.monb 2>&1 &
monb=$!
timeout 60 "$MTIER" -j monitor >/tmp/netns.mon0 2>&1 &
mon0=$!
ip netns exec $A timeout 60 "$MTIER" -j monitor >/tmp/netns.mona 2>&1 &
mona=$!
# Started last, A's monitor hears a change once all three have subscribed
# (a slow kernel, the debug one, may take seconds to start them).
events() { grep -c '"event"' "$1" 2>/dev/null; }
heard() { in_ns $A pool set p0 size 128M; [ "$(events /tmp/netns.mona)" -ge 1 ]; }
wait_for 30 heard
n0=$(events /tmp/netns.mona)
in_ns $A peer set d0 keepalive 500
in_ns $A tier set t0 prefetch sequential
in_ns $A tier add t1 size 1G peer d0
in_ns $A tier del t1
wait_for 30 sh -c "[ \$(grep -c '\"event\"' /tmp/netns.mona) -ge $((n0 + 4)) ]"
sleep 1		# anything B or the initial namespace would wrongly hear
kill $monb $mona $mon0 2>/dev/null
wait $monb $mona $mon0 2>/dev/null
check "the monitor in $A heard $A's changes" \
	sh -c "[ \$(grep -c '\"event\"' /tmp/netns.mona) -ge 5 ]"
check "the monitor in $B heard nothing of $A" \
	sh -c "! grep '\"event\"' /tmp/netns.monb"
check "the monitor in the initial namespace heard nothing of $A" \
	sh -c "! grep '\"event\"' /tmp/netns.mon0"

# CAP_NET_ADMIN over the namespace, not over the host: root of a new
# user namespace, in its own network namespace.
if unshare --user --map-root-user --net true 2>/dev/null; then
	check "root of a user namespace manages objects in its own netns" \
		unshare --user --map-root-user --net sh -c \
		"'$MTIER' peer add u addr 10.8.0.3 && '$MTIER' tier add ut size 1G peer u &&
		 [ \"\$('$MTIER' -j tier | jq -r '.[0].name')\" = ut ] &&
		 '$MTIER' tier del ut && '$MTIER' peer del u"
	check "root of a user namespace sees nothing of the host's" \
		unshare --user --map-root-user --net sh -c \
		"[ \"\$('$MTIER' -j pool | jq length)\" = 0 ]"
else
	echo "# no user namespaces here: the unprivileged case is not run"
fi

# A namespace that goes away takes its objects with it.  A peer that
# cannot connect holds no rdma_cm id (which would keep the namespace
# alive), so the namespace really ends; its tiers' block devices are the
# host-wide trace of it.  One of them is open: it goes all the same.
ip netns add $C
check "peer and two tiers in $C" \
	sh -c "ip netns exec $C '$MTIER' peer add d0 addr 10.8.0.1 &&
	       ip netns exec $C '$MTIER' tier add t0 size 1G peer d0 &&
	       ip netns exec $C '$MTIER' tier add t1 size 1G peer d0"
devc=$(ip netns exec $C "$MTIER" -j tier show t0 | jq -r '.[0].dev')
devo=$(ip netns exec $C "$MTIER" -j tier show t1 | jq -r '.[0].dev')
check "the tiers of $C have block devices" \
	test -e "/sys/block/$devc" -a -e "/sys/block/$devo"
sleep 600 <"/dev/$devo" &
holder=$!
check "$C cannot delete its open tier (EBUSY)" \
	wait_for 10 sh -c "ip netns exec $C '$MTIER' tier del t1 2>&1 | grep -q busy"
ip netns del $C
check "deleting $C deleted its tiers (their block devices are gone)" \
	wait_for 30 sh -c "[ ! -e /sys/block/$devc ] && [ ! -e /sys/block/$devo ]"
check "the open one cannot be opened again" \
	sh -c "! dd if=/proc/$holder/fd/0 of=/dev/null bs=4k count=1"
kill $holder
wait $holder 2>/dev/null
holder=
check "with it closed, nothing holds the module" \
	wait_for 10 sh -c "[ \"\$(cat /sys/module/mtier/refcnt)\" = 0 ]"
check "the other namespaces kept theirs" \
	sh -c "[ \"\$(ip netns exec $A '$MTIER' -j tier | jq length)\" = 1 ] &&
	       [ \"\$(ip netns exec $B '$MTIER' -j peer | jq length)\" = 1 ]"

# A listening pool's rdma_cm id holds a reference on its namespace, which
# therefore outlives "ip netns del" with the pool in it, until the unload.
ip netns add $D
check "a pool in $D" ip netns exec $D "$MTIER" pool add p0 size 32M
ip netns del $D

# Unloading with objects in several namespaces.
"$MTIER" pool add p0 size 32M listen 0.0.0.0:7480 >/dev/null
check "module unloads with objects in four namespaces (one deleted)" \
	rmmod mtier
_loaded_here=0
check "nothing of mtier left" test ! -d /sys/module/mtier
check "namespaces with objects can be deleted after the unload" \
	sh -c "ip netns del $A && ip netns del $B"
mtier_insmod
check "after a reload, nothing is left in the initial namespace" \
	sh -c "[ \"\$('$MTIER' -j pool | jq length)\" = 0 ]"
# Leave the module as we found it.
[ $was_loaded = 1 ] || rmmod mtier
finish
