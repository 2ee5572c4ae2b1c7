// SPDX-License-Identifier: GPL-2.0
/*
 * client.c - user-space client of the ioctl example (/dev/mmshim_ioctl).
 * Exercises every transfer method, DMA of a user buffer through the edu
 * device, the shared user-mode mapping, and the
 * bad inputs a driver must survive: NULL, unmapped and kernel pointers,
 * read-only output buffers, a write to a read-only mapping (in a child, which
 * must die of SIGSEGV), mprotect/mremap/munmap/fork on the mapping, an unmap
 * from the wrong process, and a process that exits with its mapping live.
 * The "hostile:" checks are a hostile process's attacks on a driver that
 * shares a locked caller buffer back (IoReadAccess lock, UserMode mapping
 * without MdlMappingNoWrite): writing a read-only file or the zero page
 * through it, acting on a mapping after fork, after exit, and from a new
 * process that may have the dead one's identity.
 * Prints "PASS <name>" / "FAIL <name>: <why>" per check and
 * "CLIENT-RESULT <passed> <failed>"; exits non-zero if anything failed.
 * "mmshim_ioctl_client dma" runs the DMA checks only (tests/vm/kunit.sh's
 * DMA configuration boots).
 * Build: gcc -static -O2 -o mmshim_ioctl_client client.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ioctl_example.h"

#define DEVICE "/dev/mmshim_ioctl"
#define PAGE 4096u
#define SHARED EXAMPLE_SHARED_BYTES

#define STATUS_SUCCESS 0
#define STATUS_ACCESS_VIOLATION ((int)0xC0000005)
#define STATUS_BUFFER_TOO_SMALL ((int)0xC0000023)
#define STATUS_INVALID_PARAMETER ((int)0xC000000D)
#define NO_STATUS ((int)0xDEADBEEF) /* ioctl(2) itself failed */

static int passed, failed;

static void check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		printf("PASS %s\n", name);
		return;
	}
	failed++;
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* DeviceIoControl: returns the request's NTSTATUS. */
static int call(int fd, unsigned int code, const void *in, unsigned int in_len, void *out,
		unsigned int out_len, unsigned int *returned)
{
	struct example_request r = {
		.in = (uintptr_t)in, .out = (uintptr_t)out, .in_len = in_len, .out_len = out_len,
	};

	if (ioctl(fd, code, &r) != 0)
		return NO_STATUS;
	if (returned)
		*returned = r.returned;
	return r.status;
}

static struct example_stats stats(int fd)
{
	struct example_stats s;

	memset(&s, 0xff, sizeof(s));
	call(fd, IOCTL_EXAMPLE_STATS, NULL, 0, &s, sizeof(s), NULL);
	return s;
}

static unsigned char *map_shared(int fd, unsigned int flags, int *status)
{
	unsigned long long va = 0;

	*status = call(fd, IOCTL_EXAMPLE_MAP_SHARED, &flags, sizeof(flags), &va, sizeof(va), NULL);
	return (unsigned char *)(uintptr_t)va;
}

static int unmap_shared(int fd, unsigned int code, void *va)
{
	unsigned long long a = (uintptr_t)va;

	return call(fd, code, &a, sizeof(a), NULL, 0, NULL);
}

static int stamp(int fd, unsigned int seed)
{
	return call(fd, IOCTL_EXAMPLE_SHARED_STAMP, &seed, sizeof(seed), NULL, 0, NULL);
}

static int is_mapped(void *va)
{
	unsigned char vec;

	return mincore(va, PAGE, &vec) == 0;
}

/* Run fn in a child; returns the signal that killed it, or 1000 + exit code. */
static int in_child(void (*fn)(int fd, void *arg), int fd, void *arg)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		fn(fd, arg);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? WTERMSIG(st) : 1000 + WEXITSTATUS(st);
}

static void *readonly_buffer, *unmapped_buffer;
static struct example_stats start; /* before any test: other modules' MDLs, earlier reports */
static void *const kernel_address = (void *)0xffff888000001000ULL;

static void test_buffered(int fd)
{
	unsigned char in[100], out[100];
	unsigned int ret = 0, i;
	int st, ok = 1;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)i;
	st = call(fd, IOCTL_EXAMPLE_BUFFERED, in, sizeof(in), out, sizeof(out), &ret);
	for (i = 0; i < sizeof(in); i++)
		ok &= out[i] == (unsigned char)(i ^ 0x5A);
	check(st == STATUS_SUCCESS && ret == 100 && ok, "buffered: data in and out", "status 0x%x ret %u", st, ret);
	st = call(fd, IOCTL_EXAMPLE_BUFFERED, in, sizeof(in), out, 10, &ret);
	check(st == STATUS_BUFFER_TOO_SMALL, "buffered: output too small", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_BUFFERED, NULL, 10, out, sizeof(out), NULL);
	check(st == STATUS_ACCESS_VIOLATION, "buffered: NULL input", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_BUFFERED, unmapped_buffer, 10, out, sizeof(out), NULL);
	check(st == STATUS_ACCESS_VIOLATION, "buffered: unmapped input", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_BUFFERED, kernel_address, 10, out, sizeof(out), NULL);
	check(st == STATUS_ACCESS_VIOLATION, "buffered: kernel address as input", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_BUFFERED, in, 10, readonly_buffer, 10, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "buffered: read-only output", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_BUFFERED, in, 10, kernel_address, 10, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "buffered: kernel address as output", "status 0x%x", st);
}

