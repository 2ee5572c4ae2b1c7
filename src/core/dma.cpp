// SPDX-License-Identifier: GPL-2.0
// dma.cpp - DMA adapters over MDLs: device objects, IoGetDmaAdapter and the
// DMA_OPERATIONS routines mmshim implements (docs/dma.md).
//
// An adapter is a record around the driver-visible DMA_ADAPTER; a
// scatter/gather list is one block holding the SCATTER_GATHER_LIST the
// driver sees, mmshim's record of it, the page fragments of the transfer
// and the glue's scatterlist. Lists of up to kSmallPages fragments come
// from a few blocks each adapter preallocates, so the common case at
// DISPATCH_LEVEL allocates nothing; larger ones allocate atomically when
// the caller cannot sleep. BuildScatterGatherList puts the block in the
// driver's buffer. Every adapter, list and common buffer is in a table
// keyed by the pointer the driver holds, so a stale or foreign pointer is
// recognised without dereferencing it.
//
// Packet-based DMA: each adapter has one adapter channel and one set of map
// registers (a record in the adapter: MapRegisterBase is its address,
// validated by comparison, never dereferenced from the driver's pointer).
// MapTransfer maps one physically contiguous run with dma_map_page on
// scatter/gather adapters; non-scatter/gather adapters copy through a
// coherent bounce buffer of map_registers pages allocated at
// IoGetDmaAdapter (Windows' map-register buffers). Every run mapped since
// the last FlushAdapterBuffers is recorded (preallocated array).
#include <wdm.h>
#include "dma.h"
#include "dmause.h"
#include "irql.h"
#include "lock.h"
#include "mdl.h"
#include "pagealloc.h"
#include "partial.h"
#include "perm.h"
#include "verifier.h"

namespace mmshim::dma {
namespace {

// Fragments (pages) of a list served from an adapter's preallocated blocks,
// and how many blocks each adapter keeps.
constexpr uptr kSmallPages = 16;
constexpr unsigned kSmallLists = 4;
// MDLs a transfer may run through (bounds a chain that loops).
constexpr uptr kMaxChain = 4096;

struct DeviceObject {
	KeyedLink link; // key: the struct device
};

struct Adapter;

// One scatter/gather list. Block layout: SCATTER_GATHER_LIST with room for
// `capacity` elements, then this record, the fragments, the scatterlist.
struct List {
	KeyedLink link; // key: the SCATTER_GATHER_LIST address (the block)
	Adapter *adapter;
	List *next_free; // in the adapter's cache
	uptr capacity;   // fragments the block holds
	uptr frags;      // fragments mapped
	mmshim_dma_run *run; // per MDL of the chain: its part (capacity: one per fragment)
	uptr runs;
	dmause::Use *use; // per MDL of the chain the list covers: it, and a partial's holder
	uptr uses;
	void *sg_state;
	bool to_device;
	bool cached;     // one of the adapter's preallocated blocks
	bool in_buffer;  // in the driver's buffer (BuildScatterGatherList)
};

struct CommonBuffer {
	KeyedLink link; // key: the virtual address
	Adapter *adapter;
	ULONG length;
	unsigned long long bus;
};

// One run mapped by MapTransfer and not yet flushed.
struct Run {
	unsigned long long bus;
	unsigned long long pfn; // first frame
	const MDL *mdl;         // the MDL its frames come from
	unsigned offset;        // in the first frame
	unsigned length;
	uptr bounce;            // non-SG: offset in the bounce buffer
	bool to_device;
	bool claimed;           // use (and hold) are in dmause's table
	dmause::Use use;
	uptr holder;            // partial MDL: the MDL holding its frames, else 0
	dmause::Use hold;
};

// The adapter's map registers (its only set: MapRegisterBase = &regs).
struct MapRegs {
	bool held;         // allocated by AllocateAdapterChannel, not freed
	bool with_channel; // KeepObject: FreeAdapterChannel frees them
	ULONG count;       // registers allocated
	ULONG used;        // pages mapped since the last flush
	uptr runs;         // entries of run[] in use
	uptr bounce_pages; // non-SG: bounce pages used since the last flush
	uptr mapped;       // bytes mapped since the last flush
	const MDL *first_mdl;
	uptr first_va;
	uptr gen; // bumped at every take_runs
	Run *run; // capacity: the adapter's map_registers
};

// An AllocateAdapterChannel(Ex) request waiting for the map registers a
// DeallocateObjectKeepRegisters kept (Windows queues it the same way; its
// execution routine runs when FreeMapRegisters gives them back).
struct Waiter {
	PDEVICE_OBJECT device;
	PVOID transfer; // AllocateAdapterChannelEx's DmaTransferContext, or null
	ULONG regs;
	PDRIVER_CONTROL routine;
	PVOID context;
};
// Requests one adapter queues (Windows: one per device object, in its wait
// context block); more fail with STATUS_INSUFFICIENT_RESOURCES.
constexpr uptr kMaxWaiters = 8;

struct Adapter {
	KeyedLink link; // key: &pub
	DMA_ADAPTER pub;
	void *dev;
	DeviceObject *pdo;
	ULONG max_length;
	ULONG map_registers;
	unsigned bits; // DMA address width set as the device's mask
	bool sg;      // DEVICE_DESCRIPTION.ScatterGather
	bool channel; // the adapter channel is held
	uptr lists;   // outstanding scatter/gather lists
	uptr buffers; // outstanding common buffers
	List *free;   // preallocated blocks not in use (DMA lock)
	List *fast;   // one more, taken and parked with single atomic exchanges
	List *spare;  // the last large block given back, kept for the next large list
	MapRegs regs;
	Waiter waiting[kMaxWaiters]; // in arrival order
	uptr waiters;
	bool dispatching; // run_waiters is calling a queued execution routine
	void *bounce_va; // non-SG: map_registers pages of coherent memory
	unsigned long long bounce_bus;
};

// Non-scatter/gather adapters get at most this many map registers (the
// bounce buffer is that many pages of coherent memory).
constexpr ULONG kMaxBouncePages = 256;

constinit KeyedTable<16> g_devices;
constinit KeyedTable<32> g_adapters;

// The live adapters again, as a set of their public addresses that is read
// without a lock (adapter_of runs on every DMA call). Open addressing with
// linear probing; entered and removed under the DMA lock. A slot goes from
// empty to an address, from an address to kGone, from kGone to another
// address, and never back to empty, so a lookup that probes from a live
// adapter's home slot always reaches it. A full set keeps an adapter only
// in g_adapters (found there, under the lock).
constexpr uptr kLiveSlots = 256;
constexpr uptr kGone = 1;
constinit uptr g_live[kLiveSlots] = {};

uptr live_home(uptr key) { return static_cast<uptr>(((key >> 4) * 0x9E3779B97F4A7C15ULL) >> 56) & (kLiveSlots - 1); }

void live_add_locked(uptr key)
{
	for (uptr i = 0, s = live_home(key); i < kLiveSlots; i++, s = (s + 1) & (kLiveSlots - 1)) {
		const uptr v = g_live[s];
		if (v == 0 || v == kGone) {
			__atomic_store_n(&g_live[s], key, __ATOMIC_RELEASE);
			return;
		}
	}
}

void live_remove_locked(uptr key)
{
	for (uptr i = 0, s = live_home(key); i < kLiveSlots && g_live[s]; i++, s = (s + 1) & (kLiveSlots - 1)) {
		if (g_live[s] == key) {
			__atomic_store_n(&g_live[s], kGone, __ATOMIC_RELEASE);
			return;
		}
	}
}

bool live_has(uptr key)
{
	for (uptr i = 0, s = live_home(key); i < kLiveSlots; i++, s = (s + 1) & (kLiveSlots - 1)) {
		const uptr v = __atomic_load_n(&g_live[s], __ATOMIC_ACQUIRE);
		if (v == key)
			return true;
		if (v == 0)
			return false;
	}
	return false;
}
constinit KeyedTable<256> g_lists;
constinit KeyedTable<64> g_buffers;
// MapTransfer runs not yet flushed, over every adapter (under the DMA lock).
constinit uptr g_runs = 0;

constexpr uptr align8(uptr v) { return (v + 7) & ~uptr{7}; }

// The glue reads the MDLs' PFN arrays as 64-bit frame numbers.
static_assert(sizeof(PFN_NUMBER) == sizeof(unsigned long long));
// The glue writes a list's elements directly (mmshim_plat_dma_sg_elements).
static_assert(sizeof(mmshim_dma_element) == sizeof(SCATTER_GATHER_ELEMENT));
static_assert(__builtin_offsetof(mmshim_dma_element, bus) == __builtin_offsetof(SCATTER_GATHER_ELEMENT, Address));
static_assert(__builtin_offsetof(mmshim_dma_element, length) == __builtin_offsetof(SCATTER_GATHER_ELEMENT, Length));
static_assert(__builtin_offsetof(mmshim_dma_element, reserved) == __builtin_offsetof(SCATTER_GATHER_ELEMENT, Reserved));

uptr sgl_bytes(uptr n) { return sizeof(SCATTER_GATHER_LIST) + n * sizeof(SCATTER_GATHER_ELEMENT); }

// Bytes of a list block for n fragments.
uptr block_bytes(uptr n)
{
	return align8(sgl_bytes(n)) + align8(sizeof(List)) + n * sizeof(mmshim_dma_run) +
	       2 * n * sizeof(dmause::Use) + align8(mmshim_plat_dma_sg_size(n));
}

// Lay a list out in the block at `mem` for `n` fragments.
List *lay_out(void *mem, uptr n)
{
	auto *base = static_cast<unsigned char *>(mem);
	auto *l = reinterpret_cast<List *>(base + align8(sgl_bytes(n)));
	*l = List{};
	l->capacity = n;
	l->run = reinterpret_cast<mmshim_dma_run *>(reinterpret_cast<unsigned char *>(l) + align8(sizeof(List)));
	l->use = reinterpret_cast<dmause::Use *>(reinterpret_cast<unsigned char *>(l->run) +
						  n * sizeof(mmshim_dma_run));
	l->sg_state = reinterpret_cast<unsigned char *>(l->use) + 2 * n * sizeof(dmause::Use);
	return l;
}

SCATTER_GATHER_LIST *sgl_of(List *l)
{
	return reinterpret_cast<SCATTER_GATHER_LIST *>(reinterpret_cast<unsigned char *>(l) -
							align8(sgl_bytes(l->capacity)));
}

void violation(uptr p1, uptr p2, uptr p3, uptr p4, const char *routine, const char *what, void *caller)
{
	verifier::report(DRIVER_VERIFIER_DMA_VIOLATION, p1, p2, p3, p4, routine, what, caller);
}

void refuse(uptr reason, uptr p2, uptr p3, const char *routine, const char *what, void *caller)
{
	verifier::report(MMSHIM_CALL_FAILED, reason, p2, p3, 0, routine, what, caller);
}

bool irql_at_most_dispatch(const char *routine, void *caller)
{
	if (irql::at_most_dispatch())
		return true;
	const KIRQL irql = irql::get();
	if (irql <= DISPATCH_LEVEL)
		return true;
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH, irql, DISPATCH_LEVEL, 0,
			 routine, "called above DISPATCH_LEVEL", caller);
	return false;
}

bool passive(const char *routine, void *caller)
{
	if (mmshim_plat_may_sleep())
		return true;
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH, irql::get(), PASSIVE_LEVEL,
			 0, routine, "must be called at PASSIVE_LEVEL (it may sleep)", caller);
	return false;
}

void bad_adapter(PDMA_ADAPTER a, const char *routine, void *caller)
{
	violation(MMSHIM_DMA_BAD_ADAPTER, reinterpret_cast<uptr>(a), 0, 0, routine,
		  "not a DMA adapter from IoGetDmaAdapter, or one already put", caller);
}

// The live adapter behind a driver's pointer, or nullptr (reported).
Adapter *adapter_of(PDMA_ADAPTER a, const char *routine, void *caller)
{
	// A driver that puts its adapter on one CPU while using it on another
	// races either way: the lock below only makes the lookup exact.
	if (a && live_has(reinterpret_cast<uptr>(a)))
		return reinterpret_cast<Adapter *>(reinterpret_cast<unsigned char *>(a) -
						   __builtin_offsetof(Adapter, pub));
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		if (KeyedLink *l = g_adapters.find(reinterpret_cast<uptr>(a)))
			return from_link<Adapter>(l);
	}
	bad_adapter(a, routine, caller);
	return nullptr;
}

// A frame of MDL m that the Linux DMA API cannot map (reported).
void not_ram(const MDL *m, PFN_NUMBER pfn, const char *routine, void *caller)
{
	violation(MMSHIM_DMA_NOT_RAM, reinterpret_cast<uptr>(m), pfn, 0, routine,
		  "a frame of the MDL is not RAM with a struct page (I/O space): the Linux DMA API cannot map it",
		  caller);
}

