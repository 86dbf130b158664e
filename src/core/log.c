/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "bulwark/core.h"

static bw_log_fn log_fn;
static void *log_userdata;
static enum bw_log_level log_max = BW_LOG_WARN;

void bw_log_set_handler(bw_log_fn fn, void *userdata, enum bw_log_level max_level)
{
	log_fn = fn;
	log_userdata = userdata;
	log_max = max_level;
}

bool bw_log_enabled(enum bw_log_level level)
{
	return log_fn && level <= log_max;
}

void bw_log(enum bw_log_level level, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (!bw_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_fn(level, buf, log_userdata);
}
