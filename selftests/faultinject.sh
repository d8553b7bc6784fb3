#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures in the control plane (debug kernel only): failslab
# and fail_page_alloc are limited to this test's processes (task-filter)
# and to call chains through mtier's own code (require-start/end), then
# CLI operations run while 20% of those allocations fail.  Every operation
# must succeed or fail cleanly (an error message, exit status 1, no hang),
# the objects left must be exactly those whose creation succeeded, and the
# module must work normally once injection stops.  run.sh checks dmesg and
# kmemleak afterwards.
. "$(dirname "$0")/lib.sh"
require_root
dbg=/sys/kernel/debug
[ -d $dbg/failslab ] && [ -d $dbg/fail_page_alloc ] ||
	skip "no fault injection in this kernel (use make check-debug)"
mtier_load
mtier_flush

# The module's executable sections, as loaded: [start, end).
range=$(readelf -SW "$MTIER_KO" | $PY -c '
import re, sys
start, end = None, None
for line in sys.stdin:
    m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+)\s+\S+\s+(\S+)", line)
    if not m or "X" not in m.group(3) or m.group(1).startswith((".init", ".exit")):
        continue
    try:
        addr = int(open("/sys/module/mtier/sections/" + m.group(1)).read(), 16)
    except OSError:
        continue
    size = int(m.group(2), 16)
    start = addr if start is None else min(start, addr)
    end = addr + size if end is None else max(end, addr + size)
print("%#x %#x" % (start, end))')
read -r start end <<<"$range"
echo "# mtier text: $start-$end"
check "found the module's text" [ -n "$start" ]

inject() {	# inject PROBABILITY
	for f in failslab fail_page_alloc; do
		d=$dbg/$f
		echo Y >$d/task-filter
		echo "$start" >$d/require-start
		echo "$end" >$d/require-end
		echo 32 >$d/stacktrace-depth
		echo -1 >$d/times
		echo 1 >$d/interval
		echo 0 >$d/space
		echo 1 >$d/verbose
		echo N >$d/ignore-gfp-wait
		echo "$1" >$d/probability
	done
	echo N >$dbg/fail_page_alloc/ignore-gfp-highmem
	echo 0 >$dbg/fail_page_alloc/min-order
}

before=$(dmesg | grep -c 'FAULT_INJECTION: forcing a failure')
declare -A have	# objects that should exist: "kind name" -> 1
bad=0
ops=0
fails=0

# op KIND ARGS...: run "mtier KIND ARGS" with failures injected; on
# success apply EFFECT (add/del) to the expected set.
op() {
	local effect=$1 kind=$2 name=$4 rc
	shift
	ops=$((ops + 1))
	timeout 60 sh -c 'echo 1 >/proc/self/make-it-fail; exec "$@"' sh \
		"$MTIER" "$@" >/tmp/fi.out 2>/tmp/fi.err
	rc=$?
	if [ $rc = 0 ]; then
		case $effect in
		add) have["$kind $name"]=1 ;;
		del) unset "have[$kind $name]" ;;
		esac
	elif [ $rc = 1 ] && grep -q '^Error: ' /tmp/fi.err; then
		fails=$((fails + 1))
	else
		bad=$((bad + 1))
		echo "# '$*' ended with status $rc:"
		sed 's/^/#   /' /tmp/fi.err /tmp/fi.out
	fi
}

inject 20
for round in $(seq "${MTIER_FI_ROUNDS:-16}"); do
	op add pool add "p$round" size 16M port $((9000 + round))
	op add peer add "a$round" addr "10.11.$round.1"
	op add peer add "b$round" addr "10.11.$round.2"
	op add tier add "t$round" size 1G peer "a$round,b$round" prefetch adaptive
	op set tier set "t$round" cache 16M
	op set pool set "p$round" size 32M
	op set peer set "a$round" keepalive 300
	op show pool show
	op show tier show
	if [ $((round % 2)) = 0 ]; then
		op del tier del "t$round"
		op del peer del "b$round"
		op del pool del "p$round"
	fi
done
inject 0
injected=$(($(dmesg | grep -c 'FAULT_INJECTION: forcing a failure') - before))
echo "# $ops operations, $fails refused, $injected allocation failures injected"

check "allocation failures were injected" [ "$injected" -gt 0 ]
check "some operations were refused" [ "$fails" -gt 0 ]
check "every operation succeeded or failed cleanly" [ "$bad" = 0 ]

# Exactly the objects whose creation succeeded (and were not deleted).
actual=$(for kind in pool peer tier; do
	"$MTIER" -j "$kind" show | $PY -c 'import json,sys
for o in json.load(sys.stdin): print(sys.argv[1], o["name"])' "$kind"
done | sort)
expected=$(for k in "${!have[@]}"; do echo "$k"; done | sort)
check "the objects left are those that were created" [ "$actual" = "$expected" ]
[ "$actual" = "$expected" ] || diff <(echo "$expected") <(echo "$actual") | sed 's/^/#   /'

# A tier's peers hold its references: every tier left lists its peers.
check "peer tier counts agree with the tiers" $PY -c '
import json, subprocess, sys
m = sys.argv[1]
tiers = json.loads(subprocess.check_output([m, "-j", "tier", "show"]))
peers = json.loads(subprocess.check_output([m, "-j", "peer", "show"]))
count = {p["name"]: 0 for p in peers}
for t in tiers:
    for p in t["peer"]:
        count[p] += 1
sys.exit(0 if all(p["tiers"] == count[p["name"]] for p in peers) else 1)' "$MTIER"

check "everything can be deleted once injection stops" mtier_flush
check "and the module works normally" sh -c \
	"'$MTIER' pool add after size 64M && '$MTIER' pool del after"
finish