// The MDL whose lock or allocation holds the frames of partial MDL m, or 0:
// unlocking that one while m is DMA-mapped is refused too.
uptr holder_of(const MDL *m)
{
	uptr h = 0;
	if (!(__atomic_load_n(&m->MdlFlags, __ATOMIC_RELAXED) & MDL_PARTIAL) || !partial::holder_of(m, &h))
		return 0;
	return h;
}

// A transfer from the device writes the MDL's frames: refused (reported)
// if its owner could not write them - a read-only lock (IoReadAccess of a
// file opened read-only, of untouched PROT_READ memory: the shared zero
// page), kernel read-only data, or frames rewritten to such since the lock
// (perm.h: the rule every mapping applies; a device write is a write).
bool device_may_write(const MDL *m, const lock::Owner &owner, uptr pages, const char *routine, void *caller)
{
	if (!perm::read_only(owner, MmGetMdlPfnArray(const_cast<MDL *>(m)), pages))
		return true;
	violation(MMSHIM_DMA_READ_ONLY_FRAMES, reinterpret_cast<uptr>(m), pages, 0, routine,
		  "a transfer from the device would write frames the MDL's owner cannot write (locked with "
		  "IoReadAccess from read-only memory, or kernel read-only data): refused, nothing mapped",
		  caller);
	return false;
}

// What a walk's emitter says after each piece.
enum class Step { kNext, kStop, kFail };

// A hold on what keeps an MDL's frames: its lock record (lock::owner_of,
// lock::hold), or, tagged with the low bit, its pages' allocation
// (pagealloc::hold). While held, the MDL can be neither unlocked nor have
// its pages freed. Both records are 8-byte aligned.
void *hold_pages_of(const MDL *m)
{
	void *a = pagealloc::hold(m);
	return a ? reinterpret_cast<void *>(reinterpret_cast<uptr>(a) | 1) : nullptr;
}

void *hold_frames_of(const MDL *m)
{
	if (void *h = lock::hold(m))
		return h;
	return hold_pages_of(m);
}

void drop_hold(void *h)
{
	const auto v = reinterpret_cast<uptr>(h);
	if (v & 1)
		pagealloc::drop_hold(reinterpret_cast<void *>(v & ~uptr{1}));
	else
		lock::drop_hold(h);
}

// A mapping walk's holds on one MDL of the transfer and on the MDL holding
// a partial MDL's frames: the frames stay pinned (or allocated) from the
// walk that checked them until the mapping is gone, whatever another CPU
// does meanwhile. Handed to the emitter, which keeps them with its mapping
// (and drops them once that is unmapped) or drops them at once. Either may
// be nullptr (nonpaged pool, no holder). holder_key: the MDL holding a
// partial MDL's frames (holder_of), 0 for any other MDL.
struct Holds {
	void *own = nullptr;
	void *holder = nullptr;
	uptr holder_key = 0;
	void drop()
	{
		drop_hold(own);
		drop_hold(holder);
		own = holder = nullptr;
	}
};

// A use's kernel virtual range: `bytes` from `va`, when that is a kernel
// address (pool, vmalloc, the linear map); user memory and pages without
// a kernel address (va 0) have none. Bookkeeping only: a driver that
// rewrote StartVa gets a wrong range, never a wrong access.
void set_range(dmause::Use &u, uptr va, uptr bytes)
{
	u.va_lo = u.va_hi = 0;
	if (va >= mmshim_plat_kernel_space_start() && va + bytes > va) {
		u.va_lo = va;
		u.va_hi = va + bytes;
	}
}

// Walk [CurrentVa, CurrentVa + length) over the MDL chain from `mdl`,
// calling emit(m, pfns, offset, bytes) once per MDL for its part of the
// transfer: `bytes` from `offset` (below the page size) in frame pfns[0],
// on through pfns[1], ... (m's own PFN array, checked to hold them).
// emit returns kStop to stop early (success), kFail after reporting.
// Checks every MDL it reads (reported, nothing changed on failure); with
// device_writes (a transfer from the device), that its owner could write
// every frame of each MDL. With `hold`, emit also gets the MDL's Holds,
// taken where it was found locked (it owns them from then on; the walk
// drops those of an MDL it refuses).
template <typename EmitRun>
NTSTATUS walk_runs(MDL *mdl, PVOID current_va, ULONG length, bool device_writes, EmitRun &&emit,
		   const char *routine, void *caller, bool hold = false)
{
	uptr remaining = length, depth = 0;
	for (MDL *m = mdl; remaining; m = m->Next) {
		if (!m || ++depth > kMaxChain) {
			violation(MMSHIM_DMA_TRANSFER_TOO_LONG, reinterpret_cast<uptr>(mdl), length, length - remaining,
				  routine, "the transfer is longer than the MDL chain from CurrentVa", caller);
			return STATUS_BUFFER_TOO_SMALL;
		}
		if (!(m->MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL))) {
			violation(MMSHIM_DMA_MDL_NOT_LOCKED, reinterpret_cast<uptr>(m), m->MdlFlags, 0, routine,
				  "the MDL's pages are not locked (MmProbeAndLockPages, MmBuildMdlForNonPagedPool "
				  "or MmAllocatePagesForMdl first)",
				  caller);
			return STATUS_INVALID_PARAMETER;
		}
		uptr pages = 0;
		const uptr cap = mdl::capacity_pages(m);
		if (!mdl::described_span(m, &pages) || pages > cap) {
			verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_CORRUPT,
					 reinterpret_cast<uptr>(m), pages, 0, routine,
					 "malformed MDL: its range does not fit its PFN array", caller);
			return STATUS_INVALID_PARAMETER;
		}
		// MDL_PAGES_LOCKED alone is judged by mmshim's records: a driver
		// that sets it by hand on an MDL nothing locked is refused. (I/O
		// space MDLs have no record; their frames are refused by the map.)
		// One lookup gives the lock and, for a transfer from the device,
		// what its owner may write.
		lock::Owner owner{};
		const bool own_record = !(m->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL | MDL_IO_SPACE));
		// A mapping walk holds whatever lock the MDL has, whatever its
		// flags say (a driver may set MDL_SOURCE_IS_NONPAGED_POOL on an
		// MDL it locked).
		if (own_record || device_writes || hold)
			owner = lock::owner_of(m, device_writes ? MmGetMdlPfnArray(m) : nullptr,
					       device_writes ? pages : 0, hold);
		Holds h;
		h.own = owner.hold;
		if (own_record && !owner.locked) {
			// Else its pages must come from MmAllocatePagesForMdl.
			if (hold)
				h.own = hold_pages_of(m);
			if (!(hold ? h.own != nullptr : pagealloc::owns_mdl(m))) {
				violation(MMSHIM_DMA_MDL_NOT_LOCKED, reinterpret_cast<uptr>(m), m->MdlFlags, 1, routine,
					  "MDL_PAGES_LOCKED is set, but neither MmProbeAndLockPages nor "
					  "MmAllocatePagesForMdl holds the MDL's pages",
					  caller);
				return STATUS_INVALID_PARAMETER;
			}
		}
		// A partial MDL's frames are only good while its source holds them
		// (held first, then checked: a source unlocked in between fails
		// the check rather than slipping past the hold).
		if (m->MdlFlags & MDL_PARTIAL) {
			if (hold) {
				h.holder_key = holder_of(m);
				if (h.holder_key)
					h.holder = hold_frames_of(reinterpret_cast<const MDL *>(h.holder_key));
			}
			unsigned long long token = 0;
			if (!partial::check(m, &token, routine, caller)) {
				h.drop();
				return STATUS_INVALID_PARAMETER;
			}
		}
		if (device_writes && !device_may_write(m, owner, pages, routine, caller)) {
			h.drop();
			return STATUS_INVALID_PARAMETER;
		}
		// Read once: what is used below is checked against the PFN
		// array's capacity again, whatever another CPU writes meanwhile.
		const uptr byte_count = __atomic_load_n(&m->ByteCount, __ATOMIC_RELAXED);
		const uptr byte_offset = __atomic_load_n(&m->ByteOffset, __ATOMIC_RELAXED);
		uptr off = 0;
		if (m == mdl) {
			const uptr start = reinterpret_cast<uptr>(MmGetMdlVirtualAddress(m));
			const uptr va = reinterpret_cast<uptr>(current_va);
			if (va < start || va - start >= byte_count) {
				h.drop();
				violation(MMSHIM_DMA_BAD_CURRENT_VA, reinterpret_cast<uptr>(m), va, start, routine,
					  "CurrentVa is outside the MDL's described range", caller);
				return STATUS_INVALID_PARAMETER;
			}
			off = va - start;
		}
		const uptr avail = byte_count - off;
		const uptr left = avail < remaining ? avail : remaining;
		const uptr pos = byte_offset + off;
		remaining -= left;
		if (!left) {
			h.drop(); // nothing of it is mapped
			continue;
		}
		if (byte_offset >= kPageSize || (pos >> PAGE_SHIFT) + span_pages(pos & kPageMask, left) > cap) {
			h.drop();
			verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_CORRUPT,
					 reinterpret_cast<uptr>(m), cap, 1, routine,
					 "malformed MDL: it changed while it was being read", caller);
			return STATUS_INVALID_PARAMETER;
		}
		const Step step = emit(static_cast<const MDL *>(m), MmGetMdlPfnArray(m) + (pos >> PAGE_SHIFT),
				       pos & kPageMask, left, h);
		if (step == Step::kStop)
			return STATUS_SUCCESS;
		if (step == Step::kFail)
			return STATUS_INVALID_PARAMETER;
	}
	return STATUS_SUCCESS;
}

// walk_runs, calling emit(m, fragment, holds) for each page fragment in
// order (m: the MDL it is in; holds: with `hold`, m's Holds with its first
// fragment, else empty); emit returns false to stop early (success). With
// check_ram, every frame is checked to be RAM with a struct page.
template <typename Emit>
NTSTATUS walk_each(MDL *mdl, PVOID current_va, ULONG length, bool check_ram, bool device_writes, Emit &&emit,
		   const char *routine, void *caller, bool hold = false)
{
	return walk_runs(
		mdl, current_va, length, device_writes,
		[&](const MDL *m, const PFN_NUMBER *p, uptr in, uptr left, Holds h) {
			while (left) {
				const uptr chunk = kPageSize - in < left ? kPageSize - in : left;
				const PFN_NUMBER pfn = *p++;
				if (check_ram && !mmshim_plat_pfn_is_ram(pfn)) {
					h.drop();
					not_ram(m, pfn, routine, caller);
					return Step::kFail;
				}
				const bool more = emit(
					m, mmshim_dma_frag{pfn, static_cast<unsigned>(in), static_cast<unsigned>(chunk)}, h);
				h = Holds{}; // emit owns them now
				if (!more)
					return Step::kStop;
				left -= chunk;
				in = 0;
			}
			return Step::kNext;
		},
		routine, caller, hold);
}

// walk_each counting the fragments into *count and, if `out`, writing at
// most `cap` of them: a chain the driver changed since it was counted
// fails instead of overrunning. Frames are checked to be RAM when counting.
NTSTATUS walk(MDL *mdl, PVOID current_va, ULONG length, mmshim_dma_frag *out, uptr cap, uptr *count,
	      const char *routine, void *caller, bool device_writes = false)
{
	uptr n = 0;
	bool overflow = false;
	const NTSTATUS st = walk_each(
		mdl, current_va, length, !out, device_writes,
		[&](const MDL *, const mmshim_dma_frag &f, Holds) { // a walk without holds
			if (out) {
				if (n == cap) {
					overflow = true;
					return false;
				}
				out[n] = f;
			}
			n++;
			return true;
		},
		routine, caller);
	if (!NT_SUCCESS(st))
		return st;
	if (overflow) {
		violation(MMSHIM_DMA_TRANSFER_TOO_LONG, reinterpret_cast<uptr>(mdl), length, 0, routine,
			  "the MDL chain changed while it was being mapped", caller);
		return STATUS_INVALID_PARAMETER;
	}
	*count = n;
	return STATUS_SUCCESS;
}

// Unmap a list and give its block back. Call with no lock held.
// A preallocated block for a small list: the one parked in a->fast (one
// atomic exchange, no lock), or nullptr.
List *take_fast(Adapter *a)
{
	if (!__atomic_load_n(&a->fast, __ATOMIC_RELAXED))
		return nullptr;
	return __atomic_exchange_n(&a->fast, nullptr, __ATOMIC_ACQUIRE);
}

