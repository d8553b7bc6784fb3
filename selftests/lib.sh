# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of the mtier shell selftests.  Source it; it sets ROOT,
# MTIER (the CLI) and MTIER_KO, and provides KTAP-style checks.

ksft_pass=0
ksft_fail=1
ksft_skip=4

ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
MTIER=${MTIER:-$ROOT/user/mtier}
MTIER_KO=${MTIER_KO:-$ROOT/mtier.ko}
PY=/usr/bin/python3

_checks=0
_failed=0
_loaded_here=0

# check DESCRIPTION COMMAND...: run COMMAND, report ok/not ok.
check() {
	desc=$1
	shift
	_checks=$((_checks + 1))
	if "$@" >/tmp/check.out 2>&1; then
		echo "ok $_checks $desc"
	else
		_failed=$((_failed + 1))
		echo "not ok $_checks $desc"
		sed 's/^/#   /' /tmp/check.out
	fi
}

# check_fail DESCRIPTION COMMAND...: COMMAND must fail.
check_fail() {
	desc=$1
	shift
	check "$desc" sh -c '! "$@"' sh "$@"
}

skip() {
	echo "# SKIP: $*"
	exit $ksft_skip
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "must run as root"
}

# Load the module from the checkout unless it is loaded already.
mtier_load() {
	require_root
	[ -f "$MTIER_KO" ] || skip "$MTIER_KO not built"
	[ -x "$MTIER" ] || skip "$MTIER not built"
	if [ ! -d /sys/module/mtier ]; then
		mtier_insmod || exit $ksft_fail
		_loaded_here=1
	fi
}

# insmod does not load dependencies: load what modinfo says first.
# Arguments are module parameters.
mtier_insmod() {
	local dep
	for dep in $(modinfo -F depends "$MTIER_KO" | tr , ' '); do
		modprobe -q "$dep" || return 1
	done
	insmod "$MTIER_KO" "$@"
}

mtier_unload_if_loaded_here() {
	[ $_loaded_here = 1 ] && rmmod mtier
	_loaded_here=0
}

# Delete every object, tiers first.
mtier_flush() {
	for kind in tier peer pool; do
		for name in $("$MTIER" -j "$kind" show | jq -r '.[].name'); do
			"$MTIER" "$kind" del "$name" || return 1
		done
	done
}

# End the test: summary line and exit status.
finish() {
	mtier_unload_if_loaded_here
	echo "# $_checks checks, $_failed failed"
	[ $_failed = 0 ] && exit $ksft_pass
	exit $ksft_fail
}

# --- The data path ------------------------------------------------------

require_rdma() {
	[ -n "${MTIER_RDMA_ADDR:-}" ] ||
		skip "no RDMA device (run in scripts/vm --rdma or --nodes)"
	command -v fio >/dev/null || skip "fio missing"
}

# field KIND NAME EXPR: a value of an object's JSON (with stats), e.g.
#   field pool p0 'o["used"]'      field tier t0 'o["stats"]["reads"]'
# (jq, not python: under TCG and a debug kernel python takes seconds to start)
field() {
	"$MTIER" -j -s "$1" show "$2" | jq -r ".[0]${3#o}"
}

# wait_for TIMEOUT_S COMMAND...: until COMMAND succeeds.
wait_for() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.1
	done
}

field_is() {	# field_is KIND NAME EXPR VALUE
	[ "$(field "$1" "$2" "$3")" = "$4" ]
}

peer_is() {	# peer_is NAME STATE
	[ "$(field peer "$1" 'o["state"]')" = "$2" ]
}

# The block device of a tier.
tier_dev() {
	echo "/dev/$(field tier "$1" 'o["dev"]')"
}

# --- Request timing by the kernel's clock -------------------------------
# What the driver did with each request, from its dispatch to its
# completion (block_rq_issue / block_rq_complete), whatever the test's own
# processes took to start, to be scheduled or to notice.
T=/sys/kernel/tracing

# Enabling a trace event also hooks sched_switch, to record task names,
# which patches the jump label in __schedule() on every CPU.  Under TCG a
# vCPU can still run the int3 of that patch after it is done: the debug
# lane once died of "Oops: int3" in __schedule() (tier_hostile_donor.sh's
# deadqp, 2026-11-29).  Tests need no task names: leave sched_switch be.
trace_no_cmdlines() {
	echo 0 >$T/options/record-cmd 2>/dev/null
	echo 0 >$T/options/record-tgid 2>/dev/null
}

rq_trace_start() {
	[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
	[ -d $T/events/block/block_rq_issue ] || return 1
	trace_no_cmdlines
	echo 0 >$T/tracing_on
	echo >$T/trace
	echo 1 >$T/events/block/block_rq_issue/enable
	echo 1 >$T/events/block/block_rq_complete/enable
	echo 1 >$T/tracing_on
}

# Leaves tracing on, as the kernel boots with it: the tests after this one
# trace too (tier_prefetch.sh after tier_hostile_donor.sh's deadqp in the
# debug lane failed its tracepoint checks when this turned it off).
rq_trace_stop() {
	echo 0 >$T/events/block/block_rq_issue/enable
	echo 0 >$T/events/block/block_rq_complete/enable
	echo 1 >$T/tracing_on
}

# rq_trace_failed DEV: of DEV's requests that failed, prints "N FIRST LAST
# MAX": how many, when the first and the last failed (kernel ms, the
# clock of dmesg), and the longest one spent from dispatch to failure.
rq_trace_failed() {
	local mm
	mm=$(lsblk -dno MAJ:MIN "$1" | tr -d ' ' | tr : ,)
	awk -v dev="$mm" '
		{ j = 0
		  for (i = 1; i <= NF; i++) {
			if ($i ~ /^[0-9]+\.[0-9]+:$/) t = int($i * 1000)
			if ($i == "block_rq_issue:" || $i == "block_rq_complete:") { j = i; break }
		  }
		  if (!j || $(j + 1) != dev) next }
		$j == "block_rq_issue:" { issued[$(j + 5) "+" $(j + 7)] = t; next }
		$NF != "[0]" {
			k = $(j + 4) "+" $(j + 6)
			if (first == "") first = t
			last = t; n++
			if (k in issued && t - issued[k] > max) max = t - issued[k]
		}
		END { printf "%d %s %s %d\n", n, first == "" ? -1 : first, last == "" ? -1 : last, max }
	' $T/trace
}
