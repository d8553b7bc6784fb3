#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run mtier selftests and print KTAP, the way the kselftest runner does:
# each test's output is prefixed with "# ", then one result line.  A test
# exiting 4 is a skip.  Each test gets the timeout from ./settings, and the
# kernel log it produced is checked for splats: a test that makes the
# kernel warn or oops fails even if it passed itself.
#
# Usage: run.sh TEST...        (exit status: 0 if nothing failed)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT/selftests" || exit 1
. ./lib.sh

timeout=$(sed -n 's/^timeout=//p' settings)
splats='BUG:|WARNING:|Oops|general protection fault|kernel BUG|hung task|blocked for more than|list_add corruption|list_del corruption|refcount_t:|UBSAN:|KASAN:|kmemleak:|Call Trace:'

# The C tests talk to a loaded module; script tests manage it themselves.
if [ ! -d /sys/module/mtier ] && [ -f "$MTIER_KO" ] && [ "$(id -u)" = 0 ]; then
	modprobe -q ib_core 2>/dev/null
	insmod "$MTIER_KO" || exit 1
fi

echo "TAP version 13"
echo "1..$#"
n=0
failed=0
for t in "$@"; do
	n=$((n + 1))
	echo "# selftests: mtier: $t"
	before=$(dmesg 2>/dev/null | wc -l)
	timeout --foreground -k 10 "$timeout" "./$t" 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	new=$(dmesg 2>/dev/null | tail -n +$((before + 1)) | grep -E "$splats")
	if [ -n "$new" ]; then
		echo "# kernel log after $t:"
		echo "$new" | head -n 40 | sed 's/^/#   /'
		[ $rc = 0 ] || [ $rc = 4 ] && rc=99
	fi
	case $rc in
	0)   echo "ok $n selftests: mtier: $t" ;;
	4)   echo "ok $n selftests: mtier: $t # SKIP" ;;
	124) echo "not ok $n selftests: mtier: $t # TIMEOUT $timeout seconds"
	     failed=$((failed + 1)) ;;
	99)  echo "not ok $n selftests: mtier: $t # kernel splat"
	     failed=$((failed + 1)) ;;
	*)   echo "not ok $n selftests: mtier: $t # exit=$rc"
	     failed=$((failed + 1)) ;;
	esac
done
[ $failed = 0 ]
