/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark explain ID: what a check means, why it matters, how to fix it. */
#include <getopt.h>
#include <string.h>

#include "bulwark/config.h"
#include "bulwark/rbac.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark explain [OPTIONS] ID...\n"
	"       bulwark explain --list\n"
	"\n"
	"Print a check's severity, title, why it matters and how to fix it.\n"
	"\n"
	"Options:\n"
	"  -l, --list           list every check (id, severity, title)\n"
	"  -f, --format FORMAT  text (default) or json\n"
	"  -h, --help           show this help\n";

static const struct bw_check_info *find(const char *id)
{
	const struct bw_check_info *c = bw_config_check_find(id);

	return c ? c : bw_rbac_check_find(id);
}

static void put_json(const struct bw_check_info *c)
{
	printf("{\"id\": ");
	json_put_string(stdout, c->id);
	printf(", \"severity\": \"%s\", \"domain\": ", bw_severity_name(c->severity));
	json_put_string(stdout, c->domain);
	printf(", \"title\": ");
	json_put_string(stdout, c->title);
	printf(", \"why\": ");
	json_put_string(stdout, c->why);
	printf(", \"fix\": ");
	json_put_string(stdout, c->fix);
	printf("}");
}

int cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool list = false, json = false;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "+lf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list = true;
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return cli_usage_error("explain", "unknown format `%s` (text or json)",
						       optarg);
			json = !strcmp(optarg, "json");
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("explain", "unknown option `%s`", argv[optind - 1]);
		}
	}
	if (list) {
		size_t n1 = bw_config_check_count(), n2 = bw_rbac_check_count();
		if (json)
			printf("[");
		for (size_t i = 0; i < n1 + n2; i++) {
			const struct bw_check_info *ci =
				i < n1 ? bw_config_check_at(i) : bw_rbac_check_at(i - n1);
			if (json) {
				printf(i ? ",\n " : "\n ");
				put_json(ci);
			} else {
				printf("%-32s %-9s %s\n", ci->id, bw_severity_name(ci->severity),
				       ci->title);
			}
		}
		if (json)
			printf("\n]\n");
		return EXIT_OK;
	}
	if (optind >= argc)
		return cli_usage_error("explain", "no check ID given");
	for (int i = optind; i < argc; i++) {
		const struct bw_check_info *ci = find(argv[i]);
		if (!ci) {
			fprintf(stderr, "error: no check `%s` (see `bulwark explain --list`)\n",
				argv[i]);
			rc = EXIT_INPUT;
			continue;
		}
		if (json) {
			put_json(ci);
			printf("\n");
		} else {
			printf("%s%s (%s, %s)\n  %s\n\nWhy it matters:\n  %s\n\nHow to fix:\n  %s\n",
			       i > optind ? "\n" : "", ci->id, bw_severity_name(ci->severity),
			       ci->domain, ci->title, ci->why, ci->fix);
		}
	}
	return rc;
}