// With the DMA lock held: a preallocated block back, parked in a->fast if
// that is empty, else on a->free.
void give_back_cached_locked(Adapter *a, List *l)
{
	List *empty = nullptr;
	if (__atomic_compare_exchange_n(&a->fast, &empty, l, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return;
	l->next_free = a->free;
	a->free = l;
}

// Drop the lock holds of a list's uses (once nothing is mapped any more).
void drop_holds(List *l)
{
	for (uptr i = 0; i < l->uses; i++) {
		drop_hold(l->use[i].hold);
		l->use[i].hold = nullptr;
	}
}

void release_list(List *l)
{
	Adapter *a = l->adapter;
	mmshim_plat_dma_unmap_sg(a->dev, l->sg_state, l->frags, l->to_device);
	drop_holds(l); // unmapped (bounce slots copied back): the MDLs may be unlocked now
	LockGuard guard(MMSHIM_LOCK_DMA);
	for (uptr i = 0; i < l->uses; i++)
		dmause::remove_locked(&l->use[i]);
	a->lists--;
	if (l->cached) {
		give_back_cached_locked(a, l);
	} else if (!l->in_buffer) {
		// The adapter keeps the largest block given back for its next
		// large list: a driver's steady stream of large transfers then
		// allocates nothing.
		List *drop = l;
		if (!a->spare || a->spare->capacity < l->capacity) {
			drop = a->spare;
			a->spare = l;
		}
		if (drop)
			mmshim_plat_free(sgl_of(drop));
	}
}

void release_buffer(CommonBuffer *b)
{
	mmshim_plat_dma_free_coherent(b->adapter->dev, b->length,
				      reinterpret_cast<void *>(b->link.key), b->bus);
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		b->adapter->buffers--;
	}
	mmshim_plat_free(b);
}

// ---- packet-based DMA: map registers and their runs ---------------------

// With the DMA lock held: take the runs of a's registers out (the caller
// finishes them with finish_runs) and reset the registers' usage.
struct Taken {
	uptr runs;
	const MDL *mdl;
	uptr va;
	uptr mapped;
};
Taken take_runs(Adapter *a)
{
	MapRegs &r = a->regs;
	const Taken t{r.runs, r.first_mdl, r.first_va, r.mapped};
	for (uptr i = 0; i < r.runs; i++) {
		if (r.run[i].claimed) {
			dmause::remove_locked(&r.run[i].use);
			if (r.run[i].holder)
				dmause::remove_locked(&r.run[i].hold);
		}
		r.run[i].claimed = false;
	}
	r.gen++;
	g_runs -= r.runs;
	r.runs = 0;
	r.used = 0;
	r.bounce_pages = 0;
	r.mapped = 0;
	r.first_mdl = nullptr;
	r.first_va = 0;
	return t;
}

// Drop the lock holds a run keeps, each exactly once whoever gets there
// first (a flush, or a MapTransfer that a flush on another CPU overtook).
void drop_run_holds(Run &r)
{
	drop_hold(__atomic_exchange_n(&r.use.hold, nullptr, __ATOMIC_ACQ_REL));
	drop_hold(__atomic_exchange_n(&r.hold.hold, nullptr, __ATOMIC_ACQ_REL));
}

// Finish runs [0, n) of a's registers, no lock held: unmap them
// (scatter/gather: dma_unmap_page copies swiotlb's bounce slots back for
// reads) or, for a non-scatter/gather adapter when copy_back, copy what the
// device wrote into the bounce buffer back to the MDL's frames.
void finish_runs(Adapter *a, uptr n, bool copy_back)
{
	for (uptr i = 0; i < n; i++) {
		Run &r = a->regs.run[i];
		if (r.length && a->sg)
			mmshim_plat_dma_unmap_range(a->dev, r.bus, r.length, r.to_device);
		else if (r.length && copy_back && !r.to_device)
			mmshim_plat_dma_copy_frame(r.pfn, r.offset, static_cast<unsigned char *>(a->bounce_va) + r.bounce,
						   r.length, 1);
	}
	// Only now may the MDLs be unlocked: their frames are no longer mapped
	// and no copy back writes them.
	for (uptr i = 0; i < n; i++)
		drop_run_holds(a->regs.run[i]);
}

// Free a's map registers if they are held: runs never flushed are
// reported (when `report`) and unmapped. False if they were not held.
bool release_regs(Adapter *a, bool report, const char *routine, void *caller)
{
	uptr n;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		if (!a->regs.held)
			return false;
		n = take_runs(a).runs;
	}
	if (n && report)
		violation(MMSHIM_DMA_BUFFERS_NOT_FLUSHED, reinterpret_cast<uptr>(&a->pub), n, 0, routine,
			  "map registers freed with MapTransfer mappings never flushed (FlushAdapterBuffers first): "
			  "mmshim unmaps them",
			  caller);
	finish_runs(a, n, false);
	LockGuard guard(MMSHIM_LOCK_DMA);
	a->regs.held = false;
	a->regs.with_channel = false;
	return true;
}

// With the DMA lock held: waiting request i taken out of a's queue.
Waiter take_waiter(Adapter *a, uptr i)
{
	const Waiter w = a->waiting[i];
	for (uptr j = i + 1; j < a->waiters; j++)
		a->waiting[j - 1] = a->waiting[j];
	a->waiters--;
	return w;
}

// Requests still waiting, dropped (their routines never run); how many.
uptr drop_waiters(Adapter *a)
{
	LockGuard guard(MMSHIM_LOCK_DMA);
	const uptr n = a->waiters;
	a->waiters = 0;
	return n;
}

// Everything of adapter `a` still outstanding: lists unmapped, buffers
// freed, map registers released (silently: callers report).
void release_children(Adapter *a)
{
	(void)drop_waiters(a);
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		a->channel = false;
	}
	release_regs(a, false, nullptr, nullptr);
	for (;;) {
		KeyedLink *l;
		{
			LockGuard guard(MMSHIM_LOCK_DMA);
			l = g_lists.find_if([a](KeyedLink *k) { return from_link<List>(k)->adapter == a; });
			if (l)
				g_lists.take_if(l->key, [l](KeyedLink *k) { return k == l; });
		}
		if (!l)
			break;
		release_list(from_link<List>(l));
	}
	for (;;) {
		KeyedLink *l;
		{
			LockGuard guard(MMSHIM_LOCK_DMA);
			l = g_buffers.find_if([a](KeyedLink *k) { return from_link<CommonBuffer>(k)->adapter == a; });
			if (l)
				g_buffers.take_if(l->key, [l](KeyedLink *k) { return k == l; });
		}
		if (!l)
			break;
		release_buffer(from_link<CommonBuffer>(l));
	}
}

void free_adapter(Adapter *a)
{
	if (a->spare)
		mmshim_plat_free(sgl_of(a->spare));
	if (a->bounce_va)
		mmshim_plat_dma_free_coherent(a->dev, uptr{a->map_registers} * kPageSize, a->bounce_va, a->bounce_bus);
	if (a->regs.run)
		mmshim_plat_free(a->regs.run);
	mmshim_plat_dma_put_device(a->dev);
	mmshim_plat_free(a);
}

// ---- the DMA_OPERATIONS routines ----------------------------------------

VOID put_dma_adapter(PDMA_ADAPTER DmaAdapter)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "PutDmaAdapter";
	if (!passive(routine, caller))
		return;
	KeyedLink *l;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		l = g_adapters.take(reinterpret_cast<uptr>(DmaAdapter));
		if (l)
			live_remove_locked(reinterpret_cast<uptr>(DmaAdapter));
	}
	if (!l) {
		bad_adapter(DmaAdapter, routine, caller);
		return;
	}
	Adapter *a = from_link<Adapter>(l);
	uptr lists, buffers;
	bool channel, regs;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		lists = a->lists;
		buffers = a->buffers;
		channel = a->channel;
		regs = a->regs.held && !a->regs.with_channel;
	}
	if (channel)
		violation(MMSHIM_DMA_ADAPTER_CHANNEL_OUTSTANDING, reinterpret_cast<uptr>(DmaAdapter), 1, 0, routine,
			  "the adapter channel is still held: FreeAdapterChannel or FreeAdapterObject first "
			  "(mmshim frees it now)",
			  caller);
	if (regs)
		violation(MMSHIM_DMA_ADAPTER_MAP_REGISTERS_OUTSTANDING, reinterpret_cast<uptr>(DmaAdapter),
			  a->regs.count, 0, routine,
			  "map registers are still held: FreeMapRegisters first (mmshim frees them now)", caller);
	if (const uptr waiting = drop_waiters(a))
		violation(MMSHIM_DMA_ADAPTER_CHANNEL_OUTSTANDING, reinterpret_cast<uptr>(DmaAdapter), 2, waiting,
			  routine,
			  "AllocateAdapterChannel requests are still waiting for the map registers: their execution "
			  "routines will never run (CancelAdapterChannel, or FreeMapRegisters first)",
			  caller);
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		a->channel = false;
	}
	release_regs(a, true, routine, caller);
	if (lists)
		violation(MMSHIM_DMA_ADAPTER_LISTS_OUTSTANDING, reinterpret_cast<uptr>(DmaAdapter), lists, 0, routine,
			  "the adapter still has scatter/gather lists: PutScatterGatherList each first "
			  "(mmshim unmaps them now)",
			  caller);
	if (buffers)
		violation(MMSHIM_DMA_ADAPTER_BUFFERS_OUTSTANDING, reinterpret_cast<uptr>(DmaAdapter), buffers, 0,
			  routine,
			  "the adapter still has common buffers: FreeCommonBuffer each first (mmshim frees them now)",
			  caller);
	release_children(a);
	free_adapter(a);
}

// AllocateCommonBuffer, and AllocateCommonBufferEx below `max` (bus
// address of the last byte; ~0 for none).
PVOID alloc_common(PDMA_ADAPTER DmaAdapter, ULONG Length, PPHYSICAL_ADDRESS LogicalAddress,
		   unsigned long long max, const char *routine, void *caller)
{
	if (!passive(routine, caller))
		return nullptr;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return nullptr;
	if (!LogicalAddress) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 3, 0, 0, routine,
				 "LogicalAddress is NULL", caller);
		return nullptr;
	}
	if (!Length) {
		refuse(MMSHIM_FAIL_ZERO_LENGTH, reinterpret_cast<uptr>(DmaAdapter), 0, routine,
		       "a common buffer of 0 bytes", caller);
		return nullptr;
	}
	auto *b = static_cast<CommonBuffer *>(mmshim_plat_alloc(sizeof(CommonBuffer), MMSHIM_ALLOC_ZERO));
	if (!b)
		return nullptr;
	unsigned long long bus = 0;
	void *va;
	if (max == ~0ULL) {
		va = mmshim_plat_dma_alloc_coherent(a->dev, Length, &bus);
	} else {
		// The widest mask whose every address is at or below max.
		const unsigned bits = 63 - static_cast<unsigned>(__builtin_clzll(max + 1));
		va = mmshim_plat_dma_alloc_coherent_below(a->dev, Length, bits < a->bits ? bits : a->bits, &bus);
		if (va && (bus > max || Length - 1 > max - bus)) { // never above what the driver asked for
			mmshim_plat_dma_free_coherent(a->dev, Length, va, bus);
			va = nullptr;
		}
	}
	if (!va) {
		mmshim_plat_free(b);
		return nullptr;
	}
	b->adapter = a;
	b->length = Length;
	b->bus = bus;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		g_buffers.insert(&b->link, reinterpret_cast<uptr>(va));
		a->buffers++;
	}
	LogicalAddress->QuadPart = static_cast<LONGLONG>(bus);
	return va;
}

PVOID allocate_common_buffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PPHYSICAL_ADDRESS LogicalAddress,
			     BOOLEAN CacheEnabled)
{
	(void)CacheEnabled; // coherent memory serves both (docs/dma.md)
	return alloc_common(DmaAdapter, Length, LogicalAddress, ~0ULL, "AllocateCommonBuffer", MMSHIM_CALLER());
}

VOID free_common_buffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PHYSICAL_ADDRESS LogicalAddress,
			PVOID VirtualAddress, BOOLEAN CacheEnabled)
{
	(void)CacheEnabled;
	void *caller = MMSHIM_CALLER();
	const char *routine = "FreeCommonBuffer";
	if (!passive(routine, caller))
		return;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return;
	const uptr key = reinterpret_cast<uptr>(VirtualAddress);
	CommonBuffer *b = nullptr;
	ULONG want_length = 0;
	unsigned long long want_bus = 0;
	bool mismatch = false;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		KeyedLink *l = g_buffers.find(key);
		if (l && from_link<CommonBuffer>(l)->adapter == a) {
			b = from_link<CommonBuffer>(l);
			want_length = b->length;
			want_bus = b->bus;
			mismatch = b->length != Length ||
				   b->bus != static_cast<unsigned long long>(LogicalAddress.QuadPart);
			if (!mismatch)
				g_buffers.take(key);
		}
	}
	if (!b) {
		violation(MMSHIM_DMA_TOO_MANY_BUFFERS_FREED, key, reinterpret_cast<uptr>(DmaAdapter), 0, routine,
			  "not a live common buffer of this adapter (freed twice?)", caller);
		return;
	}
	if (mismatch) {
		violation(MMSHIM_DMA_COMMON_BUFFER_MISMATCH, key, Length != want_length ? want_length : 0,
			  Length != want_length ? 0 : static_cast<uptr>(want_bus), routine,
			  "Length or LogicalAddress is not the allocation's: the buffer stays allocated", caller);
		return;
	}
	release_buffer(b);
}