static void test_direct(int fd)
{
	const unsigned int len = 3 * PAGE + 100;
	unsigned char *area = mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *buf = area + 50;
	unsigned int seed = 7, ret = 0, i, sum = 0, got = 0;
	int st, ok = 1;

	memset(area, 0xCC, 5 * PAGE);
	st = call(fd, IOCTL_EXAMPLE_DIRECT_OUT, &seed, sizeof(seed), buf, len, &ret);
	for (i = 0; i < len; i++)
		ok &= buf[i] == (unsigned char)(seed + i);
	ok &= area[49] == 0xCC && buf[len] == 0xCC; /* nothing written around it */
	check(st == STATUS_SUCCESS && ret == len && ok, "direct out: MDL filled by the driver", "status 0x%x ret %u",
	      st, ret);
	st = call(fd, IOCTL_EXAMPLE_DIRECT_OUT, &seed, sizeof(seed), readonly_buffer, PAGE, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "direct out: read-only output refused", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_DIRECT_OUT, &seed, sizeof(seed), unmapped_buffer, PAGE, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "direct out: unmapped output refused", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_DIRECT_OUT, &seed, sizeof(seed), kernel_address, PAGE, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "direct out: kernel address refused", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_DIRECT_OUT, &seed, sizeof(seed), NULL, PAGE, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "direct out: NULL output refused", "status 0x%x", st);

	for (i = 0; i < len; i++)
		sum += buf[i];
	st = call(fd, IOCTL_EXAMPLE_DIRECT_IN, &seed, sizeof(seed), buf, len, &got);
	check(st == STATUS_SUCCESS && got == sum, "direct in: MDL read by the driver", "status 0x%x sum %u vs %u",
	      st, got, sum);
	/* A read-only buffer is fine for METHOD_IN_DIRECT (IoReadAccess). */
	st = call(fd, IOCTL_EXAMPLE_DIRECT_IN, &seed, sizeof(seed), readonly_buffer, PAGE, &ret);
	check(st == STATUS_SUCCESS, "direct in: read-only buffer accepted", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_DIRECT_IN, &seed, sizeof(seed), kernel_address, PAGE, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "direct in: kernel address refused", "status 0x%x", st);
	munmap(area, 5 * PAGE);
}

/*
 * DMA through the edu device (dma.c): a pattern in a buffer that crosses a
 * page boundary at an odd offset goes to the device, comes back into
 * another such buffer, and every byte is checked, as are the bytes around
 * it. Then the refusals: too long, a read-only buffer for the device to
 * write, an unmapped one.
 */
