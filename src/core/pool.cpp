// SPDX-License-Identifier: GPL-2.0
// pool.cpp - ExAllocatePool2, ExAllocatePool3, ExAllocatePoolWithTag (and
// its priority, quota and untagged forms), ExFreePoolWithTag, ExFreePool.
//
// Every block carries a hidden header just below the address the driver gets
// (tag, size, pool kind, the raw block) and is entered in a registry. A free
// looks the address up in the registry before touching the header, so a wild,
// foreign or already freed pointer is reported, never dereferenced; a wrong
// tag is reported and the block stays allocated and intact.
#include "pool.h"
#include "mdl.h"
#include "dmause.h"
#include "seh.h"
#include "verifier.h"

namespace mmshim::pool {
namespace {

constexpr ULONG64 kMagic = 0x6c6f6f506d68734dULL; // "MshmPool"

constexpr ULONG kPaged = 1u << 0;

struct alignas(16) Header {
	RegistryLink link;
	void *block;   // what mmshim_plat_alloc returned
	SIZE_T size;   // bytes the driver asked for
	ULONG tag;
	ULONG kind;    // kPaged ...
	ULONG64 magic; // kMagic ^ address: for crash dumps only, never trusted
};
static_assert(sizeof(Header) == 48 && alignof(Header) == 16);

constinit AddressRegistry<4096> g_live;
constinit uptr g_live_bytes = 0;

// Addresses of the last few frees, to tell a double free from a wild pointer.
constexpr unsigned kRecent = 64;
constinit uptr g_recent[kRecent] = {};
constinit unsigned g_recent_next = 0;

Header *header_of(const void *p)
{
	return reinterpret_cast<Header *>(reinterpret_cast<uptr>(p) - sizeof(Header));
}

bool recently_freed(uptr p)
{
	for (uptr r : g_recent)
		if (r == p)
			return true;
	return false;
}

} // namespace

void *allocate(const Request &req)
{
	if (req.tag == 0) {
		verifier::report(BAD_POOL_CALLER, MMSHIM_POOL_TAG_ZERO, req.pool_type, req.size,
				 reinterpret_cast<uptr>(req.caller), req.routine,
				 "pool tag 0 is not allowed; use a four-character tag", req.caller);
		return nullptr;
	}
	if (req.size == 0) {
		verifier::report(BAD_POOL_CALLER, MMSHIM_POOL_ZERO_BYTES, 0, req.pool_type, req.tag,
				 req.routine, "zero-byte pool allocation", req.caller);
		return nullptr;
	}
	const bool may_sleep = mmshim_plat_may_sleep();
	if (req.paged && !may_sleep) {
		verifier::report(BAD_POOL_CALLER, MMSHIM_POOL_BAD_IRQL_ALLOC, 2 /* DISPATCH_LEVEL */,
				 req.pool_type, req.size, req.routine,
				 "paged pool requested in atomic context (IRQL > APC_LEVEL)", req.caller);
		return nullptr;
	}

	// Windows page-aligns blocks of a page or more (drivers rely on it for
	// DMA and MDLs); smaller ones are 16-byte or cache-line aligned.
	const uptr align = req.size >= kPageSize ? kPageSize
			   : req.cache_aligned ? SYSTEM_CACHE_ALIGNMENT_SIZE
					       : MEMORY_ALLOCATION_ALIGNMENT;
	// The platform guarantees 8-byte alignment: align - 8 bytes of slack
	// always leave room to align the driver's address up.
	uptr total;
	if (!checked_add<uptr>(req.size, sizeof(Header) + align - 8, &total))
		return nullptr;
	// Shareable: drivers lock nonpaged pool and map it into processes, and
	// mmshim holds page references for both (lock.cpp, usermap.cpp).
	unsigned flags = MMSHIM_ALLOC_SHAREABLE | (req.zero ? MMSHIM_ALLOC_ZERO : 0) |
			 (may_sleep ? 0 : MMSHIM_ALLOC_ATOMIC);
	if (req.priority == Priority::kLow)
		flags |= MMSHIM_ALLOC_LOW_PRIORITY;
	else if (req.priority == Priority::kHigh)
		flags |= MMSHIM_ALLOC_HIGH_PRIORITY;
	void *block = mmshim_plat_alloc(total, flags);
	if (!block)
		return nullptr;

	uptr user = align_up(reinterpret_cast<uptr>(block) + sizeof(Header), align);
	Header *h = header_of(reinterpret_cast<void *>(user));
	h->block = block;
	h->size = req.size;
	h->tag = req.tag;
	h->kind = req.paged ? kPaged : 0;
	h->magic = kMagic ^ user;
	{
		LockGuard guard(MMSHIM_LOCK_POOL);
		g_live.insert(&h->link);
		g_live_bytes += req.size;
	}
	return reinterpret_cast<void *>(user);
}

void free(void *p, ULONG tag, bool check_tag, const char *routine, void *caller)
{
	const uptr addr = reinterpret_cast<uptr>(p);
	if (addr < mmshim_plat_kernel_space_start()) {
		if (addr == 0)
			verifier::report(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, 0, 0, 0, routine,
					 "freeing a NULL pointer", caller);
		else
			verifier::report(BAD_POOL_CALLER, MMSHIM_POOL_FREE_USER_ADDRESS, addr,
					 mmshim_plat_kernel_space_start(), 0, routine,
					 "freeing a user-mode address to kernel pool", caller);
		return;
	}

	// Decide under the lock, report after dropping it.
	enum class Verdict { kFree, kUnknown, kTwice, kWrongTag, kPagedAtDispatch, kDma } verdict;
	dmause::InBlock dma = dmause::InBlock::kNone;
	uptr dma_mdl = 0;
	Header *h = header_of(p);
	void *block = nullptr;
	uptr size = 0;
	ULONG owner_tag = 0;
	const bool may_sleep = mmshim_plat_may_sleep(); // before taking our own lock
	{
		LockGuard guard(MMSHIM_LOCK_POOL);
		if ((addr % MEMORY_ALLOCATION_ALIGNMENT) != 0 || !g_live.contains(&h->link)) {
			verdict = recently_freed(addr) ? Verdict::kTwice : Verdict::kUnknown;
		} else if (check_tag && h->tag != tag) {
			verdict = Verdict::kWrongTag;
			owner_tag = h->tag;
		} else if ((h->kind & kPaged) && !may_sleep) {
			verdict = Verdict::kPagedAtDispatch;
		} else if ((dma = dmause::in_block(addr, addr + h->size, &dma_mdl)) != dmause::InBlock::kNone) {
			verdict = Verdict::kDma; // (takes MMSHIM_LOCK_DMA inside this lock)
		} else {
			verdict = Verdict::kFree;
			g_live.remove(&h->link);
			g_live_bytes -= h->size;
			g_recent[g_recent_next++ % kRecent] = addr;
			block = h->block;
			size = h->size;
			h->magic = 0;
		}
	}
	switch (verdict) {
	case Verdict::kFree:
		// Drivers build MDLs in pool (MmSizeOfMdl + MmInitializeMdl):
		// one freed while mmshim still holds things for it is caught here,
		// while its memory is still intact.
		mdl::pool_block_freed(p, size, routine, caller);
		mmshim_plat_free_shareable(block);
		return;
	case Verdict::kDma:
		if (dma == dmause::InBlock::kRecord)
			verifier::report(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_LIST_BUFFER_IN_USE, addr, 0, 0, routine,
					 "the block is the buffer of a scatter/gather list built with BuildScatterGatherList "
					 "and not put yet (mmshim keeps the list's record there): PutScatterGatherList "
					 "first; the block stays allocated",
					 caller);
		else // p3: 0, the MDL lies in the block; 1, it moves the block's memory
			verifier::report(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, dma_mdl, addr,
					 dma == dmause::InBlock::kMemory, routine,
					 dma == dmause::InBlock::kMemory
						 ? "the block's memory is still mapped for DMA through an MDL (a "
						   "scatter/gather list not put, a MapTransfer not flushed): the device may "
						   "still write it; PutScatterGatherList / FlushAdapterBuffers first; the "
						   "block stays allocated"
						 : "the block holds an MDL that a scatter/gather list or a MapTransfer "
						   "mapping still maps: PutScatterGatherList / FlushAdapterBuffers first; "
						   "the block stays allocated",
					 caller);
		return;
	case Verdict::kUnknown:
		verifier::report(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, addr, 0, 0, routine,
				 "freeing an address that mmshim's pool never returned", caller);
		return;
	case Verdict::kTwice:
		verifier::report(BAD_POOL_CALLER, MMSHIM_POOL_DOUBLE_FREE, 0, 0, addr, routine,
				 "freeing pool that was already freed", caller);
		return;
	case Verdict::kWrongTag:
		verifier::report(BAD_POOL_CALLER, MMSHIM_POOL_WRONG_TAG, addr, owner_tag, tag, routine,
				 "freeing pool with the wrong tag; the block stays allocated", caller);
		return;
	case Verdict::kPagedAtDispatch:
		verifier::report(BAD_POOL_CALLER, MMSHIM_POOL_BAD_IRQL_FREE, 2 /* DISPATCH_LEVEL */,
				 PagedPool, addr, routine,
				 "paged pool freed in atomic context; the block stays allocated", caller);
		return;
	}
}

bool block_info(const void *p, uptr *bytes, ULONG *tag)
{
	const uptr addr = reinterpret_cast<uptr>(p);
	if (addr % MEMORY_ALLOCATION_ALIGNMENT || addr < mmshim_plat_kernel_space_start())
		return false;
	LockGuard guard(MMSHIM_LOCK_POOL);
	const Header *h = header_of(p);
	if (!g_live.contains(&h->link))
		return false;
	*bytes = h->size;
	if (tag)
		*tag = h->tag;
	return true;
}

bool block_bytes(const void *p, uptr *bytes)
{
	return block_info(p, bytes, nullptr);
}

Priority priority_of(ULONG ex_pool_priority)
{
	if (ex_pool_priority < NormalPoolPriority)
		return Priority::kLow;
	if (ex_pool_priority < HighPoolPriority)
		return Priority::kNormal;
	return Priority::kHigh;
}

void usage(SIZE_T *blocks, SIZE_T *bytes)
{
	LockGuard guard(MMSHIM_LOCK_POOL);
	if (blocks)
		*blocks = g_live.count();
	if (bytes)
		*bytes = g_live_bytes;
}

unsigned rows_by_tag(mmshim_pool_row *rows, unsigned max)
{
	LockGuard guard(MMSHIM_LOCK_POOL);
	unsigned n = 0;
	g_live.for_each([&](const RegistryLink *l) {
		const Header *h = from_link<Header>(l);
		for (unsigned i = 0; i < n; i++) {
			if (rows[i].tag == h->tag) {
				rows[i].blocks++;
				rows[i].bytes += h->size;
				return;
			}
		}
		if (n < max)
			rows[n++] = {h->tag, 1, h->size};
	});
	return n;
}

void release_all_at_unload()
{
	SIZE_T bytes = 0;
	const SIZE_T blocks = drain(g_live, MMSHIM_LOCK_POOL, [&](RegistryLink *l) {
		Header *h = from_link<Header>(l);
		bytes += h->size;
		mmshim_plat_free_shareable(h->block);
	});
	{
		LockGuard guard(MMSHIM_LOCK_POOL);
		g_live_bytes -= bytes;
	}
	if (blocks)
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_POOL_LEAKED_AT_UNLOAD, 0,
				 bytes, blocks, "mmshim unload",
				 "pool blocks were never freed; mmshim frees them now", nullptr);
	LockGuard guard(MMSHIM_LOCK_POOL);
	for (uptr &r : g_recent)
		r = 0;
}

} // namespace mmshim::pool

