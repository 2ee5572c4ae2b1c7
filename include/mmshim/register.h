/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/register.h - device register and I/O port access:
 * READ_REGISTER_{UCHAR,USHORT,ULONG,ULONG64}, WRITE_REGISTER_*, their
 * _BUFFER_ variants, and (x86_64 only) READ_PORT_{UCHAR,USHORT,ULONG},
 * WRITE_PORT_* and their _BUFFER_ variants. See docs/register.md.
 *
 * The WDK defines these as inline functions on x64 and arm64, and so does
 * this header: a register access is one instruction plus the barrier, no
 * call into mmshim (a per-access function call would double the cost of a
 * fast register). They are written in inline assembly, as Linux's
 * readl/writel/inb/outb are, so that:
 *  - each access is exactly one load or store of the stated width (a C
 *    volatile access may in principle be split or merged),
 *  - sanitizer instrumentation (KASAN, KCSAN) never looks at a device
 *    address, and
 *  - the header needs no Linux header (include/ stays Linux-free).
 *
 * Ordering, per the WDK: every access is a volatile access the compiler
 * neither removes, merges nor moves across other memory accesses ("memory"
 * clobber: the WDK's _ReadWriteBarrier). A register write is followed by a
 * store fence, as the WDK's x64 FastFence(): the write leaves the CPU (store
 * buffer and write-combining buffers) before any later load or store, so a
 * write is never posted past a later read, even to memory mapped
 * MmWriteCombined. x86 already keeps uncached (UC) accesses in program
 * order with respect to each other and to port I/O. On arm64 the accesses
 * carry the barriers of Linux's readX/writeX (dmb before a write, after a
 * read); tested by the kunit-arm64 layer (docs/register.md).
 *
 * Buffer variants: READ_/WRITE_REGISTER_BUFFER_* copy Count elements
 * between Buffer and Count CONSECUTIVE registers (Register, Register + 1,
 * ...), as the WDK's memory-move implementation does; READ_/WRITE_PORT_
 * BUFFER_* transfer Count elements through the SAME port (rep ins/outs).
 *
 * Callers may run at any IRQL. Nothing is validated (as on Windows): the
 * register must be mapped device memory (MmMapIoSpace(Ex),
 * MmMapLockedPagesSpecifyCache of an MDL_IO_SPACE MDL) and naturally
 * aligned for its width.
 */
#ifndef MMSHIM_REGISTER_H
#define MMSHIM_REGISTER_H

#include <mmshim/types.h>

#if defined(__x86_64__)

/* One register read of the given width: a single mov, never instrumented. */
#define MMSHIM_REG_READ_FN(name, type, insn, cons)                                  \
	static inline type name(volatile type *Register)                             \
	{                                                                            \
		type value_;                                                         \
		__asm__ __volatile__(insn " %1, %0" : cons(value_) : "m"(*Register) : "memory"); \
		return value_;                                                       \
	}

/* The WDK's FastFence: a locked no-op on the stack, which drains the store
 * buffer and the write-combining buffers (cheaper than mfence). */
#define MMSHIM_REG_STORE_FENCE() __asm__ __volatile__("lock; orl $0, (%%rsp)" : : : "memory", "cc")

#define MMSHIM_REG_STORE(type, insn, cons, reg, val)                                \
	__asm__ __volatile__(insn " %1, %0" : "=m"(*(reg)) : cons(val) : "memory")

#define MMSHIM_REG_WRITE_FN(name, type, insn, cons)                                 \
	static inline VOID name(volatile type *Register, type Value)                 \
	{                                                                            \
		MMSHIM_REG_STORE(type, insn, cons, Register, Value);                 \
		MMSHIM_REG_STORE_FENCE();                                            \
	}

#define MMSHIM_REG_READ_BUFFER_FN(name, type, ptype, insn, cons)                    \
	static inline VOID name(volatile type *Register, ptype Buffer, ULONG Count)  \
	{                                                                            \
		ULONG i_;                                                            \
		for (i_ = 0; i_ < Count; i_++)                                       \
			__asm__ __volatile__(insn " %1, %0"                          \
					     : cons(Buffer[i_])                      \
					     : "m"(Register[i_])                     \
					     : "memory");                            \
	}

