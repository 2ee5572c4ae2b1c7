// SPDX-License-Identifier: GPL-2.0
/*
 * stress_main.c - mmshim_stress.ko: runs every mmshim routine family at once
 * for `seconds` (kernel threads on every CPU, timer_list callbacks in
 * softirq, hrtimer callbacks in hard interrupt context, threads racing
 * MmUnlockPages against map calls), then checks that every counter mmshim
 * keeps is back where it started and that the only verifier reports are
 * the ones the deliberate races provoke. The run happens inside insmod
 * (module init), whose address space the user-memory families borrow with
 * kthread_use_mm; the results are in /sys/kernel/debug/mmshim_stress/results
 * (tests/vm/stress.sh, docs/testing.md).
 */
#include <linux/module.h>
#include <mmshim/linux.h> /* MMSHIM_IMPORT_NS() */
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/debugfs.h>
#include <linux/pci.h>
#include <linux/kthread.h>
#include <linux/cpumask.h>
#include "stress.h"

static unsigned int seconds = 150;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "How long the stress runs (default 150 s)");
static unsigned int workers = 3;
module_param(workers, uint, 0444);
MODULE_PARM_DESC(workers, "Worker threads per CPU (default 3)");
static unsigned int hrtimer_us = 2000;
module_param(hrtimer_us, uint, 0444);
MODULE_PARM_DESC(hrtimer_us, "hrtimer period in microseconds (default 2000)");
static bool race_kernel;
module_param(race_kernel, bool, 0444);
MODULE_PARM_DESC(race_kernel, "Race MmUnlockPages against system mappings (issue 10 items 5 and 15; default off)");
static bool race_user;
module_param(race_user, bool, 0444);
MODULE_PARM_DESC(race_user, "Race MmUnlockPages against user-mode mappings (issue 10 item 5; default off)");
static bool race_reserved;
module_param(race_reserved, bool, 0444);
MODULE_PARM_DESC(race_reserved, "Race MmUnlockPages against reserved mappings (issue 10 item 5; default off)");
bool stress_irq_seh;
module_param_named(irq_seh, stress_irq_seh, bool, 0444);
MODULE_PARM_DESC(irq_seh, "Raise in __try from timer and hrtimer callbacks (issue 10 item 10; default off)");
static unsigned int race_codes[8];
static int n_race_codes;
module_param_array(race_codes, uint, &n_race_codes, 0444);
MODULE_PARM_DESC(race_codes, "More DRIVER_VERIFIER_DETECTED_VIOLATION subcodes the races may report");

#define FAM(id, n, ctx) [id] = { .name = n, .context = ctx }
struct stress_fam stress_fams[F_COUNT] = {
	FAM(F_KLOCK, "kernel-lock", "thread"),
	FAM(F_NPP, "nonpaged-pool-mdl", "thread"),
	FAM(F_ULOCK, "user-lock", "thread"),
	FAM(F_SYSMAP_SCATTERED, "system-map-scattered", "thread"),
	FAM(F_SYSMAP_CONTIG, "system-map-contiguous", "thread"),
	FAM(F_USERMAP, "user-map", "thread"),
	FAM(F_RESERVE, "reserved-map", "thread"),
	FAM(F_PARTIAL, "partial-mdl", "thread"),
	FAM(F_POOL, "pool", "thread"),
	FAM(F_IOSPACE, "io-space", "thread"),
	FAM(F_PAGEALLOC, "page-alloc", "thread"),
	FAM(F_CONTIG, "contiguous-memory", "thread"),
	FAM(F_SEH, "seh-raise", "thread"),
	FAM(F_SEH_PROBE, "seh-probe-fails", "thread"),
	FAM(F_RACE_KERNEL, "race-unlock-vs-system-map", "thread"),
	FAM(F_RACE_USER, "race-unlock-vs-user-map", "thread"),
	FAM(F_RACE_RESERVED, "race-unlock-vs-reserved-map", "thread"),
	FAM(F_T_MAP, "lock-map-unlock", "timer"),
	FAM(F_T_RESERVE, "reserved-map", "timer"),
	FAM(F_T_POOL, "pool", "timer"),
	FAM(F_T_PARTIAL, "partial-mdl", "timer"),
	FAM(F_T_COMPLETE, "unlock-thread-locked", "timer"),
	FAM(F_T_PAGEALLOC, "page-alloc", "timer"),
	FAM(F_T_SEH, "seh-raise", "timer"),
	FAM(F_H_IO, "io-registers", "hrtimer"),
	FAM(F_H_READ, "read-mapping", "hrtimer"),
	FAM(F_H_SEH, "seh-raise", "hrtimer"),
};