ULONG get_dma_alignment(PDMA_ADAPTER DmaAdapter)
{
	(void)DmaAdapter;
	return mmshim_plat_dma_alignment();
}

// GetScatterGatherList and BuildScatterGatherList (buffer != nullptr).
// The Ex routines: *out receives the list before ExecutionRoutine (which
// may be NULL then) runs.
NTSTATUS map_list(Adapter *a, PDEVICE_OBJECT DeviceObject, PMDL Mdl, PVOID CurrentVa, ULONG Length,
		  PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context, BOOLEAN WriteToDevice, PVOID buffer,
		  ULONG buffer_length, SCATTER_GATHER_LIST **out, const char *routine, void *caller)
{
	PDMA_ADAPTER DmaAdapter = &a->pub;
	if (!Length) {
		refuse(MMSHIM_FAIL_ZERO_LENGTH, reinterpret_cast<uptr>(Mdl), 0, routine, "a transfer of 0 bytes",
		       caller);
		return STATUS_INVALID_PARAMETER;
	}
	if (Length > a->max_length) {
		violation(MMSHIM_DMA_TRANSFER_OVER_MAXIMUM, reinterpret_cast<uptr>(DmaAdapter), Length,
			  a->max_length, routine,
			  "the transfer is longer than DEVICE_DESCRIPTION.MaximumLength", caller);
		return STATUS_INVALID_PARAMETER;
	}
	// A transfer inside the first MDL (the common case) has exactly one
	// fragment per page it spans: its block is taken at once and one walk
	// checks and fills it. A chain is counted first. (The walk re-reads
	// every field, and a block too small for what the driver changed
	// meanwhile fails the call, never overruns.)
	uptr n = 0;
	{
		const uptr start = reinterpret_cast<uptr>(MmGetMdlVirtualAddress(Mdl));
		const uptr va = reinterpret_cast<uptr>(CurrentVa);
		const uptr count = Mdl->ByteCount;
		if (!buffer && va >= start && va - start < count && Length <= count - (va - start))
			n = span_pages(va, Length);
	}
	NTSTATUS st = STATUS_SUCCESS;
	if (!n) {
		st = walk(Mdl, CurrentVa, Length, nullptr, 0, &n, routine, caller);
		if (!NT_SUCCESS(st))
			return st;
	}

	List *l = nullptr;
	if (buffer) {
		if (reinterpret_cast<uptr>(buffer) & 7) {
			verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ALIGNMENT_ARGUMENT,
					 reinterpret_cast<uptr>(buffer), 8, 0, routine,
					 "ScatterGatherBuffer is not 8-byte aligned", caller);
			return STATUS_INVALID_PARAMETER;
		}
		if (buffer_length < block_bytes(n))
			return STATUS_BUFFER_TOO_SMALL; // as Windows: CalculateScatterGatherList says how much
		// The buffer must not be that of a list still live (the driver
		// reusing it before PutScatterGatherList): laying a new list out
		// over it would rewrite the links of mmshim's tables. One lookup
		// of the list keyed by this address.
		bool busy;
		{
			LockGuard guard(MMSHIM_LOCK_DMA);
			busy = g_lists.find(reinterpret_cast<uptr>(buffer)) != nullptr;
		}
		if (busy) {
			violation(MMSHIM_DMA_LIST_BUFFER_IN_USE, reinterpret_cast<uptr>(buffer), buffer_length, 0, routine,
				  "ScatterGatherBuffer still holds a list that was not put (PutScatterGatherList "
				  "first): refused, nothing mapped",
				  caller);
			return STATUS_INVALID_PARAMETER;
		}
		l = lay_out(buffer, n);
		l->in_buffer = true;
	} else {
		// A small list's block: the parked one without a lock, else one
		// from the adapter's cache; a large one: the adapter's spare.
		if (n <= kSmallPages)
			l = take_fast(a);
		if (!l) {
			LockGuard guard(MMSHIM_LOCK_DMA);
			if (n <= kSmallPages) {
				l = a->free;
				if (l)
					a->free = l->next_free;
			} else if (a->spare && a->spare->capacity >= n) {
				l = a->spare;
				a->spare = nullptr;
			}
		}
		if (l && !l->cached) {
			l = lay_out(sgl_of(l), l->capacity); // the spare, as new
		} else if (!l) {
			const unsigned flags = mmshim_plat_may_sleep() ? 0u : unsigned{MMSHIM_ALLOC_ATOMIC};
			void *mem = mmshim_plat_alloc(block_bytes(n), flags);
			if (!mem)
				return STATUS_INSUFFICIENT_RESOURCES;
			l = lay_out(mem, n);
		}
	}
	l->adapter = a;
	l->to_device = WriteToDevice != FALSE;
	{
		// Each MDL's part, and the MDLs of the chain (and partials'
		// holders) the list covers. The glue reads the frames from the
		// PFN arrays as it builds the scatterlist.
		uptr count = 0, runs = 0, uses = 0;
		bool overflow = false;
		st = walk_runs(
			Mdl, CurrentVa, Length, !l->to_device,
			[&](const MDL *m, const PFN_NUMBER *p, uptr in, uptr bytes, Holds h) {
				const uptr k = span_pages(in, bytes);
				if (k > l->capacity - count) {
					h.drop();
					overflow = true;
					return Step::kStop;
				}
				l->run[runs++] = mmshim_dma_run{reinterpret_cast<const unsigned long long *>(p),
								static_cast<unsigned>(in), static_cast<unsigned>(bytes)};
				count += k;
				l->use[uses] = dmause::Use{{nullptr, reinterpret_cast<uptr>(m)}, h.own, 0, 0};
				set_range(l->use[uses], reinterpret_cast<uptr>(m->StartVa) +
								((p - MmGetMdlPfnArray(const_cast<MDL *>(m))) << PAGE_SHIFT) + in,
					  bytes);
				uses++;
				if (h.holder_key) {
					l->use[uses] = dmause::Use{{nullptr, h.holder_key}, h.holder, 0, 0};
					uses++;
				}
				return Step::kNext;
			},
			routine, caller, true);
		if (NT_SUCCESS(st) && overflow) {
			violation(MMSHIM_DMA_TRANSFER_TOO_LONG, reinterpret_cast<uptr>(Mdl), Length, 0, routine,
				  "the MDL chain changed while it was being mapped", caller);
			st = STATUS_INVALID_PARAMETER;
		}
		n = count;
		l->runs = runs;
		l->uses = uses;
	}
	l->frags = n;
	unsigned long long bad_frame = ~0ULL;
	const uptr mapped = NT_SUCCESS(st) ? mmshim_plat_dma_map_runs(a->dev, l->sg_state, l->run, l->runs, n,
								      l->to_device, &bad_frame)
					   : 0;
	if (NT_SUCCESS(st) && bad_frame != ~0ULL) {
		not_ram(Mdl, bad_frame, routine, caller);
		st = STATUS_INVALID_PARAMETER;
	}
	if (!mapped || mapped > n) {
		if (mapped)
			mmshim_plat_dma_unmap_sg(a->dev, l->sg_state, n, l->to_device);
		drop_holds(l);
		if (l->cached) {
			LockGuard guard(MMSHIM_LOCK_DMA);
			give_back_cached_locked(a, l);
		} else if (!l->in_buffer) {
			mmshim_plat_free(sgl_of(l));
		}
		return NT_SUCCESS(st) ? STATUS_INSUFFICIENT_RESOURCES : st;
	}
	SCATTER_GATHER_LIST *sgl = sgl_of(l);
	sgl->NumberOfElements = static_cast<ULONG>(mapped);
	sgl->Reserved = 0;
	mmshim_plat_dma_sg_elements(l->sg_state, mapped, reinterpret_cast<mmshim_dma_element *>(sgl->Elements));
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		g_lists.insert(&l->link, reinterpret_cast<uptr>(sgl));
		for (uptr i = 0; i < l->uses; i++)
			dmause::add_locked(&l->use[i], reinterpret_cast<const MDL *>(l->use[i].link.key));
		a->lists++;
	}
	if (out)
		*out = sgl;
	if (ExecutionRoutine)
		ExecutionRoutine(DeviceObject, nullptr, sgl, Context);
	return STATUS_SUCCESS;
}

// The checks GetScatterGatherList and BuildScatterGatherList share: the
// adapter, or nullptr (reported).
Adapter *list_call(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PDRIVER_LIST_CONTROL ExecutionRoutine, const char *routine,
		   void *caller)
{
	if (!irql_at_most_dispatch(routine, caller))
		return nullptr;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return nullptr;
	if (!Mdl || !ExecutionRoutine) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, Mdl ? 6 : 3, 0, 0,
				 routine, Mdl ? "ExecutionRoutine is NULL" : "Mdl is NULL", caller);
		return nullptr;
	}
	return a;
}

NTSTATUS get_scatter_gather_list(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
				 PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
				 PVOID Context, BOOLEAN WriteToDevice)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "GetScatterGatherList";
	Adapter *a = list_call(DmaAdapter, Mdl, ExecutionRoutine, routine, caller);
	if (!a)
		return STATUS_INVALID_PARAMETER;
	return map_list(a, DeviceObject, Mdl, CurrentVa, Length, ExecutionRoutine, Context, WriteToDevice, nullptr,
			0, nullptr, routine, caller);
}

NTSTATUS build_scatter_gather_list(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
				   PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
				   PVOID Context, BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
				   ULONG ScatterGatherLength)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "BuildScatterGatherList";
	if (!ScatterGatherBuffer) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 9, 0, 0, routine,
				 "ScatterGatherBuffer is NULL", caller);
		return STATUS_INVALID_PARAMETER;
	}
	Adapter *a = list_call(DmaAdapter, Mdl, ExecutionRoutine, routine, caller);
	if (!a)
		return STATUS_INVALID_PARAMETER;
	return map_list(a, DeviceObject, Mdl, CurrentVa, Length, ExecutionRoutine, Context, WriteToDevice,
			ScatterGatherBuffer, ScatterGatherLength, nullptr, routine, caller);
}

VOID put_scatter_gather_list(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
			     BOOLEAN WriteToDevice)
{
	(void)WriteToDevice; // the direction it was mapped with is recorded
	void *caller = MMSHIM_CALLER();
	const char *routine = "PutScatterGatherList";
	if (!irql_at_most_dispatch(routine, caller))
		return;
	Adapter *a = nullptr;
	KeyedLink *l = nullptr;
	{
		// The adapter's check and the list's removal under one acquisition.
		LockGuard guard(MMSHIM_LOCK_DMA);
		if (KeyedLink *al = g_adapters.find(reinterpret_cast<uptr>(DmaAdapter))) {
			a = from_link<Adapter>(al);
			l = g_lists.take_if(reinterpret_cast<uptr>(ScatterGather),
					    [a](KeyedLink *k) { return from_link<List>(k)->adapter == a; });
		}
	}
	if (!a) {
		bad_adapter(DmaAdapter, routine, caller);
		return;
	}
	if (!l) {
		violation(MMSHIM_DMA_TOO_MANY_LISTS_FREED, reinterpret_cast<uptr>(ScatterGather),
			  reinterpret_cast<uptr>(DmaAdapter), 0, routine,
			  "not a live scatter/gather list of this adapter (put twice?)", caller);
		return;
	}
	release_list(from_link<List>(l));
}

NTSTATUS calculate_scatter_gather_list(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID CurrentVa, ULONG Length,
				       PULONG ScatterGatherListSize, PULONG NumberOfMapRegisters)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "CalculateScatterGatherList";
	if (!irql_at_most_dispatch(routine, caller))
		return STATUS_INVALID_PARAMETER;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return STATUS_INVALID_PARAMETER;
	if (!ScatterGatherListSize) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 5, 0, 0, routine,
				 "ScatterGatherListSize is NULL", caller);
		return STATUS_INVALID_PARAMETER;
	}
	uptr n = 0;
	if (Mdl) {
		NTSTATUS st = walk(Mdl, CurrentVa, Length, nullptr, 0, &n, routine, caller);
		if (!NT_SUCCESS(st))
			return st;
	} else {
		n = span_pages(reinterpret_cast<uptr>(CurrentVa), Length);
	}
	const uptr bytes = block_bytes(n);
	if (bytes > 0xffffffffUL)
		return STATUS_INSUFFICIENT_RESOURCES;
	*ScatterGatherListSize = static_cast<ULONG>(bytes);
	if (NumberOfMapRegisters)
		*NumberOfMapRegisters = static_cast<ULONG>(n);
	return STATUS_SUCCESS;
}

