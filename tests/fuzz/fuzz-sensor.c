/* SPDX-License-Identifier: Apache-2.0 */
/* Ring-buffer records of the eBPF sensor: the first byte picks a record
 * layout (so that most inputs have a size the decoder accepts), the rest
 * fills it. Every event the decoder delivers must be one valid JSON object
 * (the replay format). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "runtime/sensor_api.h"
#include "../../bpf/sensor.h"

static struct bw_sensor *s;

static int check_line(const char *line, size_t len, void *ud)
{
	json_t *j = json_loadb(line, len, 0, NULL);

	(void)ud;
	if (!json_is_object(j))
		abort();
	json_decref(j);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = {
		sizeof(struct bw_ev_exec), sizeof(struct bw_ev_clone), sizeof(struct bw_ev_hdr),
		sizeof(struct bw_ev_file), sizeof(struct bw_ev_file2), sizeof(struct bw_ev_net),
		sizeof(struct bw_ev_sys),
	};
	static uint8_t rec[sizeof(struct bw_ev_file2) + 64];
	size_t n;

	if (!s && bw_sensor_new_detached(&s, NULL) < 0)
		abort();
	if (size < 1)
		return 0;
	n = data[0] < 7 * 32 ? sizes[data[0] % 7] : size - 1;
	if (n > sizeof(rec))
		n = sizeof(rec);
	memset(rec, 0, sizeof(rec));
	memcpy(rec, data + 1, size - 1 < n ? size - 1 : n);
	bw_sensor_feed(s, rec, n, check_line, NULL);
	return 0;
}
