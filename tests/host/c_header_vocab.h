/* SPDX-License-Identifier: GPL-2.0 */
/* c_header_vocab.h - values c_header_vocab.c (plain C11, -pedantic) computes
 * with the base vocabulary, checked by c_header_vocab_test.cpp. */
#ifndef C_HEADER_VOCAB_H
#define C_HEADER_VOCAB_H

#ifdef __cplusplus
extern "C" {
#endif

struct c_vocab_values {
	long field_offset;
	unsigned long field_size, number_of, array_size, number_of_v1, number_of_v2;
	int containing_ok;
	unsigned long handle_size, long64_size;
	unsigned long ctl_code, ctl_parts, methods, access;
	unsigned long status_sum;
	int nt_classes;
	int interlocked32, interlocked64, interlocked_ptr;
	unsigned long compare;
	int equal, zeroed, secure_zeroed;
	int probe_address_agrees, process_is_current;
	unsigned long process_id, thread_id;
	int previous_mode;
	int lock_and_secure_linked;
};

/* Fills *v; returns the number of values it computed. */
int mmshim_c_header_vocab(struct c_vocab_values *v);

#ifdef __cplusplus
}
#endif

#endif
