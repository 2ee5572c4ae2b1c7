/* SPDX-License-Identifier: GPL-2.0 */
/* glue.h - functions shared between the glue's own files (not the core). */
#ifndef MMSHIM_GLUE_H
#define MMSHIM_GLUE_H

void mmshim_glue_memory_exit(void);
void mmshim_glue_pages_exit(void);
void mmshim_debugfs_init(void);
void mmshim_debugfs_exit(void);

#endif