using namespace mmshim;

namespace {

// POOL_FLAG_* bits mmshim knows in the required (low) half.
constexpr POOL_FLAGS kRequiredMask = 0xFFFFFFFFULL;
constexpr POOL_FLAGS kTypeFlags = POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED;
constexpr POOL_FLAGS kSupportedRequired = kTypeFlags | POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED |
					  POOL_FLAG_CACHE_ALIGNED | POOL_FLAG_RAISE_ON_FAILURE;
// POOL_TYPE modifier bits ExAllocatePoolWithTag accepts.
constexpr ULONG kTypeModifiers = POOL_RAISE_IF_ALLOCATION_FAILURE | POOL_COLD_ALLOCATION |
				 POOL_ZERO_ALLOCATION;
constexpr ULONG kNoneTag = 0x656e6f4e; // 'enoN': "None", ExAllocatePool's tag

void *refuse(const char *routine, uptr why, uptr detail, const char *what, void *caller)
{
	verifier::report(MMSHIM_CALL_FAILED, why, detail, 0, 0, routine, what, caller);
	return nullptr;
}

// ExAllocatePool2/3 once the extended parameters are read.
void *allocate_flags(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag, pool::Priority priority,
		     const char *routine, void *caller)
{
	const POOL_FLAGS type = Flags & kTypeFlags;
	if (type != POOL_FLAG_NON_PAGED && type != POOL_FLAG_PAGED && type != POOL_FLAG_NON_PAGED_EXECUTE)
		return refuse(routine, MMSHIM_FAIL_INVALID_FLAGS, Flags,
			      "exactly one of POOL_FLAG_NON_PAGED, _PAGED, _NON_PAGED_EXECUTE is required",
			      caller);
	if (type == POOL_FLAG_NON_PAGED_EXECUTE)
		return refuse(routine, MMSHIM_FAIL_UNSUPPORTED, Flags,
			      "executable pool is not available: Linux kernel heap memory is NX", caller);
	if (Flags & POOL_FLAG_SESSION)
		return refuse(routine, MMSHIM_FAIL_UNSUPPORTED, Flags, "session pool does not exist on Linux",
			      caller);
	if (Flags & kRequiredMask & ~kSupportedRequired)
		return refuse(routine, MMSHIM_FAIL_INVALID_FLAGS, Flags, "unknown required POOL_FLAG bits",
			      caller);

	pool::Request req{};
	req.size = NumberOfBytes;
	req.tag = Tag;
	req.pool_type = type == POOL_FLAG_PAGED ? PagedPool : NonPagedPoolNx;
	req.paged = type == POOL_FLAG_PAGED;
	req.zero = !(Flags & POOL_FLAG_UNINITIALIZED);
	req.cache_aligned = (Flags & POOL_FLAG_CACHE_ALIGNED) != 0;
	req.priority = priority;
	req.routine = routine;
	req.caller = caller;
	return pool::allocate(req);
}

// Every NULL from an allocation that asked to raise becomes an exception:
// such a caller never checks for NULL.
void *raise_if(void *p, bool raise, const char *routine, void *caller)
{
	if (!p && raise)
		seh::raise(STATUS_INSUFFICIENT_RESOURCES, routine, caller);
	return p;
}

} // namespace