static void test_dma(int fd)
{
	const unsigned int len = EXAMPLE_DMA_MAX - 1;
	unsigned char *area = mmap(NULL, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *src = area + 0x321, *dst = area + 3 * PAGE + 0x9b;
	unsigned int i, ret = 0, bad = len;
	int st, st2;

	if (area == MAP_FAILED) {
		check(0, "dma: setup", "mmap failed");
		return;
	}
	memset(area, 0xCC, 6 * PAGE);
	for (i = 0; i < len; i++)
		src[i] = (unsigned char)(i * 13 + (i >> 8) + 1);
	st = call(fd, IOCTL_EXAMPLE_DMA_TO_DEVICE, NULL, 0, src, len, &ret);
	check(st == STATUS_SUCCESS && ret == len, "dma: user buffer to the device (GetScatterGatherList)",
	      "status 0x%x ret %u", st, ret);
	st2 = call(fd, IOCTL_EXAMPLE_DMA_FROM_DEVICE, NULL, 0, dst, len, &ret);
	for (i = 0; i < len; i++)
		if (dst[i] != src[i]) {
			bad = i;
			break;
		}
	check(st == STATUS_SUCCESS && st2 == STATUS_SUCCESS && ret == len && bad == len,
	      "dma: device to another user buffer, every byte back", "status 0x%x ret %u first bad byte %u", st2,
	      ret, bad);
	check(dst[-1] == 0xCC && dst[len] == 0xCC && src[-1] == 0xCC && src[len] == 0xCC,
	      "dma: nothing written around the buffers", "%02x %02x", dst[-1], dst[len]);
	st = call(fd, IOCTL_EXAMPLE_DMA_TO_DEVICE, NULL, 0, src, EXAMPLE_DMA_MAX + 1, NULL);
	check(st == STATUS_INVALID_PARAMETER, "dma: longer than the device's buffer refused", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_DMA_FROM_DEVICE, NULL, 0, readonly_buffer, 256, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "dma: read-only buffer for the device to write refused", "status 0x%x",
	      st);
	st = call(fd, IOCTL_EXAMPLE_DMA_TO_DEVICE, NULL, 0, unmapped_buffer, 256, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "dma: unmapped buffer refused", "status 0x%x", st);
	munmap(area, 6 * PAGE);
}

static void test_neither(int fd)
{
	const unsigned int len = 5000;
	unsigned char *in = malloc(len), *out = malloc(len);
	unsigned int ret = 0, i;
	int st, ok = 1;

	for (i = 0; i < len; i++)
		in[i] = (unsigned char)(i * 7);
	memset(out, 0, len);
	st = call(fd, IOCTL_EXAMPLE_NEITHER, in, len, out, len, &ret);
	for (i = 0; i < len; i++)
		ok &= out[i] == in[len - 1 - i];
	check(st == STATUS_SUCCESS && ret == len && ok, "neither: driver locked, mapped and copied",
	      "status 0x%x ret %u", st, ret);
	st = call(fd, IOCTL_EXAMPLE_NEITHER, in, len, readonly_buffer, len, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "neither: read-only output raises in the driver", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_NEITHER, unmapped_buffer, 100, out, len, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "neither: unmapped input raises", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_NEITHER, kernel_address, 100, out, len, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "neither: kernel address as input raises", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_NEITHER, in, 100, kernel_address, 100, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "neither: kernel address as output raises", "status 0x%x", st);
	st = call(fd, IOCTL_EXAMPLE_NEITHER, in, 100, NULL, 100, NULL);
	check(st == STATUS_ACCESS_VIOLATION, "neither: NULL output raises", "status 0x%x", st);
	free(in);
	free(out);
}

static void child_write_ro(int fd, void *arg)
{
	int st;
	volatile unsigned char *va = map_shared(fd, EXAMPLE_MAP_READ_ONLY, &st);

	(void)arg;
	if (st != STATUS_SUCCESS || !va)
		_exit(2);
	if (va[1] != (unsigned char)(11 + 1)) /* reading works */
		_exit(3);
	va[1] = 0; /* must fault: SIGSEGV */
	_exit(4);
}

static void child_read(int fd, void *arg)
{
	(void)fd;
	(void)*(volatile unsigned char *)arg; /* not inherited: SIGSEGV */
	_exit(5);
}

static void child_unmap_foreign(int fd, void *arg)
{
	unmap_shared(fd, IOCTL_EXAMPLE_UNMAP_ANY, arg);
}

static void child_exit_mapped(int fd, void *arg)
{
	int own = open(DEVICE, O_RDWR), st;
	unsigned char *va;

	(void)fd;
	(void)arg;
	if (own < 0)
		_exit(2);
	va = map_shared(own, 0, &st);
	if (st != STATUS_SUCCESS || !va)
		_exit(3);
	memset(va, 0xEE, 16);
	_exit(0); /* no unmap, no close */
}

static int maps_perms(void *va, char *perms)
{
	char line[256];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo == (uintptr_t)va) {
			found = 1;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static void test_shared(int fd)
{
	struct example_stats s0 = stats(fd), s1;
	unsigned char *rw, *ro;
	unsigned int sum = 0, dsum = 0, i;
	char perms[8] = "";
	int st, ok = 1, r;

	/* Read-write: data visible both ways. */
	rw = map_shared(fd, 0, &st);
	check(st == STATUS_SUCCESS && rw && ((uintptr_t)rw % PAGE) == 0, "shared: mapped into the process",
	      "status 0x%x va %p", st, rw);
	if (st != STATUS_SUCCESS || !rw)
		return;
	stamp(fd, 11);
	for (i = 0; i < SHARED; i++)
		ok &= rw[i] == (unsigned char)(11 + i);
	check(ok, "shared: the driver's writes are visible to the process", "mismatch");
	for (i = 0; i < SHARED; i++) {
		rw[i] = (unsigned char)(i * 3);
		sum += rw[i];
	}
	st = call(fd, IOCTL_EXAMPLE_SHARED_SUM, NULL, 0, &dsum, sizeof(dsum), NULL);
	check(st == STATUS_SUCCESS && dsum == sum, "shared: the process's writes are visible to the driver",
	      "status 0x%x sum %u vs %u", st, dsum, sum);
	s1 = stats(fd);
	check(s1.user_mappings == s0.user_mappings + 1, "shared: mmshim tracks the mapping", "%llu -> %llu",
	      s0.user_mappings, s1.user_mappings);

	/* Never executable; fixed shape. */
	check(maps_perms(rw, perms) && !strcmp(perms, "rw-s"), "shared: /proc/self/maps shows rw-s", "'%s'", perms);
	r = mprotect(rw, SHARED, PROT_READ | PROT_EXEC);
	check(r == -1 && errno == EACCES, "shared: mprotect(PROT_EXEC) refused", "r %d errno %d", r, errno);
	r = mprotect(rw, SHARED, PROT_READ);
	check(r == 0, "shared: mprotect to read-only allowed (the process's own choice)", "r %d errno %d", r, errno);
	r = mprotect(rw, SHARED, PROT_READ | PROT_WRITE);
	check(r == 0, "shared: ... and back to read-write", "r %d errno %d", r, errno);
	r = mprotect(rw + PAGE, PAGE, PROT_READ);
	check(r == -1, "shared: mprotect of part of it refused (no split)", "r %d", r);
	check(mremap(rw, SHARED, 2 * SHARED, MREMAP_MAYMOVE) == MAP_FAILED, "shared: mremap to grow refused", "");
	{
		void *spot = mmap(NULL, SHARED, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *moved = mremap(rw, SHARED, SHARED, MREMAP_MAYMOVE | MREMAP_FIXED, spot);

		check(moved == MAP_FAILED && is_mapped(rw) && rw[5] == (unsigned char)15,
		      "shared: mremap to move refused, mapping intact", "moved %p", moved);
		munmap(spot, SHARED);
	}
	r = munmap(rw + PAGE, PAGE);
	check(r == -1 && errno == EINVAL && is_mapped(rw + PAGE), "shared: partial munmap refused", "r %d errno %d",
	      r, errno);

	/* fork: the child does not inherit it. */
	r = in_child(child_read, fd, rw);
	check(r == SIGSEGV, "shared: not inherited by a forked child", "child ended with %d", r);

	/* Unmap from the wrong process: refused, reported, nothing changed. */
	s0 = stats(fd);
	r = in_child(child_unmap_foreign, fd, rw);
	s1 = stats(fd);
	check(r == 1000 && s1.wrong_process == s0.wrong_process + 1 && is_mapped(rw) && rw[2] == 6 &&
		      s1.user_mappings == s0.user_mappings,
	      "shared: unmap from another process refused with a verifier report", "child %d reports %u -> %u",
	      r, s0.wrong_process, s1.wrong_process);

	/* Read-only mapping: readable, and a write faults in the process. */
	stamp(fd, 11);
	ro = map_shared(fd, EXAMPLE_MAP_READ_ONLY, &st);
	check(st == STATUS_SUCCESS && ro && ro[3] == (unsigned char)14 && maps_perms(ro, perms) &&
		      !strncmp(perms, "r--", 3),
	      "shared: NoWrite mapping is readable and r--", "status 0x%x perms '%s'", st, perms);
	r = mprotect(ro, SHARED, PROT_READ | PROT_WRITE);
	check(r == -1 && errno == EACCES, "shared: mprotect cannot make the NoWrite mapping writable",
	      "r %d errno %d", r, errno);
	r = in_child(child_write_ro, fd, NULL);
	check(r == SIGSEGV, "shared: write to a NoWrite mapping kills the writer with SIGSEGV",
	      "child ended with %d", r);

	/* A process exits with its mapping live: cleaned up, no report. */
	s0 = stats(fd);
	r = in_child(child_exit_mapped, fd, NULL);
	s1 = stats(fd);
	check(r == 1000 && rw[0] == 0xEE && rw[15] == 0xEE, "shared: data written by another process is visible",
	      "child %d byte 0x%x", r, rw[0]);
	check(s1.user_mappings == s0.user_mappings && s1.reports == s0.reports && s1.locked_mdls == 0,
	      "shared: exit with a live mapping leaves nothing behind", "mappings %llu -> %llu reports %u -> %u",
	      s0.user_mappings, s1.user_mappings, s0.reports, s1.reports);

	/* The process unmaps it itself; the driver's unmap afterwards is quiet. */
	s0 = stats(fd);
	r = munmap(ro, SHARED);
	st = unmap_shared(fd, IOCTL_EXAMPLE_UNMAP_SHARED, ro);
	s1 = stats(fd);
	check(r == 0 && st == STATUS_SUCCESS && s1.reports == s0.reports && s1.user_mappings == s0.user_mappings - 1,
	      "shared: munmap by the process, then the driver's unmap: quiet", "r %d status 0x%x reports %u -> %u",
	      r, st, s0.reports, s1.reports);

	/* The driver unmaps it. */
	st = unmap_shared(fd, IOCTL_EXAMPLE_UNMAP_SHARED, rw);
	check(st == STATUS_SUCCESS && !is_mapped(rw), "shared: MmUnmapLockedPages removes it", "status 0x%x", st);
}

static void test_close_cleans_up(void)
{
	int fd = open(DEVICE, O_RDWR), st;
	unsigned char *va = fd >= 0 ? map_shared(fd, 0, &st) : NULL;
	struct example_stats s;

	check(va && is_mapped(va), "close: mapping made", "");
	close(fd); /* IRP_MJ_CLEANUP unmaps it, in this process */
	check(va && !is_mapped(va), "close: the driver's cleanup removed the mapping", "");
	fd = open(DEVICE, O_RDWR);
	s = stats(fd);
	check(s.user_mappings == 0 && s.locked_mdls == start.locked_mdls && s.live_mdls == start.live_mdls &&
		      s.unhandled == start.unhandled,
	      "close: nothing left: no user mapping, no locked MDL, no MDL, no unhandled raise",
	      "mappings %llu locked %llu mdls %llu (%llu at start) unhandled %u (%u at start)", s.user_mappings,
	      s.locked_mdls, s.live_mdls, start.live_mdls, s.unhandled, start.unhandled);
	close(fd);
}

/* ---- hostile processes: attacks that must fail safely ---------------- */

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

/* Write (or read, if !write) one byte at @p in this process: 0 if it worked,
 * else the signal it raised (SIGSEGV, SIGBUS). */
static int try_access(volatile unsigned char *p, int write, unsigned char value)
{
	struct sigaction sa, old_segv, old_bus;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	sig = sigsetjmp(fault_jmp, 1);
	if (sig == 0) {
		if (write)
			*p = value;
		else
			(void)*p;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return sig;
}

static int lock_user(int fd, void *va, unsigned int len, int write, unsigned int *slot)
{
	struct example_lock l = { .address = (uintptr_t)va, .length = len, .write = write ? 1u : 0u };

	return call(fd, IOCTL_EXAMPLE_LOCK_USER, &l, sizeof(l), slot, sizeof(*slot), NULL);
}

static unsigned char *map_locked(int fd, unsigned int slot, int *status)
{
	unsigned long long va = 0;

	*status = call(fd, IOCTL_EXAMPLE_MAP_LOCKED, &slot, sizeof(slot), &va, sizeof(va), NULL);
	return (unsigned char *)(uintptr_t)va;
}

static int slot_call(int fd, unsigned int code, unsigned int slot)
{
	return call(fd, code, &slot, sizeof(slot), NULL, 0, NULL);
}

/* Never-written anonymous memory reads zero (the shared zero page is intact). */
static int fresh_memory_reads_zero(void)
{
	unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ok = p != MAP_FAILED;
	unsigned int i;

	for (i = 0; ok && i < 2 * PAGE; i++)
		ok = p[i] == 0;
	if (p != MAP_FAILED)
		munmap(p, 2 * PAGE);
	return ok;
}

static void child_fresh_zero(int fd, void *arg)
{
	(void)fd;
	(void)arg;
	_exit(fresh_memory_reads_zero() ? 0 : 7);
}

/* A read-only file, opened O_RDONLY, mapped PROT_READ, locked for reading
 * and shared back by the driver: the process must not be able to write it. */
static void hostile_read_only_file(int fd)
{
	static const char text[] = "mmshim: this file is read-only for the client\n";
	char path[] = "/tmp/mmshim_hostile_XXXXXX", back[sizeof(text)] = "", perms[8] = "";
	unsigned int slot = ~0u;
	unsigned char *file_va, *va;
	int wfd, rfd, st, sig, r;
	struct example_stats s0, s1;

	wfd = mkstemp(path);
	if (wfd < 0) {
		strcpy(path, "/mmshim_hostile_XXXXXX");
		wfd = mkstemp(path);
	}
	if (wfd < 0 || write(wfd, text, sizeof(text)) != (ssize_t)sizeof(text)) {
		check(0, "hostile: read-only file: setup", "no writable directory: %s", strerror(errno));
		return;
	}
	close(wfd);
	rfd = open(path, O_RDONLY);
	file_va = rfd >= 0 ? mmap(NULL, PAGE, PROT_READ, MAP_SHARED, rfd, 0) : MAP_FAILED;
	if (file_va == MAP_FAILED) {
		check(0, "hostile: read-only file: setup", "mmap: %s", strerror(errno));
		unlink(path);
		return;
	}
	s0 = stats(fd);
	st = lock_user(fd, file_va, PAGE, 0, &slot);
	check(st == STATUS_SUCCESS, "hostile: read-only file: IoReadAccess lock accepted", "status 0x%x", st);
	if (st != STATUS_SUCCESS)
		goto out;
	va = map_locked(fd, slot, &st);
	s1 = stats(fd);
	check(st == STATUS_SUCCESS && va && maps_perms(va, perms) && !strncmp(perms, "r--", 3) &&
		      s1.read_only_mappings == s0.read_only_mappings + 1,
	      "hostile: read-only file: the driver's writable user mapping is made read-only and reported",
	      "status 0x%x perms '%s' reports %u -> %u", st, perms, s0.read_only_mappings, s1.read_only_mappings);
	if (st == STATUS_SUCCESS && va) {
		r = mprotect(va, PAGE, PROT_READ | PROT_WRITE);
		check(r == -1 && errno == EACCES, "hostile: read-only file: mprotect cannot make it writable",
		      "r %d errno %d", r, errno);
		sig = try_access(va, 1, 'X');
		check(sig == SIGSEGV && va[0] == 'm', "hostile: read-only file: a write through the mapping faults",
		      "signal %d byte 0x%x", sig, va[0]);
		slot_call(fd, IOCTL_EXAMPLE_UNMAP_LOCKED, slot);
	}
	slot_call(fd, IOCTL_EXAMPLE_UNLOCK, slot);
out:
	r = (int)pread(rfd, back, sizeof(back), 0);
	check(r == (int)sizeof(text) && !memcmp(back, text, sizeof(text)),
	      "hostile: read-only file: read() returns the file unchanged", "r %d '%.20s'", r, back);
	munmap(file_va, PAGE);
	close(rfd);
	unlink(path);
}

/* Untouched PROT_READ memory is the shared zero page: no write may reach it. */
static void hostile_untouched_read_only(int fd)
{
	unsigned char *buf = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *va;
	unsigned int slot = ~0u;
	char perms[8] = "";
	int st, sig, r;

	st = lock_user(fd, buf, PAGE, 0, &slot);
	check(st == STATUS_SUCCESS, "hostile: untouched PROT_READ memory: IoReadAccess lock accepted",
	      "status 0x%x", st);
	if (st != STATUS_SUCCESS)
		return;
	va = map_locked(fd, slot, &st);
	check(st == STATUS_SUCCESS && va && maps_perms(va, perms) && !strncmp(perms, "r--", 3),
	      "hostile: untouched PROT_READ memory: the user mapping is read-only", "status 0x%x perms '%s'", st,
	      perms);
	if (st == STATUS_SUCCESS && va) {
		sig = try_access(va + 123, 1, 0x99);
		check(sig == SIGSEGV && va[123] == 0, "hostile: untouched PROT_READ memory: a write faults",
		      "signal %d byte 0x%x", sig, va[123]);
	}
	slot_call(fd, IOCTL_EXAMPLE_UNLOCK, slot);
	r = in_child(child_fresh_zero, fd, NULL);
	check(fresh_memory_reads_zero() && buf[123] == 0 && r == 1000,
	      "hostile: untouched PROT_READ memory: never-written memory still reads zero here and in another process",
	      "child %d", r);
	munmap(buf, PAGE);
}

/* Untouched writable memory, locked for reading: the process gets its own
 * page, so writing through the mapping reaches only its own memory. */
static void hostile_untouched_writable(int fd)
{
	unsigned char *buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *va;
	unsigned int slot = ~0u;
	char perms[8] = "";
	int st, sig, r;

	st = lock_user(fd, buf, PAGE, 0, &slot);
	va = st == STATUS_SUCCESS ? map_locked(fd, slot, &st) : NULL;
	check(st == STATUS_SUCCESS && va && maps_perms(va, perms) && !strcmp(perms, "rw-s"),
	      "hostile: untouched writable memory: read-locked and mapped writable (the process's own memory)",
	      "status 0x%x perms '%s'", st, perms);
	if (st != STATUS_SUCCESS || !va)
		return;
	sig = try_access(va + 200, 1, 0x42);
	check(sig == 0 && buf[200] == 0x42, "hostile: untouched writable memory: a write lands in the process's own page",
	      "signal %d byte 0x%x", sig, buf[200]);
	r = in_child(child_fresh_zero, fd, NULL);
	check(fresh_memory_reads_zero() && r == 1000,
	      "hostile: untouched writable memory: never-written memory still reads zero here and in another process",
	      "child %d", r);
	slot_call(fd, IOCTL_EXAMPLE_UNLOCK, slot);
	munmap(buf, PAGE);
}

struct fork_arg {
	unsigned char *va;
	unsigned int slot;
};

static void child_after_fork(int fd, void *arg)
{
	struct fork_arg *a = arg;

	if (try_access(a->va, 0, 0) != SIGSEGV)
		_exit(2); /* the parent's mapping must not be inherited */
	/* The driver unmaps whatever the handle mapped, from this process. */
	slot_call(fd, IOCTL_EXAMPLE_UNMAP_LOCKED, a->slot);
	_exit(0);
}

static void child_unlock_after_fork(int fd, void *arg)
{
	slot_call(fd, IOCTL_EXAMPLE_UNLOCK, ((struct fork_arg *)arg)->slot);
	_exit(0);
}

/* A forked child acts on the parent's mapping through the shared handle. */
static void hostile_after_fork(int fd)
{
	unsigned char *buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct example_stats s0, s1;
	struct fork_arg a;
	int st, r, sig;

	memset(buf, 0x3C, PAGE);
	st = lock_user(fd, buf, PAGE, 1, &a.slot);
	a.va = st == STATUS_SUCCESS ? map_locked(fd, a.slot, &st) : NULL;
	check(st == STATUS_SUCCESS && a.va && a.va[9] == 0x3C, "hostile: fork: buffer locked and mapped",
	      "status 0x%x", st);
	if (st != STATUS_SUCCESS || !a.va)
		return;
	s0 = stats(fd);
	r = in_child(child_after_fork, fd, &a);
	s1 = stats(fd);
	check(r == 1000 && s1.wrong_process == s0.wrong_process + 1 && try_access(a.va + 9, 0, 0) == 0 &&
		      a.va[9] == 0x3C && s1.user_mappings == s0.user_mappings,
	      "hostile: fork: the child cannot use or unmap the parent's mapping (refused, reported)",
	      "child %d reports %u -> %u", r, s0.wrong_process, s1.wrong_process);
	/* The child unlocks the parent's buffer: the parent loses access first. */
	s0 = stats(fd);
	r = in_child(child_unlock_after_fork, fd, &a);
	s1 = stats(fd);
	sig = try_access(a.va + 9, 0, 0);
	check(r == 1000 && sig == SIGBUS && s1.live_revoked == s0.live_revoked + 1 &&
		      s1.locked_mdls == s0.locked_mdls - 1,
	      "hostile: fork: a child's unlock revokes the parent's mapping (SIGBUS, no stale pages)",
	      "child %d signal %d revoked %u -> %u locked %llu -> %llu", r, sig, s0.live_revoked,
	      s1.live_revoked, s0.locked_mdls, s1.locked_mdls);
	munmap(a.va, PAGE);
	munmap(buf, PAGE);
}

static void child_exit_locked(int fd, void *arg)
{
	int own = open(DEVICE, O_RDWR), st;
	unsigned char *buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int slot;

	(void)fd;
	(void)arg;
	if (own < 0 || lock_user(own, buf, PAGE, 1, &slot) != STATUS_SUCCESS)
		_exit(2);
	if (!map_locked(own, slot, &st) || st != STATUS_SUCCESS)
		_exit(3);
	_exit(0); /* no unmap, no unlock, no close */
}

struct reuse_arg {
	unsigned int slot;
	unsigned long long va;
};

static void child_partial_lock(int fd, void *arg)
{
	struct reuse_arg *a = arg;
	unsigned char *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *va;
	int st;

	memcpy(page, "secret of the first process", 28);
	/* Part of one page: mappable back into this process only. */
	if (lock_user(fd, page + 100, 200, 1, &a->slot) != STATUS_SUCCESS)
		_exit(2);
	va = map_locked(fd, a->slot, &st);
	if (!va || st != STATUS_SUCCESS)
		_exit(3);
	a->va = (uintptr_t)va;
	_exit(0); /* the lock stays with the shared handle */
}

static void child_reuse(int fd, void *arg)
{
	struct reuse_arg *a = arg;
	unsigned char *va;
	int st;

	unsigned char *own;

	va = map_locked(fd, a->slot, &st);
	if (st == STATUS_SUCCESS || va)
		_exit(2); /* took the dead process's partial page */
	/* This process's own memory where the dead one had its mapping: the
	 * driver's unmap of the old mapping must not touch it. */
	own = mmap((void *)(uintptr_t)(a->va & ~(unsigned long long)(PAGE - 1)), PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (own == MAP_FAILED)
		_exit(3);
	own[5] = 0x5E;
	slot_call(fd, IOCTL_EXAMPLE_UNMAP_LOCKED, a->slot);
	if (try_access(own + 5, 0, 0) != 0 || own[5] != 0x5E)
		_exit(4);
	_exit(0);
}

/* A process exits holding locks and mappings; a new process must not be
 * taken for it. */
static void hostile_exit_and_reuse(int fd)
{
	struct example_stats s0, s1;
	struct reuse_arg a = { .slot = ~0u };
	int r;

	s0 = stats(fd);
	r = in_child(child_exit_locked, fd, NULL);
	s1 = stats(fd);
	check(r == 1000 && s1.locked_mdls == s0.locked_mdls && s1.user_mappings == s0.user_mappings &&
		      s1.reports == s0.reports,
	      "hostile: exit: a process that exits with a locked, mapped buffer leaves nothing behind",
	      "child %d locked %llu -> %llu mappings %llu -> %llu reports %u -> %u", r, s0.locked_mdls,
	      s1.locked_mdls, s0.user_mappings, s1.user_mappings, s0.reports, s1.reports);

	/* The slot number travels back through a shared anonymous page. */
	{
		struct reuse_arg *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		*shared = a;
		r = in_child(child_partial_lock, fd, shared);
		a = *shared;
		munmap(shared, PAGE);
	}
	check(r == 1000, "hostile: reuse: a process locks part of a page and exits", "child %d", r);
	if (r != 1000)
		return;
	s0 = stats(fd);
	r = in_child(child_reuse, fd, &a);
	s1 = stats(fd);
	check(r == 1000 && s1.user_mappings == s0.user_mappings - 1,
	      "hostile: reuse: a new process is not taken for the dead owner of a partial page, and the "
	      "driver's unmap of the dead mapping leaves the new process's memory at that address alone",
	      "child %d mappings %llu -> %llu", r, s0.user_mappings, s1.user_mappings);
	slot_call(fd, IOCTL_EXAMPLE_UNLOCK, a.slot);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Not a test: what a user mapping costs, next to the raw Linux primitive
 * (mmap(MAP_SHARED|MAP_POPULATE) + munmap of the same number of existing
 * memfd pages) and a bare ioctl round trip, measured in the same run. */
static void measure(int fd)
{
	const int n = 200;
	double t0, ioctl_us, map_us, raw_us;
	unsigned char *va;
	int i, st, mfd;

	t0 = now_us();
	for (i = 0; i < n; i++)
		stats(fd);
	ioctl_us = (now_us() - t0) / n;
	t0 = now_us();
	for (i = 0; i < n; i++) {
		va = map_shared(fd, 0, &st);
		unmap_shared(fd, IOCTL_EXAMPLE_UNMAP_SHARED, va);
	}
	map_us = (now_us() - t0) / n;
	/* Baseline: map existing pages (a memfd already populated), not allocate them. */
	mfd = memfd_create("baseline", 0);
	if (mfd < 0 || ftruncate(mfd, SHARED) != 0)
		return;
	va = mmap(NULL, SHARED, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, mfd, 0);
	munmap(va, SHARED);
	t0 = now_us();
	for (i = 0; i < n; i++) {
		va = mmap(NULL, SHARED, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, mfd, 0);
		munmap(va, SHARED);
	}
	raw_us = (now_us() - t0) / n;
	close(mfd);
	printf("INFO %d-page user mapping (MAP_SHARED ioctl + UNMAP_SHARED ioctl): %.1f us; "
	       "raw mmap(memfd, MAP_SHARED|MAP_POPULATE)+munmap: %.1f us (ratio %.2f); "
	       "bare ioctl round trip: %.1f us\n",
	       SHARED / PAGE, map_us, raw_us, map_us / raw_us, ioctl_us);
}

int main(int argc, char **argv)
{
	int fd = open(DEVICE, O_RDWR);
	int dma_only = argc > 1 && !strcmp(argv[1], "dma"); /* "dma": only the DMA checks */

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (fd < 0) {
		printf("FAIL open %s: %s\nCLIENT-RESULT 0 1\n", DEVICE, strerror(errno));
		return 1;
	}
	readonly_buffer = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* Far below where mmap places things, so never reused by accident. */
	unmapped_buffer = (void *)0x100000000000ULL;
	if (is_mapped(unmapped_buffer))
		printf("FAIL setup: %p is mapped\n", unmapped_buffer);
	start = stats(fd);
	if (dma_only) {
		test_dma(fd);
		close(fd);
		printf("CLIENT-RESULT %d %d\n", passed, failed);
		return failed ? 1 : 0;
	}

	test_buffered(fd);
	test_direct(fd);
	test_neither(fd);
	test_dma(fd);
	test_shared(fd);
	hostile_read_only_file(fd);
	hostile_untouched_read_only(fd);
	hostile_untouched_writable(fd);
	hostile_after_fork(fd);
	hostile_exit_and_reuse(fd);
	close(fd);
	test_close_cleans_up();
	fd = open(DEVICE, O_RDWR);
	if (fd >= 0) {
		measure(fd);
		close(fd);
	}
	printf("CLIENT-RESULT %d %d\n", passed, failed);
	return failed ? 1 : 0;
}
