#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig_dmesg.sh - check the kernel-splat scanner of scripts/vm offline.
#
#   selftests/rig_dmesg.sh
#
# Runs on the host, no VM needed: feeds typical kernel log lines, both real
# splats and harmless look-alikes, to "scripts/vm --check-dmesg".  Prints
# KTAP; exit status 0 pass, 1 failure.

ck=$(cd "$(dirname "$0")/.." && pwd -P)
vm=$ck/scripts/vm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

# CASE NAME WANT(0 clean, 1 splat) <<< LOG
check() {
	local name=$1 want=$2 got
	n=$((n + 1))
	cat >"$tmp/log"
	"$vm" --check-dmesg "$tmp/log" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		echo "ok $n $name"
	else
		echo "# want $want, got $got:"
		sed 's/^/# /' "$tmp/out" "$tmp/log" | head -n 30
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
}

# Each splat line below is checked on its own, wrapped in harmless boot noise.
splats=(
	'WARNING: CPU: 1 PID: 234 at kernel/pool.c:120 mtier_pool_del+0x9c/0xc0 [mtier]'
	'WARNING: possible circular locking dependency detected'
	'BUG: unable to handle page fault for address: ffffffffc0a01000'
	'BUG: kernel NULL pointer dereference, address: 0000000000000008'
	'BUG: sleeping function called from invalid context at mm/slub.c:4170'
	'BUG: KASAN: slab-use-after-free in mtier_tier_put+0x40/0x90 [mtier]'
	'watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [insmod:123]'
	'BUG kmalloc-64 (Tainted: G           O      ): Poison overwritten'
	'Oops: 0000 [#1] PREEMPT SMP NOPTI'
	'Oops: general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] PREEMPT SMP NOPTI'
	'general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP NOPTI'
	'kernel BUG at kernel/peer.c:77!'
	'Kernel panic - not syncing: Fatal exception'
	'INFO: task kworker/0:1:42 blocked for more than 122 seconds.'
	'Future hung task reports are suppressed, see sysctl kernel.hung_task_warnings'
	'list_add corruption. prev->next should be next (ffff888003a1b2c8), but was 0000000000000000. (prev=ffff888003a1b2c8).'
	'list_del corruption, ffff8880051f2a00->next is LIST_POISON1 (dead000000000100)'
	'refcount_t: underflow; use-after-free.'
	'refcount_t: saturated; leaking memory.'
	'UBSAN: array-index-out-of-bounds in kernel/registry.c:88:9'
	'KASAN: null-ptr-deref in range [0x0000000000000010-0x0000000000000017]'
	'kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)'
	'unreferenced object 0xffff888004b1c000 (size 64):'
	'rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:'
	'rcu: INFO: rcu_preempt self-detected stall on CPU'
	'Watchdog detected hard LOCKUP on cpu 1'
)
harmless='[    0.000000] Linux version 6.12.117+deb12-amd64 (debian-kernel@lists.debian.org)
[    0.000000] Command line: console=ttyS0,115200 panic=-1 mtier_node=0
[    0.410000] RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, data leaks possible!
[    0.420000] Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via Spectre v2 BHB attacks!
[    0.500000] kmemleak: Kernel memory leak detector initialized (mempool available: 16091)
[    0.510000] kmemleak: Automatic memory scanning thread started
[    0.520000] kasan: KernelAddressSanitizer initialized (generic)
[    0.600000] DEBUG: some driver talking
[    1.000000] evm: overlay not supported
[    2.000000] mtier: loading out-of-tree module taints kernel.
[    2.000001] mtier: module verification failed: signature and/or required key missing - tainting kernel
[    2.100000] traps: a.out[321] general protection fault ip:401136 sp:7ffd4d6bf1e0 error:0 in a.out[401000+1000]
[    2.200000] a.out[322]: segfault at 0 ip 0000000000401136 sp 00007ffd4d6bf1e0 error 6 in a.out[401000+1000]
[    2.300000] Oopsie: not a kernel message, just a word
[    2.400000] rcu: Hierarchical RCU implementation.'

echo "TAP version 13"
echo "1..$((${#splats[@]} + 10))"

check harmless_boot_noise 0 <<<"$harmless"
for s in "${splats[@]}"; do
	check "splat: ${s:0:50}" 1 <<<"$harmless
[   12.345678] $s
$harmless"
done