void *pool::allocate_by_type(ULONG type, SIZE_T size, ULONG tag, Priority priority, bool quota_routine,
			     bool *raise, const char *routine, void *caller)
{
	const ULONG modifiers = type & (kTypeModifiers | (quota_routine ? POOL_QUOTA_FAIL_INSTEAD_OF_RAISE : 0));
	*raise = quota_routine ? !(modifiers & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE)
			       : (modifiers & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0;
	const ULONG base_type = type & ~modifiers;
	if (base_type & NonPagedPoolSession)
		return refuse(routine, MMSHIM_FAIL_UNSUPPORTED, type, "session pool does not exist on Linux",
			      caller);
	const ULONG base = base_type & ~static_cast<ULONG>(NonPagedPoolNx);
	if (base >= MaxPoolType || base == DontUseThisType || (base_type & ~(NonPagedPoolNx | 7u)))
		return refuse(routine, MMSHIM_FAIL_INVALID_FLAGS, type, "invalid POOL_TYPE", caller);
	if ((base_type & NonPagedPoolNx) && (base & 1))
		return refuse(routine, MMSHIM_FAIL_INVALID_FLAGS, type, "invalid POOL_TYPE", caller);
	if (base == NonPagedPoolMustSucceed || base == NonPagedPoolCacheAlignedMustS) {
		verifier::report(BAD_POOL_CALLER, MMSHIM_POOL_MUST_SUCCEED, size, type,
				 reinterpret_cast<uptr>(caller), routine,
				 "must-succeed pool is no longer supported by Windows", caller);
		return nullptr;
	}

	Request req{};
	req.size = size;
	req.tag = tag;
	req.pool_type = base_type;
	req.paged = (base & 1) != 0; // PagedPool, PagedPoolCacheAligned
	req.zero = (modifiers & POOL_ZERO_ALLOCATION) != 0; // otherwise never zeroed
	req.cache_aligned = (base & 4) != 0;
	req.priority = priority;
	req.routine = routine;
	req.caller = caller;
	return allocate(req);
}

extern "C" PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "ExAllocatePool2";
	void *p = allocate_flags(Flags, NumberOfBytes, Tag, pool::Priority::kNormal, routine, caller);
	return raise_if(p, Flags & POOL_FLAG_RAISE_ON_FAILURE, routine, caller);
}

