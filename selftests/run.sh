#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run mtier selftests and print KTAP, the way the kselftest runner does:
# each test's output is prefixed with "# ", then one result line.  A test
# exiting 4 is a skip.  Each test gets the timeout from ./settings, and the
# kernel log it produced is checked for splats with the rig's scanner: a
# test that makes the kernel warn or oops fails even if it passed itself.
#
# Usage: run.sh TEST...        (exit status: 0 if nothing failed)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT/selftests" || exit 1
. ./lib.sh

timeout=${MTIER_TEST_TIMEOUT:-$(sed -n 's/^timeout=//p' settings)}

# With MTIER_KMEMLEAK=1 on a kernel with kmemleak, every test is followed
# by two scans (a leak is reported on the second scan that finds it, and
# only once it is ~5 s old); a leak allocated by mtier fails the test.
# With MTIER_KMEMLEAK=end the scans come once, after the last test, and
# are a result of their own: the same leaks, found without knowing which
# test made them, at a twelfth of the time.
leakcheck=0
kml=/sys/kernel/debug/kmemleak
case ${MTIER_KMEMLEAK:-0} in
1) leakcheck=1 ;;
end) leakcheck=end ;;
esac
if [ $leakcheck != 0 ] && [ -w $kml ]; then
	echo scan=off >$kml	# only our scans, between tests
	echo clear >$kml
else
	leakcheck=0
fi

# Print the kmemleak reports that are ours: named [mtier] in a backtrace,
# or with an address no symbol resolves any more (an unloaded module).
our_leaks() {
	echo scan >$kml
	sleep 6
	echo scan >$kml
	awk '
		/^unreferenced object/ { if (ours) printf "%s", rep; rep = ""; ours = 0 }
		{ rep = rep $0 "\n" }
		/\[mtier\]/ || /^ +0xffffffff[0-9a-f]+$/ { ours = 1 }
		END { if (ours) printf "%s", rep }' $kml
	echo clear >$kml
}

# The C tests talk to a loaded module; script tests manage it themselves.
if [ ! -d /sys/module/mtier ] && [ -f "$MTIER_KO" ] && [ "$(id -u)" = 0 ]; then
	mtier_insmod || exit 1
fi

echo "TAP version 13"
if [ $leakcheck = end ]; then
	echo "1..$(($# + 1))"
else
	echo "1..$#"
fi
n=0
failed=0
for t in "$@"; do
	n=$((n + 1))
	echo "# selftests: mtier: $t"
	# What the test makes the kernel say: after this marker (or all of
	# the buffer if the test said so much that the marker is gone).
	mark="mtier-selftest: $n $t $RANDOM"
	echo "$mark" >/dev/kmsg 2>/dev/null
	t0=$(date +%s)
	timeout --foreground -k 10 "$timeout" "./$t" 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	echo "# $t took $(($(date +%s) - t0))s"
	if [ $leakcheck = 1 ]; then
		leaks=$(our_leaks)
		if [ -n "$leaks" ]; then
			echo "# kmemleak after $t:"
			echo "$leaks" | head -n 60 | sed 's/^/#   /'
			[ $rc = 0 ] || [ $rc = 4 ] && rc=98
		fi
	fi
	# The rig's scanner decides what a splat is (scripts/vm DMESG_BAD).
	dmesg 2>/dev/null | awk -v m="$mark" '
		index($0, m) { n = 0; next } { l[++n] = $0 }
		END { for (i = 1; i <= n; i++) print l[i] }' >/tmp/run.dmesg
	if ! new=$("$ROOT/scripts/vm" --check-dmesg /tmp/run.dmesg 2>&1); then
		echo "# kernel log after $t:"
		echo "$new" | head -n 40 | sed 's/^/#   /'
		# and the first splat whole, for whoever reads a CI log
		first=$(echo "$new" | sed -n '1s/^[^:]*:\([0-9]*\):.*/\1/p')
		[ -n "$first" ] && sed -n "$((first > 5 ? first - 5 : 1)),$((first + 120))p" \
			/tmp/run.dmesg | sed 's/^/#   | /'
		[ $rc = 0 ] || [ $rc = 4 ] && rc=99
	fi
	case $rc in
	0)   echo "ok $n selftests: mtier: $t" ;;
	4)   echo "ok $n selftests: mtier: $t # SKIP" ;;
	124) echo "not ok $n selftests: mtier: $t # TIMEOUT $timeout seconds"
	     failed=$((failed + 1)) ;;
	98)  echo "not ok $n selftests: mtier: $t # memory leak"
	     failed=$((failed + 1)) ;;
	99)  echo "not ok $n selftests: mtier: $t # kernel splat"
	     failed=$((failed + 1)) ;;
	*)   echo "not ok $n selftests: mtier: $t # exit=$rc"
	     failed=$((failed + 1)) ;;
	esac
done
if [ $leakcheck = end ]; then
	n=$((n + 1))
	leaks=$(our_leaks)
	if [ -z "$leaks" ]; then
		echo "ok $n kmemleak: nothing of mtier's leaked"
	else
		echo "$leaks" | head -n 60 | sed 's/^/#   /'
		echo "not ok $n kmemleak: memory leak"
		failed=$((failed + 1))
	fi
fi
[ $failed = 0 ]
