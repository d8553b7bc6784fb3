#!/bin/bash
# shellcheck disable=SC2034 # out, err and left are used in eval'd conditions
# SPDX-License-Identifier: GPL-2.0
#
# rig_selftest.sh - prove that scripts/vm keeps its promises.
#
#   selftests/rig_selftest.sh          # on the host; boots ~12 VMs, ~2-3 min
#
# Runs the offline splat-scanner test (rig_dmesg.sh), then scripts/vm itself:
# exit statuses, output streams, argv and --env passing, --append and the
# absence of emulated NICs, --kernel-dir's checks, the dmesg check (and
# --no-dmesg-check), harmless sysrq dumps, the timeout, boot and crash
# detection, the in-guest checks of rig_smoke.sh (--rdma) and
# rig_multinode.sh (--nodes 2), the dmesg check of nodes killed and started
# again (scripts/vm-node), and that no QEMU is left behind.
# Prints KTAP; exit status 0 pass, 1 failure.  selftests/rig_debug.sh does
# the same for the debug kernel (--kernel-dir).

ck=$(cd "$(dirname "$0")/.." && pwd -P)
vm=$ck/scripts/vm
tmp=$(mktemp -d /tmp/rig_selftest.XXXXXX)
n=0
failed=0
runs=0

cleanup() {
	# Nothing of ours may still run; say so loudly if it does.
	if pgrep -f "$tmp/" >/dev/null; then
		echo "# leftover processes:"
		pgrep -af "$tmp/" | sed 's/^/#   /'
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# vm ARGS...: run scripts/vm with a fresh --keep dir; sets rc, out, err, secs
vm() {
	runs=$((runs + 1))
	local t0=$SECONDS
	"$vm" --keep "$tmp/run$runs" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	secs=$((SECONDS - t0))
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

result() {	# OK(0/1) NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "# rc=$rc after ${secs}s"
		{ echo "stdout:"; cat "$tmp/out"; echo "stderr:"; cat "$tmp/err"; } |
			tail -n 40 | sed 's/^/#   /'
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

t() {	# NAME COND: result of evaluating the shell condition COND
	if eval "$2"; then result 0 "$1"; else result 1 "$1"; fi
}

echo "TAP version 13"
echo "1..21"

"$ck/selftests/rig_dmesg.sh" >"$tmp/out" 2>"$tmp/err"
rc=$?
secs=0
t dmesg_scanner '[ $rc = 0 ]'

vm -- 'exit 3'
t exit_status '[ $rc = 3 ]'

vm -- 'echo to-out; echo to-err >&2; echo t >/proc/sysrq-trigger;
	echo l >/proc/sysrq-trigger; echo w >/proc/sysrq-trigger'
t streams_and_benign_dumps \
	'[ $rc = 0 ] && [ "$out" = to-out ] && grep -qx to-err "$tmp/err"'
echo "# single VM boot + trivial command: ${secs}s"

vm --env 'RIG_FOO=x y' -- printf '<%s>' 'a b' "it's" 'c$d' '$RIG_FOO'
t argv_form '[ $rc = 0 ] && [ "$out" = "<a b><it'\''s><c\$d><\$RIG_FOO>" ]'

vm --env 'RIG_FOO=x y' --env RIG_BAR= -- 'echo "[$RIG_FOO][${RIG_BAR-unset}]"'
t env_option '[ $rc = 0 ] && [ "$out" = "[x y][]" ]'

# Network controllers (PCI class 0x02): none unless --nodes asks for one.
vm --append 'rig.probe=1 rig.two=a=b' -- 'cat /proc/cmdline
	ls /sys/class/net | tr "\n" " "; echo
	cat /sys/bus/pci/devices/*/class | grep -c "^0x02" || :'
t append_and_no_nic '[ $rc = 0 ] && [ "$(sed -n 2p "$tmp/out")" = "lo " ] &&
	[ "$(sed -n 3p "$tmp/out")" = 0 ] &&
	[[ "$(sed -n 1p "$tmp/out") " = *" mtier_node=0 rig.probe=1 rig.two=a=b "* ]]'

vm --kernel-dir "$tmp/nonexistent" -- true
t kernel_dir_missing '[ $rc = 125 ] && grep -q -- "--kernel-dir: no directory" "$tmp/err"'

mkdir -p "$tmp/kd/src/arch/x86/boot"
: >"$tmp/kd/src/arch/x86/boot/bzImage"
vm --kernel-dir "$tmp/kd" -- true
t kernel_dir_incomplete '[ $rc = 125 ] && grep -q "kernel.release" "$tmp/err" &&
	[ ! -e "$tmp/run$runs/node0" ]'

vm -- 'echo "WARNING: rig selftest" >/dev/kmsg'
t dmesg_check_fails_run \
	'[ $rc = 1 ] && grep -q "WARNING: rig selftest" "$tmp/err"'

vm --no-dmesg-check -- 'echo "WARNING: rig selftest" >/dev/kmsg'
t no_dmesg_check '[ $rc = 0 ]'

vm -- 'echo "BUG: rig selftest" >/dev/kmsg; exit 4'
t splat_fails_skip '[ $rc = 1 ]'

vm --timeout 12 -- 'echo started; sleep 600'
t timeout '[ $rc = 124 ] && [ "$out" = started ] && [ $secs -lt 40 ] &&
	grep -q "Show Blocked State" "$tmp/run$runs/node0/dmesg"'

vm --boot-timeout 1 -- true
t boot_timeout '[ $rc = 125 ] && grep -q "did not come up" "$tmp/err"'

vm -- 'echo c >/proc/sysrq-trigger'
t guest_crash '[ $rc = 125 ] && grep -q "Kernel panic" "$tmp/err"'

vm --rdma -- selftests/rig_smoke.sh
t rig_smoke '[ $rc = 0 ]'

vm --nodes 2 -- selftests/rig_multinode.sh
t rig_multinode '[ $rc = 0 ]'
echo "# 2-node run of rig_multinode.sh: ${secs}s"

vm --nodes 2 -- 'scripts/vm-exec 1 "echo c >/proc/sysrq-trigger"; sleep 60'
t node_crash '[ $rc = 125 ] && grep -q "node1 stopped unexpectedly" "$tmp/err" &&
	[ $secs -lt 50 ]'

# Killing a node (scripts/vm-node) is no failure; what its console showed
# before the kill is still checked, and so is a restarted node's dmesg.
vm --nodes 2 -- 'scripts/vm-node kill 1'
t node_killed_passes '[ $rc = 0 ] && [ -s "$tmp/run$runs/node1/killed.1/console.log" ] &&
	[ -e "$tmp/run$runs/node1/down" ] && ! grep -q "no dmesg saved" "$tmp/err"'

vm --nodes 2 -- 'scripts/vm-exec 1 "echo BUG: rig selftest >/dev/console" &&
	scripts/vm-node kill 1'
t killed_node_console_checked '[ $rc = 1 ] && grep -q "before it was killed" "$tmp/err"'

vm --nodes 2 -- 'scripts/vm-node kill 1 && scripts/vm-node start 1 &&
	scripts/vm-exec 1 "echo WARNING: rig selftest >/dev/kmsg"'
t restarted_node_dmesg_checked '[ $rc = 1 ] &&
	grep -q "node1: kernel splat in dmesg" "$tmp/err" &&
	grep -q "WARNING: rig selftest" "$tmp/run$runs/node1/dmesg"'

sleep 1
left=$(pgrep -af "$tmp/")
t no_leftover_processes '[ -z "$left" ]'

echo "# $failed of $n failed"
[ $failed = 0 ]