extern "C" PVOID ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
				 PCPOOL_EXTENDED_PARAMETER ExtendedParameters, ULONG ExtendedParametersCount)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "ExAllocatePool3";
	const bool raise = (Flags & POOL_FLAG_RAISE_ON_FAILURE) != 0;
	pool::Priority priority = pool::Priority::kNormal;
	if (ExtendedParametersCount && !ExtendedParameters) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 4,
				 ExtendedParametersCount, 0, routine,
				 "ExtendedParameters is NULL but ExtendedParametersCount is not 0", caller);
		return raise_if(nullptr, raise, routine, caller);
	}
	for (ULONG i = 0; i < ExtendedParametersCount; i++) {
		const POOL_EXTENDED_PARAMETER &x = ExtendedParameters[i];
		const bool optional = x.Optional != 0;
		switch (x.Type) {
		case PoolExtendedParameterPriority:
			priority = pool::priority_of(static_cast<ULONG>(x.Priority));
			break;
		case PoolExtendedParameterNumaNode:
			// A preference (MM_ANY_NODE_OK) or an optional node is not a
			// requirement; mmshim allocates on the current node.
			if (optional || (x.PreferredNode & 0x80000000u))
				break;
			refuse(routine, MMSHIM_FAIL_UNSUPPORTED, x.Type,
			       "a required NUMA node for pool is not supported by mmshim", caller);
			return raise_if(nullptr, raise, routine, caller);
		case PoolExtendedParameterSecurePool:
			if (optional)
				break;
			refuse(routine, MMSHIM_FAIL_UNSUPPORTED, x.Type, "secure pool does not exist on Linux",
			       caller);
			return raise_if(nullptr, raise, routine, caller);
		default:
			if (optional)
				break;
			refuse(routine, MMSHIM_FAIL_INVALID_FLAGS, x.Type,
			       "unknown required POOL_EXTENDED_PARAMETER type", caller);
			return raise_if(nullptr, raise, routine, caller);
		}
	}
	void *p = allocate_flags(Flags, NumberOfBytes, Tag, priority, routine, caller);
	return raise_if(p, raise, routine, caller);
}

