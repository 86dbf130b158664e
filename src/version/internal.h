/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_VERSION_INTERNAL_H
#define BW_VERSION_INTERNAL_H

#include <string.h>

#include "bulwark/version.h"

static inline bool vs_digit(int c)
{
	return c >= '0' && c <= '9';
}
static inline bool vs_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool vs_alnum(int c)
{
	return vs_digit(c) || vs_alpha(c);
}
static inline int vs_sign(int x)
{
	return (x > 0) - (x < 0);
}

/* Compares two runs of decimal digits by value, of any length. */
int vs_numcmp(const char *a, size_t an, const char *b, size_t bn);

#endif