bool stress_stop;
struct mm_struct *stress_mm;
u64 stress_edu_bar, stress_edu_len;
volatile u32 *stress_edu_regs;
DEFINE_RAW_SPINLOCK(stress_edu_lock);
DEFINE_MUTEX(stress_edu_factorial);

void stress_fail(enum stress_family f, const char *fmt, ...)
{
	struct stress_fam *fam = &stress_fams[f];
	va_list ap;

	atomic_long_inc(&fam->errors);
	if (atomic_cmpxchg(&fam->first_taken, 0, 1) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(fam->first, sizeof(fam->first), fmt, ap);
	va_end(ap);
}

static atomic64_t rand_state = ATOMIC64_INIT(0x9E3779B97F4A7C15LL);

u32 stress_rand(u32 range)
{
	u64 z = (u64)atomic64_add_return(0x9E3779B97F4A7C15LL, &rand_state);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return range ? (u32)(z % range) : (u32)z;
}

void stress_fill(void *p, size_t len, u32 seed)
{
	u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = stress_pattern(i, seed);
}

long stress_cmp_from(const void *p, size_t len, u32 seed, size_t start)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != stress_pattern(start + i, seed))
			return (long)i;
	return -1;
}

long stress_cmp(const void *p, size_t len, u32 seed)
{
	return stress_cmp_from(p, len, seed, 0);
}

long stress_mdl_linear_cmp(PMDL mdl, u32 seed)
{
	const PFN_NUMBER *pfns = MmGetMdlPfnArray(mdl);
	size_t done = 0, pos = mdl->ByteOffset;

	while (done < mdl->ByteCount) {
		size_t in_page = pos & ~PAGE_MASK, n = min_t(size_t, PAGE_SIZE - in_page, mdl->ByteCount - done);
		const u8 *lin = (const u8 *)page_address(pfn_to_page(pfns[pos >> PAGE_SHIFT])) + in_page;
		long bad = stress_cmp_from(lin, n, seed, done);

		if (bad >= 0)
			return (long)done + bad;
		done += n;
		pos += n;
	}
	return -1;
}

unsigned long stress_kva_pfn(const void *va)
{
	return is_vmalloc_addr(va) ? vmalloc_to_pfn(va) : page_to_pfn(virt_to_page(va));
}

bool stress_edu_inverse(volatile u32 *regs, u32 v)
{
	unsigned long flags;
	u32 got;

	raw_spin_lock_irqsave(&stress_edu_lock, flags);
	regs[1] = v;
	got = regs[1];
	raw_spin_unlock_irqrestore(&stress_edu_lock, flags);
	return got == ~v;
}

/* ---- Timer completions ------------------------------------------------- */

static DEFINE_SPINLOCK(completion_lock);
static LIST_HEAD(completion_queue);

void stress_queue_completion(struct stress_completion *c)
{
	unsigned long flags;

	init_completion(&c->done);
	c->ok = false;
	spin_lock_irqsave(&completion_lock, flags);
	list_add_tail(&c->link, &completion_queue);
	spin_unlock_irqrestore(&completion_lock, flags);
}

/* Called by the timer: the oldest queued completion, or NULL. */
struct stress_completion *stress_take_completion(void)
{
	struct stress_completion *c = NULL;
	unsigned long flags;

	spin_lock_irqsave(&completion_lock, flags);
	if (!list_empty(&completion_queue)) {
		c = list_first_entry(&completion_queue, struct stress_completion, link);
		list_del_init(&c->link);
	}
	spin_unlock_irqrestore(&completion_lock, flags);
	return c;
}

bool stress_wait_completion(struct stress_completion *c)
{
	unsigned long flags;
	bool queued;

	if (wait_for_completion_timeout(&c->done, 60 * HZ))
		return true;
	/* The timers stopped or fell far behind: take it back if still queued. */
	spin_lock_irqsave(&completion_lock, flags);
	queued = !list_empty(&c->link);
	if (queued)
		list_del_init(&c->link);
	spin_unlock_irqrestore(&completion_lock, flags);
	if (!queued) {
		wait_for_completion(&c->done);
		return true;
	}
	MmUnlockPages(c->mdl);
	IoFreeMdl(c->mdl);
	return false;
}

