/* SPDX-License-Identifier: GPL-2.0 */
/* lookaside_c_check.h - values lookaside_c_check.c computes in C. */
#ifndef LOOKASIDE_C_CHECK_H
#define LOOKASIDE_C_CHECK_H

#ifdef __cplusplus
extern "C" {
#endif

struct lookaside_c_values {
	unsigned long sizeof_general_lookaside, sizeof_general_lookaside_pool;
	unsigned long sizeof_npaged, sizeof_paged, sizeof_ex, sizeof_extended_parameter;
	unsigned long offsetof_tag, offsetof_allocate_ex, offsetof_future;
	unsigned long priority_high, raise_flag, zero_allocation, ex_raise;
	int zero_allocated, zero_is_zero, untagged_allocated, priority_allocated, pool3_allocated;
	int npaged_hit, custom_calls, paged_ok, ex_ok;
	long ex_status;
};

int mmshim_lookaside_c_check(struct lookaside_c_values *v);

#ifdef __cplusplus
}
#endif

#endif
