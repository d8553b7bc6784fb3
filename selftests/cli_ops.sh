#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The happy path of every operation through the mtier CLI: pool, peer and
# tier add/show/set/del in text, JSON (-j, -j -p) and with statistics (-s),
# unique prefixes, bare objects, help at every level, -V and the monitor;
# then save and batches (-b): a save/replay round trip, a batch that stops
# at a bad line, -force, and the bash completion's names of objects.
#
# Runs as root where the module can be loaded (a test VM): MTIER_KO is the
# module (default $ROOT/mtier.ko), MTIER the CLI (default $ROOT/user/mtier).
# The module is inserted if it is not loaded, and removed at the end if this
# script inserted it.  Prints KTAP-style lines; exit 0 when every check
# passed, 1 when one failed, 4 (skip) without root or without the module.
. "$(dirname "$0")/lib.sh"

mtier_load

tmp=$(mktemp -d)
mon_json=
mon_text=
cleanup() {
	[ -n "$mon_json" ] && kill "$mon_json" 2>/dev/null
	[ -n "$mon_text" ] && kill "$mon_text" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# cli ARGS...: run the CLI; sets $rc, $out and $err.
cli() {
	"$MTIER" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# Assertions on the last cli run, for lib.sh's check; they explain failures.
succeeded() {
	[ "$rc" = 0 ] && [ -z "$err" ] && return 0
	echo "exit status $rc, stderr: $err"
	return 1
}

out_is() {
	succeeded || return 1
	[ "$out" = "$1" ] && return 0
	printf 'got:  %s\nwant: %s\n' "$out" "$1"
	return 1
}

out_matches() {
	succeeded || return 1
	printf '%s\n' "$out" | grep -Eq -- "$1" && return 0
	printf 'output does not match /%s/:\n%s\n' "$1" "$out"
	return 1
}

is_eq() {	# is_eq GOT WANT
	[ "$1" = "$2" ] && return 0
	printf 'got:  %s\nwant: %s\n' "$1" "$2"
	return 1
}

# json_ok PYEXPR: stdout parses as JSON (bound to d) and PYEXPR holds.
json_ok() {
	succeeded || return 1
	$PY -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$out" "$1" && return 0
	printf 'JSON check failed: %s\non: %s\n' "$1" "$out"
	return 1
}

# Start from nothing, whatever an earlier test left behind.
mtier_flush

# ------------------------------------------------------------ version, help

cli -V
check "-V prints the version" \
	out_matches '^mtier utility, version [^ ]+ \(netlink family mtier version 1\)$'
cli -Version
check "-Version is -V" out_matches '^mtier utility, version '

for args in "help" "-h" "--help" "pool help" "peer help" "tier help" \
	    "monitor help" "pool add help" "pool set help" "pool del help" \
	    "pool show help" "peer add help" "peer set help" "peer del help" \
	    "tier add help" "tier set help" "tier del help" "tier show help" \
	    "po a help" "ti sh help" "pool add p9 help"; do
	# shellcheck disable=SC2086 # split on purpose
	cli $args
	check "mtier $args prints usage" out_matches '^Usage: mtier'
done
cli pool add help
check "pool add help shows only pool add" \
	sh -c '! printf "%s\n" "$1" | grep -q "pool del"' sh "$out"

# ------------------------------------------------------------ empty state

cli -j pool
check "empty pool dump is []" out_is "[]"
cli -j peer show
check "empty peer dump is []" out_is "[]"
cli -j tier
check "empty tier dump is []" out_is "[]"
cli pool
check "empty pool dump prints nothing" out_is ""

# ------------------------------------------------------------ monitors

"$MTIER" -j monitor >"$tmp/mon.json" 2>"$tmp/mon.json.err" &
mon_json=$!
"$MTIER" monitor pool >"$tmp/mon.txt" 2>"$tmp/mon.txt.err" &
mon_text=$!
# Give both time to join the group before the first event.
sleep 2

# ------------------------------------------------------------ pools

P0='pool p0: state listening size 512M slab 64M listen 0.0.0.0:7471 transport rdma used 0 free 512M clients 0 lease 15000ms max-clients 64 max-clients-addr 4'

cli pool add p0 size 512M
check "pool add (defaults)" out_is ""
cli pool show p0
check "pool show p0 text" out_is "$P0"
cli pool add p1 size 96M slab 32M listen 127.0.0.1:7500
check "pool add with slab and listen ADDR:PORT" out_is ""
cli pool add p2 size 64MiB listen '[::1]:7600' transport rdma
check "pool add with listen [IPv6]:PORT and transport" out_is ""
cli pool add p3 size 16M port 7700
check "pool add with port only" out_is ""
cli pool add p4 size 16777216 listen 127.0.0.2 port 7800
check "pool add with listen ADDR and port PORT" out_is ""

cli pool show p1
check "pool p1 text: slab and listen" \
	out_is 'pool p1: state listening size 96M slab 32M listen 127.0.0.1:7500 transport rdma used 0 free 96M clients 0 lease 15000ms max-clients 64 max-clients-addr 4'
cli pool show p2
check "pool p2 text: IPv6 listen" out_matches '^pool p2: .* listen \[::1(%0)?\]:7600 '
cli pool show p3
check "pool p3 text: port" \
	out_is 'pool p3: state listening size 16M slab 16M listen 0.0.0.0:7700 transport rdma used 0 free 16M clients 0 lease 15000ms max-clients 64 max-clients-addr 4'
cli pool show p4
check "pool p4 text: addr and port" out_matches '^pool p4: .* listen 127\.0\.0\.2:7800 '

cli -j pool show p0
check "pool -j show p0: one element with every attribute" json_ok '
len(d) == 1 and d[0]["name"] == "p0" and isinstance(d[0]["id"], int) and
d[0]["size"] == 536870912 and d[0]["slab-size"] == 67108864 and
d[0]["addr"] == "0.0.0.0" and d[0]["port"] == 7471 and
d[0]["transport"] == "rdma" and d[0]["state"] == "listening" and
d[0]["used"] == 0 and d[0]["free"] == 536870912 and d[0]["clients"] == 0 and
d[0]["lease"] == 15000 and d[0]["max-clients"] == 64 and
d[0]["max-clients-addr"] == 4 and "max-client-size" not in d[0] and
"stats" not in d[0]'
cli -j pool show p2
check "pool -j show p2: port of an IPv6 listener" json_ok 'd[0]["port"] == 7600'
check "pool -j show p2: IPv6 addr as given" \
	json_ok 'd[0]["addr"] == "::1"'
cli -j -p pool
check "pool -j -p: pretty, all five pools" \
	json_ok '[o["name"] for o in d] == ["p0", "p1", "p2", "p3", "p4"]'
check "pool -j -p output is indented" out_matches '^  +"name": "p0",$'
cli -json -pretty pool show
check "long options -json -pretty" json_ok 'len(d) == 5'
cli -s pool show p0
check "pool -s: stats line with every counter" \
	out_is "$P0
    stats: slab-allocs 0 slab-frees 0 alloc-fails 0 connects 0 proto-errors 0 ctrl-msgs 0 lease-expiries 0 refused 0 join-fails 0"
cli -js pool show p0
check "pool -j -s: stats object" json_ok '
d[0]["stats"] == {"slab-allocs": 0, "slab-frees": 0, "alloc-fails": 0,
		  "connects": 0, "proto-errors": 0, "ctrl-msgs": 0,
		  "lease-expiries": 0, "refused": 0, "join-fails": 0}'

cli pool set p0 size 768M
check "pool set size" out_is ""
cli -j pool show p0
check "pool set took effect" \
	json_ok 'd[0]["size"] == 805306368 and d[0]["free"] == 805306368'
cli pool show p0
check "pool text after set" out_matches '^pool p0: state listening size 768M slab 64M .* free 768M '
cli pool set p0 lease 3000 max-clients 8 max-clients-addr 2 max-client-size 128M
check "pool set lease and limits" out_is ""
cli -j pool show p0
check "pool set lease and limits took effect" json_ok '
d[0]["lease"] == 3000 and d[0]["max-clients"] == 8 and
d[0]["max-clients-addr"] == 2 and d[0]["max-client-size"] == 134217728'
cli pool show p0
check "pool text: lease and limits" \
	out_matches ' lease 3000ms max-clients 8 max-clients-addr 2 max-client-size 128M$'
cli pool set p0 lease 15000 max-clients 64 max-clients-addr 4 max-client-size 0
check "pool set limits back" out_is ""
cli pool del p0 force now
check "pool del: a word after force is refused" \
	sh -c '[ "$1" != 0 ] && printf "%s" "$2" | grep -q "unexpected argument .now."' \
	sh "$rc" "$err"

cli po sh p0
check "prefixes: po sh p0" out_matches '^pool p0: state listening size 768M '
cli pool
check "bare pool lists every pool" sh -c '[ "$(printf "%s\n" "$1" | wc -l)" = 5 ]' sh "$out"
cli pool list
check "pool list is show" out_matches '^pool p4: '

# ------------------------------------------------------------ peers

cli peer add d1 addr 10.0.0.2
check "peer add (defaults)" out_is ""
cli peer show d1
check "peer show d1 text" \
	out_matches '^peer d1: state (connecting|failed) addr 10.0.0.2:7471 transport rdma rtt 0us keepalive 1000ms timeout 5000ms tiers 0( error E[A-Z]+)?$'
cli peer add d2 addr 10.0.0.3:7500 keepalive 200 timeout 2000 transport rdma
check "peer add with port, timers and transport" out_is ""
cli peer add d3 addr fd00::3 port 7600
check "peer add with bare IPv6 and port" out_is ""
cli pe a d4 addr '[fe80::1%lo]:7000' time 3000
check "peer add with prefixes and a scoped IPv6" out_is ""

cli -j peer show d2
check "peer -j show d2" json_ok '
len(d) == 1 and d[0]["name"] == "d2" and d[0]["addr"] == "10.0.0.3" and
d[0]["port"] == 7500 and d[0]["keepalive"] == 200 and d[0]["timeout"] == 2000 and
d[0]["transport"] == "rdma" and d[0]["state"] in ("connecting", "failed") and
d[0]["rtt"] == 0 and d[0]["tiers"] == 0 and isinstance(d[0]["id"], int)'
cli -j peer show d4
check "peer -j show d4: port and timeout" \
	json_ok 'd[0]["port"] == 7000 and d[0]["timeout"] == 3000 and d[0]["addr"].find("fe80::1") >= 0'
cli peer show d3
check "peer d3 text: bracketed IPv6" out_matches '^peer d3: state (connecting|failed) addr \[fd00::3\]:7600 '
cli -j peer show d3
check "peer -j show d3: IPv6 addr as given" \
	json_ok 'd[0]["addr"] == "fd00::3"'

cli peer set d1 keepalive 500
check "peer set keepalive" out_is ""
cli peer set d1 timeout 6000ms
check "peer set timeout (ms suffix)" out_is ""
cli peer set d1 keep 400 timeout 4000
check "peer set both, keyword prefix" out_is ""
cli -j peer show d1
check "peer set took effect" json_ok 'd[0]["keepalive"] == 400 and d[0]["timeout"] == 4000'
cli -s peer show d1
check "peer -s: stats line" \
	out_matches '^    stats: slabs 0 connects 0 errors 0 timeouts 0 sq-waits 0$'
cli -j -s peer show d1
check "peer -j -s: stats object" \
	json_ok 'd[0]["stats"] == {"slabs": 0, "connects": 0, "errors": 0, "timeouts": 0, "sq-waits": 0}'
cli pe
check "bare peer lists every peer" sh -c '[ "$(printf "%s\n" "$1" | wc -l)" = 4 ]' sh "$out"

# ------------------------------------------------------------ tiers

T0='^tier t0: state degraded dev mtier[0-9]+ size 8G peer d1,d2 replicas 1 prefetch off window-max 32 history 32 cache 32M resync-rate 0$'

cli tier add t0 size 8G peer d1,d2
check "tier add over two peers (defaults)" out_is ""
cli tier show t0
check "tier show t0 text" out_matches "$T0"
cli tier add t1 size 1G peer d3 peer d4 replicas 1 prefetch adaptive window-max 64 history 16 cache 16M resync-rate 200M
check "tier add with repeated peer and every option" out_is ""
cli tier show t1
check "tier show t1 text" \
	out_matches '^tier t1: state degraded dev mtier[0-9]+ size 1G peer d3,d4 replicas 1 prefetch adaptive window-max 64 history 16 cache 16M resync-rate 200M$'
cli ti a t2 si 4096 pe d1 pre seq
check "tier add with prefixes" out_is ""

cli -j tier show t0
check "tier -j show t0" json_ok '
len(d) == 1 and d[0]["name"] == "t0" and d[0]["peer"] == ["d1", "d2"] and
d[0]["size"] == 8589934592 and d[0]["replicas"] == 1 and
d[0]["prefetch"] == "off" and d[0]["window-max"] == 32 and
d[0]["history"] == 32 and d[0]["cache-size"] == 33554432 and
d[0]["state"] == "degraded" and d[0]["dev"].startswith("mtier") and
isinstance(d[0]["id"], int) and "stats" not in d[0]'
cli -j tier show t2
check "tier -j show t2: prefix-given values" \
	json_ok 'd[0]["size"] == 4096 and d[0]["peer"] == ["d1"] and d[0]["prefetch"] == "sequential"'
cli -j peer show d1
check "peer d1 now used by two tiers" json_ok 'd[0]["tiers"] == 2'

cli tier set t0 prefetch sequential window-max 128 history 64 cache 64M
check "tier set every knob" out_is ""
cli -j tier show t0
check "tier set took effect" json_ok '
d[0]["prefetch"] == "sequential" and d[0]["window-max"] == 128 and
d[0]["history"] == 64 and d[0]["cache-size"] == 67108864'
cli tier set t0 pre ad
check "tier set with prefixes" out_is ""
cli tier show t0
check "tier text after set" \
	out_matches '^tier t0: state degraded dev mtier[0-9]+ size 8G peer d1,d2 replicas 1 prefetch adaptive window-max 128 history 64 cache 64M resync-rate 0$'
cli -s tier show t0
check "tier -s: stats line with every counter" \
	out_matches '^    stats: reads 0 writes 0 read-bytes 0 write-bytes 0 discards 0 flushes 0 inflight 0 errors 0 timeouts 0 prefetch-issued 0 prefetch-hits 0 prefetch-late-hits 0 prefetch-unused 0 demand-misses 0 read-retries 0 copy-failures 0 resync-bytes 0 slabs-healed 0 cache-bytes 0 degraded-slabs 0$'
check "tier -s: no accuracy without prefetches" \
	sh -c '! printf "%s\n" "$1" | grep -q accuracy' sh "$out"
cli -j -s tier show t0
check "tier -j -s: stats object" json_ok '
sorted(d[0]["stats"]) == sorted(["reads", "writes", "read-bytes",
	"write-bytes", "discards", "flushes", "inflight", "errors", "timeouts",
	"prefetch-issued", "prefetch-hits", "prefetch-late-hits",
	"prefetch-unused", "demand-misses", "read-retries", "copy-failures",
	"resync-bytes", "slabs-healed", "cache-bytes", "degraded-slabs",
	"lat-hist"]) and
all(v == 0 for k, v in d[0]["stats"].items() if k != "lat-hist") and
d[0]["stats"]["lat-hist"] == [0] * len(d[0]["stats"]["lat-hist"])'
cli t
check "bare tier lists every tier" sh -c '[ "$(printf "%s\n" "$1" | wc -l)" = 3 ]' sh "$out"

# ------------------------------------------------------------ big dumps

# Enough peers that a dump spans several netlink messages (fewer on the
# debug kernel, where each CLI run is slow: nl_dump covers it there).
BULK=${MTIER_CLI_BULK:-250}
ok=1
for i in $(seq 1 "$BULK"); do
	"$MTIER" peer add "bulk$i" addr "10.1.$((i / 200)).$((i % 200 + 1))" || { ok=0; break; }
done
check "$BULK more peers added" [ $ok = 1 ]
cli -j peer
check "-j dump of $((BULK + 4)) peers, every one once" json_ok "
len(d) == $((BULK + 4)) and len(set(o['name'] for o in d)) == $((BULK + 4))"
cli peer
check "text dump of $((BULK + 4)) peers" sh -c '[ "$(printf "%s\n" "$1" | grep -c "^peer ")" = "$2" ]' sh "$out" $((BULK + 4))
ok=1
for i in $(seq 1 "$BULK"); do
	"$MTIER" peer del "bulk$i" || { ok=0; break; }
done
check "$BULK peers deleted" [ $ok = 1 ]

# ------------------------------------------------------------ deletes

cli tier del t2
check "tier del" out_is ""
cli tier d t1
check "tier d (prefix)" out_is ""
cli tier delete t0
check "tier delete (alias)" out_is ""
cli -j peer show d1
check "peer d1 no longer used" json_ok 'd[0]["tiers"] == 0'
for p in d1 d2 d3 d4; do
	cli peer del $p
	check "peer del $p" out_is ""
done
cli pool del p0 force
check "pool del p0 force" out_is ""
for p in p1 p2 p3 p4; do
	cli pool del $p
	check "pool del $p" out_is ""
done
cli -j pool
check "no pools left" out_is "[]"
cli -j peer
check "no peers left" out_is "[]"
cli -j tier
check "no tiers left" out_is "[]"

# ------------------------------------------------------------ monitor output

sleep 1
kill "$mon_json" "$mon_text"
wait "$mon_json"
rc_json=$?
wait "$mon_text"
rc_text=$?
mon_json=
mon_text=
check "monitor exits cleanly on SIGTERM" \
	sh -c '[ "$1" = 0 ] && [ "$2" = 0 ]' sh "$rc_json" "$rc_text"
check "monitors printed no errors" \
	sh -c '! [ -s "$1" ] && ! [ -s "$2" ]' sh "$tmp/mon.json.err" "$tmp/mon.txt.err"

check "monitor -j: one valid JSON object per line, adds and dels in order" $PY -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
seq = [(e["event"], e["object"], e[e["object"]]["name"]) for e in ev]
want = [("add", "pool", n) for n in ("p0", "p1", "p2", "p3", "p4")]
want += [("add", "peer", n) for n in ("d1", "d2", "d3", "d4")]
want += [("add", "tier", n) for n in ("t0", "t1", "t2")]
bulk = int(sys.argv[2])
want += [("add", "peer", "bulk%d" % i) for i in range(1, bulk + 1)]
want += [("del", "peer", "bulk%d" % i) for i in range(1, bulk + 1)]
want += [("del", "tier", n) for n in ("t2", "t1", "t0")]
want += [("del", "peer", n) for n in ("d1", "d2", "d3", "d4")]
want += [("del", "pool", n) for n in ("p0", "p1", "p2", "p3", "p4")]
got = [s for s in seq if s[0] != "change"]
if got != want:
	print("got ", got)
	print("want", want)
	sys.exit(1)
# Every set was announced (other changes may be announced too).
for obj, n, count in (("pool", "p0", 1), ("peer", "d1", 3), ("tier", "t0", 2)):
	c = seq.count(("change", obj, n))
	assert c >= count, ("change", obj, n, c)
p0 = ev[0]["pool"]
assert p0["size"] == 536870912 and p0["transport"] == "rdma", p0
t0 = [e for e in ev if e["object"] == "tier"][0]["tier"]
assert t0["peer"] == ["d1", "d2"], t0
' "$tmp/mon.json" "$BULK"

check "monitor pool: text lines, pools only" $PY -c '
import sys
lines = open(sys.argv[1]).read().splitlines()
want0 = "[add] " + sys.argv[2]
assert lines and lines[0] == want0, (lines[:1], want0)
assert len(lines) == 13, lines
assert all(l.split(" ", 2)[1] == "pool" for l in lines), lines
assert [l.split(" ")[0] for l in lines] == ["[add]"] * 5 + ["[change]"] * 3 + ["[del]"] * 5, lines
' "$tmp/mon.txt" "$P0"

# ------------------------------------------------------------ save, batches

mtier_flush
cli save
check "save with no objects prints nothing" out_is ""

lo_idx=$(cat /sys/class/net/lo/ifindex)
cat >"$tmp/setup" <<'EOF'
# Pools: defaults, every setting, IPv6, a slab the size no longer implies.
pool add p0 size 512M
pool add p1 size 96M slab 16M listen 127.0.0.1:7500 lease 3000 \
	max-clients 8 max-clients-addr 2 max-client-size 64M
pool add p2 size 64M listen '[::1]:7600'
pool add p3 size 32M port 7700
pool set p3 size 64M

peer add d1 addr 10.0.0.2
peer add d2 addr 10.0.0.3:7500 keepalive 200 timeout 2000
peer add d3 addr fd00::3 port 7600
peer add d4 addr "[fe80::1%lo]:7000"    # the scope comes back as a number
tier add t0 size 8G peer d1,d2
tier add t1 size 1G peer d3 peer d4 prefetch adaptive window-max 64 \
	history 16 cache 16M resync-rate 200M
tier set t0 prefetch sequential cache 0
EOF
cli -b "$tmp/setup"
check "-b: a batch builds a configuration" out_is ""

SAVED="pool add p0 size 512M
pool add p1 size 96M slab 16M listen 127.0.0.1:7500 lease 3000 max-clients 8 max-clients-addr 2 max-client-size 64M
pool add p2 size 64M listen [::1]:7600
pool add p3 size 64M slab 32M port 7700
peer add d1 addr 10.0.0.2
peer add d2 addr 10.0.0.3:7500 keepalive 200 timeout 2000
peer add d3 addr [fd00::3]:7600
peer add d4 addr [fe80::1%$lo_idx]:7000
tier add t0 size 8G peer d1,d2 prefetch sequential cache 0
tier add t1 size 1G peer d3,d4 prefetch adaptive window-max 64 history 16 cache 16M resync-rate 200M"

# The configuration as -j shows it, without what is not configuration.
config_json() {
	"$MTIER" -j pool | jq -S 'map(del(.id, .state, .used, .free, .clients))'
	"$MTIER" -j peer | jq -S 'map(del(.id, .state, .rtt, .error, .tiers,
					 .["slab-size"], .["donor-free"]))'
	"$MTIER" -j tier | jq -S 'map(del(.id, .state, .dev))'
}