extern "C" PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "ExAllocatePoolWithTag";
	bool raise = false;
	void *p = pool::allocate_by_type(static_cast<ULONG>(PoolType), NumberOfBytes, Tag,
					 pool::Priority::kNormal, false, &raise, routine, caller);
	return raise_if(p, raise, routine, caller);
}

extern "C" PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
					       EX_POOL_PRIORITY Priority)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "ExAllocatePoolWithTagPriority";
	bool raise = false;
	void *p = pool::allocate_by_type(static_cast<ULONG>(PoolType), NumberOfBytes, Tag,
					 pool::priority_of(static_cast<ULONG>(Priority)), false, &raise,
					 routine, caller);
	return raise_if(p, raise, routine, caller);
}

extern "C" PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "ExAllocatePoolWithQuotaTag";
	bool raise = false;
	void *p = pool::allocate_by_type(static_cast<ULONG>(PoolType), NumberOfBytes, Tag,
					 pool::Priority::kNormal, true, &raise, routine, caller);
	return raise_if(p, raise, routine, caller);
}

extern "C" PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "ExAllocatePool";
	bool raise = false;
	void *p = pool::allocate_by_type(static_cast<ULONG>(PoolType), NumberOfBytes, kNoneTag,
					 pool::Priority::kNormal, false, &raise, routine, caller);
	return raise_if(p, raise, routine, caller);
}

extern "C" VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
{
	pool::free(P, Tag, Tag != 0, "ExFreePoolWithTag", MMSHIM_CALLER());
}

extern "C" VOID ExFreePool(PVOID P)
{
	pool::free(P, 0, false, "ExFreePool", MMSHIM_CALLER());
}

extern "C" VOID MmshimPoolUsage(PSIZE_T Blocks, PSIZE_T Bytes)
{
	pool::usage(Blocks, Bytes);
}

extern "C" unsigned int mmshim_core_pool_rows(mmshim_pool_row *rows, unsigned int max)
{
	return pool::rows_by_tag(rows, max);
}
