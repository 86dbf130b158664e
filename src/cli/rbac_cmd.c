/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark rbac who-can VERB RESOURCE [-n NS] PATH...: answer from manifests. */
#include <getopt.h>
#include <string.h>

#include "bulwark/config.h"
#include "bulwark/rbac.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark rbac who-can [OPTIONS] VERB RESOURCE PATH...\n"
	"\n"
	"List the subjects (users, groups, service accounts) that the Roles,\n"
	"ClusterRoles and bindings in the given manifests allow to do VERB on\n"
	"RESOURCE, with the binding and role that grant it. RESOURCE is a plural\n"
	"resource (pods), with a subresource (pods/exec) or a group (apps/deployments).\n"
	"\n"
	"Options:\n"
	"  -n, --namespace NS   the namespace the request is in (default: cluster-wide,\n"
	"                       where only ClusterRoleBindings count)\n"
	"  -f, --format FORMAT  table (default) or json\n"
	"  -h, --help           show this help\n"
	"\n"
	"Exit codes: 0 ok, 2 usage, 3 when an input could not be read or parsed.\n";

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

int cmd_rbac(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "namespace", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ns = NULL, *verb, *resource;
	bool json = false;
	struct bw_config_opts copts = { .size = sizeof(copts) };
	struct bw_config_scan *s = NULL;
	struct bw_error *err = NULL;
	struct bw_rbac_grant *g = NULL;
	size_t n = 0;
	int c, rc = EXIT_OK;

	if (argc < 2 || (strcmp(argv[1], "who-can") && strcmp(argv[1], "--help") &&
			 strcmp(argv[1], "-h")))
		return cli_usage_error("rbac", "expected `who-can`");
	if (strcmp(argv[1], "who-can")) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	argc--;
	argv++;
	optind = 0;
	while ((c = getopt_long(argc, argv, "n:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			ns = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "table") && strcmp(optarg, "json"))
				return cli_usage_error("rbac who-can", "unknown format `%s`", optarg);
			json = !strcmp(optarg, "json");
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("rbac who-can", "unknown option `%s`", argv[optind - 1]);
		}
	}
	cli_setup_logging();
	if (argc - optind < 3)
		return cli_usage_error("rbac who-can", "expected VERB RESOURCE PATH...");
	verb = argv[optind++];
	resource = argv[optind++];
	if (bw_config_scan_new(&copts, &s, &err) < 0)
		return cli_fail(err);
	for (int i = optind; i < argc; i++)
		if (bw_config_scan_add_path(s, argv[i], &err) < 0) {
			if (err && err->code == -ENOMEM) {
				bw_config_scan_free(s);
				return cli_fail(err);
			}
			fprintf(stderr, "error: %s\n", err && err->msg ? err->msg : "cannot read input");
			err = bw_error_free(err);
			rc = EXIT_INPUT;
		}
	for (size_t i = 0; i < bw_config_scan_nfile_errors(s); i++) {
		fprintf(stderr, "error: %s\n", bw_config_scan_file_error(s, i));
		rc = EXIT_INPUT;
	}
	struct bw_k8s_set set;
	bw_config_scan_k8s(s, &set);
	if (bw_rbac_who_can(&set, verb, resource, ns, &g, &n, &err) < 0) {
		bw_config_scan_free(s);
		return cli_fail(err);
	}
	if (json) {
		printf("[");
		for (size_t i = 0; i < n; i++) {
			printf(i ? ",\n {" : "\n {");
			printf("\"subject_kind\": ");
			json_put_string(stdout, or_dash(g[i].subject_kind));
			printf(", \"subject\": ");
			json_put_string(stdout, or_dash(g[i].subject_name));
			printf(", \"subject_namespace\": ");
			if (g[i].subject_namespace)
				json_put_string(stdout, g[i].subject_namespace);
			else
				printf("null");
			printf(", \"binding_kind\": ");
			json_put_string(stdout, or_dash(g[i].binding_kind));
			printf(", \"binding\": ");
			json_put_string(stdout, or_dash(g[i].binding_name));
			printf(", \"binding_namespace\": ");
			if (g[i].binding_namespace)
				json_put_string(stdout, g[i].binding_namespace);
			else
				printf("null");
			printf(", \"role_kind\": ");
			json_put_string(stdout, or_dash(g[i].role_kind));
			printf(", \"role\": ");
			json_put_string(stdout, or_dash(g[i].role_name));
			printf("}");
		}
		printf(n ? "\n]\n" : "]\n");
	} else {
		printf("%-15s %-40s %-20s %s\n", "KIND", "SUBJECT", "NAMESPACE", "VIA");
		for (size_t i = 0; i < n; i++)
			printf("%-15s %-40s %-20s %s/%s -> %s/%s\n", or_dash(g[i].subject_kind),
			       or_dash(g[i].subject_name), or_dash(g[i].subject_namespace),
			       or_dash(g[i].binding_kind), or_dash(g[i].binding_name),
			       or_dash(g[i].role_kind), or_dash(g[i].role_name));
		if (!n)
			printf("(no subject can %s %s%s%s)\n", verb, resource, ns ? " in " : "",
			       ns ? ns : "");
	}
	free(g);
	bw_config_scan_free(s);
	return rc;
}
