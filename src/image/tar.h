/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_IMAGE_TAR_H
#define BW_IMAGE_TAR_H

/*
 * A bounded streaming tar reader (ustar, GNU and pax). Bytes are pushed in
 * with tar_feed() in chunks of any size; entries come out through a
 * callback, and entry data through another, without buffering it. Names are
 * normalised (no leading "./" or "/", no empty or "." components) and a name
 * with a ".." component is an error.
 */

#include "bulwark/core.h"

#define TAR_BLOCK 512

enum tar_type {
	TAR_REG = 0,
	TAR_HARDLINK,
	TAR_SYMLINK,
	TAR_CHAR,
	TAR_BLOCK_DEV,
	TAR_DIR,
	TAR_FIFO,
	/* Meta types, consumed by the reader itself. */
	TAR_PAX,
	TAR_PAX_GLOBAL,
	TAR_GNU_LONGNAME,
	TAR_GNU_LONGLINK,
	TAR_OTHER,
};

struct tar_entry {
	const char *name; /* normalised; "" is the root directory */
	const char *link; /* symlink or hardlink target (hardlink normalised) */
	enum tar_type type;
	uint32_t mode;
	uint32_t uid, gid;
	uint64_t size;
	int64_t mtime;
	uint32_t devmajor, devminor;
	uint64_t offset; /* offset of the entry's data in the tar stream */
};

/* Decodes one 512-byte header block: checksum, numeric fields (octal or
 * base-256, checked), and the raw name (prefix/name for ustar) into *ret.
 * ret->name/link point into name_buf/link_buf. Returns 1 for an all-zero
 * block (end of archive), 0 for a header, -errno with *err on a bad one. */
int tar_header_decode(const uint8_t blk[TAR_BLOCK], char name_buf[257], char link_buf[101],
		      struct tar_entry *ret, struct bw_error **err);

/* Applies the records of a pax extended header (path, linkpath, size, uid,
 * gid, mtime) to e; strings are copied into the malloc.d path and link. */
int tar_pax_apply(const char *data, size_t len, struct tar_entry *e, char **path, char **link,
		  struct bw_error **err);

/* Normalises a tar member name in place. -EINVAL for "..", absolute names
 * and names longer than BW_MAX_PATH. */
int tar_name_normalise(char *name, struct bw_error **err);

/* Numeric field: octal (space/NUL terminated) or GNU base-256. */
int tar_parse_number(const uint8_t *field, size_t len, int64_t *ret);

struct tar_reader;

/* Called for every entry; return 0 to go on, a negative errno (with *err
 * set) to stop. The entry and its strings are valid during the call. */
typedef int (*tar_entry_fn)(void *ud, const struct tar_entry *e, struct bw_error **err);
/* Called with the data of the last entry, in pieces; may be NULL. */
typedef int (*tar_data_fn)(void *ud, const void *p, size_t n, struct bw_error **err);

struct tar_reader *tar_reader_new(tar_entry_fn on_entry, tar_data_fn on_data, void *ud);
struct tar_reader *tar_reader_free(struct tar_reader *t);
int tar_feed(struct tar_reader *t, const void *p, size_t n, struct bw_error **err);
/* Checks the stream ended between entries. */
int tar_finish(struct tar_reader *t, struct bw_error **err);
uint64_t tar_entries(const struct tar_reader *t);

#endif