cli save
check "save: pools, peers, tiers, settings that are not defaults" out_is "$SAVED"
printf '%s\n' "$out" >"$tmp/saved1"
config_json >"$tmp/config1"
mtier_flush
cli -j tier
check "flushed before the replay" out_is "[]"
cli -b "$tmp/saved1"
check "-b replays what save printed" out_is ""
cli save
check "save after the replay is the same" out_is "$SAVED"
config_json >"$tmp/config2"
check "-j shows the same configuration after the replay" \
	diff -u "$tmp/config1" "$tmp/config2"
cli -b - <"$tmp/saved1"
check "-b - reads stdin (here the first add is refused: it exists)" \
	sh -c '[ "$1" = 1 ] && printf "%s\n" "$2" | grep -qx "Command failed -:1" &&
	       [ "$(printf "%s\n" "$2" | grep -c "^Command failed")" = 1 ]' sh "$rc" "$err"

cat >"$tmp/bad" <<'EOF'
# b1, then b1 again (refused: it exists), then b2
pool add b1 size 16M port 7801
pool add b1 size 16M port 7802

pool add b2 size 16M port 7803
EOF
cli -b "$tmp/bad"
check "-b: a refused line stops the batch and names its line" \
	sh -c '[ "$1" = 1 ] && [ "$(printf "%s\n" "$2" | tail -n 1)" = "Command failed $3:3" ] &&
	       printf "%s\n" "$2" | grep -q "^Error: .*exists"' sh "$rc" "$err" "$tmp/bad"