// Whether MapRegisterBase is a's map registers, held (reported if not).
bool regs_of(Adapter *a, PVOID base, const char *routine, void *caller)
{
	bool ok;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		ok = base == &a->regs && a->regs.held;
	}
	if (!ok)
		violation(MMSHIM_DMA_BAD_MAP_REGISTER_BASE, reinterpret_cast<uptr>(base), reinterpret_cast<uptr>(&a->pub),
			  0, routine,
			  "MapRegisterBase is not the map registers AllocateAdapterChannel gave for this adapter "
			  "(or they were freed)",
			  caller);
	return ok;
}

void too_many_registers(Adapter *a, uptr need, uptr have, const char *routine, void *caller)
{
	violation(MMSHIM_DMA_TOO_MANY_MAP_REGISTERS, need, have, reinterpret_cast<uptr>(&a->pub), routine,
		  "more map registers than allocated: FlushAdapterBuffers releases those in use, "
		  "AllocateAdapterChannel may ask for up to what IoGetDmaAdapter granted",
		  caller);
}

void run_waiters(Adapter *a, void *caller);

// What the adapter-control routine (or FreeAdapterObject) decided.
void apply_action(Adapter *a, IO_ALLOCATION_ACTION action, const char *routine, void *caller)
{
	switch (action) {
	case KeepObject:
		break;
	case DeallocateObject: {
		bool regs;
		{
			LockGuard guard(MMSHIM_LOCK_DMA);
			a->channel = false;
			regs = a->regs.held && a->regs.with_channel;
		}
		if (regs)
			release_regs(a, true, routine, caller);
		break;
	}
	case DeallocateObjectKeepRegisters: {
		LockGuard guard(MMSHIM_LOCK_DMA);
		a->channel = false;
		a->regs.with_channel = false;
		break;
	}
	default:
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT, static_cast<uptr>(action),
				 4, 0, routine,
				 "no IO_ALLOCATION_ACTION: channel and map registers stay held (KeepObject)", caller);
		return;
	}
	if (action != KeepObject)
		run_waiters(a, caller);
}

// With the DMA lock held: a's channel (and `regs` map registers, none if
// regs == ~0U) to the caller.
void grant(Adapter *a, ULONG regs)
{
	a->channel = true;
	if (regs != ~0U) {
		a->regs.held = true;
		a->regs.with_channel = true;
		a->regs.count = regs;
	}
}

// What claim() did with a request.
enum class Claim { Taken, ChannelHeld, Unavailable, Queued, QueueFull, DeviceQueued };

// Take a's adapter channel with `regs` map registers (regs == ~0U: the
// channel alone). A request for registers that DeallocateObjectKeepRegisters
// kept, or that would overtake requests already waiting, is queued as `w`
// (Unavailable without one: DMA_SYNCHRONOUS_CALLBACK).
Claim claim(Adapter *a, ULONG regs, const Waiter *w)
{
	LockGuard guard(MMSHIM_LOCK_DMA);
	if (a->channel)
		return Claim::ChannelHeld;
	if (regs != ~0U && (a->regs.held || a->waiters)) {
		if (!w)
			return Claim::Unavailable;
		for (uptr i = 0; i < a->waiters; i++)
			if (a->waiting[i].device == w->device)
				return Claim::DeviceQueued;
		if (a->waiters == kMaxWaiters)
			return Claim::QueueFull;
		a->waiting[a->waiters++] = *w;
		return Claim::Queued;
	}
	grant(a, regs);
	return Claim::Taken;
}

// Report why claim() refused; the status the caller returns.
NTSTATUS refused(Claim c, PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT device, const char *routine, void *caller)
{
	if (c == Claim::ChannelHeld)
		violation(MMSHIM_DMA_TOO_MANY_CHANNELS, 1, reinterpret_cast<uptr>(DmaAdapter), 0, routine,
			  "the adapter channel is already held (one per adapter): FreeAdapterChannel first", caller);
	else if (c == Claim::DeviceQueued)
		violation(MMSHIM_DMA_TOO_MANY_CHANNELS, 2, reinterpret_cast<uptr>(DmaAdapter),
			  reinterpret_cast<uptr>(device), routine,
			  "this device object already has a request waiting for the map registers (one per device "
			  "object, as its wait context block on Windows)",
			  caller);
	return c == Claim::DeviceQueued ? STATUS_INVALID_PARAMETER : STATUS_INSUFFICIENT_RESOURCES;
}

// Hand the channel and the map registers, once both are free, to the
// requests waiting for them, in order; each execution routine runs at
// DISPATCH_LEVEL, as on Windows. Called wherever they are given back.
void run_waiters(Adapter *a, void *caller)
{
	const char *routine = "AllocateAdapterChannel (queued request)";
	for (;;) {
		Waiter w;
		{
			LockGuard guard(MMSHIM_LOCK_DMA);
			if (a->dispatching || !a->waiters || a->channel || a->regs.held)
				return;
			w = take_waiter(a, 0);
			grant(a, w.regs);
			a->dispatching = true; // the routine's own frees do not recurse here
		}
		const bool raise = irql::get() < DISPATCH_LEVEL;
		const KIRQL old = raise ? irql::raise(DISPATCH_LEVEL, routine, caller) : KIRQL{DISPATCH_LEVEL};
		const IO_ALLOCATION_ACTION action = w.routine(w.device, nullptr, &a->regs, w.context);
		if (raise)
			irql::lower(old, routine, caller);
		apply_action(a, action, routine, caller); // its run_waiters returns: dispatching
		LockGuard guard(MMSHIM_LOCK_DMA);
		a->dispatching = false;
	}
}

NTSTATUS allocate_adapter_channel(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, ULONG NumberOfMapRegisters,
				  PDRIVER_CONTROL ExecutionRoutine, PVOID Context)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "AllocateAdapterChannel";
	if (!irql_at_most_dispatch(routine, caller))
		return STATUS_INVALID_PARAMETER;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return STATUS_INVALID_PARAMETER;
	if (!ExecutionRoutine) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 4, 0, 0, routine,
				 "ExecutionRoutine is NULL", caller);
		return STATUS_INVALID_PARAMETER;
	}
	if (NumberOfMapRegisters > a->map_registers) {
		too_many_registers(a, NumberOfMapRegisters, a->map_registers, routine, caller);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	const Waiter w{DeviceObject, nullptr, NumberOfMapRegisters, ExecutionRoutine, Context};
	const Claim c = claim(a, NumberOfMapRegisters, &w);
	if (c == Claim::Queued) // runs when FreeMapRegisters gives the kept registers back
		return STATUS_SUCCESS;
	if (c != Claim::Taken)
		return refused(c, DmaAdapter, DeviceObject, routine, caller);
	apply_action(a, ExecutionRoutine(DeviceObject, nullptr, &a->regs, Context), routine, caller);
	return STATUS_SUCCESS;
}

VOID free_adapter_channel(PDMA_ADAPTER DmaAdapter)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "FreeAdapterChannel";
	if (!irql_at_most_dispatch(routine, caller))
		return;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return;
	bool held, regs = false;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		held = a->channel;
		if (held) {
			a->channel = false;
			regs = a->regs.held && a->regs.with_channel;
		}
	}
	if (!held) {
		violation(MMSHIM_DMA_TOO_MANY_CHANNELS_FREED, 1, reinterpret_cast<uptr>(DmaAdapter), 0, routine,
			  "the adapter channel is not held (freed twice?)", caller);
		return;
	}
	if (regs)
		release_regs(a, true, routine, caller);
	run_waiters(a, caller);
}

VOID free_map_registers(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase, ULONG NumberOfMapRegisters)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "FreeMapRegisters";
	if (!irql_at_most_dispatch(routine, caller))
		return;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return;
	bool ok;
	ULONG count = 0;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		ok = MapRegisterBase == &a->regs && a->regs.held && !a->regs.with_channel;
		count = a->regs.count;
	}
	if (!ok) {
		violation(MMSHIM_DMA_TOO_MANY_MAP_REGISTERS_FREED, NumberOfMapRegisters,
			  reinterpret_cast<uptr>(MapRegisterBase), reinterpret_cast<uptr>(DmaAdapter), routine,
			  "no map registers held under this MapRegisterBase since DeallocateObjectKeepRegisters "
			  "(freed twice, or the channel still owns them: FreeAdapterChannel)",
			  caller);
		return;
	}
	if (NumberOfMapRegisters != count) // all of them are freed: mmshim knows what it gave
		violation(MMSHIM_DMA_MAP_REGISTER_COUNT_MISMATCH, NumberOfMapRegisters, count,
			  reinterpret_cast<uptr>(DmaAdapter), routine,
			  "NumberOfMapRegisters is not the number AllocateAdapterChannel allocated", caller);
	release_regs(a, true, routine, caller);
	run_waiters(a, caller);
}

PHYSICAL_ADDRESS no_address()
{
	PHYSICAL_ADDRESS p;
	p.QuadPart = 0;
	return p;
}

// MapTransfer on a scatter/gather adapter: the physically contiguous run
// at CurrentVa (within one MDL), dma_map_page'd.
PHYSICAL_ADDRESS map_run(Adapter *a, PMDL Mdl, PVOID CurrentVa, ULONG want, bool to_device, PULONG Length,
			 const char *routine, void *caller)
{
	mmshim_dma_frag first{};
	const MDL *run_mdl = nullptr;
	uptr bytes = 0, pages = 0;
	Holds held; // run_mdl's, kept with the run until it is flushed
	const NTSTATUS st = walk_each(
		Mdl, CurrentVa, want, false, !to_device,
		[&](const MDL *m, const mmshim_dma_frag &f, Holds h) {
			if (!pages) {
				first = f;
				run_mdl = m;
				bytes = f.length;
				pages = 1;
				held = h;
				return true;
			}
			const unsigned long long end = (first.pfn << PAGE_SHIFT) + first.offset + bytes;
			if (m != run_mdl || f.offset || (static_cast<unsigned long long>(f.pfn) << PAGE_SHIFT) != end) {
				h.drop(); // the next MDL's: not in this run
				return false;
			}
			bytes += f.length;
			pages++;
			return true;
		},
		routine, caller, true);
	if (!NT_SUCCESS(st) || !pages) {
		held.drop();
		return no_address();
	}
	const uptr holder = held.holder_key;
	uptr used, count;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		used = a->regs.used;
		count = a->regs.count;
	}
	if (used + pages > count) {
		held.drop();
		too_many_registers(a, used + pages, count, routine, caller);
		return no_address();
	}
	unsigned long long bus = 0;
	if (mmshim_plat_dma_map_range(a->dev, first.pfn, first.offset, bytes, to_device, &bus) != 0) {
		held.drop();
		return no_address(); // out of IOVA space or bounce slots: as Windows out of map registers
	}
	bool raced = false;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		MapRegs &r = a->regs;
		if (!r.held || r.used + pages > r.count) {
			raced = true;
		} else {
			Run &run = r.run[r.runs++];
			run = Run{bus, first.pfn, run_mdl, first.offset, static_cast<unsigned>(bytes), 0, to_device,
				  true, {{}, held.own, 0, 0}, holder, {{}, held.holder, 0, 0}};
			set_range(run.use, reinterpret_cast<uptr>(CurrentVa), bytes);
			held = Holds{};
			dmause::add_locked(&run.use, run_mdl);
			if (holder)
				dmause::add_locked(&run.hold, reinterpret_cast<const MDL *>(holder));
			r.used += static_cast<ULONG>(pages);
			r.mapped += bytes;
			if (!r.first_mdl) {
				r.first_mdl = Mdl;
				r.first_va = reinterpret_cast<uptr>(CurrentVa);
			}
			g_runs++;
		}
	}
	if (raced) { // the driver freed the registers from another CPU meanwhile
		mmshim_plat_dma_unmap_range(a->dev, bus, bytes, to_device);
		held.drop();
		return no_address();
	}
	*Length = static_cast<ULONG>(bytes);
	PHYSICAL_ADDRESS p;
	p.QuadPart = static_cast<LONGLONG>(bus);
	return p;
}

