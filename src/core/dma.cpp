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
#include <wdm.h>
#include "dma.h"
#include "irql.h"
#include "mdl.h"
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
	mmshim_dma_frag *frag;
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

struct Adapter {
	KeyedLink link; // key: &pub
	DMA_ADAPTER pub;
	void *dev;
	DeviceObject *pdo;
	ULONG max_length;
	ULONG map_registers;
	uptr lists;   // outstanding scatter/gather lists
	uptr buffers; // outstanding common buffers
	List *free;   // preallocated blocks not in use
};

constinit KeyedTable<16> g_devices;
constinit KeyedTable<32> g_adapters;
constinit KeyedTable<256> g_lists;
constinit KeyedTable<64> g_buffers;

constexpr uptr align8(uptr v) { return (v + 7) & ~uptr{7}; }

uptr sgl_bytes(uptr n) { return sizeof(SCATTER_GATHER_LIST) + n * sizeof(SCATTER_GATHER_ELEMENT); }

// Bytes of a list block for n fragments.
uptr block_bytes(uptr n)
{
	return align8(sgl_bytes(n)) + align8(sizeof(List)) + n * sizeof(mmshim_dma_frag) +
	       align8(mmshim_plat_dma_sg_size(n));
}

// Lay a list out in the block at `mem` for `n` fragments.
List *lay_out(void *mem, uptr n)
{
	auto *base = static_cast<unsigned char *>(mem);
	auto *l = reinterpret_cast<List *>(base + align8(sgl_bytes(n)));
	*l = List{};
	l->capacity = n;
	l->frag = reinterpret_cast<mmshim_dma_frag *>(reinterpret_cast<unsigned char *>(l) + align8(sizeof(List)));
	l->sg_state = reinterpret_cast<unsigned char *>(l->frag) + n * sizeof(mmshim_dma_frag);
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

// The live adapter behind a driver's pointer, or nullptr (reported).
Adapter *adapter_of(PDMA_ADAPTER a, const char *routine, void *caller)
{
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		if (KeyedLink *l = g_adapters.find(reinterpret_cast<uptr>(a)))
			return from_link<Adapter>(l);
	}
	violation(MMSHIM_DMA_BAD_ADAPTER, reinterpret_cast<uptr>(a), 0, 0, routine,
		  "not a DMA adapter from IoGetDmaAdapter, or one already put", caller);
	return nullptr;
}

// Walk [CurrentVa, CurrentVa + length) over the MDL chain from `mdl`:
// count the page fragments into *count and, if `out`, write them. Checks
// every MDL it reads (reported, nothing changed on failure). With `out`,
// at most `cap` fragments are written: a chain the driver changed since it
// was counted fails instead of overrunning.
NTSTATUS walk(MDL *mdl, PVOID current_va, ULONG length, mmshim_dma_frag *out, uptr cap, uptr *count,
	      const char *routine, void *caller)
{
	uptr remaining = length, n = 0, depth = 0;
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
		if (!mdl::described_span(m, &pages) || pages > mdl::capacity_pages(m)) {
			verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_CORRUPT,
					 reinterpret_cast<uptr>(m), pages, 0, routine,
					 "malformed MDL: its range does not fit its PFN array", caller);
			return STATUS_INVALID_PARAMETER;
		}
		uptr off = 0;
		if (m == mdl) {
			const uptr start = reinterpret_cast<uptr>(MmGetMdlVirtualAddress(m));
			const uptr va = reinterpret_cast<uptr>(current_va);
			if (va < start || va - start >= m->ByteCount) {
				violation(MMSHIM_DMA_BAD_CURRENT_VA, reinterpret_cast<uptr>(m), va, start, routine,
					  "CurrentVa is outside the MDL's described range", caller);
				return STATUS_INVALID_PARAMETER;
			}
			off = va - start;
		}
		const uptr avail = m->ByteCount - off;
		uptr left = avail < remaining ? avail : remaining;
		uptr pos = m->ByteOffset + off;
		remaining -= left;
		while (left) {
			const uptr in = pos & kPageMask;
			const uptr chunk = kPageSize - in < left ? kPageSize - in : left;
			const PFN_NUMBER pfn = MmGetMdlPfnArray(m)[pos >> PAGE_SHIFT];
			if (!out && !mmshim_plat_pfn_is_ram(pfn)) {
				violation(MMSHIM_DMA_NOT_RAM, reinterpret_cast<uptr>(m), pfn, 0, routine,
					  "a frame of the MDL is not RAM with a struct page (I/O space): "
					  "the Linux DMA API cannot map it",
					  caller);
				return STATUS_INVALID_PARAMETER;
			}
			if (out && n == cap) {
				violation(MMSHIM_DMA_TRANSFER_TOO_LONG, reinterpret_cast<uptr>(mdl), length, 0, routine,
					  "the MDL chain changed while it was being mapped", caller);
				return STATUS_INVALID_PARAMETER;
			}
			if (out)
				out[n] = {pfn, static_cast<unsigned>(in), static_cast<unsigned>(chunk)};
			n++;
			pos += chunk;
			left -= chunk;
		}
	}
	*count = n;
	return STATUS_SUCCESS;
}

