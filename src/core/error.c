/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "bulwark/core.h"

int bw_error_set(struct bw_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	struct bw_error *e;
	char *msg = NULL;

	if (code >= 0)
		code = -EINVAL;
	if (!err || *err)
		return code;
	e = calloc(1, sizeof(*e));
	if (!e)
		return code;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	e->code = code;
	e->msg = msg;
	*err = e;
	return code;
}

int bw_error_wrap(struct bw_error **err, const char *fmt, ...)
{
	va_list ap;
	char *ctx = NULL, *msg = NULL;

	if (!err || !*err)
		return -EINVAL;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		ctx = NULL;
	va_end(ap);
	if (ctx && asprintf(&msg, "%s: %s", ctx, (*err)->msg ? (*err)->msg : strerror(-(*err)->code)) >= 0) {
		free((*err)->msg);
		(*err)->msg = msg;
	}
	free(ctx);
	return (*err)->code;
}

struct bw_error *bw_error_free(struct bw_error *err)
{
	if (err) {
		free(err->msg);
		free(err);
	}
	return NULL;
}
