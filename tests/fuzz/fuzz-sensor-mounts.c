/* SPDX-License-Identifier: Apache-2.0 */
/* A container's runtime config or engine inspect answer (untrusted JSON
 * the sensor reads from disk or an API socket) turned into the
 * container.mount* members of its events: whatever comes back must make
 * one valid JSON object, and the rules engine must read every mount field
 * from it (by number, by glob) without fault. The same input's k8s.*
 * members (pod annotations or labels) must be valid JSON strings too. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/rules.h"
#include "bulwark/runtime.h"
#include "runtime/sensor_api.h"

#define ID "32c76cb92d6a94e102d2b5f0cc49133ffd6bed48086e915d25f1a0d3b50268fd"

static const char rules[] =
	"- rule: r\n"
	"  desc: d\n"
	"  condition: evt.type = execve and (not container.mount.dest[/proc*] in (\"<NA>\") or "
	"container.mount[1] = a or container.mount.source[/x?] = b or container.mount.mode[0] = c or "
	"container.mount.rdwr[*] = true or container.mount.propagation[/?*] = d or "
	"container.mounts contains e)\n"
	"  output: \"%container.mount[0] %container.mount[/*] %container.mount.dest[/proc*] "
	"%container.mount.source[/x?] %container.mount.mode[0] %container.mounts\"\n"
	"  priority: INFO\n";

static struct bw_ruleset *rs;
static struct bw_matcher *m;
static struct bw_replay_decoder *dec;
static struct bw_replay_event *ev;

static void setup(void)
{
	const struct bw_source *src = bw_replay_source();

	rs = bw_ruleset_new();
	if (!rs || bw_ruleset_load_string(rs, "f.yaml", rules, strlen(rules), NULL) < 0 ||
	    bw_ruleset_compile(rs, &src, 1, NULL) < 0 || bw_matcher_new(rs, src, NULL, &m, NULL) < 0 ||
	    bw_replay_decoder_new(m, &dec, NULL) < 0)
		abort();
}

static void check_k8s(const uint8_t *data, size_t size)
{
	char *k = NULL, buf[16384];
	struct bw_error *err = NULL;

	if (bw_sensor_container_k8s((const char *)data, size, &k, &err) < 0) {
		if (!err || !err->msg[0] || k)
			abort();
		bw_error_free(err);
		return;
	}
	if (k[0] != ',' || strlen(k) + 2 >= sizeof(buf))
		abort();
	snprintf(buf, sizeof(buf), "{%s}", k + 1);
	json_t *j = json_loads(buf, 0, NULL), *v;
	const char *key;
	if (!json_is_object(j) || !json_object_size(j))
		abort();
	json_object_foreach(j, key, v)
		if (strncmp(key, "k8s.", 4) || !json_is_string(v) || strlen(json_string_value(v)) > 253)
			abort();
	json_decref(j);
	free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *mj = NULL, *line;
	struct bw_error *err = NULL;
	struct bw_buf out = BW_BUF_INIT(1 << 20);
	size_t n;

	if (!rs)
		setup();
	check_k8s(data, size);
	if (bw_sensor_container_mounts((const char *)data, size, ID, &mj, &err) < 0) {
		if (!err || !err->msg[0] || mj)
			abort();
		bw_error_free(err);
		return 0;
	}
	if (mj[0] != ',')
		abort();
	n = strlen(mj);
	line = malloc(n + 64);
	if (!line)
		abort();
	memcpy(line, "{\"ts\":1,\"evt.type\":\"execve\"", 27);
	memcpy(line + 27, mj, n);
	memcpy(line + 27 + n, "}", 2);
	json_t *j = json_loads(line, 0, NULL);
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "container.mounts")) ||
	    !json_is_array(json_object_get(j, "container.mount")))
		abort();
	json_decref(j);
	if (bw_replay_decode_into(dec, line, strlen(line), &ev, NULL) < 0)
		abort();
	if (bw_matcher_run(m, ev, bw_replay_event_type(ev), NULL, NULL) > 0 &&
	    bw_matcher_format_text(m, bw_ruleset_rule(rs, 0), ev, &out) < 0)
		abort();
	bw_buf_done(&out);
	free(line);
	free(mj);
	return 0;
}