/* ---- SEH helpers ------------------------------------------------------- */

NTSTATUS stress_seh_probe(PMDL mdl, KPROCESSOR_MODE mode, LOCK_OPERATION op)
{
	volatile NTSTATUS status = STATUS_SUCCESS;

	__try {
		MmProbeAndLockPages(mdl, mode, op);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		status = GetExceptionCode();
	}
	return status;
}

static noinline void raise_at(NTSTATUS code, unsigned int depth, volatile int *after)
{
	if (depth)
		raise_at(code, depth - 1, after);
	else
		ExRaiseStatus(code);
	(*after)++; /* never reached */
}

void stress_seh_round(enum stress_family f, NTSTATUS code, unsigned int depth, bool inner_declines)
{
	volatile int after = 0, inner = 0, outer = 0, tail = 0;
	volatile NTSTATUS got = 0;

	__try {
		__try {
			raise_at(code, depth, &after);
			after += 100;
		} __except (inner_declines ? EXCEPTION_CONTINUE_SEARCH : EXCEPTION_EXECUTE_HANDLER) {
			got = GetExceptionCode();
			inner++;
		}
		tail++; /* runs only when the inner __except handled it */
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		got = GetExceptionCode();
		outer++;
	}
	stress_op(f);
	CHECK(f, after == 0 && got == code && inner == !inner_declines && outer == !!inner_declines &&
		      tail == !inner_declines,
	      "raise 0x%x depth %u declined %d: inner %d outer %d tail %d after %d code 0x%x", (u32)code,
	      depth, inner_declines, inner, outer, tail, after, (u32)got);
}

/* ---- Counters and reports ---------------------------------------------- */

struct counters {
	SIZE_T pool_blocks, pool_bytes, mdls, locked, mapped, user_maps, reservations, io_maps, pages,
		atomic_free;
};

static void read_counters(struct counters *c)
{
	MmshimPoolUsage(&c->pool_blocks, &c->pool_bytes);
	c->mdls = MmshimLiveMdlCount();
	c->locked = MmshimLockedMdlCount();
	c->mapped = MmshimMappedMdlCount();
	c->user_maps = MmshimUserMappingCount();
	c->reservations = MmshimReservedMappingCount();
	c->io_maps = MmshimIoSpaceMappingCount();
	c->pages = MmshimAllocatedPageCount();
	c->atomic_free = MmshimAtomicMapFreePages();
}

#define NCOUNTERS (sizeof(struct counters) / sizeof(SIZE_T))
static const char *const counter_names[NCOUNTERS] = {
	"pool blocks (MmshimPoolUsage)", "pool bytes (MmshimPoolUsage)", "MDLs (MmshimLiveMdlCount)",
	"locked MDLs (MmshimLockedMdlCount)", "mapped MDLs (MmshimMappedMdlCount)",
	"user mappings (MmshimUserMappingCount)", "reservations (MmshimReservedMappingCount)",
	"I/O space mappings (MmshimIoSpaceMappingCount)", "allocated pages (MmshimAllocatedPageCount)",
	"free atomic-pool pages (MmshimAtomicMapFreePages)",
};

/* Report kinds: bug-check code and parameter 1 (ANY: every parameter 1). */
struct report_kind {
	ULONG code;
	ULONG_PTR p1;
	const char *name;
	bool race; /* provoked by a deliberate race: expected while it runs */
	ULONG before;
};

