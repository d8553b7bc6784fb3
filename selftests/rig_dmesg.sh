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

# check NAME WANT(0 clean, 1 splat) [OUT-REGEX [VM-OPTION...]] <<< LOG
# With OUT-REGEX, the scanner's output must also match it (grep -E), e.g.
# name the line that should have been caught.
check() {
	local name=$1 want=$2 re=${3:-} got
	shift $(($# < 3 ? $# : 3))
	n=$((n + 1))
	cat >"$tmp/log"
	"$vm" "$@" --check-dmesg "$tmp/log" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" = "$want" ] && { [ -z "$re" ] || grep -qE -- "$re" "$tmp/out"; }; then
		echo "ok $n $name"
	else
		echo "# want $want${re:+ and output matching /$re/}, got $got:"
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
	'BUG: KASAN: wild-memory-access in mtier_peer_get+0x12/0x40 [mtier]'
	'WARNING: suspicious RCU usage'
	'WARNING: possible recursive locking detected'
	'WARNING: inconsistent lock state'
	'WARNING: bad unlock balance detected!'
	'WARNING: lock held when returning to user space!'
	'WARNING: possible irq lock inversion dependency detected'
	'BUG: scheduling while atomic: kworker/0:1/42/0x00000002'
	'BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 33s!'
	'BUG: Bad page state in process insmod  pfn:0a3c1'
	'BUG: MAX_LOCKDEP_CHAIN_HLOCKS too low!'
	'rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:'
	'rcu: INFO: rcu_preempt self-detected stall on CPU'
	'rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21002 jiffies s: 373 root: 0x2/.'
	'Watchdog detected hard LOCKUP on cpu 1'
)
harmless='[    0.000000] Linux version 6.12.117+deb12-amd64 (debian-kernel@lists.debian.org)
[    0.000000] Command line: console=ttyS0,115200 panic=-1 mtier_node=0
[    0.410000] RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, data leaks possible!
[    0.420000] Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via Spectre v2 BHB attacks!
[    0.500000] kmemleak: Kernel memory leak detector initialized (mempool available: 16091)
[    0.510000] kmemleak: Automatic memory scanning thread started
[    0.520000] kasan: KernelAddressSanitizer initialized (generic)
[    0.530000] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar
[    0.530001] ... MAX_LOCKDEP_SUBCLASSES:  8
[    0.530002] ... MAX_LOCK_DEPTH:          48
[    0.540000] ODEBUG: selftest passed
[    0.550000] Running RCU synchronous self tests
[    0.560000] debug_vm_pgtable: [debug_vm_pgtable         ]: Validating architecture page table helpers
[    0.580000] Disabling lock debugging due to kernel taint
[    0.590000] Allocated by task 0 means nothing without a KASAN header
[    0.600000] DEBUG: some driver talking
[    1.000000] evm: overlay not supported
[    2.000000] mtier: loading out-of-tree module taints kernel.
[    2.000001] mtier: module verification failed: signature and/or required key missing - tainting kernel
[    2.100000] traps: a.out[321] general protection fault ip:401136 sp:7ffd4d6bf1e0 error:0 in a.out[401000+1000]
[    2.200000] a.out[322]: segfault at 0 ip 0000000000401136 sp 00007ffd4d6bf1e0 error 6 in a.out[401000+1000]
[    2.300000] Oopsie: not a kernel message, just a word
[    2.400000] rcu: Hierarchical RCU implementation.'

# Whole reports of the debug kernel's checkers (abridged, format of 6.12):
# the report's first line must be the one caught.
lockdep_circular='[   25.100000] 
[   25.100001] ======================================================
[   25.100002] WARNING: possible circular locking dependency detected
[   25.100003] 6.12.117-mtier-debug #1 Tainted: G           O      
[   25.100004] ------------------------------------------------------
[   25.100005] insmod/123 is trying to acquire lock:
[   25.100006] ffffffffc0a02100 (lock_a){+.+.}-{4:4}, at: mtier_abba+0x50/0x90 [mtier]
[   25.100007] 
[   25.100008] but task is already holding lock:
[   25.100009] ffffffffc0a02140 (lock_b){+.+.}-{4:4}, at: mtier_abba+0x40/0x90 [mtier]
[   25.100010] 
[   25.100011] which lock already depends on the new lock.
[   25.100012] 
[   25.100013] the existing dependency chain (in reverse order) is:
[   25.100014] 
[   25.100015] -> #1 (lock_b){+.+.}-{4:4}:
[   25.100016]        __mutex_lock+0x15c/0x1380
[   25.100017]        mtier_abba+0x2c/0x90 [mtier]
[   25.100018] 
[   25.100019] other info that might help us debug this:
[   25.100020] 
[   25.100021]  Possible unsafe locking scenario:
[   25.100022] 
[   25.100023]        CPU0                    CPU1
[   25.100024]        ----                    ----
[   25.100025]   lock(lock_b);
[   25.100026]                                lock(lock_a);
[   25.100027] 
[   25.100028]  *** DEADLOCK ***
[   25.100029] 
[   25.100030] 1 lock held by insmod/123:
[   25.100031]  #0: ffffffffc0a02140 (lock_b){+.+.}-{4:4}, at: mtier_abba+0x40/0x90 [mtier]
[   25.100032] 
[   25.100033] stack backtrace:
[   25.100034] CPU: 0 UID: 0 PID: 123 Comm: insmod Tainted: G           O       6.12.117-mtier-debug #1
[   25.100035] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[   25.100036] Call Trace:
[   25.100037]  <TASK>
[   25.100038]  dump_stack_lvl+0xb0/0xd0
[   25.100039]  print_circular_bug+0x26a/0x330
[   25.100040]  </TASK>'
sleep_in_atomic='[   31.000000] BUG: sleeping function called from invalid context at kernel/peer.c:120
[   31.000001] in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 123, name: insmod
[   31.000002] preempt_count: 1, expected: 0
[   31.000003] RCU nest depth: 0, expected: 0
[   31.000004] 1 lock held by insmod/123:
[   31.000005]  #0: ffffffffc0a02180 (peer_lock){+.+.}-{3:3}, at: mtier_peer_add+0x30/0x100 [mtier]
[   31.000006] CPU: 0 UID: 0 PID: 123 Comm: insmod Tainted: G           O       6.12.117-mtier-debug #1
[   31.000007] Call Trace:
[   31.000008]  <TASK>
[   31.000009]  __might_resched+0x2c4/0x400
[   31.000010]  </TASK>'
rcu_suspicious='[   30.000000] =============================
[   30.000001] WARNING: suspicious RCU usage
[   30.000002] 6.12.117-mtier-debug #1 Tainted: G           O      
[   30.000003] -----------------------------
[   30.000004] kernel/registry.c:88 suspicious rcu_dereference_check() usage!
[   30.000005] 
[   30.000006] other info that might help us debug this:
[   30.000007] 
[   30.000008] rcu_scheduler_active = 2, debug_locks = 1
[   30.000009] no locks held by insmod/123.
[   30.000010] 
[   30.000011] stack backtrace:
[   30.000012] CPU: 1 UID: 0 PID: 123 Comm: insmod Tainted: G           O       6.12.117-mtier-debug #1
[   30.000013] Call Trace:
[   30.000014]  <TASK>
[   30.000015]  lockdep_rcu_suspicious+0x15f/0x1b0
[   30.000016]  </TASK>'
kasan_uaf='[   32.000000] ==================================================================
[   32.000001] BUG: KASAN: slab-use-after-free in mtier_tier_put+0x60/0x80 [mtier]
[   32.000002] Read of size 4 at addr ffff888005a3c010 by task insmod/123
[   32.000003] 
[   32.000004] CPU: 0 UID: 0 PID: 123 Comm: insmod Tainted: G           O       6.12.117-mtier-debug #1
[   32.000005] Call Trace:
[   32.000006]  <TASK>
[   32.000007]  kasan_report+0xc1/0x100
[   32.000008]  </TASK>
[   32.000009] 
[   32.000010] Allocated by task 123:
[   32.000011]  kasan_save_stack+0x30/0x50
[   32.000012] 
[   32.000013] Freed by task 123:
[   32.000014]  kfree+0x125/0x3e0
[   32.000015] 
[   32.000016] The buggy address belongs to the object at ffff888005a3c000
[   32.000017]  which belongs to the cache kmalloc-64 of size 64
[   32.000018] Memory state around the buggy address:
[   32.000019] >ffff888005a3c000: fa fb fb fb fb fb fb fb fc fc fc fc fc fc fc fc
[   32.000020]                          ^
[   32.000021] ==================================================================
[   32.000022] Disabling lock debugging due to kernel taint'
# What a kmemleak scan that finds something logs (the report itself is in
# /sys/kernel/debug/kmemleak, or also in the log with kmemleak.verbose=1).
kmemleak_line='[   40.000000] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)'
kmemleak_verbose='[   40.000001] kmemleak: unreferenced object 0xffff888004b1c000 (size 64):
[   40.000002] kmemleak:   comm "insmod", pid 123, jiffies 4294710000
[   40.000003] kmemleak:   backtrace (crc 5c1ea2d1):
[   40.000004] kmemleak:     __kmalloc_cache_noprof+0x2bd/0x3a0
[   40.000005] kmemleak:     mtier_tier_add+0x3c/0x120 [mtier]'
kmemleak_file='unreferenced object 0xffff888004b1c000 (size 64):
  comm "insmod", pid 123, jiffies 4294710000
  hex dump (first 32 bytes):
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace (crc 5c1ea2d1):
    __kmalloc_cache_noprof+0x2bd/0x3a0
    mtier_tier_add+0x3c/0x120 [mtier]'
# Fault injection (failslab/fail_page_alloc, verbose=2: a stack dump per
# failure) followed by the page allocator's warning with its own dump.
page_alloc_failure='[   50.000001] mtier: page allocation failure: order:0, mode:0xcc0(GFP_KERNEL), nodemask=(null),cpuset=/,mems_allowed=0
[   50.000002] CPU: 0 UID: 0 PID: 99 Comm: mtier Tainted: G           O       6.12.117-mtier-debug #1
[   50.000003] Call Trace:
[   50.000004]  <TASK>
[   50.000005]  warn_alloc+0x1d4/0x2b0
[   50.000006]  </TASK>
[   50.000007] Mem-Info:
[   50.000008] active_anon:1205 inactive_anon:0 isolated_anon:0'
injected='[   49.000000] FAULT_INJECTION: forcing a failure.
[   49.000000] name fail_page_alloc, interval 1, probability 20, space 0, times -1
[   49.000001] CPU: 0 UID: 0 PID: 99 Comm: mtier Tainted: G           O       6.12.117-mtier-debug #1
[   49.000002] Call Trace:
[   49.000003]  <TASK>
[   49.000004]  dump_stack_lvl+0x5d/0x80
[   49.000005]  should_fail_ex+0x1a0/0x1f0
[   49.000006]  </TASK>'

echo "TAP version 13"
echo "1..$((${#splats[@]} + 24))"

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

check lockdep_circular_report 1 ':[0-9]+: .*WARNING: possible circular locking dependency detected' <<<"$harmless
$lockdep_circular"
check sleep_in_atomic_report 1 ':[0-9]+: .*BUG: sleeping function called from invalid context' <<<"$harmless
$sleep_in_atomic"
check rcu_suspicious_report 1 ':[0-9]+: .*WARNING: suspicious RCU usage' <<<"$harmless
$rcu_suspicious"
check kasan_report 1 ':[0-9]+: .*BUG: KASAN: slab-use-after-free in' <<<"$harmless
$kasan_uaf"

# kmemleak: shown, not counted, unless asked for.
check kmemleak_line_is_info 0 '^  \(info\) .*:[0-9]+: .*kmemleak: 2 new suspected' <<<"$harmless
$kmemleak_line
$harmless"
check kmemleak_verbose_is_info 0 '\(info\) .*unreferenced object 0x' <<<"$kmemleak_verbose"
check kmemleak_line_fails_when_asked 1 '^  [^(].*kmemleak: 2 new suspected' --kmemleak-fails <<<"$harmless
$kmemleak_line"
check kmemleak_verbose_fails_when_asked 1 'unreferenced object 0x' --kmemleak-fails <<<"$kmemleak_verbose"
check kmemleak_file_fails_when_asked 1 '' --kmemleak-fails <<<"$kmemleak_file"
check kmemleak_info_and_splat 1 '\(info\).*kmemleak: 2 new' <<<"$kmemleak_line
[   41.000000] WARNING: CPU: 0 PID: 1 at kernel/main.c:1 f+0x1/0x2"
n=$((n + 1))
if MTIER_VM_KMEMLEAK_FAILS=1 "$vm" --check-dmesg - <<<"$kmemleak_line" >/dev/null 2>&1 ||
	[ $? != 1 ]; then
	echo "not ok $n kmemleak_fails_from_environment"
	failed=$((failed + 1))
else
	echo "ok $n kmemleak_fails_from_environment"
fi

# The page allocator's warning about a failure fault injection forced is
# no bug; without fault injection in the log, its stack dump is reported.
check injected_page_alloc_failure 0 <<<"$harmless
$injected
$page_alloc_failure"
check page_alloc_failure_alone 1 ':[0-9]+: .*Call Trace:' <<<"$harmless
$page_alloc_failure"
# Fault injection excuses no other dump.
check call_trace_after_injection 1 <<<"$injected
$page_alloc_failure
[   51.000000] CPU: 0 UID: 0 PID: 99 Comm: mtier Tainted: G           O       6.12.117-mtier-debug #1
[   51.000001] Call Trace:
[   51.000002]  <TASK>
[   51.000003]  </TASK>"

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
