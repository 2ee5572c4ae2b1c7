/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fixture.h - a half-ported driver for the mmshim-scan tests
 * (tests/host/scan_test.sh): its Windows half still uses the I/O manager,
 * DPCs and Zw* files, which mmshim does not provide (docs/scope.md).
 */
#ifndef SCAN_FIXTURE_H
#define SCAN_FIXTURE_H
#include <wdm.h>

NTSTATUS FixtureStart(PDRIVER_OBJECT Driver);
void FixtureLog(const char *Text);
#endif
