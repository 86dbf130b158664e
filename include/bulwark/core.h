/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_CORE_H
#define BULWARK_CORE_H

/*
 * core: errors with context, logging through a host-installed handler,
 * bounded string buffers, cleanup helpers, sha256 and a string hash map.
 *
 * Conventions (see STYLE.md): functions return 0 (or a count) on success and
 * a negative errno on failure; the last parameter is `struct bw_error **err`,
 * which on failure holds a message saying what, where and why. Out
 * parameters are named ret_* and are never written on failure.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define BW_API __attribute__((visibility("default")))
#define BW_PRINTF(a, b) __attribute__((format(printf, a, b)))

#define BW_VERSION "0.1.0"

/* ---------------------------------------------------------------- cleanup */

static inline void bw_freep(void *p)
{
	free(*(void **)p);
}
static inline void bw_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(bw_freep)
#define _cleanup_close_ _cleanup_(bw_closep)

/* Hand a pointer off: returns it and clears the variable. */
#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _tp_ = (p);    \
		(p) = NULL;                  \
		_tp_;                        \
	})
#define TAKE_FD(fd)                 \
	({                          \
		int _tfd_ = (fd);   \
		(fd) = -1;          \
		_tfd_;              \
	})

#define BW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- errors */

/*
 * An error: a negative errno-style code and a message. Context is prepended
 * with bw_error_wrap() as the error travels up, so the final message reads
 * "image `x`: layer sha256:..: entry `etc/a`: why".
 */
struct bw_error {
	int code;
	char *msg;
};

/* Sets *err (if err and *err is NULL) and returns code, which must be < 0. */
BW_API int bw_error_set(struct bw_error **err, int code, const char *fmt, ...) BW_PRINTF(3, 4);
/* Prepends "<context>: " to *err's message. Returns (*err)->code, or -EINVAL
 * when there is no error (a programmer error). */
BW_API int bw_error_wrap(struct bw_error **err, const char *fmt, ...) BW_PRINTF(2, 3);
/* Frees an error. Accepts NULL, returns NULL. */
BW_API struct bw_error *bw_error_free(struct bw_error *err);
static inline void bw_error_freep(struct bw_error **err)
{
	*err = bw_error_free(*err);
}
#define _cleanup_error_ _cleanup_(bw_error_freep)

/* ---------------------------------------------------------------- logging */

enum bw_log_level {
	BW_LOG_ERROR = 0,
	BW_LOG_WARN = 1,
	BW_LOG_INFO = 2,
	BW_LOG_DEBUG = 3,
};

typedef void (*bw_log_fn)(enum bw_log_level level, const char *msg, void *userdata);

/* Installs the handler the library's messages go to (none by default: the
 * library never prints) and the most verbose level that is delivered. */
BW_API void bw_log_set_handler(bw_log_fn fn, void *userdata, enum bw_log_level max_level);
BW_API bool bw_log_enabled(enum bw_log_level level);
BW_API void bw_log(enum bw_log_level level, const char *fmt, ...) BW_PRINTF(2, 3);

/* ---------------------------------------------------------------- buffers */

/*
 * A growable byte buffer with a hard cap. Invariants: data is NUL-terminated
 * whenever it is non-NULL (so it can be used as a string), len < alloc, and
 * len never exceeds cap. Appending past cap fails with -E2BIG and leaves the
 * buffer unchanged. The buffer owns data; bw_buf_done() frees it.
 */
struct bw_buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap;
};

#define BW_BUF_INIT(c) ((struct bw_buf){ .cap = (c) })

BW_API int bw_buf_append(struct bw_buf *b, const void *p, size_t n);
BW_API int bw_buf_puts(struct bw_buf *b, const char *s);
BW_API int bw_buf_printf(struct bw_buf *b, const char *fmt, ...) BW_PRINTF(2, 3);
BW_API void bw_buf_reset(struct bw_buf *b);
BW_API void bw_buf_done(struct bw_buf *b);
/* Returns the data (an empty string if none was appended) and leaves the
 * buffer empty; the caller frees it. NULL on allocation failure. */
BW_API char *bw_buf_steal(struct bw_buf *b);

/* Reads a whole file of at most cap bytes. *ret_len excludes the NUL that
 * is always appended. -EFBIG when the file is larger than cap. */
BW_API int bw_read_file(const char *path, size_t cap, char **ret, size_t *ret_len,
			struct bw_error **err);
BW_API int bw_read_fd(int fd, const char *name, size_t cap, char **ret, size_t *ret_len,
		      struct bw_error **err);

/* ---------------------------------------------------------------- sha256 */

struct bw_sha256;

BW_API struct bw_sha256 *bw_sha256_new(void);
BW_API void bw_sha256_update(struct bw_sha256 *h, const void *p, size_t n);
/* Writes "sha256:<64 hex>" (72 bytes with NUL) into out. */
BW_API void bw_sha256_final_digest(struct bw_sha256 *h, char out[72]);
BW_API struct bw_sha256 *bw_sha256_free(struct bw_sha256 *h);
/* Digest of a buffer as "sha256:<hex>". */
BW_API void bw_sha256_digest(const void *p, size_t n, char out[72]);

/*
 * Checks that s is an OCI digest we can verify: "sha256:" and 64 lowercase
 * hex digits. Other algorithms are rejected rather than trusted.
 */
BW_API bool bw_digest_valid(const char *s);

/* ---------------------------------------------------------------- strings */

BW_API bool bw_startswith(const char *s, const char *prefix);
BW_API bool bw_endswith(const char *s, const char *suffix);
/* Formats a byte count as "12.3 MiB". */
BW_API void bw_human_size(uint64_t n, char out[32]);
/* Base64 (standard alphabet) decode; -EINVAL on bad input. */
BW_API int bw_base64_decode(const char *in, size_t n, char **ret, size_t *ret_len);
BW_API char *bw_base64_encode(const void *in, size_t n);

/* ---------------------------------------------------------------- hash map */

/*
 * A string-keyed hash map with open addressing. Keys are copied; values are
 * opaque pointers the caller owns. Not thread-safe.
 */
struct bw_map;

BW_API struct bw_map *bw_map_new(void);
BW_API struct bw_map *bw_map_free(struct bw_map *m);
/* Frees the map and, with free_value (when not NULL), every value. */
BW_API struct bw_map *bw_map_free_with(struct bw_map *m, void (*free_value)(void *));
/* Inserts or replaces. -ENOMEM on failure. */
BW_API int bw_map_put(struct bw_map *m, const char *key, void *value);
BW_API void *bw_map_get(const struct bw_map *m, const char *key);
BW_API bool bw_map_has(const struct bw_map *m, const char *key);
BW_API size_t bw_map_size(const struct bw_map *m);

#endif
