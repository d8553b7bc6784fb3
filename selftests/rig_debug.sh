#!/bin/bash
# shellcheck disable=SC2034 # out, err, con are used in eval'd conditions
# SPDX-License-Identifier: GPL-2.0
#
# rig_debug.sh - scripts/vm --kernel-dir on the check-debug lane's kernel.
#
#   selftests/rig_debug.sh [DIR]    # on the host; ~10 VMs, ~6 min
#
# DIR is a kernel directory as scripts/debug-kernel leaves it; by default
# the one it would build for this checkout.  Never builds: skips (exit 4)
# unless DIR/.done exists.  Boots that kernel and checks the command line
# (acpi=noirq, no5lvl, --append), the module tree, debugfs (kmemleak, fault
# injection), rig_smoke.sh with --rdma and rig_multinode.sh with --nodes 2,
# that the explicit --boot-timeout wins, and with a small test module built
# against DIR/src that the dmesg scan catches real lockdep, RCU, atomic
# sleep and KASAN reports and that --kmemleak / --kmemleak-fails handle a
# real leak.  Prints KTAP; exit status 0 pass, 1 failure, 4 skip.

ck=$(cd "$(dirname "$0")/.." && pwd -P)
vm=$ck/scripts/vm
n=0
failed=0
runs=0

echo "TAP version 13"

kd=${1:-}
if [ -z "$kd" ]; then
	# As scripts/debug-kernel names it.
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null)
	hash=$(sha256sum "$ck/scripts/debug-kernel.config" | cut -c1-12)
	cache=${MTIER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mtier}
	kd=$cache/debug-kernel-$ver-$hash
fi
if [ ! -e "$kd/.done" ]; then
	echo "1..0 # SKIP no debug kernel in $kd (scripts/debug-kernel builds it)"
	exit 4
fi
kd=$(cd "$kd" && pwd -P)
read -r krel <"$kd/kernel.release"
echo "# kernel $krel from $kd"