// MapTransfer on a non-scatter/gather adapter: the whole transfer goes
// through the bounce buffer (one bus-contiguous range), copied in now for
// writes to the device, copied back at FlushAdapterBuffers for reads.
PHYSICAL_ADDRESS map_bounce(Adapter *a, PMDL Mdl, PVOID CurrentVa, ULONG want, uptr frags, bool to_device,
			    PULONG Length, const char *routine, void *caller)
{
	uptr idx = 0, base = 0, used = 0, count = 0, gen = 0;
	bool over;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		MapRegs &r = a->regs;
		used = r.used;
		count = r.count;
		over = r.used + frags > r.count;
		if (!over) {
			idx = r.runs;
			gen = r.gen;
			base = r.bounce_pages * kPageSize + (reinterpret_cast<uptr>(CurrentVa) & kPageMask);
			r.bounce_pages += frags;
			r.used += static_cast<ULONG>(frags);
			r.runs += frags;
			r.mapped += want;
			for (uptr i = 0; i < frags; i++)
				r.run[idx + i] = Run{};
			if (!r.first_mdl) {
				r.first_mdl = Mdl;
				r.first_va = reinterpret_cast<uptr>(CurrentVa);
			}
			g_runs += frags;
		}
	}
	if (over) {
		too_many_registers(a, used + frags, count, routine, caller);
		return no_address();
	}
	auto *bounce = static_cast<unsigned char *>(a->bounce_va);
	uptr i = 0, pos = base, holder = 0;
	const MDL *last = nullptr;
	(void)walk_each(
		Mdl, CurrentVa, want, false, !to_device,
		[&](const MDL *m, const mmshim_dma_frag &f, Holds h) {
			if (i == frags) {
				h.drop();
				return false; // the chain grew since it was counted
			}
			if (m != last) { // h: m's holds and holder (its first fragment)
				holder = h.holder_key;
				last = m;
			}
			// An MDL's holds go with its first run (flushed with the rest).
			Run &run = a->regs.run[idx + i++];
			run = Run{a->bounce_bus + pos, f.pfn, m, f.offset, f.length, pos, to_device, false, {}, holder, {}};
			set_range(run.use, reinterpret_cast<uptr>(CurrentVa) + (pos - base), f.length);
			__atomic_store_n(&run.use.hold, h.own, __ATOMIC_RELEASE);
			__atomic_store_n(&run.hold.hold, h.holder, __ATOMIC_RELEASE);
			if (to_device)
				mmshim_plat_dma_copy_frame(f.pfn, f.offset, bounce + pos, f.length, 0);
			pos += f.length;
			return true;
		},
		routine, caller, true);
	bool claimed;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		claimed = a->regs.gen == gen; // not flushed or freed from another CPU meanwhile
		if (claimed) {
			for (uptr k = 0; k < i; k++) {
				Run &run = a->regs.run[idx + k];
				run.claimed = true;
				dmause::add_locked(&run.use, run.mdl);
				if (run.holder)
					dmause::add_locked(&run.hold, reinterpret_cast<const MDL *>(run.holder));
			}
		}
	}
	if (!claimed) // a flush took these runs, maybe before their holds were written
		for (uptr k = 0; k < i; k++)
			drop_run_holds(a->regs.run[idx + k]);
	*Length = want;
	PHYSICAL_ADDRESS p;
	p.QuadPart = static_cast<LONGLONG>(a->bounce_bus + base);
	return p;
}

PHYSICAL_ADDRESS map_transfer(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
			      PULONG Length, BOOLEAN WriteToDevice)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MapTransfer";
	if (!Length || !Mdl) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, Mdl ? 5 : 2, 0, 0,
				 routine, Mdl ? "Length is NULL" : "Mdl is NULL", caller);
		if (Length)
			*Length = 0;
		return no_address();
	}
	const ULONG want = *Length;
	*Length = 0;
	if (!irql_at_most_dispatch(routine, caller))
		return no_address();
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a || !regs_of(a, MapRegisterBase, routine, caller))
		return no_address();
	if (!want) {
		refuse(MMSHIM_FAIL_ZERO_LENGTH, reinterpret_cast<uptr>(Mdl), 0, routine, "a transfer of 0 bytes", caller);
		return no_address();
	}
	if (want > a->max_length) {
		violation(MMSHIM_DMA_TRANSFER_OVER_MAXIMUM, reinterpret_cast<uptr>(DmaAdapter), want, a->max_length,
			  routine, "the transfer is longer than DEVICE_DESCRIPTION.MaximumLength", caller);
		return no_address();
	}
	uptr frags = 0;
	// (A bounced transfer from the device is judged here, before it takes
	// registers; map_run judges its own.)
	if (!NT_SUCCESS(walk(Mdl, CurrentVa, want, nullptr, 0, &frags, routine, caller, !a->sg && !WriteToDevice)))
		return no_address();
	if (a->sg)
		return map_run(a, Mdl, CurrentVa, want, WriteToDevice != FALSE, Length, routine, caller);
	return map_bounce(a, Mdl, CurrentVa, want, frags, WriteToDevice != FALSE, Length, routine, caller);
}

bool flush(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa, ULONG Length,
	   BOOLEAN WriteToDevice, const char *routine, void *caller)
{
	if (!irql_at_most_dispatch(routine, caller))
		return FALSE;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a || !regs_of(a, MapRegisterBase, routine, caller))
		return FALSE;
	Taken t;
	bool other_direction = false;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		for (uptr i = 0; i < a->regs.runs; i++)
			if (a->regs.run[i].length && a->regs.run[i].to_device != (WriteToDevice != FALSE))
				other_direction = true;
		t = take_runs(a);
	}
	if (t.runs && (Mdl != t.mdl || reinterpret_cast<uptr>(CurrentVa) != t.va || other_direction))
		violation(MMSHIM_DMA_FLUSH_MISMATCH, reinterpret_cast<uptr>(Mdl), reinterpret_cast<uptr>(t.mdl),
			  reinterpret_cast<uptr>(CurrentVa), routine,
			  "FlushAdapterBuffers names another MDL, CurrentVa or direction than the first MapTransfer "
			  "since the last flush (mmshim flushes what was mapped)",
			  caller);
	if (Length > t.mapped)
		violation(MMSHIM_DMA_FLUSH_TOO_LONG, 1, t.mapped, Length, routine,
			  "FlushAdapterBuffers of more bytes than MapTransfer mapped since the last flush", caller);
	finish_runs(a, t.runs, true);
	return TRUE;
}

BOOLEAN flush_adapter_buffers(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
			      ULONG Length, BOOLEAN WriteToDevice)
{
	return flush(DmaAdapter, Mdl, MapRegisterBase, CurrentVa, Length, WriteToDevice, "FlushAdapterBuffers",
		     MMSHIM_CALLER());
}

// ---- version 3 (DEVICE_DESCRIPTION_VERSION3) ----------------------------
//
// mmshim never leaves an allocation pending: an execution routine has run
// before the call that asked for it returns. So DMA_SYNCHRONOUS_CALLBACK
// changes only what happens when the resources are taken (the call fails
// at once, without a report), and CancelAdapterChannel has nothing to
// cancel. A transfer context is checked to be one InitializeDmaTransferContext
// set up for the same adapter.

constexpr uptr kContextMagic = 0x4d53444d41435458ULL; // "MSDMACTX"

bool context_ok(Adapter *a, PVOID ctx, const char *routine, void *caller)
{
	if (!ctx) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 3, 0, 0, routine,
				 "DmaTransferContext is NULL", caller);
		return false;
	}
	uptr v[2];
	__builtin_memcpy(v, ctx, sizeof(v));
	const uptr key = reinterpret_cast<uptr>(&a->pub);
	if (v[0] == (kContextMagic ^ key) && v[1] == key)
		return true;
	violation(MMSHIM_DMA_BAD_TRANSFER_CONTEXT, reinterpret_cast<uptr>(ctx), key, 0, routine,
		  "DmaTransferContext was not set up by InitializeDmaTransferContext for this adapter", caller);
	return false;
}

// Flags and DmaCompletionRoutine of the Ex routines.
bool ex_args_ok(ULONG flags, PDMA_COMPLETION_ROUTINE completion, const char *routine, void *caller)
{
	if (flags & ~ULONG{DMA_SYNCHRONOUS_CALLBACK}) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT, flags, 0, 0, routine,
				 "unknown Flags (only DMA_SYNCHRONOUS_CALLBACK exists)", caller);
		return false;
	}
	if (completion) {
		refuse(MMSHIM_FAIL_UNSUPPORTED, reinterpret_cast<uptr>(completion), 0, routine,
		       "DmaCompletionRoutine is for system DMA controllers, which Linux does not have: pass NULL",
		       caller);
		return false;
	}
	return true;
}

// The MDL of the chain that byte Offset (counted from the start of Mdl's
// range, through the chain) is in, and its address there.
bool at_offset(PMDL Mdl, ULONGLONG Offset, PMDL *mdl, PVOID *va, const char *routine, void *caller)
{
	PMDL m = Mdl;
	ULONGLONG off = Offset;
	for (uptr depth = 0; m && off >= m->ByteCount && depth < kMaxChain; depth++) {
		off -= m->ByteCount;
		m = m->Next;
	}
	if (!m || off >= m->ByteCount) {
		violation(MMSHIM_DMA_BAD_CURRENT_VA, reinterpret_cast<uptr>(Mdl), static_cast<uptr>(Offset), 0, routine,
			  "Offset is beyond the MDL chain", caller);
		return false;
	}
	*mdl = m;
	*va = static_cast<char *>(MmGetMdlVirtualAddress(m)) + off;
	return true;
}

NTSTATUS get_dma_adapter_info(PDMA_ADAPTER DmaAdapter, PDMA_ADAPTER_INFO AdapterInfo)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "GetDmaAdapterInfo";
	if (!irql_at_most_dispatch(routine, caller))
		return STATUS_INVALID_PARAMETER;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return STATUS_INVALID_PARAMETER;
	if (!AdapterInfo) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 2, 0, 0, routine,
				 "AdapterInfo is NULL", caller);
		return STATUS_INVALID_PARAMETER;
	}
	if (AdapterInfo->Version != DMA_ADAPTER_INFO_VERSION1) {
		refuse(MMSHIM_FAIL_UNSUPPORTED, AdapterInfo->Version, 0, routine,
		       "DMA_ADAPTER_INFO.Version must be DMA_ADAPTER_INFO_VERSION1", caller);
		return STATUS_NOT_SUPPORTED;
	}
	AdapterInfo->V1.ReadDmaCounterAvailable = FALSE;
	AdapterInfo->V1.ScatterGatherLimit = a->sg ? a->map_registers : 1;
	AdapterInfo->V1.DmaAddressWidth = a->bits;
	AdapterInfo->V1.Flags = ADAPTER_INFO_SYNCHRONOUS_CALLBACK;
	AdapterInfo->V1.MinimumTransferUnit = 0;
	return STATUS_SUCCESS;
}

NTSTATUS get_dma_transfer_info(PDMA_ADAPTER DmaAdapter, PMDL Mdl, ULONGLONG Offset, ULONG Length,
			       BOOLEAN WriteOnly, PDMA_TRANSFER_INFO TransferInfo)
{
	(void)WriteOnly;
	void *caller = MMSHIM_CALLER();
	const char *routine = "GetDmaTransferInfo";
	if (!irql_at_most_dispatch(routine, caller))
		return STATUS_INVALID_PARAMETER;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return STATUS_INVALID_PARAMETER;
	if (!Mdl || !TransferInfo) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, Mdl ? 6 : 2, 0, 0,
				 routine, Mdl ? "TransferInfo is NULL" : "Mdl is NULL", caller);
		return STATUS_INVALID_PARAMETER;
	}
	const ULONG version = TransferInfo->Version;
	if (version != DMA_TRANSFER_INFO_VERSION1 && version != DMA_TRANSFER_INFO_VERSION2) {
		refuse(MMSHIM_FAIL_UNSUPPORTED, version, 0, routine,
		       "DMA_TRANSFER_INFO.Version must be DMA_TRANSFER_INFO_VERSION1 or 2", caller);
		return STATUS_NOT_SUPPORTED;
	}
	if (!Length) {
		refuse(MMSHIM_FAIL_ZERO_LENGTH, reinterpret_cast<uptr>(Mdl), 0, routine, "a transfer of 0 bytes", caller);
		return STATUS_INVALID_PARAMETER;
	}
	PMDL m;
	PVOID va;
	uptr n = 0;
	if (!at_offset(Mdl, Offset, &m, &va, routine, caller))
		return STATUS_INVALID_PARAMETER;
	const NTSTATUS st = walk(m, va, Length, nullptr, 0, &n, routine, caller);
	if (!NT_SUCCESS(st))
		return st;
	const uptr bytes = block_bytes(n);
	if (bytes > 0xffffffffUL)
		return STATUS_INSUFFICIENT_RESOURCES;
	// One map register and at most one element per page fragment; the
	// list size is what BuildScatterGatherList(Ex) needs.
	TransferInfo->V1.MapRegisterCount = static_cast<ULONG>(n);
	TransferInfo->V1.ScatterGatherElementCount = static_cast<ULONG>(n);
	TransferInfo->V1.ScatterGatherListSize = static_cast<ULONG>(bytes);
	if (version == DMA_TRANSFER_INFO_VERSION2)
		TransferInfo->V2.LogicalPageCount = static_cast<ULONG>(n);
	return STATUS_SUCCESS;
}

