#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# How the mtier CLI reports refusals: the kernel's extack message, the
# attribute it blames (by spec name), the policy it broke and strerror, on
# one "Error: ..." line on stderr with exit status 1; and the CLI's own
# usage errors, which never reach the kernel.
#
# Same conventions as cli_ops.sh: MTIER_KO, MTIER; the module is inserted
# if needed and removed at the end if this script inserted it; KTAP-style
# output; exit 0, 1, or 4 (skip) without root or without the module.
. "$(dirname "$0")/lib.sh"

mtier_load

tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

cli() {
	"$MTIER" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# fails_with TEXT: the last run exited 1, printed nothing on stdout and
# exactly TEXT (one line) on stderr.
fails_with() {
	local bad=0
	[ "$rc" = 1 ] || { echo "exit status $rc, want 1"; bad=1; }
	[ -z "$out" ] || { echo "unexpected stdout: $out"; bad=1; }
	if [ "$err" != "$1" ]; then
		printf 'stderr: %s\nwant:   %s\n' "$err" "$1"
		bad=1
	fi
	return $bad
}

succeeded() {
	[ "$rc" = 0 ] && [ -z "$err" ] && return 0
	echo "exit status $rc, stderr: $err"
	return 1
}

# expect DESCRIPTION TEXT ARGS...: mtier ARGS must fail with TEXT.
expect() {
	local desc=$1 text=$2
	shift 2
	cli "$@"
	check "$desc" fails_with "$text"
}

mtier_flush

long=abcdefghijklmnopqrstuvwxyz012345		# 32 bytes, one too many

# ------------------------------------------------------------ setup

cli pool add e0 size 64M
check "setup: pool e0" succeeded
cli peer add ep addr 10.9.0.1
check "setup: peer ep" succeeded
cli tier add et size 1G peer ep
check "setup: tier et over ep" succeeded

# ------------------------------------------------------------ kernel refusals

expect "duplicate pool: EEXIST on name" \
	"Error: pool 'e0' already exists (attribute 'name'): File exists" \
	pool add e0 size 64M
expect "duplicate tier: EEXIST on name" \
	"Error: tier 'et' already exists (attribute 'name'): File exists" \
	tier add et size 1G peer ep
expect "name too long: policy, max length" \
	"Error: Attribute failed policy validation (attribute 'name', max length 31): Invalid argument" \
	pool add $long size 64M
expect "peer name too long in tier add: policy on peer" \
	"Error: Attribute failed policy validation (attribute 'peer', max length 31): Numerical result out of range" \
	tier add e2 size 1G peer $long
expect "name with a bad character" \
	"Error: name has an invalid character (0x2f) (attribute 'name'): Invalid argument" \
	peer add a/b addr 10.9.0.9
expect "missing size: missing attribute" \
	"Error: missing attribute: size (attribute 'size'): Invalid argument" \
	pool add e1
expect "missing addr: missing attribute" \
	"Error: missing attribute: addr (attribute 'addr'): Invalid argument" \
	peer add e1
expect "missing peer: missing attribute" \
	"Error: missing attribute: peer (attribute 'peer'): Invalid argument" \
	tier add e1 size 1G
expect "unknown peer in tier add: ENOENT on peer" \
	"Error: peer 'nope' does not exist (attribute 'peer'): No such file or directory" \
	tier add e1 size 1G peer ep,nope
expect "replicas out of range: policy range" \
	"Error: integer out of range (attribute 'replicas', range 1-4): Numerical result out of range" \
	tier add e1 size 1G peer ep replicas 5
expect "window-max out of range: policy range" \
	"Error: integer out of range (attribute 'window-max', range 1-1024): Numerical result out of range" \
	tier set et window-max 0
expect "keepalive out of range: policy range" \
	"Error: integer out of range (attribute 'keepalive', range 10-600000): Numerical result out of range" \
	peer add e1 addr 10.9.0.2 keepalive 5
expect "timeout not above keepalive: blamed on timeout" \
	"Error: timeout (100 ms) must exceed keepalive (1000 ms) (attribute 'timeout'): Invalid argument" \
	peer set ep timeout 100
expect "pool size not a multiple of the slab" \
	"Error: size must be a multiple of the slab size (67108864) (attribute 'size'): Invalid argument" \
	pool add e1 size 100M slab 64M
expect "transport tcp: EOPNOTSUPP on transport" \
	"Error: transport tcp is not implemented yet (attribute 'transport'): Operation not supported" \
	pool add e1 size 64M listen 127.0.0.1:7900 transport tcp
expect "port 0 refused on port" \
	"Error: port must not be 0 (attribute 'port'): Invalid argument" \
	peer add e1 addr 10.9.0.3:0
expect "bad address refused on addr" \
	"Error: addr is not an IPv4 or IPv6 address (attribute 'addr'): Invalid argument" \
	peer add e1 addr not-an-address
expect "nothing to change: message without attribute" \
	"Error: nothing to change: give prefetch, window-max, history, cache-size or resync-rate: Invalid argument" \
	tier set et
expect "peer del while used by a tier: EBUSY" \
	"Error: peer 'ep' is busy: peer is used by a tier (attribute 'name'): Device or resource busy" \
	peer del ep
expect "pool del of a nonexistent pool: ENOENT" \
	"Error: pool 'nope' does not exist (attribute 'name'): No such file or directory" \
	pool del nope
expect "peer del of a nonexistent peer: ENOENT" \
	"Error: peer 'nope' does not exist (attribute 'name'): No such file or directory" \
	peer del nope
expect "tier del of a nonexistent tier: ENOENT" \
	"Error: tier 'nope' does not exist (attribute 'name'): No such file or directory" \
	tier del nope
expect "show of a nonexistent pool: ENOENT, nothing on stdout" \
	"Error: pool 'nope' does not exist (attribute 'name'): No such file or directory" \
	pool show nope
expect "-j show of a nonexistent tier: no JSON on stdout" \
	"Error: tier 'nope' does not exist (attribute 'name'): No such file or directory" \
	-j tier show nope

# A copy of the CLI nobody can execute whatever the checkout's permissions.
cp "$MTIER" "$tmp/mtier" && chmod 755 "$tmp/mtier"
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/mtier" "$@" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
as_nobody pool add x size 1G
check "non-admin pool add: EPERM" fails_with "Error: Operation not permitted"
as_nobody tier del et
check "non-admin tier del: EPERM" fails_with "Error: Operation not permitted"
as_nobody pool show
check "non-admin may still show" succeeded

# ------------------------------------------------------------ usage errors

expect "unknown keyword" "Error: unknown keyword 'frob'" \
	pool add x size 1G frob 1
expect "bad size 12Q" "Error: invalid size '12Q'" pool add x size 12Q
expect "negative size" "Error: invalid size '-1'" pool add x size -1
expect "size overflow" "Error: invalid size '16777216T'" \
	pool add x size 16777216T
expect "missing value" "Error: missing value for 'size'" pool add x size
expect "keyword given twice" "Error: 'size' is given more than once" \
	pool add x size 1G size 2G
expect "bad number" "Error: invalid replicas 'two'" \
	tier add x size 1G peer ep replicas two
expect "bad port" "Error: invalid address '10.0.0.1:70000' (ADDR[:PORT], [IPv6]:PORT or IPv6)" \
	peer add x addr 10.0.0.1:70000
expect "unknown enum value" "Error: unknown prefetch policy 'sometimes'" \
	tier set et prefetch sometimes
expect "ambiguous object" "Error: object 'p' is ambiguous: it could be pool, peer" \
	p show
expect "ambiguous command" "Error: tier command 's' is ambiguous: it could be set, show" \
	tier s et
expect "unknown object" "Error: unknown object 'frob'" frob
expect "unknown option" "Error: unknown option '-x' (try \"mtier -help\")" -x pool
expect "missing name" "Error: missing pool name" pool del
expect "extra argument" "Error: unexpected argument 'extra'" pool show e0 extra
cli -j -p tier set et pre ad
check "the objects are unchanged by refusals" succeeded
cli -j tier show et
check "tier et kept its peer" \
	$PY -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(d[0]["peer"] != ["ep"])' "$out"

# ------------------------------------------------------------ cleanup

cli tier del et
check "cleanup: tier et" succeeded
cli peer del ep
check "cleanup: peer ep" succeeded
cli pool del e0
check "cleanup: pool e0" succeeded

# Only when this script owns the module: the CLI without it.
if [ "$_loaded_here" = 1 ]; then
	rmmod mtier
	_loaded_here=0
	expect "module not loaded" "Error: the mtier module is not loaded (modprobe mtier)" pool
fi

finish
