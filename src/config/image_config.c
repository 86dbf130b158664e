/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An image's config as a Dockerfile, so the Dockerfile checks judge a
 * built image too (USER, EXPOSE, ENV secrets, HEALTHCHECK, the RUN lines of
 * its history), as Trivy does for image config scanning.
 */
#include <jansson.h>
#include <string.h>

#include "bulwark/config.h"

/* A history `created_by` as the instruction it came from. */
static void history_line(struct bw_buf *b, const char *by)
{
	static const char nop[] = "/bin/sh -c #(nop) ";
	static const char sh[] = "/bin/sh -c ";
	size_t n;

	while (*by == ' ')
		by++;
	if (bw_startswith(by, nop)) {
		by += sizeof(nop) - 1;
		while (*by == ' ')
			by++;
		/* Metadata steps (USER, ENV, ...) are restated from the config
		 * below; keep the others (COPY, ADD, ...) as written. */
		static const char *meta[] = { "USER ", "ENV ", "EXPOSE ", "HEALTHCHECK ", "CMD ", "ENTRYPOINT ",
					      "LABEL ", "WORKDIR ", "ARG ", "VOLUME ", "STOPSIGNAL ", "SHELL ",
					      "MAINTAINER " };
		for (size_t i = 0; i < BW_ARRAY_SIZE(meta); i++)
			if (bw_startswith(by, meta[i]))
				return;
	} else if (bw_startswith(by, sh)) {
		bw_buf_puts(b, "RUN ");
		by += sizeof(sh) - 1;
	} else if (!bw_startswith(by, "RUN ") && !bw_startswith(by, "COPY ") && !bw_startswith(by, "ADD ")) {
		bw_buf_puts(b, "RUN ");
	}
	/* One physical line per instruction. */
	n = strlen(by);
	for (size_t i = 0; i < n; i++)
		bw_buf_append(b, by[i] == '\n' || by[i] == '\r' ? " " : &by[i], 1);
	bw_buf_puts(b, "\n");
}

static void put_json_argv(struct bw_buf *b, const char *instr, json_t *argv)
{
	size_t i;
	json_t *v;
	char *s;

	if (!json_is_array(argv) || json_array_size(argv) == 0)
		return;
	s = json_dumps(argv, JSON_COMPACT);
	if (!s)
		return;
	bw_buf_printf(b, "%s %s\n", instr, s);
	free(s);
	(void)i;
	(void)v;
}

int bw_config_image_dockerfile(const char *config_json, char **ret, size_t *ret_len, struct bw_error **err)
{
	json_t *root, *c, *v;
	json_error_t je;
	struct bw_buf b = BW_BUF_INIT(BW_MAX_CONFIG_SIZE * 2);
	size_t i;
	const char *key;

	root = json_loads(config_json, 0, &je);
	if (!json_is_object(root)) {
		json_decref(root);
		return bw_error_set(err, -EINVAL, "image config is not a JSON object: %s", je.text);
	}
	c = json_object_get(root, "config");
	bw_buf_puts(&b, "FROM scratch\n");
	json_array_foreach(json_object_get(root, "history"), i, v)
	{
		const char *by = json_string_value(json_object_get(v, "created_by"));
		if (by && *by)
			history_line(&b, by);
	}
	json_array_foreach(json_object_get(c, "Env"), i, v)
	{
		const char *e = json_string_value(v), *eq = e ? strchr(e, '=') : NULL;
		if (eq)
			bw_buf_printf(&b, "ENV %.*s=\"%s\"\n", (int)(eq - e), e, eq + 1);
	}
	json_object_foreach(json_object_get(c, "ExposedPorts"), key, v)
		bw_buf_printf(&b, "EXPOSE %s\n", key);
	if (json_is_string(json_object_get(c, "WorkingDir")) && *json_string_value(json_object_get(c, "WorkingDir")))
		bw_buf_printf(&b, "WORKDIR %s\n", json_string_value(json_object_get(c, "WorkingDir")));
	json_t *hc = json_object_get(json_object_get(c, "Healthcheck"), "Test");
	if (json_is_array(hc) && json_array_size(hc) > 0) {
		const char *kind = json_string_value(json_array_get(hc, 0));
		if (kind && !strcmp(kind, "NONE")) {
			bw_buf_puts(&b, "HEALTHCHECK NONE\n");
		} else {
			json_t *rest = json_array();
			for (i = 1; i < json_array_size(hc); i++)
				json_array_append(rest, json_array_get(hc, i));
			put_json_argv(&b, "HEALTHCHECK CMD", rest);
			json_decref(rest);
		}
	}
	if (json_is_string(json_object_get(c, "User")) && *json_string_value(json_object_get(c, "User")))
		bw_buf_printf(&b, "USER %s\n", json_string_value(json_object_get(c, "User")));
	put_json_argv(&b, "ENTRYPOINT", json_object_get(c, "Entrypoint"));
	put_json_argv(&b, "CMD", json_object_get(c, "Cmd"));
	json_decref(root);
	if (!b.data) {
		bw_buf_done(&b);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	*ret_len = b.len;
	*ret = bw_buf_steal(&b);
	return 0;
}