NTSTATUS initialize_dma_transfer_context(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "InitializeDmaTransferContext";
	if (!irql_at_most_dispatch(routine, caller))
		return STATUS_INVALID_PARAMETER;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return STATUS_INVALID_PARAMETER;
	if (!DmaTransferContext) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 2, 0, 0, routine,
				 "DmaTransferContext is NULL", caller);
		return STATUS_INVALID_PARAMETER;
	}
	const uptr key = reinterpret_cast<uptr>(&a->pub);
	const uptr v[2] = {kContextMagic ^ key, key};
	__builtin_memset(DmaTransferContext, 0, DMA_TRANSFER_CONTEXT_SIZE_V1);
	__builtin_memcpy(DmaTransferContext, v, sizeof(v));
	return STATUS_SUCCESS;
}

PVOID allocate_common_buffer_ex(PDMA_ADAPTER DmaAdapter, PPHYSICAL_ADDRESS MaximumAddress, ULONG Length,
				PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled, NODE_REQUIREMENT PreferredNode)
{
	(void)CacheEnabled;
	(void)PreferredNode; // the device's node, as dma_alloc_coherent chooses (docs/dma.md)
	unsigned long long max = ~0ULL;
	if (MaximumAddress)
		max = static_cast<unsigned long long>(MaximumAddress->QuadPart);
	return alloc_common(DmaAdapter, Length, LogicalAddress, max, "AllocateCommonBufferEx", MMSHIM_CALLER());
}

NTSTATUS allocate_adapter_channel_ex(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PVOID DmaTransferContext,
				     ULONG NumberOfMapRegisters, ULONG Flags, PDRIVER_CONTROL ExecutionRoutine,
				     PVOID ExecutionContext, PVOID *MapRegisterBase)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "AllocateAdapterChannelEx";
	if (!irql_at_most_dispatch(routine, caller))
		return STATUS_INVALID_PARAMETER;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a || !context_ok(a, DmaTransferContext, routine, caller) || !ex_args_ok(Flags, nullptr, routine, caller))
		return STATUS_INVALID_PARAMETER;
	const bool sync = Flags & DMA_SYNCHRONOUS_CALLBACK;
	if (!ExecutionRoutine && (!sync || !MapRegisterBase)) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, sync ? 8 : 6, 0, 0,
				 routine,
				 sync ? "neither ExecutionRoutine nor MapRegisterBase"
				      : "ExecutionRoutine is NULL without DMA_SYNCHRONOUS_CALLBACK",
				 caller);
		return STATUS_INVALID_PARAMETER;
	}
	if (NumberOfMapRegisters > a->map_registers) {
		too_many_registers(a, NumberOfMapRegisters, a->map_registers, routine, caller);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	// Synchronous: "not immediately available" fails, as on Windows.
	const Waiter w{DeviceObject, DmaTransferContext, NumberOfMapRegisters, ExecutionRoutine, ExecutionContext};
	const Claim c = claim(a, NumberOfMapRegisters, sync ? nullptr : &w);
	if (c == Claim::Queued)
		return STATUS_SUCCESS;
	if (c != Claim::Taken)
		return sync ? STATUS_INSUFFICIENT_RESOURCES : refused(c, DmaAdapter, DeviceObject, routine, caller);
	if (MapRegisterBase)
		*MapRegisterBase = &a->regs;
	if (ExecutionRoutine) // else the channel is the driver's until FreeAdapterObject
		apply_action(a, ExecutionRoutine(DeviceObject, nullptr, &a->regs, ExecutionContext), routine, caller);
	return STATUS_SUCCESS;
}

VOID free_adapter_object(PDMA_ADAPTER DmaAdapter, IO_ALLOCATION_ACTION AllocationAction)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "FreeAdapterObject";
	if (!irql_at_most_dispatch(routine, caller))
		return;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return;
	if (AllocationAction != DeallocateObject && AllocationAction != DeallocateObjectKeepRegisters) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
				 static_cast<uptr>(AllocationAction), 2, 0, routine,
				 "AllocationAction must be DeallocateObject or DeallocateObjectKeepRegisters", caller);
		return;
	}
	bool held;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		held = a->channel;
	}
	if (!held) {
		violation(MMSHIM_DMA_TOO_MANY_CHANNELS_FREED, 1, reinterpret_cast<uptr>(DmaAdapter), 0, routine,
			  "the adapter object is not allocated (freed twice, or its execution routine already "
			  "returned an IO_ALLOCATION_ACTION)",
			  caller);
		return;
	}
	apply_action(a, AllocationAction, routine, caller);
}

NTSTATUS configure_adapter_channel(PDMA_ADAPTER DmaAdapter, ULONG FunctionNumber, PVOID Context)
{
	(void)Context;
	void *caller = MMSHIM_CALLER();
	const char *routine = "ConfigureAdapterChannel";
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return STATUS_INVALID_PARAMETER;
	refuse(MMSHIM_FAIL_UNSUPPORTED, FunctionNumber, 0, routine,
	       "a bus-master adapter has no DMA controller functions to configure", caller);
	return STATUS_NOT_SUPPORTED;
}

BOOLEAN cancel_adapter_channel(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PVOID DmaTransferContext)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "CancelAdapterChannel";
	if (!irql_at_most_dispatch(routine, caller))
		return FALSE;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a || !context_ok(a, DmaTransferContext, routine, caller))
		return FALSE;
	// A request still waiting for the map registers is taken out: its
	// execution routine will not run. One already granted cannot be.
	LockGuard guard(MMSHIM_LOCK_DMA);
	for (uptr i = 0; i < a->waiters; i++) {
		if (a->waiting[i].transfer != DmaTransferContext || a->waiting[i].device != DeviceObject)
			continue;
		(void)take_waiter(a, i);
		return TRUE;
	}
	return FALSE;
}

NTSTATUS cancel_mapped_transfer(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "CancelMappedTransfer";
	if (!irql_at_most_dispatch(routine, caller))
		return STATUS_INVALID_PARAMETER;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a || !context_ok(a, DmaTransferContext, routine, caller))
		return STATUS_INVALID_PARAMETER;
	return STATUS_NOT_SUPPORTED; // system DMA only: a bus master's transfer is the device's to stop
}

NTSTATUS map_transfer_ex(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, ULONGLONG Offset,
			 ULONG DeviceOffset, PULONG Length, BOOLEAN WriteToDevice,
			 PSCATTER_GATHER_LIST ScatterGatherBuffer, ULONG ScatterGatherBufferLength,
			 PDMA_COMPLETION_ROUTINE DmaCompletionRoutine, PVOID CompletionContext)
{
	(void)DeviceOffset; // system DMA only
	(void)CompletionContext;
	void *caller = MMSHIM_CALLER();
	const char *routine = "MapTransferEx";
	if (!Length || !Mdl || !ScatterGatherBuffer) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
				 !Mdl ? 2 : !Length ? 6 : 8, 0, 0, routine,
				 !Mdl ? "Mdl is NULL" : !Length ? "Length is NULL" : "ScatterGatherBuffer is NULL", caller);
		if (Length)
			*Length = 0;
		return STATUS_INVALID_PARAMETER;
	}
	const ULONG want = *Length;
	*Length = 0;
	if (!irql_at_most_dispatch(routine, caller))
		return STATUS_INVALID_PARAMETER;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a || !regs_of(a, MapRegisterBase, routine, caller) || !ex_args_ok(0, DmaCompletionRoutine, routine, caller))
		return STATUS_INVALID_PARAMETER;
	if (!want) {
		refuse(MMSHIM_FAIL_ZERO_LENGTH, reinterpret_cast<uptr>(Mdl), 0, routine, "a transfer of 0 bytes", caller);
		return STATUS_INVALID_PARAMETER;
	}
	if (want > a->max_length) {
		violation(MMSHIM_DMA_TRANSFER_OVER_MAXIMUM, reinterpret_cast<uptr>(DmaAdapter), want, a->max_length,
			  routine, "the transfer is longer than DEVICE_DESCRIPTION.MaximumLength", caller);
		return STATUS_INVALID_PARAMETER;
	}
	const uptr room = ScatterGatherBufferLength < sizeof(SCATTER_GATHER_LIST)
				  ? 0
				  : (ScatterGatherBufferLength - sizeof(SCATTER_GATHER_LIST)) / sizeof(SCATTER_GATHER_ELEMENT);
	if (!room)
		return STATUS_BUFFER_TOO_SMALL;
	PMDL m;
	PVOID va;
	uptr frags = 0;
	if (!at_offset(Mdl, Offset, &m, &va, routine, caller) ||
	    !NT_SUCCESS(walk(m, va, want, nullptr, 0, &frags, routine, caller, !a->sg && !WriteToDevice)))
		return STATUS_INVALID_PARAMETER;
	const bool to_device = WriteToDevice != FALSE;
	ULONG done = 0, n = 0;
	if (!a->sg) {
		ULONG len = 0;
		const PHYSICAL_ADDRESS p = map_bounce(a, m, va, want, frags, to_device, &len, routine, caller);
		if (!len)
			return STATUS_INSUFFICIENT_RESOURCES;
		ScatterGatherBuffer->Elements[n].Address = p;
		ScatterGatherBuffer->Elements[n].Length = len;
		ScatterGatherBuffer->Elements[n++].Reserved = 0;
		done = len;
	}
	// Scatter/gather: one element per physically contiguous run, as far as
	// the buffer's elements and the map registers left reach (*Length says).
	for (uptr depth = 0; a->sg && done < want && n < room && depth < kMaxChain;) {
		const uptr start = reinterpret_cast<uptr>(MmGetMdlVirtualAddress(m));
		if (reinterpret_cast<uptr>(va) - start >= m->ByteCount) { // on into the next MDL
			m = m->Next;
			depth++;
			if (!m)
				break;
			va = MmGetMdlVirtualAddress(m);
			continue;
		}
		uptr left;
		{
			LockGuard guard(MMSHIM_LOCK_DMA);
			left = a->regs.count > a->regs.used ? a->regs.count - a->regs.used : 0;
		}
		uptr len_i = want - done;
		const uptr reach = left * kPageSize - (reinterpret_cast<uptr>(va) & kPageMask);
		if (n && !left)
			break; // the registers are used up: a shorter transfer, as Windows
		if (n && reach < len_i)
			len_i = reach;
		ULONG len = 0;
		const PHYSICAL_ADDRESS p = map_run(a, m, va, static_cast<ULONG>(len_i), to_device, &len, routine, caller);
		if (!len) {
			if (!n)
				return STATUS_INSUFFICIENT_RESOURCES;
			break;
		}
		ScatterGatherBuffer->Elements[n].Address = p;
		ScatterGatherBuffer->Elements[n].Length = len;
		ScatterGatherBuffer->Elements[n++].Reserved = 0;
		done += len;
		va = static_cast<char *>(va) + len;
	}
	ScatterGatherBuffer->NumberOfElements = n;
	ScatterGatherBuffer->Reserved = 0;
	*Length = done;
	return STATUS_SUCCESS;
}

NTSTATUS flush_adapter_buffers_ex(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, ULONGLONG Offset,
				  ULONG Length, BOOLEAN WriteToDevice)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "FlushAdapterBuffersEx";
	if (!Mdl) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 2, 0, 0, routine,
				 "Mdl is NULL", caller);
		return STATUS_INVALID_PARAMETER;
	}
	PMDL m;
	PVOID va;
	if (!at_offset(Mdl, Offset, &m, &va, routine, caller))
		return STATUS_INVALID_PARAMETER;
	return flush(DmaAdapter, m, MapRegisterBase, va, Length, WriteToDevice, routine, caller)
		       ? STATUS_SUCCESS
		       : STATUS_INVALID_PARAMETER;
}

// GetScatterGatherListEx and BuildScatterGatherListEx (buffer != nullptr).
NTSTATUS list_ex(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PVOID ctx, PMDL Mdl, ULONGLONG Offset,
		 ULONG Length, ULONG Flags, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
		 BOOLEAN WriteToDevice, PVOID buffer, ULONG buffer_length, PDMA_COMPLETION_ROUTINE completion,
		 SCATTER_GATHER_LIST **out, const char *routine, void *caller)
{
	if (!irql_at_most_dispatch(routine, caller))
		return STATUS_INVALID_PARAMETER;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a || !context_ok(a, ctx, routine, caller) || !ex_args_ok(Flags, completion, routine, caller))
		return STATUS_INVALID_PARAMETER;
	const bool sync = Flags & DMA_SYNCHRONOUS_CALLBACK;
	if (!Mdl || (!ExecutionRoutine && (!sync || !out))) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, Mdl ? 8 : 4, 0, 0, routine,
				 !Mdl  ? "Mdl is NULL"
				 : sync ? "neither ExecutionRoutine nor ScatterGatherList"
					: "ExecutionRoutine is NULL without DMA_SYNCHRONOUS_CALLBACK",
				 caller);
		return STATUS_INVALID_PARAMETER;
	}
	PMDL m;
	PVOID va;
	if (!at_offset(Mdl, Offset, &m, &va, routine, caller))
		return STATUS_INVALID_PARAMETER;
	// Without an execution routine the driver uses the list after the call
	// returns, holding the adapter object until FreeAdapterObject (as
	// Windows); a second such call meanwhile finds it taken.
	const bool hold = !ExecutionRoutine;
	if (hold && claim(a, ~0U, nullptr) != Claim::Taken)
		return STATUS_INSUFFICIENT_RESOURCES;
	const NTSTATUS st = map_list(a, DeviceObject, m, va, Length, ExecutionRoutine, Context, WriteToDevice, buffer,
				     buffer_length, out, routine, caller);
	if (!NT_SUCCESS(st) && hold) {
		{
			LockGuard guard(MMSHIM_LOCK_DMA);
			a->channel = false;
		}
		run_waiters(a, caller);
	}
	return st;
}