// Unmap a list and give its block back. Call with no lock held.
void release_list(List *l)
{
	Adapter *a = l->adapter;
	mmshim_plat_dma_unmap_sg(a->dev, l->sg_state, l->frags, l->to_device);
	LockGuard guard(MMSHIM_LOCK_DMA);
	a->lists--;
	if (l->cached) {
		l->next_free = a->free;
		a->free = l;
	} else if (!l->in_buffer) {
		mmshim_plat_free(sgl_of(l));
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

// Everything of adapter `a` still outstanding: lists unmapped, buffers freed.
void release_children(Adapter *a)
{
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
	}
	if (!l) {
		violation(MMSHIM_DMA_BAD_ADAPTER, reinterpret_cast<uptr>(DmaAdapter), 0, 0, routine,
			  "not a DMA adapter from IoGetDmaAdapter, or one already put", caller);
		return;
	}
	Adapter *a = from_link<Adapter>(l);
	uptr lists, buffers;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		lists = a->lists;
		buffers = a->buffers;
	}
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

PVOID allocate_common_buffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PPHYSICAL_ADDRESS LogicalAddress,
			     BOOLEAN CacheEnabled)
{
	(void)CacheEnabled; // coherent memory serves both (docs/dma.md)
	void *caller = MMSHIM_CALLER();
	const char *routine = "AllocateCommonBuffer";
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
	void *va = mmshim_plat_dma_alloc_coherent(a->dev, Length, &bus);
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
NTSTATUS map_list(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl, PVOID CurrentVa,
		  ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context, BOOLEAN WriteToDevice,
		  PVOID buffer, ULONG buffer_length, const char *routine, void *caller)
{
	if (!irql_at_most_dispatch(routine, caller))
		return STATUS_INVALID_PARAMETER;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return STATUS_INVALID_PARAMETER;
	if (!Mdl || !ExecutionRoutine) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, Mdl ? 6 : 3, 0, 0,
				 routine, Mdl ? "ExecutionRoutine is NULL" : "Mdl is NULL", caller);
		return STATUS_INVALID_PARAMETER;
	}
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
	uptr n = 0;
	NTSTATUS st = walk(Mdl, CurrentVa, Length, nullptr, 0, &n, routine, caller);
	if (!NT_SUCCESS(st))
		return st;

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
		l = lay_out(buffer, n);
		l->in_buffer = true;
	} else {
		if (n <= kSmallPages) {
			LockGuard guard(MMSHIM_LOCK_DMA);
			l = a->free;
			if (l)
				a->free = l->next_free;
		}
		if (!l) {
			const unsigned flags = mmshim_plat_may_sleep() ? 0u : unsigned{MMSHIM_ALLOC_ATOMIC};
			void *mem = mmshim_plat_alloc(block_bytes(n), flags);
			if (!mem)
				return STATUS_INSUFFICIENT_RESOURCES;
			l = lay_out(mem, n);
		}
	}
	l->adapter = a;
	l->to_device = WriteToDevice != FALSE;
	st = walk(Mdl, CurrentVa, Length, l->frag, l->capacity, &n, routine, caller);
	l->frags = n;
	const uptr mapped = NT_SUCCESS(st) ? mmshim_plat_dma_map_sg(a->dev, l->sg_state, l->frag, n, l->to_device) : 0;
	if (!mapped || mapped > n) {
		if (mapped)
			mmshim_plat_dma_unmap_sg(a->dev, l->sg_state, n, l->to_device);
		if (l->cached) {
			LockGuard guard(MMSHIM_LOCK_DMA);
			l->next_free = a->free;
			a->free = l;
		} else if (!l->in_buffer) {
			mmshim_plat_free(sgl_of(l));
		}
		return NT_SUCCESS(st) ? STATUS_INSUFFICIENT_RESOURCES : st;
	}
	SCATTER_GATHER_LIST *sgl = sgl_of(l);
	sgl->NumberOfElements = static_cast<ULONG>(mapped);
	sgl->Reserved = 0;
	for (uptr i = 0; i < mapped; i++) {
		unsigned long long bus = 0;
		unsigned len = 0;
		mmshim_plat_dma_sg_element(l->sg_state, i, &bus, &len);
		sgl->Elements[i].Address.QuadPart = static_cast<LONGLONG>(bus);
		sgl->Elements[i].Length = len;
		sgl->Elements[i].Reserved = 0;
	}
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		g_lists.insert(&l->link, reinterpret_cast<uptr>(sgl));
		a->lists++;
	}
	ExecutionRoutine(DeviceObject, nullptr, sgl, Context);
	return STATUS_SUCCESS;
}

