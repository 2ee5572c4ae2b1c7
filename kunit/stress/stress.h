/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stress.h - the mmshim stress module (mmshim_stress.ko), shared between
 * its files: the families of operations, their counters and the data
 * every context works on. See docs/testing.md ("stress").
 */
#ifndef MMSHIM_STRESS_H
#define MMSHIM_STRESS_H

#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <linux/completion.h>
#include <linux/types.h>
#include "../../src/glue/compat.h" /* kernel-version differences */
#include <ntddk.h>

#define STRESS_TAG 'rtSM'

/*
 * One family of operations in one kind of context. Every operation counts
 * in ops; every failed data or state check in errors, the first one's text
 * is kept. A family that never ran (ops 0) fails unless it is skipped.
 */
enum stress_family {
	/* kernel threads on both CPUs (PASSIVE_LEVEL) */
	F_KLOCK,	/* MmProbeAndLockPages KernelMode, PFNs against the buffer */
	F_NPP,		/* MmBuildMdlForNonPagedPool + MmGetSystemAddressForMdlSafe */
	F_ULOCK,	/* MmProbeAndLockPages UserMode of a process's memory */
	F_SYSMAP_SCATTERED, /* system mappings of scattered pages */
	F_SYSMAP_CONTIG,    /* system mappings of physically contiguous pages */
	F_USERMAP,	/* MmMapLockedPagesSpecifyCache UserMode */
	F_RESERVE,	/* MmAllocateMappingAddress + reserved mappings */
	F_PARTIAL,	/* IoBuildPartialMdl, system and user mappings */
	F_POOL,		/* ExAllocatePool2 / ExFreePoolWithTag */
	F_IOSPACE,	/* MmMapIoSpace of the edu device, registers */
	F_PAGEALLOC,	/* MmAllocatePagesForMdlEx / MmFreePagesFromMdl */
	F_CONTIG,	/* MmAllocateContiguousMemory(SpecifyCache) */
	F_SEH,		/* ExRaiseStatus caught in __try/__except */
	F_SEH_PROBE,	/* a failing MmProbeAndLockPages caught in __try */
	F_RACE_KERNEL,	/* MmUnlockPages vs MmGetSystemAddressForMdlSafe */
	F_RACE_USER,	/* MmUnlockPages vs MmMapLockedPagesSpecifyCache(UserMode) */
	F_RACE_RESERVED, /* MmUnlockPages vs MmMapLockedPagesWithReservedMapping */
	/* timer_list callbacks (softirq: DISPATCH_LEVEL) */
	F_T_MAP,	/* lock nonpaged memory, map, check, unmap, unlock */
	F_T_RESERVE,	/* reserved mapping of a locked MDL */
	F_T_POOL,	/* nonpaged pool */
	F_T_PARTIAL,	/* partial MDL of a locked MDL, mapped */
	F_T_COMPLETE,	/* unlock of MDLs locked by threads (kernel and user memory) */
	F_T_PAGEALLOC,	/* MmAllocatePagesForMdlEx, mapped, freed */
	F_T_SEH,	/* ExRaiseStatus caught in __try */
	/* hrtimer callbacks (hard interrupt: DIRQL) */
	F_H_IO,		/* edu registers through a mapping made at PASSIVE */
	F_H_READ,	/* reads through a system mapping, MmGetPhysicalAddress */
	F_H_SEH,	/* ExRaiseStatus caught in __try */
	F_COUNT
};

struct stress_fam {
	const char *name;
	const char *context;
	atomic_long_t ops;
	atomic_long_t errors;
	atomic_long_t nulls; /* a NULL a context may legitimately get (atomic pool empty) */
	const char *skip;    /* why it does not run, or NULL */
	atomic_t first_taken;
	char first[200];
};

extern struct stress_fam stress_fams[F_COUNT];
extern bool stress_stop;	/* set when the run ends */
extern struct mm_struct *stress_mm; /* the loading process's address space */

/* Record a failed check of family @f (any context). */
void stress_fail(enum stress_family f, const char *fmt, ...) __printf(2, 3);
static inline void stress_op(enum stress_family f)
{
	atomic_long_inc(&stress_fams[f].ops);
}
/* CHECK: count an error (with the condition's text) when @cond is false. */
#define CHECK(f, cond, fmt, ...)                                                       \
	({                                                                             \
		bool __ok = !!(cond);                                                  \
		if (!__ok)                                                             \
			stress_fail((f), "%s:%d: " fmt, __func__, __LINE__, ##__VA_ARGS__); \
		__ok;                                                                  \
	})

/* Cheap per-call pseudo-random numbers (any context). */
u32 stress_rand(u32 range);
/* Byte @i of the pattern derived from @seed. */
static inline u8 stress_pattern(size_t i, u32 seed)
{
	return (u8)((seed >> ((i & 3) * 8)) ^ i ^ (i >> 8) ^ (i >> 16));
}
/* Fill / compare @len bytes with the pattern of @seed. */
void stress_fill(void *p, size_t len, u32 seed);
/* Offset of the first wrong byte, or -1 if all are right; _from compares
 * with the pattern starting at its byte @start. */
long stress_cmp(const void *p, size_t len, u32 seed);
long stress_cmp_from(const void *p, size_t len, u32 seed, size_t start);
/* Compare the bytes an MDL describes, read through the kernel's linear map
 * of its PFN entries (not through any mmshim mapping), with the pattern. */
long stress_mdl_linear_cmp(PMDL mdl, u32 seed);
/* PFN of a kernel address (linear map or vmalloc). */
unsigned long stress_kva_pfn(const void *va);

/* The edu device: BAR 0, mapped once at PASSIVE for interrupt contexts. */
extern u64 stress_edu_bar, stress_edu_len;
extern volatile u32 *stress_edu_regs;
extern raw_spinlock_t stress_edu_lock; /* the inverse register, 0x04 */
extern struct mutex stress_edu_factorial; /* the factorial register, 0x08 */
/* Write @v to the inverse register and read it back (any context). */
bool stress_edu_inverse(volatile u32 *regs, u32 v);

/* Thread-locked MDLs handed to the timers for unlock (as DPCs complete I/O). */
struct stress_completion {
	struct list_head link;
	PMDL mdl;       /* locked; the timer unlocks it and frees it */
	ULONG len;
	u32 seed;       /* what the thread wrote */
	u32 reply;      /* what the timer writes back */
	bool replied;   /* the timer got a mapping and wrote reply */
	bool ok;        /* what the timer read through its mapping was seed */
	struct completion done;
};
void stress_queue_completion(struct stress_completion *c);
/* The timers' side: the oldest queued completion, or NULL (any context). */
struct stress_completion *stress_take_completion(void);
/* Wait for the timer; on stop, unlock in the thread. FALSE on timeout. */
bool stress_wait_completion(struct stress_completion *c);

/* stress_threads.c */
int stress_threads_start(unsigned int workers);
void stress_threads_stop(void);
/* stress_irq.c */
int stress_irq_start(unsigned int hrtimer_us);
void stress_irq_stop(void);
extern bool stress_irq_seh;

/* Run @fn(@arg) in __try; returns the status it raised or STATUS_SUCCESS. */
NTSTATUS stress_seh_probe(PMDL mdl, KPROCESSOR_MODE mode, LOCK_OPERATION op);
/* ExRaiseStatus(@code) @depth calls deep inside two nested __try blocks,
 * whose inner filter declines the exception if @inner_declines; checks
 * which __except ran, the code, and that nothing after the raise ran. */
void stress_seh_round(enum stress_family f, NTSTATUS code, unsigned int depth, bool inner_declines);

#endif
