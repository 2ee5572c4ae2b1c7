/* SPDX-License-Identifier: GPL-2.0 */
/*
 * c_header_check.h - values a plain C11 translation unit (c_header_check.c)
 * computes with include/wdm.h, checked by c_header_test.cpp. Proves the
 * porter header is valid, pedantic C and that its prototypes link against
 * the C++ core.
 */
#ifndef C_HEADER_CHECK_H
#define C_HEADER_CHECK_H

#ifdef __cplusplus
extern "C" {
#endif

struct c_header_values {
	unsigned long sizeof_mdl;
	unsigned long offsetof_size, offsetof_mdl_flags, offsetof_process;
	unsigned long offsetof_mapped_system_va, offsetof_start_va;
	unsigned long offsetof_byte_count, offsetof_byte_offset;
	unsigned long sizeof_ulong, sizeof_ulong_ptr, sizeof_pfn_number, sizeof_large_integer;
	unsigned long sizeof_boolean, sizeof_cshort;

	unsigned long page_align, byte_offset;
	unsigned long bytes_to_pages_0, bytes_to_pages_1, bytes_to_pages_4097;
	unsigned long round_to_pages_1;
	unsigned long span_pages_no_wrap;
	unsigned long max_mdl_length;

	/* MmInitializeMdl on a local MDL */
	int init_size, init_flags, init_next_is_null;
	unsigned long init_start_va;
	unsigned int init_byte_offset, init_byte_count;
	unsigned long pfn_array_offset;
	unsigned long virtual_address;

	int nt_success_of_success, nt_success_of_no_memory, nt_error_of_no_memory;
	unsigned long pool_flag_non_paged, pool_type_nx;

	/* Calls from C into the core */
	unsigned long size_of_mdl;
	int mdl_allocated, mdl_fixed_size, mdl_freed;
	int pool_allocated, pool_aligned, pool_freed;
};

/* Fills *v; returns the number of values it computed (a sanity count). */
int mmshim_c_header_check(struct c_header_values *v);

/* mmshim/irql.h from C (mmshim_c_header_check_irql, checked by irql_test.cpp) */
struct c_header_irql {
	unsigned long pointers_taken;
	unsigned long sizeof_kspin_lock, sizeof_klock_queue_handle, offsetof_old_irql;
	unsigned long levels, dpfltr_ihvdriver;
	unsigned long old_irql, irql_held, lock_after_release, queued_old_irql;
	unsigned long assert_true, assert_false_result;
};
int mmshim_c_header_check_irql(struct c_header_irql *v);

#ifdef __cplusplus
}
#endif

#endif