#define VRF(p1, n) { DRIVER_VERIFIER_DETECTED_VIOLATION, p1, n }
static struct report_kind kinds[] = {
	VRF(MMSHIM_VRF_MDL_NOT_LOCKED, "MDL_NOT_LOCKED"),
	VRF(MMSHIM_VRF_MDL_MAPPING_ABANDONED, "MDL_MAPPING_ABANDONED"),
	VRF(MMSHIM_VRF_USER_MAPPING_LIVE, "USER_MAPPING_LIVE"),
	VRF(MMSHIM_VRF_MDL_IN_RESERVATION, "MDL_IN_RESERVATION"),
	VRF(MMSHIM_VRF_NULL_ARGUMENT, "NULL_ARGUMENT"),
	VRF(MMSHIM_VRF_MDL_CORRUPT, "MDL_CORRUPT"),
	VRF(MMSHIM_VRF_MDL_TOO_SMALL, "MDL_TOO_SMALL"),
	VRF(MMSHIM_VRF_IRQL_TOO_HIGH, "IRQL_TOO_HIGH"),
	VRF(MMSHIM_VRF_MDL_ALREADY_LOCKED, "MDL_ALREADY_LOCKED"),
	VRF(MMSHIM_VRF_MDL_FREED_LOCKED, "MDL_FREED_LOCKED"),
	VRF(MMSHIM_VRF_MDL_WRONG_KIND, "MDL_WRONG_KIND"),
	VRF(MMSHIM_VRF_MDL_ALREADY_MAPPED, "MDL_ALREADY_MAPPED"),
	VRF(MMSHIM_VRF_MDL_NOT_MAPPED, "MDL_NOT_MAPPED"),
	VRF(MMSHIM_VRF_MDL_FREED_MAPPED, "MDL_FREED_MAPPED"),
	VRF(MMSHIM_VRF_MDL_FREED_IN_USE, "MDL_FREED_IN_USE"),
	VRF(MMSHIM_VRF_USER_MAPPING_WRONG_PROCESS, "USER_MAPPING_WRONG_PROCESS"),
	VRF(MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE, "USER_MAPPING_PARTIAL_PAGE"),
	VRF(MMSHIM_VRF_IO_NOT_MAPPED, "IO_NOT_MAPPED"),
	VRF(MMSHIM_VRF_PAGES_NOT_ALLOCATED, "PAGES_NOT_ALLOCATED"),
	{ MMSHIM_CALL_FAILED, MMSHIM_ANY_PARAMETER, "CALL_FAILED" },
	{ KMODE_EXCEPTION_NOT_HANDLED, MMSHIM_ANY_PARAMETER, "KMODE_EXCEPTION_NOT_HANDLED" },
	{ NO_MORE_SYSTEM_PTES, MMSHIM_ANY_PARAMETER, "NO_MORE_SYSTEM_PTES" },
	{ BAD_POOL_CALLER, MMSHIM_ANY_PARAMETER, "BAD_POOL_CALLER" },
	{ SYSTEM_PTE_MISUSE, MMSHIM_ANY_PARAMETER, "SYSTEM_PTE_MISUSE" },
	{ INVALID_MDL_RANGE, MMSHIM_ANY_PARAMETER, "INVALID_MDL_RANGE" },
	{ DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_ANY_PARAMETER, "DRIVER_VERIFIER_DETECTED_VIOLATION (all)" },
};
static ULONG extra_before[ARRAY_SIZE(race_codes)];

static ULONG last_sequence(void)
{
	MMSHIM_VERIFIER_REPORT r = {};

	return MmshimVerifierLastReport(&r) ? r.Sequence : 0;
}

/* ---- Results ----------------------------------------------------------- */

static char *results;
static size_t results_len, results_size = 64 * 1024;
static struct debugfs_blob_wrapper results_blob;
static struct dentry *results_dir;
static unsigned int n_pass, n_fail, n_skip;

static __printf(1, 2) void out(const char *fmt, ...)
{
	va_list ap;

	if (!results || results_len >= results_size - 1)
		return;
	va_start(ap, fmt);
	results_len += vscnprintf(results + results_len, results_size - results_len, fmt, ap);
	va_end(ap);
}

static __printf(2, 3) void verdict(int v, const char *fmt, ...)
{
	static const char *const word[] = { "PASS", "FAIL", "SKIP" };
	char line[400];
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	out("%s %s\n", word[v], line);
	if (v == 0)
		n_pass++;
	else if (v == 1)
		n_fail++;
	else
		n_skip++;
}

/* ---- The edu device ---------------------------------------------------- */

static void edu_setup(void)
{
	struct pci_dev *pdev = pci_get_device(0x1234, 0x11e8, NULL);
	u16 cmd;

	if (!pdev)
		return;
	stress_edu_bar = pci_resource_start(pdev, 0);
	stress_edu_len = pci_resource_len(pdev, 0);
	/* Memory decoding only (pci_enable_device routes the interrupt, slow under TCG). */
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	pci_dev_put(pdev);
	if (stress_edu_len < PAGE_SIZE) {
		stress_edu_bar = 0;
		return;
	}
	stress_edu_regs = MmMapIoSpace((PHYSICAL_ADDRESS){ .QuadPart = (LONGLONG)stress_edu_bar },
				       PAGE_SIZE, MmNonCached);
	if (!stress_edu_regs)
		stress_edu_bar = 0;
}

