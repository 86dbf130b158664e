/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: writes ustar/pax/GNU tar streams into memory. */
#ifndef TARBUILD_H
#define TARBUILD_H

#include <stdio.h>
#include <string.h>

#include "bulwark/core.h"

struct tb {
	struct bw_buf b;
};

static inline void tb_init(struct tb *t)
{
	t->b = BW_BUF_INIT(64u << 20);
}

static inline void tb_header(struct tb *t, const char *name, char type, unsigned mode, unsigned long long size,
			     const char *link)
{
	unsigned char h[512] = { 0 };
	unsigned sum = 0;

	strncpy((char *)h, name, 100);
	snprintf((char *)h + 100, 8, "%07o", mode);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	char sz[32];
	snprintf(sz, sizeof(sz), "%011llo", size & 077777777777ull);
	memcpy(h + 124, sz, 12);
	snprintf((char *)h + 136, 12, "%011o", 1700000000);
	h[156] = (unsigned char)type;
	if (link)
		strncpy((char *)h + 157, link, 100);
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	bw_buf_append(&t->b, h, 512);
}

static inline void tb_data(struct tb *t, const void *p, size_t n)
{
	static const char zero[512];

	bw_buf_append(&t->b, p, n);
	if (n % 512)
		bw_buf_append(&t->b, zero, 512 - n % 512);
}

static inline void tb_file(struct tb *t, const char *name, const char *content)
{
	tb_header(t, name, '0', 0644, strlen(content), NULL);
	tb_data(t, content, strlen(content));
}

static inline void tb_dir(struct tb *t, const char *name)
{
	tb_header(t, name, '5', 0755, 0, NULL);
}

static inline void tb_symlink(struct tb *t, const char *name, const char *target)
{
	tb_header(t, name, '2', 0777, 0, target);
}

static inline void tb_hardlink(struct tb *t, const char *name, const char *target)
{
	tb_header(t, name, '1', 0644, 0, target);
}

static inline void tb_pax_path(struct tb *t, const char *path)
{
	char rec[8192];
	size_t body = strlen(" path=\n") + strlen(path), len = body + 1;
	/* The length counts its own digits. */
	while (snprintf(NULL, 0, "%zu", len) + body != len)
		len++;
	snprintf(rec, sizeof(rec), "%zu path=%s\n", len, path);
	tb_header(t, "././@PaxHeader", 'x', 0644, strlen(rec), NULL);
	tb_data(t, rec, strlen(rec));
}

static inline void tb_gnu_longname(struct tb *t, const char *path)
{
	tb_header(t, "././@LongLink", 'L', 0644, strlen(path) + 1, NULL);
	tb_data(t, path, strlen(path) + 1);
}

static inline void tb_end(struct tb *t)
{
	static const char zero[1024];

	bw_buf_append(&t->b, zero, sizeof(zero));
}

#endif