#define MMSHIM_REG_WRITE_BUFFER_FN(name, type, ptype, insn, cons)                   \
	static inline VOID name(volatile type *Register, ptype Buffer, ULONG Count)  \
	{                                                                            \
		ULONG i_;                                                            \
		for (i_ = 0; i_ < Count; i_++)                                       \
			MMSHIM_REG_STORE(type, insn, cons, &Register[i_], Buffer[i_]); \
		MMSHIM_REG_STORE_FENCE();                                            \
	}

MMSHIM_REG_READ_FN(READ_REGISTER_UCHAR, UCHAR, "movb", "=q")
MMSHIM_REG_READ_FN(READ_REGISTER_USHORT, USHORT, "movw", "=r")
MMSHIM_REG_READ_FN(READ_REGISTER_ULONG, ULONG, "movl", "=r")
MMSHIM_REG_READ_FN(READ_REGISTER_ULONG64, ULONG64, "movq", "=r")
MMSHIM_REG_WRITE_FN(WRITE_REGISTER_UCHAR, UCHAR, "movb", "q")
MMSHIM_REG_WRITE_FN(WRITE_REGISTER_USHORT, USHORT, "movw", "r")
MMSHIM_REG_WRITE_FN(WRITE_REGISTER_ULONG, ULONG, "movl", "r")
MMSHIM_REG_WRITE_FN(WRITE_REGISTER_ULONG64, ULONG64, "movq", "r")
MMSHIM_REG_READ_BUFFER_FN(READ_REGISTER_BUFFER_UCHAR, UCHAR, PUCHAR, "movb", "=q")
MMSHIM_REG_READ_BUFFER_FN(READ_REGISTER_BUFFER_USHORT, USHORT, PUSHORT, "movw", "=r")
MMSHIM_REG_READ_BUFFER_FN(READ_REGISTER_BUFFER_ULONG, ULONG, PULONG, "movl", "=r")
MMSHIM_REG_READ_BUFFER_FN(READ_REGISTER_BUFFER_ULONG64, ULONG64, PULONG64, "movq", "=r")
MMSHIM_REG_WRITE_BUFFER_FN(WRITE_REGISTER_BUFFER_UCHAR, UCHAR, PUCHAR, "movb", "q")
MMSHIM_REG_WRITE_BUFFER_FN(WRITE_REGISTER_BUFFER_USHORT, USHORT, PUSHORT, "movw", "r")
MMSHIM_REG_WRITE_BUFFER_FN(WRITE_REGISTER_BUFFER_ULONG, ULONG, PULONG, "movl", "r")
MMSHIM_REG_WRITE_BUFFER_FN(WRITE_REGISTER_BUFFER_ULONG64, ULONG64, PULONG64, "movq", "r")

/*
 * I/O ports (x86 only). As in the WDK, the port number is the pointer's
 * value truncated to 16 bits: (PUCHAR)(ULONG_PTR)port. IN and OUT are
 * strongly ordered on x86 (no load or store passes them), so the only
 * barrier needed is the compiler's ("memory" clobber).
 */
#define MMSHIM_PORT_NUMBER(p) ((USHORT)(ULONG_PTR)(p))

/* mmshim extension: defined where READ_PORT_* / WRITE_PORT_* exist. */
#define MMSHIM_HAS_PORT_IO 1

#define MMSHIM_PORT_READ_FN(name, type, ptype, insn, reg)                           \
	static inline type name(ptype Port)                                          \
	{                                                                            \
		type value_;                                                         \
		__asm__ __volatile__(insn " %w1, %" reg "0"                          \
				     : "=a"(value_)                                  \
				     : "Nd"(MMSHIM_PORT_NUMBER(Port))                \
				     : "memory");                                    \
		return value_;                                                       \
	}

#define MMSHIM_PORT_WRITE_FN(name, type, ptype, insn, reg)                          \
	static inline VOID name(ptype Port, type Value)                              \
	{                                                                            \
		__asm__ __volatile__(insn " %" reg "0, %w1"                          \
				     :                                               \
				     : "a"(Value), "Nd"(MMSHIM_PORT_NUMBER(Port))    \
				     : "memory");                                    \
	}