NTSTATUS get_scatter_gather_list(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
				 PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
				 PVOID Context, BOOLEAN WriteToDevice)
{
	return map_list(DmaAdapter, DeviceObject, Mdl, CurrentVa, Length, ExecutionRoutine, Context,
			WriteToDevice, nullptr, 0, "GetScatterGatherList", MMSHIM_CALLER());
}

NTSTATUS build_scatter_gather_list(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
				   PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
				   PVOID Context, BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
				   ULONG ScatterGatherLength)
{
	void *caller = MMSHIM_CALLER();
	if (!ScatterGatherBuffer) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 9, 0, 0,
				 "BuildScatterGatherList", "ScatterGatherBuffer is NULL", caller);
		return STATUS_INVALID_PARAMETER;
	}
	return map_list(DmaAdapter, DeviceObject, Mdl, CurrentVa, Length, ExecutionRoutine, Context,
			WriteToDevice, ScatterGatherBuffer, ScatterGatherLength, "BuildScatterGatherList", caller);
}

VOID put_scatter_gather_list(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
			     BOOLEAN WriteToDevice)
{
	(void)WriteToDevice; // the direction it was mapped with is recorded
	void *caller = MMSHIM_CALLER();
	const char *routine = "PutScatterGatherList";
	if (!irql_at_most_dispatch(routine, caller))
		return;
	Adapter *a = adapter_of(DmaAdapter, routine, caller);
	if (!a)
		return;
	KeyedLink *l;
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		l = g_lists.take_if(reinterpret_cast<uptr>(ScatterGather),
				    [a](KeyedLink *k) { return from_link<List>(k)->adapter == a; });
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

constinit DMA_OPERATIONS g_ops = {
	.Size = __builtin_offsetof(DMA_OPERATIONS, BuildMdlFromScatterGatherList),
	.PutDmaAdapter = put_dma_adapter,
	.AllocateCommonBuffer = allocate_common_buffer,
	.FreeCommonBuffer = free_common_buffer,
	.AllocateAdapterChannel = nullptr,
	.FlushAdapterBuffers = nullptr,
	.FreeAdapterChannel = nullptr,
	.FreeMapRegisters = nullptr,
	.MapTransfer = nullptr,
	.GetDmaAlignment = get_dma_alignment,
	.ReadDmaCounter = nullptr,
	.GetScatterGatherList = get_scatter_gather_list,
	.PutScatterGatherList = put_scatter_gather_list,
	.CalculateScatterGatherList = calculate_scatter_gather_list,
	.BuildScatterGatherList = build_scatter_gather_list,
};

} // namespace

void release_all_at_unload()
{
	const uptr leaked = drain(g_adapters, MMSHIM_LOCK_DMA, [](KeyedLink *l) {
		Adapter *a = from_link<Adapter>(l);
		release_children(a);
		free_adapter(a);
	});
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
	a->pub.DmaOperations = &g_ops;
	a->dev = dev;
	a->pdo = pdo;
	a->max_length = dd.MaximumLength;
	a->map_registers = static_cast<ULONG>(span_pages(0, dd.MaximumLength) + 1);
	for (unsigned i = 0; i < kSmallLists; i++) {
		List *l = lay_out(mem + head + i * small, kSmallPages);
		l->cached = true;
		l->next_free = a->free;
		a->free = l;
	}
	mmshim_plat_dma_get_device(dev);
	{
		LockGuard guard(MMSHIM_LOCK_DMA);
		g_adapters.insert(&a->link, reinterpret_cast<uptr>(&a->pub));
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