check printk_caller_prefix 1 <<<"[   12.345678] [  T123] WARNING: CPU: 0 PID: 123 at kernel/main.c:1 f+0x1/0x2"

# A stack dump nobody announced is a bug (e.g. a stray dump_stack()).
check bare_call_trace 1 <<<"$harmless
[    5.000000] CPU: 0 UID: 0 PID: 99 Comm: insmod Tainted: G           O       6.12.117+deb12-amd64 #1  Debian 6.12.117-1~deb12u1
[    5.000001] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[    5.000002] Call Trace:
[    5.000003]  <TASK>
[    5.000004]  dump_stack_lvl+0x5d/0x80
[    5.000005]  </TASK>"

# Dumps asked for on purpose are not.
check fault_injection_dump 0 <<<"$harmless
[    5.000000] FAULT_INJECTION: forcing a failure.
[    5.000000] name failslab, interval 1, probability 0, space 0, times 0
[    5.000000] CPU: 0 UID: 0 PID: 99 Comm: mtier Tainted: G           O       6.12.117+deb12-amd64 #1  Debian 6.12.117-1~deb12u1
[    5.000001] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[    5.000002] Call Trace:
[    5.000003]  <TASK>
[    5.000004]  dump_stack_lvl+0x5d/0x80
[    5.000005]  should_fail_ex+0x1a0/0x1f0
[    5.000006]  </TASK>"

check sysrq_show_state 0 <<<"$harmless
[    6.000000] sysrq: Show State
[    6.000001] task:swapper/0       state:R  running task     stack:0     pid:0     tgid:0     ppid:0      flags:0x00004000
[    6.000002] Call Trace:
[    6.000003]  <TASK>
[    6.000004]  __schedule+0x3f0/0xb40
[    6.000005]  </TASK>
[    6.000006] task:kthreadd        state:S stack:0     pid:2     tgid:2     ppid:0      flags:0x00004000
[    6.000007] Call Trace:
[    6.000008]  <TASK>
[    6.000009]  </TASK>"

nmi='[    7.000000] sysrq: Show backtrace of all active CPUs
[    7.000001] NMI backtrace for cpu 1
[    7.000002] CPU: 1 UID: 0 PID: 0 Comm: swapper/1 Not tainted 6.12.117+deb12-amd64 #1  Debian 6.12.117-1~deb12u1'
for r in RIP Code RSP RAX RDX RBP R10 R13 FS CS CR2 DR0 DR3 PKRU; do
	nmi+=$'\n'"[    7.000003] $r: 0000000000000000"
done
nmi+='
[    7.000004] Call Trace:
[    7.000005]  <NMI>
[    7.000006]  </NMI>
[    7.000007]  <TASK>
[    7.000008]  </TASK>'
check sysrq_nmi_backtrace 0 <<<"$harmless
$nmi"

# ...but a benign dump does not excuse the next, unannounced one.
check call_trace_after_benign_dump 1 <<<"$nmi
[    8.000000] CPU: 0 UID: 0 PID: 99 Comm: insmod Tainted: G           O       6.12.117+deb12-amd64 #1
[    8.000001] Call Trace:
[    8.000002]  <TASK>
[    8.000003]  </TASK>"

# The lists can be extended from the environment.
n=$((n + 1))
echo "[    9.000000] mtier: invariant violated" >"$tmp/log"
if ! MTIER_VM_DMESG_EXTRA='invariant violated' "$vm" --check-dmesg "$tmp/log" >/dev/null; then
	echo "ok $n extra_pattern"
else
	echo "not ok $n extra_pattern"
	failed=$((failed + 1))
fi
n=$((n + 1))
echo "[    9.000000] WARNING: expected by this test" >"$tmp/log"
if MTIER_VM_DMESG_IGNORE='WARNING: expected by' "$vm" --check-dmesg "$tmp/log" >/dev/null; then
	echo "ok $n ignore_pattern"
else
	echo "not ok $n ignore_pattern"
	failed=$((failed + 1))
fi

n=$((n + 1))
if "$vm" --check-dmesg "$tmp/log" | grep -q ':1: .*WARNING: expected by this test'; then
	echo "ok $n prints_offending_line"
else
	echo "not ok $n prints_offending_line"
	failed=$((failed + 1))
fi

echo "# $failed of $n failed"
[ $failed = 0 ]