/* ---- The run ----------------------------------------------------------- */

static void mark_skips(void)
{
	const char *no_mm = "the module was not loaded by a user process (no address space to borrow)";
	const char *no_edu = "no edu PCI device (qemu -device edu)";

	if (!stress_mm) {
		stress_fams[F_ULOCK].skip = no_mm;
		stress_fams[F_USERMAP].skip = no_mm;
		stress_fams[F_SEH_PROBE].skip = no_mm;
		stress_fams[F_RACE_USER].skip = no_mm;
	}
	if (!stress_edu_bar) {
		stress_fams[F_IOSPACE].skip = no_edu;
		stress_fams[F_H_IO].skip = no_edu;
	}
	if (!race_kernel)
		stress_fams[F_RACE_KERNEL].skip =
			"off (module parameter race_kernel=0): issue 10 items 5/15, a system mapping made after a racing MmUnlockPages";
	if (!race_user)
		stress_fams[F_RACE_USER].skip =
			"off (module parameter race_user=0): issue 10 item 5, user mappings racing MmUnlockPages";
	if (!race_reserved)
		stress_fams[F_RACE_RESERVED].skip =
			"off (module parameter race_reserved=0): issue 10 item 5, reserved mappings racing MmUnlockPages";
	if (!stress_irq_seh) {
		stress_fams[F_T_SEH].skip =
			"off (module parameter irq_seh=0): issue 10 item 10, __try in softirq";
		stress_fams[F_H_SEH].skip =
			"off (module parameter irq_seh=0): issue 10 item 10, __try in hard interrupts";
	}
	if (num_online_cpus() < 2)
		stress_fams[F_RACE_KERNEL].skip = stress_fams[F_RACE_USER].skip =
			stress_fams[F_RACE_RESERVED].skip = "one CPU: nothing to race";
}