/* rep ins/outs: Count transfers through the one port; rcx and rdi/rsi are
 * full 64-bit copies so no stale upper bits reach the string instruction. */
#define MMSHIM_PORT_READ_BUFFER_FN(name, ptype, insn)                               \
	static inline VOID name(ptype Port, ptype Buffer, ULONG Count)               \
	{                                                                            \
		ULONG_PTR n_ = Count;                                                \
		PVOID p_ = Buffer;                                                   \
		__asm__ __volatile__("rep; " insn                                    \
				     : "+D"(p_), "+c"(n_)                            \
				     : "d"(MMSHIM_PORT_NUMBER(Port))                 \
				     : "memory");                                    \
	}

#define MMSHIM_PORT_WRITE_BUFFER_FN(name, ptype, insn)                              \
	static inline VOID name(ptype Port, ptype Buffer, ULONG Count)               \
	{                                                                            \
		ULONG_PTR n_ = Count;                                                \
		PVOID p_ = Buffer;                                                   \
		__asm__ __volatile__("rep; " insn                                    \
				     : "+S"(p_), "+c"(n_)                            \
				     : "d"(MMSHIM_PORT_NUMBER(Port))                 \
				     : "memory");                                    \
	}

MMSHIM_PORT_READ_FN(READ_PORT_UCHAR, UCHAR, PUCHAR, "inb", "b")
MMSHIM_PORT_READ_FN(READ_PORT_USHORT, USHORT, PUSHORT, "inw", "w")
MMSHIM_PORT_READ_FN(READ_PORT_ULONG, ULONG, PULONG, "inl", "k")
MMSHIM_PORT_WRITE_FN(WRITE_PORT_UCHAR, UCHAR, PUCHAR, "outb", "b")
MMSHIM_PORT_WRITE_FN(WRITE_PORT_USHORT, USHORT, PUSHORT, "outw", "w")
MMSHIM_PORT_WRITE_FN(WRITE_PORT_ULONG, ULONG, PULONG, "outl", "k")
MMSHIM_PORT_READ_BUFFER_FN(READ_PORT_BUFFER_UCHAR, PUCHAR, "insb")
MMSHIM_PORT_READ_BUFFER_FN(READ_PORT_BUFFER_USHORT, PUSHORT, "insw")
MMSHIM_PORT_READ_BUFFER_FN(READ_PORT_BUFFER_ULONG, PULONG, "insl")
MMSHIM_PORT_WRITE_BUFFER_FN(WRITE_PORT_BUFFER_UCHAR, PUCHAR, "outsb")
MMSHIM_PORT_WRITE_BUFFER_FN(WRITE_PORT_BUFFER_USHORT, PUSHORT, "outsw")
MMSHIM_PORT_WRITE_BUFFER_FN(WRITE_PORT_BUFFER_ULONG, PULONG, "outsl")

#elif defined(__aarch64__)

/*
 * arm64: the barriers of Linux's readX/writeX. A read is followed by
 * "dmb oshld" (later loads and stores wait for it: a status register read
 * before the DMA buffer it describes); a write is preceded by "dmb oshst"
 * (earlier stores, such as a DMA descriptor, reach memory before the
 * doorbell) and followed by "dmb osh" for the WDK's "not posted past a
 * later read". Device memory (nGnRE) keeps accesses to one device in
 * order. Run on qemu's virt machine by the kunit-arm64 layer.
 *
 * I/O ports do not exist on arm64: READ_PORT_* / WRITE_PORT_* are not
 * declared, so a port that uses them fails to compile (docs/register.md).
 */
#define MMSHIM_REG_READ_FN(name, type, insn, wreg)                                  \
	static inline type name(volatile type *Register)                             \
	{                                                                            \
		type value_;                                                         \
		__asm__ __volatile__(insn " %" wreg "0, [%1]\n\tdmb oshld"           \
				     : "=r"(value_)                                  \
				     : "r"(Register)                                 \
				     : "memory");                                    \
		return value_;                                                       \
	}