# Not under /tmp: the guest has its own tmpfs there, and the test module
# must be visible in the guest (the host root is, read-only).
tmp=$(mktemp -d /var/tmp/rig_debug.XXXXXX)
cleanup() {
	if pgrep -f "$tmp/" >/dev/null; then
		echo "# leftover processes:"
		pgrep -af "$tmp/" | sed 's/^/#   /'
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# vm ARGS...: run scripts/vm on the debug kernel with a fresh --keep dir;
# sets rc, out, err, secs, con (node 0's console log) and up (the guest's
# uptime when it was ready, from that log)
vm() {
	runs=$((runs + 1))
	local t0=$SECONDS
	rd=$tmp/run$runs
	"$vm" --keep "$rd" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	secs=$((SECONDS - t0))
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	con=$(cat "$rd/node0/console.log" 2>/dev/null)
	up=$(sed -n 's/^\[\([0-9.]*\)\] vm-guest\[node0\]: up .*/\1/p' "$rd/node0/console.log" 2>/dev/null)
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

skip() {	# NAME REASON
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

echo "1..15"

vm --kernel-dir "$kd" --append 'rig.probe=1' -- 'cat /proc/cmdline; uname -r
	ls -d /sys/kernel/debug/kmemleak /sys/kernel/debug/failslab \
		/sys/kernel/debug/fail_page_alloc
	cat /sys/bus/pci/devices/*/class | grep -c "^0x02" || :
	findmnt -n -o FSTYPE,SOURCE "/lib/modules/$(uname -r)" | tr -s " "
	modprobe -a dummy veth brd null_blk && lsmod | grep -c "^\(dummy\|veth\|brd\|null_blk\) "
	grep -c " la57" /proc/cpuinfo || :'
echo "# boot + trivial command: ${secs}s, guest up at ${up}s of uptime"
lines() { printf '%s\n' "$out" | sed -n "$1p"; }
t cmdline_acpi_noirq_no5lvl_append \
	'[ $rc = 0 ] && [[ " $(lines 1) " = *" acpi=noirq no5lvl "*" rig.probe=1 "* ]]'
t booted_kernel_dir_release '[ "$(lines 2)" = "$krel" ]'
t debugfs_kmemleak_and_fault_injection \
	'[ "$(lines 3,5 | tr "\n" " ")" = "/sys/kernel/debug/fail_page_alloc /sys/kernel/debug/failslab /sys/kernel/debug/kmemleak " ]'
# Network controllers (PCI class 0x02): no emulated NIC.
t no_nic '[ "$(lines 6)" = 0 ]'
t no_5level_paging '[ "$(lines 9)" = 0 ]'
t module_tree_bound_from_host \
	'[[ "$(lines 7)" = "9p hostroot[$kd/root/lib/modules/$krel]" ]] && [ "$(lines 8)" = 4 ]'

vm --kernel-dir "$kd" --rdma -- selftests/rig_smoke.sh
t rig_smoke_rdma '[ $rc = 0 ]'
echo "# rig_smoke.sh --rdma: ${secs}s"

vm --kernel-dir "$kd" --nodes 2 -- selftests/rig_multinode.sh
t rig_multinode_2_nodes '[ $rc = 0 ]'
echo "# 2-node rig_multinode.sh: ${secs}s"

vm --kernel-dir "$kd" --boot-timeout 3 -- true
t explicit_boot_timeout_wins \
	'[ $rc = 125 ] && grep -q "did not come up within 3s" "$tmp/err" && [ $secs -lt 60 ]'

# The test module: each bug=NAME makes one kernel checker report once.
mkdir -p "$tmp/mod"
cat >"$tmp/mod/rig_bug.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
/* Provoke one kernel checker on load; for selftests/rig_debug.sh only. */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *bug = "";
module_param(bug, charp, 0444);

static DEFINE_MUTEX(rig_a);
static DEFINE_MUTEX(rig_b);
static DEFINE_SPINLOCK(rig_spin);
static int __rcu *rig_ptr;
static void *rig_kept;

/*
 * Not __init, so that kmemleak's backtrace names it once init is freed;
 * and no tail call to kmalloc, or this frame would not be in it either.
 */
static noinline void rig_leak(void)
{
	char *p = kmalloc(100, GFP_KERNEL);

	if (!p)
		return;
	memset(p, 0x5a, 100);
	WRITE_ONCE(rig_kept, p);
	WRITE_ONCE(rig_kept, NULL);	/* and forget it */
}

static noinline void rig_abba(void)
{
	mutex_lock(&rig_a);
	mutex_lock(&rig_b);
	mutex_unlock(&rig_b);
	mutex_unlock(&rig_a);
	mutex_lock(&rig_b);
	mutex_lock(&rig_a);
	mutex_unlock(&rig_a);
	mutex_unlock(&rig_b);
}

static noinline void rig_rcu(void)
{
	int *p = rcu_dereference(rig_ptr);	/* no rcu_read_lock() */

	OPTIMIZER_HIDE_VAR(p);
}

static noinline void rig_sleep(void)
{
	spin_lock(&rig_spin);
	might_sleep();
	spin_unlock(&rig_spin);
}

static noinline void rig_uaf(void)
{
	int *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return;
	kfree(p);
	OPTIMIZER_HIDE_VAR(p);
	pr_info("rig_bug: read %d after free\n", READ_ONCE(*p));
}

static int __init rig_bug_init(void)
{
	if (!strcmp(bug, "leak"))
		rig_leak();
	else if (!strcmp(bug, "abba"))
		rig_abba();
	else if (!strcmp(bug, "rcu"))
		rig_rcu();
	else if (!strcmp(bug, "sleep"))
		rig_sleep();
	else if (!strcmp(bug, "uaf"))
		rig_uaf();
	else
		return -EINVAL;
	return 0;
}
module_init(rig_bug_init);

MODULE_DESCRIPTION("provoke kernel checkers for the VM rig's selftest");
MODULE_LICENSE("GPL");
EOF
echo 'obj-m := rig_bug.o' >"$tmp/mod/Kbuild"
ko=$tmp/mod/rig_bug.ko
if ! make -s -C "$kd/src" M="$tmp/mod" modules >"$tmp/mod/build.log" 2>&1 ||
	[ ! -f "$ko" ]; then
	sed 's/^/# /' "$tmp/mod/build.log" | tail -n 20
	for c in kmemleak_info kmemleak_fails lockdep_abba rcu_suspicious \
		sleep_in_atomic kasan_uaf; do
		skip "$c" "cannot build the test module"
	done
else
	vm --kernel-dir "$kd" --kmemleak -- "insmod $ko bug=leak"
	echo "# leak + --kmemleak: ${secs}s;$(grep -o ' kmemleak: scanned twice in .*' "$rd/node0/console.log")"
	t kmemleak_info '[ $rc = 0 ] && grep -q "\[rig_bug\]" "$rd/node0/kmemleak" &&
		grep -q "kmemleak lists [1-9][0-9]* suspected leak(s), not counted" "$tmp/err" &&
		grep -q "(info) .*kmemleak: [1-9][0-9]* new suspected" "$tmp/err"'

	vm --kernel-dir "$kd" --kmemleak-fails -- "insmod $ko bug=leak"
	t kmemleak_fails '[ $rc = 1 ] && grep -q "kmemleak reports [1-9]" "$tmp/err" &&
		grep -q "\[rig_bug\]" "$rd/node0/kmemleak"'

	# Also: the kernel directory from the environment; no kmemleak scan
	# without --kmemleak.
	MTIER_VM_KERNEL_DIR=$kd vm -- "insmod $ko bug=abba"
	t lockdep_abba '[ $rc = 1 ] &&
		grep -q "WARNING: possible circular locking dependency detected" "$tmp/err" &&
		[ -e "$rd/node0/kmemleak" ] && [[ $con != *"kmemleak: scanned"* ]]'

	vm --kernel-dir "$kd" -- "insmod $ko bug=rcu"
	t rcu_suspicious '[ $rc = 1 ] && grep -q "WARNING: suspicious RCU usage" "$tmp/err"'

	vm --kernel-dir "$kd" -- "insmod $ko bug=sleep"
	t sleep_in_atomic '[ $rc = 1 ] &&
		grep -q "BUG: sleeping function called from invalid context" "$tmp/err"'

	vm --kernel-dir "$kd" -- "insmod $ko bug=uaf"
	t kasan_uaf '[ $rc = 1 ] && grep -q "BUG: KASAN: slab-use-after-free in rig_uaf" "$tmp/err"'
fi

echo "# $failed of $n failed"
[ $failed = 0 ]