static void run(void)
{
	struct counters before, after;
	SIZE_T *b = (SIZE_T *)&before, *a = (SIZE_T *)&after;
	ULONG seq0, seq1, expected = 0, total;
	unsigned long t0 = jiffies;
	unsigned int i, s;
	int err;

	read_counters(&before);
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		kinds[i].before = MmshimVerifierReportCount(kinds[i].code, kinds[i].p1);
	for (i = 0; i < n_race_codes; i++)
		extra_before[i] = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, race_codes[i]);
	seq0 = last_sequence();

	if (current->mm) {
		mmget(current->mm);
		stress_mm = current->mm;
	}
	edu_setup();
	mark_skips();
	out("STRESS-CONFIG seconds=%u cpus=%u workers/cpu=%u hrtimer_us=%u race_kernel=%d race_user=%d race_reserved=%d irq_seh=%d edu=%s mm=%s\n",
	    seconds, num_online_cpus(), workers, hrtimer_us, race_kernel, race_user, race_reserved, stress_irq_seh,
	    stress_edu_bar ? "yes" : "no", stress_mm ? "yes" : "no");
	pr_info("mmshim-stress: running for %u s on %u CPUs\n", seconds, num_online_cpus());

	err = stress_irq_start(hrtimer_us);
	if (err)
		verdict(1, "setup: timers and hrtimers could not start (%d)", err);
	if (!err) {
		err = stress_threads_start(workers);
		if (err)
			verdict(1, "setup: threads could not start (%d)", err);
	}
	for (s = 0; !err && s < seconds; s++) {
		msleep(1000);
		if ((s + 1) % 30 == 0) {
			long ops = 0;

			for (i = 0; i < F_COUNT; i++)
				ops += atomic_long_read(&stress_fams[i].ops);
			pr_info("mmshim-stress: %u s, %ld operations\n", s + 1, ops);
		}
	}
	WRITE_ONCE(stress_stop, true);
	stress_threads_stop(); /* the timers still run: they complete what threads queued */
	stress_irq_stop();
	if (stress_edu_regs)
		MmUnmapIoSpace((PVOID)stress_edu_regs, PAGE_SIZE);
	stress_edu_regs = NULL;
	if (stress_mm)
		mmput(stress_mm);
	out("STRESS-ELAPSED %u s\n", jiffies_to_msecs(jiffies - t0) / 1000);

	/* Per family: operations, then a verdict. */
	for (i = 0; i < F_COUNT; i++) {
		struct stress_fam *f = &stress_fams[i];
		long ops = atomic_long_read(&f->ops), errors = atomic_long_read(&f->errors);

		out("STRESS-OPS %-8s %-28s %10ld ops %6ld errors %6ld null-in-atomic\n", f->context, f->name,
		    ops, errors, atomic_long_read(&f->nulls));
	}
	for (i = 0; i < F_COUNT; i++) {
		struct stress_fam *f = &stress_fams[i];
		long ops = atomic_long_read(&f->ops), errors = atomic_long_read(&f->errors);

		if (f->skip && !ops)
			verdict(2, "%s/%s: %s", f->context, f->name, f->skip);
		else if (errors)
			verdict(1, "%s/%s: %ld of %ld operations failed a check; first: %s", f->context, f->name,
				errors, ops, f->first);
		else if (!ops)
			verdict(1, "%s/%s: never ran", f->context, f->name);
		else
			verdict(0, "%s/%s: %ld operations, every check correct", f->context, f->name, ops);
	}

	/* Every counter back to its start (deferred work may need a moment). */
	for (s = 0; s < 200; s++) {
		read_counters(&after);
		if (!memcmp(&before, &after, sizeof(before)))
			break;
		msleep(100);
	}
	for (i = 0; i < NCOUNTERS; i++)
		verdict(a[i] != b[i], "counter %s: %zu at start, %zu at end", counter_names[i],
			(size_t)b[i], (size_t)a[i]);

	/* Verifier reports: only the kinds the enabled races provoke. */
	kinds[0].race = kinds[1].race = !stress_fams[F_RACE_KERNEL].skip || !stress_fams[F_RACE_USER].skip ||
					!stress_fams[F_RACE_RESERVED].skip;
	kinds[2].race = !stress_fams[F_RACE_USER].skip;
	kinds[3].race = !stress_fams[F_RACE_RESERVED].skip;
	seq1 = last_sequence();
	total = seq1 - seq0;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		ULONG n = MmshimVerifierReportCount(kinds[i].code, kinds[i].p1) - kinds[i].before;

		if (!n)
			continue;
		out("STRESS-REPORTS 0x%X/%s %s: %u%s\n", kinds[i].code,
		    kinds[i].p1 == MMSHIM_ANY_PARAMETER ? "any" : "", kinds[i].name, n,
		    kinds[i].race ? " (expected from the races)" : "");
		if (kinds[i].race)
			expected += n;
	}
	for (i = 0; i < n_race_codes; i++) {
		ULONG n = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, race_codes[i]) -
			  extra_before[i];

		out("STRESS-REPORTS 0xC4/0x%X (race_codes): %u (expected from the races)\n", race_codes[i], n);
		expected += n;
	}
	if (total > expected) {
		MMSHIM_VERIFIER_REPORT r = {};

		MmshimVerifierLastReport(&r);
		verdict(1, "verifier reports: %u in all, %u of them from the deliberate races, %u unexpected (the last: 0x%X (0x%lx, 0x%lx, 0x%lx, 0x%lx) in %s)",
			total, expected, total - expected, r.BugCheckCode, (unsigned long)r.Parameters[0],
			(unsigned long)r.Parameters[1], (unsigned long)r.Parameters[2],
			(unsigned long)r.Parameters[3], r.Routine ? r.Routine : "?");
	} else {
		verdict(0, "verifier reports: %u in all, every one from the deliberate races", total);
	}
	out("STRESS-RESULT %u %u %u\n", n_pass, n_fail, n_skip);
	pr_info("mmshim-stress: done: %u passed, %u failed, %u skipped\n", n_pass, n_fail, n_skip);
}

static int __init stress_init(void)
{
	results = vzalloc(results_size);
	if (!results)
		return -ENOMEM;
	run();
	results_blob.data = results;
	results_blob.size = results_len;
	results_dir = debugfs_create_dir("mmshim_stress", NULL);
	debugfs_create_blob("results", 0444, results_dir, &results_blob);
	return 0;
}

static void __exit stress_exit(void)
{
	debugfs_remove_recursive(results_dir);
	vfree(results);
}

module_init(stress_init);
module_exit(stress_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Stress test for mmshim: every routine family at once, in every context");
MMSHIM_IMPORT_NS();