#define MMSHIM_REG_STORE(insn, wreg, reg, val)                                      \
	__asm__ __volatile__(insn " %" wreg "0, [%1]" : : "rZ"(val), "r"(reg) : "memory")

#define MMSHIM_REG_WRITE_FN(name, type, insn, wreg)                                 \
	static inline VOID name(volatile type *Register, type Value)                 \
	{                                                                            \
		__asm__ __volatile__("dmb oshst" : : : "memory");                    \
		MMSHIM_REG_STORE(insn, wreg, Register, Value);                       \
		__asm__ __volatile__("dmb osh" : : : "memory");                      \
	}

#define MMSHIM_REG_READ_BUFFER_FN(name, type, ptype, insn, wreg)                    \
	static inline VOID name(volatile type *Register, ptype Buffer, ULONG Count)  \
	{                                                                            \
		ULONG i_;                                                            \
		for (i_ = 0; i_ < Count; i_++) {                                     \
			type value_;                                                 \
			__asm__ __volatile__(insn " %" wreg "0, [%1]"                \
					     : "=r"(value_)                          \
					     : "r"(&Register[i_])                    \
					     : "memory");                            \
			Buffer[i_] = value_;                                         \
		}                                                                    \
		__asm__ __volatile__("dmb oshld" : : : "memory");                    \
	}

#define MMSHIM_REG_WRITE_BUFFER_FN(name, type, ptype, insn, wreg)                   \
	static inline VOID name(volatile type *Register, ptype Buffer, ULONG Count)  \
	{                                                                            \
		ULONG i_;                                                            \
		__asm__ __volatile__("dmb oshst" : : : "memory");                    \
		for (i_ = 0; i_ < Count; i_++)                                       \
			MMSHIM_REG_STORE(insn, wreg, &Register[i_], Buffer[i_]);     \
		__asm__ __volatile__("dmb osh" : : : "memory");                      \
	}

MMSHIM_REG_READ_FN(READ_REGISTER_UCHAR, UCHAR, "ldrb", "w")
MMSHIM_REG_READ_FN(READ_REGISTER_USHORT, USHORT, "ldrh", "w")
MMSHIM_REG_READ_FN(READ_REGISTER_ULONG, ULONG, "ldr", "w")
MMSHIM_REG_READ_FN(READ_REGISTER_ULONG64, ULONG64, "ldr", "x")
MMSHIM_REG_WRITE_FN(WRITE_REGISTER_UCHAR, UCHAR, "strb", "w")
MMSHIM_REG_WRITE_FN(WRITE_REGISTER_USHORT, USHORT, "strh", "w")
MMSHIM_REG_WRITE_FN(WRITE_REGISTER_ULONG, ULONG, "str", "w")
MMSHIM_REG_WRITE_FN(WRITE_REGISTER_ULONG64, ULONG64, "str", "x")
MMSHIM_REG_READ_BUFFER_FN(READ_REGISTER_BUFFER_UCHAR, UCHAR, PUCHAR, "ldrb", "w")
MMSHIM_REG_READ_BUFFER_FN(READ_REGISTER_BUFFER_USHORT, USHORT, PUSHORT, "ldrh", "w")
MMSHIM_REG_READ_BUFFER_FN(READ_REGISTER_BUFFER_ULONG, ULONG, PULONG, "ldr", "w")
MMSHIM_REG_READ_BUFFER_FN(READ_REGISTER_BUFFER_ULONG64, ULONG64, PULONG64, "ldr", "x")
MMSHIM_REG_WRITE_BUFFER_FN(WRITE_REGISTER_BUFFER_UCHAR, UCHAR, PUCHAR, "strb", "w")
MMSHIM_REG_WRITE_BUFFER_FN(WRITE_REGISTER_BUFFER_USHORT, USHORT, PUSHORT, "strh", "w")
MMSHIM_REG_WRITE_BUFFER_FN(WRITE_REGISTER_BUFFER_ULONG, ULONG, PULONG, "str", "w")
MMSHIM_REG_WRITE_BUFFER_FN(WRITE_REGISTER_BUFFER_ULONG64, ULONG64, PULONG64, "str", "x")

#endif /* __aarch64__ */

#endif /* MMSHIM_REGISTER_H */