cli -j pool
check "-b: nothing ran after the refused line" \
	json_ok '"b1" in [o["name"] for o in d] and "b2" not in [o["name"] for o in d]'
cli -force -b "$tmp/bad"
check "-force -b: goes on past refusals and exits 1" \
	sh -c '[ "$1" = 1 ] && [ "$(printf "%s\n" "$2" | grep "^Command failed")" = "Command failed $3:2
Command failed $3:3" ]' sh "$rc" "$err" "$tmp/bad"
cli -j pool show b2
check "-force -b: the line after the refusals ran" \
	json_ok 'len(d) == 1 and d[0]["port"] == 7803'

printf 'pool show b1\n\npeer show d1\ntier show t9\n' >"$tmp/show"
cli -j -b "$tmp/show"
check "-j -b: -j applies to every line" \
	sh -c '[ "$1" = 1 ] && printf "%s\n" "$2" | grep -qx "Command failed $3:4" &&
	       [ "$(printf "%s\n" "$4" | jq -c -s "[.[][].name]")" = "[\"b1\",\"d1\"]" ]' \
	sh "$rc" "$err" "$tmp/show" "$out"

# The bash completion asks mtier for the names of objects.
# bashcomp WORD...: COMPREPLY with the cursor on the last word.
bashcomp() {
	(
		# shellcheck disable=SC1091
		. "$ROOT/user/mtier.bash-completion"
		COMP_WORDS=("$MTIER" "$@")
		COMP_CWORD=$#
		_mtier
		printf '%s\n' "${COMPREPLY[*]}"
	)
}
check "completion: pool names for del" is_eq "$(bashcomp pool del p)" "p0 p1 p2 p3"
check "completion: peer names for set" is_eq "$(bashcomp peer set '')" "d1 d2 d3 d4"
check "completion: tier names for show" is_eq "$(bashcomp ti sh '')" "t0 t1"
check "completion: a tier's peers, comma-separated" \
	is_eq "$(bashcomp tier add t9 size 1G peer d1,d)" "d1,d2 d1,d3 d1,d4"

mtier_flush
cli save
check "save after the flush prints nothing" out_is ""

finish
