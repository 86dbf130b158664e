/* SPDX-License-Identifier: Apache-2.0 */
/* The advisory parsers over hostile bytes: OSV records (single, arrays) and
 * Alpine secdb files, through the same entry point the importer uses. The
 * callback reads every string of every record, so a dangling or unterminated
 * one shows up under ASan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/core.h"
#include "vulndb/parse.h"

static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

static int on_record(const struct vdb_record *r, void *ud, struct bw_error **err)
{
	size_t *n = ud;

	(void)err;
	*n += touch(r->id) + touch(r->aliases) + touch(r->summary) + touch(r->cvss3) + touch(r->cvss4) + touch(r->rating) +
	      touch(r->published) + touch(r->modified);
	for (size_t i = 0; i < r->n_aff; i++)
		*n += touch(r->aff[i].ecosystem) + touch(r->aff[i].package) + touch(r->aff[i].urgency) +
		      touch(r->aff[i].ranges) + touch(r->aff[i].versions);
	return 0;
}

static void quiet(enum bw_log_level level, const char *msg, void *ud)
{
	(void)level, (void)msg, (void)ud;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_vulndb_stats st = { 0 };
	struct bw_error *err = NULL;
	size_t n = 0;

	bw_log_set_handler(quiet, NULL, BW_LOG_DEBUG);
	vdb_parse((const char *)data, size, "fuzz", on_record, &n, &st, &err);
	bw_error_free(err);
	return 0;
}
