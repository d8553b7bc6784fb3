#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Drive the mtier family with the kernel's own generic client,
# tools/net/ynl/cli.py, reading nothing but our YAML spec: if the spec and
# the kernel disagree on an attribute, a type or an enum, this fails.
. "$(dirname "$0")/lib.sh"
require_root

KSRC=${KSRC:-$("$ROOT/scripts/ksrc" 2>/dev/null)}
CLI=$KSRC/tools/net/ynl/cli.py
SPEC=$ROOT/Documentation/netlink/specs/mtier.yaml
[ -f "$CLI" ] || skip "ynl cli.py not found (scripts/ksrc)"
# 6.12's genetlink schema with uns-admin-perm allowed, as make regen uses.
SCHEMA=$(mktemp)
trap 'rm -f "$SCHEMA"' EXIT
KSRC=$KSRC "$ROOT/scripts/ynl-schema" "$SCHEMA" || skip "scripts/ynl-schema failed"
$PY -c 'import yaml' 2>/dev/null || skip "python3-yaml missing"
mtier_load
mtier_flush

ynl() {
	$PY "$CLI" --spec "$SPEC" --schema "$SCHEMA" --output-json "$@"
}

# json_is JSON PYTHON-EXPR: the expression over "o" (the parsed JSON) holds.
json_is() {
	$PY -c 'import json,sys; o=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

check "spec validates against the kernel's genetlink schema" \
	$PY -c 'import jsonschema,yaml,sys
jsonschema.validate(yaml.safe_load(open(sys.argv[1])), yaml.safe_load(open(sys.argv[2])))' "$SPEC" "$SCHEMA"

check "pool-add" ynl --do pool-add --json '{"name": "y-pool", "size": 268435456, "slab-size": 33554432, "addr": "127.0.0.1", "port": 7700}'
out=$(ynl --do pool-get --json '{"name": "y-pool"}')
check "pool-get returns what was set" json_is "$out" \
	'o["size"] == 268435456 and o["slab-size"] == 33554432 and o["addr"] == "127.0.0.1" and o["port"] == 7700 and o["transport"] == "rdma" and o["state"] == "listening" and o["free"] == 268435456 and o["used"] == 0 and o["clients"] == 0 and "slab-allocs" in o["stats"]'
check "pool-set" ynl --do pool-set --json '{"name": "y-pool", "size": 536870912}'
out=$(ynl --dump pool-get)
check "pool-get dump" json_is "$out" 'len(o) == 1 and o[0]["name"] == "y-pool" and o[0]["size"] == 536870912'

check "peer-add" ynl --do peer-add --json '{"name": "y-a", "addr": "10.7.0.1", "keepalive": 250, "timeout": 3000}'
check "peer-add IPv6" ynl --do peer-add --json '{"name": "y-b", "addr": "fd00::7", "port": 7800}'
out=$(ynl --do peer-get --json '{"name": "y-a"}')
check "peer-get" json_is "$out" \
	'o["addr"] == "10.7.0.1" and o["port"] == 7471 and o["keepalive"] == 250 and o["timeout"] == 3000 and o["state"] in ("connecting", "failed") and o["tiers"] == 0'
check "peer-set" ynl --do peer-set --json '{"name": "y-b", "timeout": 8000}'
out=$(ynl --do peer-get --json '{"name": "y-b"}')
check "peer-get IPv6" json_is "$out" 'o["addr"] == "fd00::7" and o["port"] == 7800 and o["timeout"] == 8000'

check "tier-add with two peers" ynl --do tier-add --json '{"name": "y-t", "size": 1073741824, "peer": ["y-a", "y-b"], "prefetch": "adaptive", "window-max": 16, "history": 64, "cache-size": 8388608}'
out=$(ynl --do tier-get --json '{"name": "y-t"}')
check "tier-get" json_is "$out" \
	'o["peer"] == ["y-a", "y-b"] and o["replicas"] == 1 and o["prefetch"] == "adaptive" and o["window-max"] == 16 and o["history"] == 64 and o["cache-size"] == 8388608 and o["state"] == "degraded" and o["dev"].startswith("mtier") and "reads" in o["stats"]'
check "tier-set" ynl --do tier-set --json '{"name": "y-t", "prefetch": "off"}'
out=$(ynl --dump tier-get)
check "tier-get dump" json_is "$out" 'len(o) == 1 and o[0]["prefetch"] == "off"'
out=$(ynl --do peer-get --json '{"name": "y-a"}')
check "peer counts its tier" json_is "$out" 'o["tiers"] == 1'

out=$(ynl --do peer-del --json '{"name": "y-a"}' 2>&1)
check "peer-del of a used peer is refused with the extack" \
	sh -c 'echo "$1" | grep -q "is busy: peer is used by a tier"' sh "$out"
out=$(ynl --do pool-add --json '{"name": "y-pool", "size": 268435456}' 2>&1)
check "duplicate pool-add is refused with the extack" \
	sh -c 'echo "$1" | grep -q "already exists"' sh "$out"

# A listener in its own process, with the ynl library itself (cli.py 6.12
# cannot take a notification in the middle of its own request).  It says
# when it has subscribed, then waits for one notification.
rm -f /tmp/ynl-ready /tmp/ynl-ntf
$PY - "$KSRC/tools/net/ynl" "$SPEC" "$SCHEMA" >/tmp/ynl-ntf 2>&1 <<'PY' &
import json, select, sys, time
sys.path.insert(0, sys.argv[1])
from lib import YnlFamily
ynl = YnlFamily(sys.argv[2], sys.argv[3])
ynl.ntf_subscribe("monitor")
open("/tmp/ynl-ready", "w").close()
deadline = time.time() + 30
while not ynl.async_msg_queue and time.time() < deadline:
    select.select([ynl.sock], [], [], 1)
    ynl.check_ntf()
print(json.dumps(ynl.async_msg_queue))
PY
listener=$!
for _ in $(seq 300); do [ -e /tmp/ynl-ready ] && break; sleep 0.1; done
check "tier-del" ynl --do tier-del --json '{"name": "y-t"}'
wait $listener
check "tier-del announced on the monitor group, with the tier's attributes" \
	$PY -c 'import json,sys
msgs = json.load(open(sys.argv[1]))
sys.exit(0 if any(m["name"] == "tier-del-ntf" and m["msg"]["name"] == "y-t" and m["msg"]["peer"] == ["y-a", "y-b"] for m in msgs) else 1)' /tmp/ynl-ntf
check "peer-del" ynl --do peer-del --json '{"name": "y-a"}'
check "peer-del" ynl --do peer-del --json '{"name": "y-b"}'
check "pool-del" ynl --do pool-del --json '{"name": "y-pool"}'
out=$(ynl --dump pool-get)
check "nothing left" json_is "$out" 'o == []'
finish