NTSTATUS get_scatter_gather_list_ex(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PVOID DmaTransferContext,
				    PMDL Mdl, ULONGLONG Offset, ULONG Length, ULONG Flags,
				    PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context, BOOLEAN WriteToDevice,
				    PDMA_COMPLETION_ROUTINE DmaCompletionRoutine, PVOID CompletionContext,
				    PSCATTER_GATHER_LIST *ScatterGatherList)
{
	(void)CompletionContext;
	return list_ex(DmaAdapter, DeviceObject, DmaTransferContext, Mdl, Offset, Length, Flags, ExecutionRoutine,
		       Context, WriteToDevice, nullptr, 0, DmaCompletionRoutine, ScatterGatherList,
		       "GetScatterGatherListEx", MMSHIM_CALLER());
}

NTSTATUS build_scatter_gather_list_ex(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
				      PVOID DmaTransferContext, PMDL Mdl, ULONGLONG Offset, ULONG Length, ULONG Flags,
				      PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context, BOOLEAN WriteToDevice,
				      PVOID ScatterGatherBuffer, ULONG ScatterGatherLength,
				      PDMA_COMPLETION_ROUTINE DmaCompletionRoutine, PVOID CompletionContext,
				      PVOID ScatterGatherList)
{
	(void)CompletionContext;
	void *caller = MMSHIM_CALLER();
	const char *routine = "BuildScatterGatherListEx";
	if (!ScatterGatherBuffer) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 11, 0, 0, routine,
				 "ScatterGatherBuffer is NULL", caller);
		return STATUS_INVALID_PARAMETER;
	}
	return list_ex(DmaAdapter, DeviceObject, DmaTransferContext, Mdl, Offset, Length, Flags, ExecutionRoutine,
		       Context, WriteToDevice, ScatterGatherBuffer, ScatterGatherLength, DmaCompletionRoutine,
		       static_cast<SCATTER_GATHER_LIST **>(ScatterGatherList), routine, caller);
}

// The table for versions 0 to 2, and with the version-3 slots (Windows 8's
// version-3 table) for DEVICE_DESCRIPTION_VERSION3.
constexpr DMA_OPERATIONS make_ops(bool v3)
{
	DMA_OPERATIONS o{};
	o.Size = v3 ? __builtin_offsetof(DMA_OPERATIONS, AllocateDomainCommonBuffer)
		    : __builtin_offsetof(DMA_OPERATIONS, BuildMdlFromScatterGatherList);
	o.PutDmaAdapter = put_dma_adapter;
	o.AllocateCommonBuffer = allocate_common_buffer;
	o.FreeCommonBuffer = free_common_buffer;
	o.AllocateAdapterChannel = allocate_adapter_channel;
	o.FlushAdapterBuffers = flush_adapter_buffers;
	o.FreeAdapterChannel = free_adapter_channel;
	o.FreeMapRegisters = free_map_registers;
	o.MapTransfer = map_transfer;
	o.GetDmaAlignment = get_dma_alignment;
	o.GetScatterGatherList = get_scatter_gather_list;
	o.PutScatterGatherList = put_scatter_gather_list;
	o.CalculateScatterGatherList = calculate_scatter_gather_list;
	o.BuildScatterGatherList = build_scatter_gather_list;
	if (!v3)
		return o;
	o.GetDmaAdapterInfo = get_dma_adapter_info;
	o.GetDmaTransferInfo = get_dma_transfer_info;
	o.InitializeDmaTransferContext = initialize_dma_transfer_context;
	o.AllocateCommonBufferEx = allocate_common_buffer_ex;
	o.AllocateAdapterChannelEx = allocate_adapter_channel_ex;
	o.ConfigureAdapterChannel = configure_adapter_channel;
	o.CancelAdapterChannel = cancel_adapter_channel;
	o.MapTransferEx = map_transfer_ex;
	o.GetScatterGatherListEx = get_scatter_gather_list_ex;
	o.BuildScatterGatherListEx = build_scatter_gather_list_ex;
	o.FlushAdapterBuffersEx = flush_adapter_buffers_ex;
	o.FreeAdapterObject = free_adapter_object;
	o.CancelMappedTransfer = cancel_mapped_transfer;
	return o;
}

constinit DMA_OPERATIONS g_ops = make_ops(false);
constinit DMA_OPERATIONS g_ops_v3 = make_ops(true);

} // namespace

void release_all_at_unload()
{
	const uptr leaked = drain(g_adapters, MMSHIM_LOCK_DMA, [](KeyedLink *l) {
		Adapter *a = from_link<Adapter>(l);
		release_children(a);
		free_adapter(a);
	});
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		for (uptr &slot : g_live)
			__atomic_store_n(&slot, 0, __ATOMIC_RELAXED);
	}
	if (leaked)
		violation(MMSHIM_DMA_ADAPTER_LEAKED_AT_UNLOAD, leaked, 0, 0, "mmshim unload",
			  "DMA adapters were never put; mmshim releases them with their lists and common buffers",
			  nullptr);
	drain(g_devices, MMSHIM_LOCK_DMA, [](KeyedLink *l) { mmshim_plat_free(l); });
}

} // namespace mmshim::dma

using namespace mmshim;
using namespace mmshim::dma;

extern "C" void *mmshim_core_dma_device_object(void *dev, void *caller)
{
	if (!dev) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 1, 0, 0,
				 "MmshimDeviceObject", "the struct device is NULL", caller);
		return nullptr;
	}
	const uptr key = reinterpret_cast<uptr>(dev);
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		if (KeyedLink *l = g_devices.find(key))
			return l;
	}
	const unsigned flags = MMSHIM_ALLOC_ZERO | (mmshim_plat_may_sleep() ? 0u : unsigned{MMSHIM_ALLOC_ATOMIC});
	auto *d = static_cast<DeviceObject *>(mmshim_plat_alloc(sizeof(DeviceObject), flags));
	if (!d)
		return nullptr;
	LockGuard guard(MMSHIM_LOCK_DMA);
	if (KeyedLink *l = g_devices.find(key)) { // another thread was first
		mmshim_plat_free(d);
		return l;
	}
	g_devices.insert(&d->link, key);
	return &d->link;
}

extern "C" PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject,
					PDEVICE_DESCRIPTION DeviceDescription, PULONG NumberOfMapRegisters)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "IoGetDmaAdapter";
	if (!passive(routine, caller))
		return nullptr;
	if (!DeviceDescription || !NumberOfMapRegisters) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
				 DeviceDescription ? 3 : 2, 0, 0, routine,
				 DeviceDescription ? "NumberOfMapRegisters is NULL" : "DeviceDescription is NULL",
				 caller);
		return nullptr;
	}
	void *dev = nullptr;
	DeviceObject *pdo = nullptr;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		KeyedLink *want = reinterpret_cast<KeyedLink *>(PhysicalDeviceObject);
		if (KeyedLink *l = g_devices.find_if([want](KeyedLink *k) { return k == want; })) {
			pdo = from_link<DeviceObject>(l);
			dev = reinterpret_cast<void *>(l->key);
		}
	}
	if (!pdo) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
				 reinterpret_cast<uptr>(PhysicalDeviceObject), 1, 0, routine,
				 "PhysicalDeviceObject does not come from MmshimDeviceObject()", caller);
		return nullptr;
	}
	const DEVICE_DESCRIPTION &dd = *DeviceDescription;
	if (dd.Version > DEVICE_DESCRIPTION_VERSION3) {
		refuse(MMSHIM_FAIL_UNSUPPORTED, dd.Version, 0, routine,
		       "DEVICE_DESCRIPTION version above 3", caller);
		return nullptr;
	}
	if (!dd.Master || dd.InterfaceType == Isa || dd.InterfaceType == Eisa) {
		refuse(MMSHIM_FAIL_UNSUPPORTED, dd.Master, static_cast<uptr>(dd.InterfaceType), routine,
		       "system (slave) DMA and ISA/EISA DMA controllers do not exist on Linux: only bus masters",
		       caller);
		return nullptr;
	}
	unsigned bits = dd.Dma64BitAddresses ? 64 : 32;
	if (dd.Version >= DEVICE_DESCRIPTION_VERSION3 && dd.DmaAddressWidth)
		bits = dd.DmaAddressWidth;
	if (bits < 24 || bits > 64) {
		refuse(MMSHIM_FAIL_UNSUPPORTED, bits, 0, routine, "DmaAddressWidth must be 24 to 64 bits", caller);
		return nullptr;
	}
	if (!dd.MaximumLength) {
		refuse(MMSHIM_FAIL_ZERO_LENGTH, 0, 0, routine, "DEVICE_DESCRIPTION.MaximumLength is 0", caller);
		return nullptr;
	}
	if (mmshim_plat_dma_set_mask(dev, bits) < 0) {
		refuse(MMSHIM_FAIL_UNSUPPORTED, bits, reinterpret_cast<uptr>(dev), routine,
		       "the platform cannot give the device this DMA mask (dma_set_mask_and_coherent failed)",
		       caller);
		return nullptr;
	}
	const uptr small = align8(block_bytes(kSmallPages));
	const uptr head = align8(sizeof(Adapter));
	auto *mem = static_cast<unsigned char *>(
		mmshim_plat_alloc(head + kSmallLists * small, MMSHIM_ALLOC_ZERO));
	if (!mem)
		return nullptr;
	auto *a = reinterpret_cast<Adapter *>(mem);
	a->pub.Version = 1;
	a->pub.Size = sizeof(DMA_ADAPTER);
	a->pub.DmaOperations = dd.Version >= DEVICE_DESCRIPTION_VERSION3 ? &g_ops_v3 : &g_ops;
	a->bits = bits;
	a->dev = dev;
	a->pdo = pdo;
	a->max_length = dd.MaximumLength;
	a->map_registers = static_cast<ULONG>(span_pages(0, dd.MaximumLength) + 1);
	a->sg = dd.ScatterGather != FALSE;
	if (!a->sg && a->map_registers > kMaxBouncePages)
		a->map_registers = kMaxBouncePages; // as Windows, fewer than asked: transfers are split
	for (unsigned i = 0; i < kSmallLists; i++) {
		List *l = lay_out(mem + head + i * small, kSmallPages);
		l->cached = true;
		l->next_free = a->free;
		a->free = l;
	}
	mmshim_plat_dma_get_device(dev);
	a->regs.run = static_cast<Run *>(mmshim_plat_alloc(uptr{a->map_registers} * sizeof(Run), MMSHIM_ALLOC_ZERO));
	if (a->regs.run && !a->sg)
		a->bounce_va = mmshim_plat_dma_alloc_coherent(dev, uptr{a->map_registers} * kPageSize, &a->bounce_bus);
	if (!a->regs.run || (!a->sg && !a->bounce_va)) {
		free_adapter(a);
		return nullptr;
	}
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		g_adapters.insert(&a->link, reinterpret_cast<uptr>(&a->pub));
		live_add_locked(reinterpret_cast<uptr>(&a->pub));
	}
	*NumberOfMapRegisters = a->map_registers;
	return &a->pub;
}

extern "C" VOID MmshimDmaUsage(PSIZE_T Adapters, PSIZE_T Lists, PSIZE_T CommonBuffers)
{
	LockGuard guard(MMSHIM_LOCK_DMA);
	if (Adapters)
		*Adapters = g_adapters.count();
	if (Lists)
		*Lists = g_lists.count();
	if (CommonBuffers)
		*CommonBuffers = g_buffers.count();
}

extern "C" VOID MmshimDmaPacketUsage(PSIZE_T Channels, PSIZE_T MapRegisterSets, PSIZE_T Mappings)
{
	uptr channels = 0, sets = 0;
	LockGuard guard(MMSHIM_LOCK_DMA);
	(void)g_adapters.find_if([&](KeyedLink *l) {
		const Adapter *a = from_link<Adapter>(l);
		channels += a->channel ? 1 : 0;
		sets += a->regs.held ? 1 : 0;
		return false;
	});
	if (Channels)
		*Channels = channels;
	if (MapRegisterSets)
		*MapRegisterSets = sets;
	if (Mappings)
		*Mappings = g_runs;
}
