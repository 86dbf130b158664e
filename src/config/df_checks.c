/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dockerfile checks. Ids DF-DLxxxx follow the hadolint rule of that number
 * (and honour `# hadolint ignore=DLxxxx`); the other DF- ids are ours or
 * Trivy's. RUN commands are split into simple commands by a small shell
 * lexer (quotes, escapes, && || ; | & and newlines), which is what the
 * rules need: they look at command names and their arguments.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "bulwark/config.h"
#include "config/internal.h"

const struct bw_check_info bw_df_checks[] = {
	{ "DF-DL3000", BW_SEV_HIGH, "dockerfile", "Use absolute WORKDIR",
	  "A relative WORKDIR depends on every WORKDIR before it and is easy to get wrong.",
	  "Give WORKDIR an absolute path." },
	{ "DF-DL3001", BW_SEV_LOW, "dockerfile", "Command makes no sense in a container",
	  "ssh, vim, shutdown, service, ps, free, top, kill, mount, ifconfig and the like belong "
	  "to interactive machines, not image builds.",
	  "Remove the command." },
	{ "DF-DL3002", BW_SEV_HIGH, "dockerfile", "Last USER is root",
	  "A container that runs as root turns any escape into root on the host.",
	  "Switch to a non-root USER at the end of the final stage." },
	{ "DF-DL3003", BW_SEV_LOW, "dockerfile", "Use WORKDIR to switch to a directory",
	  "cd in RUN only lasts for that RUN and hides where later instructions run.",
	  "Use WORKDIR." },
	{ "DF-DL3004", BW_SEV_HIGH, "dockerfile", "Do not use sudo",
	  "sudo in a build has unpredictable TTY and signal behaviour and needs root anyway.",
	  "Run the command as root in the build, or use gosu at run time." },
	{ "DF-DL3006", BW_SEV_MEDIUM, "dockerfile", "Image without an explicit tag",
	  "An untagged base image is `latest`, which changes under you.",
	  "Tag the base image with a version, or pin it by digest." },
	{ "DF-DL3007", BW_SEV_MEDIUM, "dockerfile", "Base image uses the latest tag",
	  "latest changes under you: builds are not reproducible.",
	  "Pin the base image to a version tag or digest." },
	{ "DF-DL3008", BW_SEV_MEDIUM, "dockerfile", "Pin versions in apt-get install",
	  "Unpinned packages make builds unreproducible and can pull in breaking or malicious "
	  "updates.",
	  "Install `package=version`." },
	{ "DF-DL3009", BW_SEV_LOW, "dockerfile", "Delete the apt-get lists after installing",
	  "The package lists stay in the layer and bloat the image.",
	  "End the RUN with `rm -rf /var/lib/apt/lists/*`." },
	{ "DF-DL3010", BW_SEV_LOW, "dockerfile", "Use ADD for extracting archives",
	  "COPY of an archive followed by extraction keeps the archive in a layer.",
	  "Use ADD, which extracts local archives." },
	{ "DF-DL3011", BW_SEV_HIGH, "dockerfile", "Valid UNIX ports range from 0 to 65535",
	  "EXPOSE of a port outside 0-65535 is an error.", "Fix the port number." },
	{ "DF-DL3012", BW_SEV_HIGH, "dockerfile", "Multiple HEALTHCHECK instructions",
	  "Only the last HEALTHCHECK of a stage counts.", "Keep one HEALTHCHECK." },
	{ "DF-DL3013", BW_SEV_MEDIUM, "dockerfile", "Pin versions in pip",
	  "Unpinned pip packages make builds unreproducible.",
	  "Install `package==version` or use a requirements/constraints file." },
	{ "DF-DL3014", BW_SEV_MEDIUM, "dockerfile", "Use the -y switch with apt-get install",
	  "Without -y the build waits for an answer that never comes.", "Add -y." },
	{ "DF-DL3015", BW_SEV_LOW, "dockerfile", "Avoid additional packages with --no-install-recommends",
	  "Recommended packages bloat the image and its attack surface.",
	  "Add --no-install-recommends." },
	{ "DF-DL3016", BW_SEV_MEDIUM, "dockerfile", "Pin versions in npm",
	  "Unpinned npm packages make builds unreproducible.", "Install `package@version`." },
	{ "DF-DL3018", BW_SEV_MEDIUM, "dockerfile", "Pin versions in apk add",
	  "Unpinned apk packages make builds unreproducible.", "Install `package=version`." },
	{ "DF-DL3019", BW_SEV_LOW, "dockerfile", "Use apk add --no-cache",
	  "The apk cache stays in the layer.", "Use `apk add --no-cache`." },
	{ "DF-DL3020", BW_SEV_HIGH, "dockerfile", "Use COPY instead of ADD for files and folders",
	  "ADD also fetches URLs and unpacks archives, which surprises readers and hides what ends "
	  "up in the image.",
	  "Use COPY for local files." },
	{ "DF-DL3021", BW_SEV_HIGH, "dockerfile", "COPY with more than 2 arguments needs a directory",
	  "With several sources the destination must end with /.", "End the destination with /." },
	{ "DF-DL3022", BW_SEV_MEDIUM, "dockerfile", "COPY --from names no previous stage",
	  "COPY --from should reference a previously defined FROM alias.",
	  "Name the stage with FROM ... AS name, or use an image reference." },
	{ "DF-DL3023", BW_SEV_HIGH, "dockerfile", "COPY --from references its own stage",
	  "A stage cannot copy from itself.", "Reference another stage." },
	{ "DF-DL3024", BW_SEV_HIGH, "dockerfile", "FROM aliases must be unique",
	  "Two stages with the same name make --from ambiguous.", "Rename one stage." },
	{ "DF-DL3025", BW_SEV_MEDIUM, "dockerfile", "Use JSON notation for CMD and ENTRYPOINT",
	  "The shell form runs under /bin/sh -c, so signals do not reach the process.",
	  "Write CMD [\"executable\", \"arg\"]." },
	{ "DF-DL3027", BW_SEV_MEDIUM, "dockerfile", "Do not use apt",
	  "apt is meant for interactive use and has no stable CLI.", "Use apt-get or apt-cache." },
	{ "DF-DL3028", BW_SEV_MEDIUM, "dockerfile", "Pin versions in gem install",
	  "Unpinned gems make builds unreproducible.", "Install `gem:version` or -v version." },
	{ "DF-DL3029", BW_SEV_MEDIUM, "dockerfile", "Do not use --platform with FROM",
	  "A hard-coded platform breaks multi-platform builds.", "Drop --platform or use a build arg." },
	{ "DF-DL3030", BW_SEV_MEDIUM, "dockerfile", "Use yum install -y",
	  "Without -y the build waits for input.", "Add -y." },
	{ "DF-DL3032", BW_SEV_MEDIUM, "dockerfile", "yum clean all missing",
	  "The yum cache stays in the layer.", "End the RUN with `yum clean all`." },
	{ "DF-DL3033", BW_SEV_MEDIUM, "dockerfile", "Pin versions in yum install",
	  "Unpinned packages make builds unreproducible.", "Install `package-version`." },
	{ "DF-DL3034", BW_SEV_MEDIUM, "dockerfile", "Use zypper's non-interactive switch",
	  "Without -n/-y the build waits for input.", "Use `zypper install -y`." },
	{ "DF-DL3035", BW_SEV_MEDIUM, "dockerfile", "Do not use zypper dist-upgrade",
	  "dist-upgrade in a build changes the whole base unpredictably.", "Use a newer base image." },
	{ "DF-DL3036", BW_SEV_MEDIUM, "dockerfile", "zypper clean missing",
	  "The zypper cache stays in the layer.", "End the RUN with `zypper clean`." },
	{ "DF-DL3037", BW_SEV_MEDIUM, "dockerfile", "Pin versions in zypper install",
	  "Unpinned packages make builds unreproducible.", "Install `package=version`." },
	{ "DF-DL3038", BW_SEV_MEDIUM, "dockerfile", "Use dnf install -y",
	  "Without -y the build waits for input.", "Add -y." },
	{ "DF-DL3040", BW_SEV_MEDIUM, "dockerfile", "dnf clean all missing",
	  "The dnf cache stays in the layer.", "End the RUN with `dnf clean all`." },
	{ "DF-DL3041", BW_SEV_MEDIUM, "dockerfile", "Pin versions in dnf install",
	  "Unpinned packages make builds unreproducible.", "Install `package-version`." },
	{ "DF-DL3042", BW_SEV_MEDIUM, "dockerfile", "Use pip install --no-cache-dir",
	  "pip's cache stays in the layer.", "Add --no-cache-dir (or PIP_NO_CACHE_DIR)." },
	{ "DF-DL3043", BW_SEV_HIGH, "dockerfile", "ONBUILD, FROM or MAINTAINER inside ONBUILD",
	  "These are not allowed as ONBUILD triggers.", "Remove the trigger." },
	{ "DF-DL3044", BW_SEV_HIGH, "dockerfile", "ENV refers to a variable it defines",
	  "Within one ENV the new value is not visible yet.", "Split the ENV in two." },
	{ "DF-DL3045", BW_SEV_MEDIUM, "dockerfile", "COPY to a relative destination without WORKDIR",
	  "The destination then depends on the base image's WORKDIR.",
	  "Set WORKDIR first or use an absolute destination." },
	{ "DF-DL3046", BW_SEV_MEDIUM, "dockerfile", "useradd without -l and a high UID",
	  "A high UID without -l makes a huge sparse lastlog file in the image.",
	  "Use useradd -l." },
	{ "DF-DL3047", BW_SEV_LOW, "dockerfile", "wget without --progress",
	  "wget's default progress output bloats build logs.", "Use wget --progress=dot:giga (or -q)." },
	{ "DF-DL3048", BW_SEV_LOW, "dockerfile", "Invalid label key",
	  "Label keys should be lowercase alphanumerics, dots and dashes, without reserved "
	  "namespaces.",
	  "Rename the label." },
	{ "DF-DL3057", BW_SEV_LOW, "dockerfile", "HEALTHCHECK instruction missing",
	  "Without a HEALTHCHECK the runtime cannot tell a hung container from a healthy one.",
	  "Add a HEALTHCHECK (or HEALTHCHECK NONE to say so)." },
	{ "DF-DL3059", BW_SEV_LOW, "dockerfile", "Multiple consecutive RUN instructions",
	  "Each RUN adds a layer.", "Join consecutive RUNs with &&." },
	{ "DF-DL3060", BW_SEV_LOW, "dockerfile", "yarn cache clean missing after yarn install",
	  "Yarn's cache stays in the layer.", "Run `yarn cache clean` in the same RUN." },
	{ "DF-DL3061", BW_SEV_HIGH, "dockerfile", "Dockerfile must begin with FROM or ARG",
	  "Other instructions before the first FROM are invalid.", "Start with FROM (or ARG)." },
	{ "DF-DL3062", BW_SEV_MEDIUM, "dockerfile", "Pin versions in go install",
	  "go install without @version builds whatever is latest.", "Use `go install pkg@version`." },
	{ "DF-DL3063", BW_SEV_MEDIUM, "dockerfile", "Stage name is a reserved word",
	  "Stage names like `scratch` or `context` collide with reserved names.", "Rename the stage." },
	{ "DF-DL3064", BW_SEV_HIGH, "dockerfile", "Secret in ARG or ENV",
	  "ARG and ENV values are stored in the image's history and config, readable by anyone "
	  "who pulls it.",
	  "Use build secrets (RUN --mount=type=secret) or runtime configuration." },
	{ "DF-DL4000", BW_SEV_HIGH, "dockerfile", "MAINTAINER is deprecated",
	  "MAINTAINER was replaced by labels.", "Use LABEL maintainer=\"...\"." },
	{ "DF-DL4001", BW_SEV_MEDIUM, "dockerfile", "Either use wget or curl but not both",
	  "Two download tools bloat the image.", "Pick one." },
	{ "DF-DL4003", BW_SEV_MEDIUM, "dockerfile", "Multiple CMD instructions",
	  "Only the last CMD of a stage counts.", "Keep one CMD." },
	{ "DF-DL4004", BW_SEV_HIGH, "dockerfile", "Multiple ENTRYPOINT instructions",
	  "Only the last ENTRYPOINT of a stage counts.", "Keep one ENTRYPOINT." },
	{ "DF-DL4005", BW_SEV_MEDIUM, "dockerfile", "Use SHELL to change the default shell",
	  "Relinking /bin/sh changes the shell behind Docker's back.", "Use the SHELL instruction." },
	{ "DF-DL4006", BW_SEV_MEDIUM, "dockerfile", "Set -o pipefail before RUN with a pipe",
	  "Without pipefail a failing command before a pipe does not fail the build.",
	  "Add SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"] before the RUN." },
	{ "DF-ROOT-USER", BW_SEV_HIGH, "dockerfile", "Image runs as root",
	  "Without a USER instruction (or with USER root last) the container runs as root.",
	  "Add `USER <non-root>` to the final stage." },
	{ "DF-SSH-PORT", BW_SEV_MEDIUM, "dockerfile", "Port 22 exposed",
	  "An SSH server in a container is an unmanaged way in.",
	  "Remove EXPOSE 22 and the SSH server." },
	{ "DF-UPDATE-ALONE", BW_SEV_HIGH, "dockerfile", "Package index update in a RUN of its own",
	  "A cached `apt-get update` layer goes stale, so a later install fetches outdated or "
	  "missing packages.",
	  "Run the update and the install in the same RUN." },
	{ "DF-ADD-URL", BW_SEV_MEDIUM, "dockerfile", "ADD downloads a URL",
	  "ADD of a URL fetches unverified content at build time.",
	  "Download with curl/wget and verify a checksum, or use ADD --checksum." },
	{ "DF-CURL-PIPE-SHELL", BW_SEV_HIGH, "dockerfile", "Remote script piped into a shell",
	  "curl | sh runs whatever the server returns, unverified.",
	  "Download the script, verify its checksum or signature, then run it." },
};
const size_t bw_df_nchecks = BW_ARRAY_SIZE(bw_df_checks);

/* ---------------------------------------------------------------- shell lexer */

struct cmd {
	char **w;
	size_t n;
	bool piped; /* output goes into a pipe */
};

struct script {
	struct cmd *c;
	size_t n;
	bool has_pipe;
};

static void script_done(struct script *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t k = 0; k < s->c[i].n; k++)
			free(s->c[i].w[k]);
		free(s->c[i].w);
	}
	free(s->c);
	memset(s, 0, sizeof(*s));
}

static int new_cmd(struct script *s)
{
	struct cmd *c = realloc(s->c, (s->n + 1) * sizeof(*c));

	if (!c)
		return -ENOMEM;
	s->c = c;
	memset(&s->c[s->n], 0, sizeof(s->c[s->n]));
	s->n++;
	return 0;
}

static int add_word(struct script *s, struct bw_buf *b)
{
	struct cmd *c;
	char **w;

	if (!s->n && new_cmd(s) < 0)
		return -ENOMEM;
	c = &s->c[s->n - 1];
	w = realloc(c->w, (c->n + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	c->w = w;
	c->w[c->n] = strdup(b->data ? b->data : "");
	if (!c->w[c->n])
		return -ENOMEM;
	c->n++;
	bw_buf_reset(b);
	return 0;
}

/* Splits a shell script into simple commands. Quotes are removed from
 * words; `$(`...`)` and backquotes are kept as text. */
static int lex(const char *p, struct script *s)
{
	struct bw_buf b = BW_BUF_INIT(BW_MAX_DOCKERFILE_LINE);
	bool inword = false;
	int r = 0;

#define END_WORD()                                          \
	do {                                                \
		if (inword && (r = add_word(s, &b)) < 0)    \
			goto out;                           \
		inword = false;                             \
	} while (0)
#define SEP()                                                           \
	do {                                                            \
		END_WORD();                                             \
		if (s->n && s->c[s->n - 1].n && (r = new_cmd(s)) < 0)   \
			goto out;                                       \
	} while (0)

	while (*p) {
		char c = *p;
		if (c == ' ' || c == '\t' || c == '\r') {
			END_WORD();
			p++;
		} else if (c == '\n' || c == ';' || c == '(' || c == ')' || c == '{' || c == '}') {
			if ((c == '{' || c == '}') && inword) {
				bw_buf_append(&b, p, 1);
				p++;
				continue;
			}
			SEP();
			p++;
		} else if (c == '&' || c == '|') {
			bool dbl = p[1] == c;
			if (c == '|' && !dbl) {
				END_WORD();
				if (s->n)
					s->c[s->n - 1].piped = true;
				s->has_pipe = true;
			}
			SEP();
			p += dbl ? 2 : 1;
		} else if (c == '#' && !inword) {
			while (*p && *p != '\n')
				p++;
		} else if (c == '\'') {
			const char *e = strchr(p + 1, '\'');
			size_t l = e ? (size_t)(e - p - 1) : strlen(p + 1);
			if (bw_buf_append(&b, p + 1, l) < 0)
				r = -E2BIG;
			inword = true;
			p += l + 1 + (e ? 1 : 0);
		} else if (c == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				bw_buf_append(&b, p, 1);
				p++;
			}
			if (*p)
				p++;
			inword = true;
		} else if (c == '\\') {
			if (p[1] == '\n') {
				p += 2;
				continue;
			}
			if (p[1]) {
				bw_buf_append(&b, p + 1, 1);
				p += 2;
			} else {
				p++;
			}
			inword = true;
		} else if (c == '$' && p[1] == '(') {
			/* keep a command substitution as one word */
			int depth = 0;
			do {
				if (*p == '(')
					depth++;
				else if (*p == ')')
					depth--;
				bw_buf_append(&b, p, 1);
				p++;
			} while (*p && depth > 0);
			inword = true;
		} else {
			bw_buf_append(&b, p, 1);
			inword = true;
			p++;
		}
		if (r < 0)
			goto out;
	}
	END_WORD();
out:
	bw_buf_done(&b);
	/* drop a trailing empty command */
	if (s->n && !s->c[s->n - 1].n) {
		free(s->c[s->n - 1].w);
		s->n--;
	}
	return r;
#undef END_WORD
#undef SEP
}

/* The script of a RUN: shell form text, heredoc bodies, or for the exec
 * form the argv (unwrapping `sh -c SCRIPT`). */
static int run_script(const struct bw_df_instr *in, struct script *s)
{
	int r;

	memset(s, 0, sizeof(*s));
	if (in->json) {
		if (in->argc >= 3 && (bw_endswith(in->argv[0], "sh") || bw_endswith(in->argv[0], "bash")) &&
		    !strcmp(in->argv[in->argc - 2], "-c"))
			return lex(in->argv[in->argc - 1], s);
		for (size_t i = 0; i < in->argc; i++) {
			struct bw_buf b = BW_BUF_INIT(BW_MAX_DOCKERFILE_LINE);
			if (bw_buf_puts(&b, in->argv[i]) < 0 || add_word(s, &b) < 0) {
				bw_buf_done(&b);
				return -ENOMEM;
			}
			bw_buf_done(&b);
		}
		return 0;
	}
	r = lex(in->args, s);
	for (size_t i = 0; r == 0 && i < in->nheredocs; i++) {
		if (in->heredocs[i].body) {
			if (s->n && s->c[s->n - 1].n && (r = new_cmd(s)) < 0)
				break;
			r = lex(in->heredocs[i].body, s);
		}
	}
	return r;
}

static const char *base(const char *w)
{
	const char *sl = strrchr(w, '/');
	return sl ? sl + 1 : w;
}

static bool cmd_is(const struct cmd *c, const char *name)
{
	return c->n && !strcmp(base(c->w[0]), name);
}

/* Index of the first word after `name` and its options that is a
 * subcommand equal to sub (apt-get -y install: "install"); 0 if none. */
static size_t subcmd(const struct cmd *c, const char *sub)
{
	for (size_t i = 1; i < c->n; i++) {
		if (c->w[i][0] == '-')
			continue;
		return !strcmp(c->w[i], sub) ? i : 0;
	}
	return 0;
}

static bool has_flag(const struct cmd *c, const char *const *flags, size_t nf)
{
	for (size_t i = 1; i < c->n; i++)
		for (size_t k = 0; k < nf; k++) {
			size_t l = strlen(flags[k]);
			if (!strcmp(c->w[i], flags[k]) ||
			    (flags[k][0] == '-' && flags[k][1] == '-' && !strncmp(c->w[i], flags[k], l) &&
			     c->w[i][l] == '='))
				return true;
		}
	return false;
}

/* Short option letter present in a bundle (-qy) */
static bool has_short(const struct cmd *c, char letter)
{
	for (size_t i = 1; i < c->n; i++)
		if (c->w[i][0] == '-' && c->w[i][1] != '-' && strchr(c->w[i] + 1, letter))
			return true;
	return false;
}

static bool script_has(const struct script *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (cmd_is(&s->c[i], name))
			return true;
	return false;
}

/* Package arguments after the subcommand: words that are not options,
 * skipping the values of options that take one. */
static size_t packages(const struct cmd *c, size_t from, const char *const *valopts, size_t nv,
		       const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = from; i < c->n && n < max; i++) {
		const char *w = c->w[i];
		bool takes = false;
		if (w[0] == '-') {
			for (size_t k = 0; k < nv; k++)
				if (!strcmp(w, valopts[k]))
					takes = true;
			if (takes)
				i++;
			continue;
		}
		out[n++] = w;
	}
	return n;
}

/* ---------------------------------------------------------------- rules */

struct stage {
	char *alias;
	size_t index;
};

struct df_state {
	struct bw_config_scan *s;
	const char *path;
	const struct bw_dockerfile *df;
	bool pipefail;	 /* SHELL with -o pipefail in the current stage */
	bool workdir;	 /* WORKDIR set in the current stage */
	char **envs; /* ENV/ARG names (for PIP_NO_CACHE_DIR and the like) */
	size_t nenvs;
};

#define DF(id, line, ...)                                                      \
	do {                                                                   \
		if ((r = df_report(st->s, id, st->path, line, __VA_ARGS__)) < 0) \
			return r;                                              \
	} while (0)

static bool env_set(const struct df_state *st, const char *name)
{
	for (size_t i = 0; i < st->nenvs; i++)
		if (!strcmp(st->envs[i], name))
			return true;
	return false;
}

static int check_run(struct df_state *st, const struct bw_df_instr *in, uint32_t line)
{
	static const char *const apt_val[] = { "-o", "-c", "-t", "--target-release" };
	static const char *const yes_flags[] = { "-y", "--yes", "--assume-yes", "-qq", "-q=2",
						 "--quiet=2" };
	struct script sc;
	bool cleaned_apt = false, apt_install = false, yum = false, yum_clean = false;
	bool dnf = false, dnf_clean = false, zyp = false, zyp_clean = false;
	bool yarn = false, yarn_clean = false;
	bool cache_mount_apt = false;
	int r;

	for (size_t i = 0; i < in->nflags; i++)
		if (bw_startswith(in->flags[i], "mount=") && strstr(in->flags[i], "type=cache") &&
		    strstr(in->flags[i], "/var/lib/apt"))
			cache_mount_apt = true;
	r = run_script(in, &sc);
	if (r < 0) {
		script_done(&sc);
		return r;
	}
	for (size_t i = 0; i < sc.n; i++) {
		const struct cmd *c = &sc.c[i];
		const char *name;
		size_t k;

		if (!c->n)
			continue;
		name = base(c->w[0]);
		if (!strcmp(name, "sudo"))
			DF("DF-DL3004", line, "do not use sudo");
		if (!strcmp(name, "cd"))
			DF("DF-DL3003", line, "use WORKDIR to switch to a directory");
		{
			static const char *const bad[] = { "ssh", "vim", "shutdown", "service", "ps",
							   "free", "top", "kill", "mount", "ifconfig",
							   "nano" };
			for (k = 0; k < BW_ARRAY_SIZE(bad); k++)
				if (!strcmp(name, bad[k]))
					DF("DF-DL3001", line, "`%s` makes no sense in a container", name);
		}
		if (!strcmp(name, "apt"))
			DF("DF-DL3027", line, "do not use apt, use apt-get or apt-cache");
		if (!strcmp(name, "apt-get") && (k = subcmd(c, "install"))) {
			const char *pk[256];
			size_t np = packages(c, k + 1, apt_val, BW_ARRAY_SIZE(apt_val), pk, 256);
			apt_install = true;
			for (size_t j = 0; j < np; j++)
				if (!strchr(pk[j], '=') && !bw_endswith(pk[j], ".deb")) {
					DF("DF-DL3008", line, "pin versions in apt-get install (`%s`)", pk[j]);
					break;
				}
			if (!has_flag(c, yes_flags, BW_ARRAY_SIZE(yes_flags)) && !has_short(c, 'y'))
				DF("DF-DL3014", line, "use the -y switch with apt-get install");
			if (!has_flag(c, (const char *const[]){ "--no-install-recommends" }, 1) &&
			    !has_flag(c, (const char *const[]){ "-o" }, 0)) {
				bool ok = false;
				for (size_t j = 1; j < c->n; j++)
					if (strstr(c->w[j], "APT::Install-Recommends=false") ||
					    strstr(c->w[j], "APT::Install-Recommends=0"))
						ok = true;
				if (!ok)
					DF("DF-DL3015", line, "avoid additional packages with --no-install-recommends");
			}
		}
		if (!strcmp(name, "rm")) {
			for (size_t j = 1; j < c->n; j++)
				if (bw_startswith(c->w[j], "/var/lib/apt/lists"))
					cleaned_apt = true;
		}

		/* pip */
		if ((!strcmp(name, "pip") || !strcmp(name, "pip3") || bw_startswith(name, "pip3.") ||
		     ((!strcmp(name, "python") || bw_startswith(name, "python3")) && c->n > 3 &&
		      !strcmp(c->w[1], "-m") && bw_startswith(c->w[2], "pip")))) {
			size_t off = (!strcmp(name, "python") || bw_startswith(name, "python3")) ? 2 : 0;
			struct cmd sub = { c->w + off, c->n - off, false };
			if ((k = subcmd(&sub, "install"))) {
				static const char *const pipval[] = { "-c", "--constraint", "-e", "--editable",
								      "-i", "--index-url", "--extra-index-url",
								      "-t", "--target", "--prefix", "--root",
								      "-f", "--find-links", "--trusted-host",
								      "--platform", "--python-version",
								      "--implementation", "--abi", "--src",
								      "--progress-bar", "--log", "--cache-dir",
								      "--global-option", "--install-option",
								      "--upgrade-strategy" };
				const char *pk[256];
				size_t np = packages(&sub, k + 1, pipval, BW_ARRAY_SIZE(pipval), pk, 256);
				bool reqfile = has_flag(&sub, (const char *const[]){ "-r", "--requirement", "-c", "--constraint" }, 4);
				for (size_t j = 0; j < np && !reqfile; j++) {
					const char *p = pk[j];
					if (strpbrk(p, "=<>~!") || bw_endswith(p, ".whl") ||
					    bw_endswith(p, ".tar.gz") || bw_endswith(p, ".zip") ||
					    strchr(p, '/') || !strcmp(p, ".") || strstr(p, "@"))
						continue;
					DF("DF-DL3013", line, "pin versions in pip (`%s`)", p);
					break;
				}
				if (!has_flag(&sub, (const char *const[]){ "--no-cache-dir" }, 1) &&
				    !env_set(st, "PIP_NO_CACHE_DIR"))
					DF("DF-DL3042", line, "avoid the cache directory with pip install --no-cache-dir");
			}
		}
		/* npm */
		if (!strcmp(name, "npm") && ((k = subcmd(c, "install")) || (k = subcmd(c, "i")) ||
					     (k = subcmd(c, "add")))) {
			const char *pk[256];
			static const char *const npmval[] = { "--registry", "--prefix", "--cache" };
			size_t np = packages(c, k + 1, npmval, BW_ARRAY_SIZE(npmval), pk, 256);
			for (size_t j = 0; j < np; j++) {
				const char *p = pk[j];
				const char *at = p[0] == '@' ? strchr(p + 1, '@') : strchr(p, '@');
				if (strstr(p, "://") || bw_startswith(p, "git") || bw_endswith(p, ".tgz") ||
				    bw_endswith(p, ".tar.gz") || p[0] == '.' || p[0] == '/' || p[0] == '~')
					continue;
				if (!at && p[0] != '@' && strchr(p, '/'))
					continue; /* GitHub user/repo */
				if (at && at[1])
					continue;
				DF("DF-DL3016", line, "pin versions in npm (`%s`)", p);
				break;
			}
		}
		/* apk */
		if (!strcmp(name, "apk") && (k = subcmd(c, "add"))) {
			static const char *const apkval[] = { "-t", "--virtual", "-X", "--repository",
							      "--root", "-p" };
			const char *pk[256];
			size_t np = packages(c, k + 1, apkval, BW_ARRAY_SIZE(apkval), pk, 256);
			for (size_t j = 0; j < np; j++)
				if (!strchr(pk[j], '=') && !bw_endswith(pk[j], ".apk")) {
					DF("DF-DL3018", line, "pin versions in apk add (`%s`)", pk[j]);
					break;
				}
			if (!has_flag(c, (const char *const[]){ "--no-cache" }, 1))
				DF("DF-DL3019", line, "use apk add --no-cache");
		}
		/* gem */
		if (!strcmp(name, "gem") && (k = subcmd(c, "install"))) {
			static const char *const gemval[] = { "--source", "-i", "--install-dir", "-n",
							      "--bindir" };
			const char *pk[256];
			bool ver = has_flag(c, (const char *const[]){ "-v", "--version" }, 2);
			size_t np = packages(c, k + 1, gemval, BW_ARRAY_SIZE(gemval), pk, 256);
			for (size_t j = 0; j < np && !ver; j++)
				if (!strchr(pk[j], ':')) {
					DF("DF-DL3028", line, "pin versions in gem install (`%s`)", pk[j]);
					break;
				}
		}
		/* yum / dnf / microdnf / zypper */
		if (!strcmp(name, "yum")) {
			yum = true;
			if ((k = subcmd(c, "install"))) {
				const char *pk[256];
				size_t np = packages(c, k + 1, NULL, 0, pk, 256);
				if (!has_flag(c, (const char *const[]){ "-y", "--assumeyes" }, 2) &&
				    !has_short(c, 'y'))
					DF("DF-DL3030", line, "use the -y switch with yum install");
				for (size_t j = 0; j < np; j++)
					if (!strchr(pk[j], '-') || !isdigit((unsigned char)strrchr(pk[j], '-')[1])) {
						if (bw_endswith(pk[j], ".rpm"))
							continue;
						DF("DF-DL3033", line, "specify a version with yum install (`%s`)", pk[j]);
						break;
					}
			}
			if (subcmd(c, "clean"))
				yum_clean = true;
		}
		if (!strcmp(name, "dnf") || !strcmp(name, "microdnf")) {
			dnf = true;
			if ((k = subcmd(c, "install"))) {
				const char *pk[256];
				size_t np = packages(c, k + 1, NULL, 0, pk, 256);
				if (!has_flag(c, (const char *const[]){ "-y", "--assumeyes" }, 2) &&
				    !has_short(c, 'y'))
					DF("DF-DL3038", line, "use the -y switch with dnf install");
				for (size_t j = 0; j < np; j++)
					if (!strchr(pk[j], '-') || !isdigit((unsigned char)strrchr(pk[j], '-')[1])) {
						if (bw_endswith(pk[j], ".rpm"))
							continue;
						DF("DF-DL3041", line, "specify a version with dnf install (`%s`)", pk[j]);
						break;
					}
			}
			if (subcmd(c, "clean"))
				dnf_clean = true;
		}
		if (!strcmp(name, "zypper")) {
			zyp = true;
			if ((k = subcmd(c, "install")) || (k = subcmd(c, "in"))) {
				const char *pk[256];
				size_t np = packages(c, k + 1, NULL, 0, pk, 256);
				if (!has_flag(c, (const char *const[]){ "-y", "-n", "--non-interactive", "--no-confirm" }, 4) &&
				    !has_short(c, 'y') && !has_short(c, 'n'))
					DF("DF-DL3034", line, "non-interactive switch missing from zypper");
				for (size_t j = 0; j < np; j++)
					if (!strpbrk(pk[j], "=<>") && !bw_endswith(pk[j], ".rpm")) {
						DF("DF-DL3037", line, "specify a version with zypper install (`%s`)", pk[j]);
						break;
					}
			}
			if (subcmd(c, "dist-upgrade") || subcmd(c, "dup"))
				DF("DF-DL3035", line, "do not use zypper dist-upgrade");
			if (subcmd(c, "clean") || subcmd(c, "cc"))
				zyp_clean = true;
		}
		if (!strcmp(name, "yarn")) {
			if (subcmd(c, "install") || c->n == 1)
				yarn = true;
			if (subcmd(c, "cache") && c->n > 2)
				yarn_clean = true;
		}
		if (!strcmp(name, "go") && (k = subcmd(c, "install"))) {
			for (size_t j = k + 1; j < c->n; j++) {
				if (c->w[j][0] == '-')
					continue;
				if (!strchr(c->w[j], '@') || bw_endswith(c->w[j], "@latest")) {
					DF("DF-DL3062", line, "pin versions in go install (`%s`)", c->w[j]);
					break;
				}
			}
		}
		if (!strcmp(name, "useradd")) {
			bool l = has_flag(c, (const char *const[]){ "-l", "--no-log-init" }, 2) ||
				 has_short(c, 'l');
			for (size_t j = 1; j + 1 < c->n && !l; j++)
				if (!strcmp(c->w[j], "-u") || !strcmp(c->w[j], "--uid")) {
					if (strlen(c->w[j + 1]) > 5)
						DF("DF-DL3046", line, "useradd without -l and a high UID");
				}
		}
		if (!strcmp(name, "wget") &&
		    !has_flag(c, (const char *const[]){ "--progress", "-q", "--quiet", "-nv", "--no-verbose", "-o", "--output-file", "-a", "--append-output" }, 9) &&
		    !has_short(c, 'q'))
			DF("DF-DL3047", line, "wget without --progress will bloat build logs");
		if (!strcmp(name, "ln")) {
			for (size_t j = 1; j < c->n; j++)
				if (!strcmp(c->w[j], "/bin/sh"))
					DF("DF-DL4005", line, "use SHELL to change the default shell");
		}
		/* curl|wget ... | sh */
		if ((!strcmp(name, "curl") || !strcmp(name, "wget")) && c->piped && i + 1 < sc.n) {
			const char *next = sc.c[i + 1].n ? base(sc.c[i + 1].w[0]) : "";
			if (!strcmp(next, "sh") || !strcmp(next, "bash") || !strcmp(next, "zsh") ||
			    !strcmp(next, "ash") || !strcmp(next, "python") || !strcmp(next, "python3") ||
			    !strcmp(next, "sudo"))
				DF("DF-CURL-PIPE-SHELL", line, "`%s` output is piped into `%s`", name, next);
		}
	}
	{
		static const char *const managers[] = { "apt-get", "apt", "apk", "yum", "dnf", "zypper" };
		bool update = false, install = false;
		for (size_t i = 0; i < sc.n; i++)
			for (size_t k = 0; k < BW_ARRAY_SIZE(managers); k++)
				if (cmd_is(&sc.c[i], managers[k])) {
					if (subcmd(&sc.c[i], "update") || subcmd(&sc.c[i], "makecache") ||
					    subcmd(&sc.c[i], "refresh") || subcmd(&sc.c[i], "ref"))
						update = true;
					if (subcmd(&sc.c[i], "install") || subcmd(&sc.c[i], "add") ||
					    subcmd(&sc.c[i], "upgrade") || subcmd(&sc.c[i], "in"))
						install = true;
				}
		if (update && !install)
			DF("DF-UPDATE-ALONE", line, "package index update without an install in the same RUN");
	}
	if (apt_install && !cleaned_apt && !cache_mount_apt)
		DF("DF-DL3009", line, "delete the apt-get lists after installing something");
	if (yum && !yum_clean && script_has(&sc, "yum"))
		for (size_t i = 0; i < sc.n; i++)
			if (cmd_is(&sc.c[i], "yum") && subcmd(&sc.c[i], "install")) {
				DF("DF-DL3032", line, "yum clean all missing after yum command");
				break;
			}
	if (dnf && !dnf_clean)
		for (size_t i = 0; i < sc.n; i++)
			if ((cmd_is(&sc.c[i], "dnf") || cmd_is(&sc.c[i], "microdnf")) &&
			    subcmd(&sc.c[i], "install")) {
				DF("DF-DL3040", line, "dnf clean all missing after dnf command");
				break;
			}
	if (zyp && !zyp_clean)
		for (size_t i = 0; i < sc.n; i++)
			if (cmd_is(&sc.c[i], "zypper") &&
			    (subcmd(&sc.c[i], "install") || subcmd(&sc.c[i], "in"))) {
				DF("DF-DL3036", line, "zypper clean missing after zypper use");
				break;
			}
	if (yarn && !yarn_clean)
		DF("DF-DL3060", line, "yarn cache clean missing after yarn install");
	if (sc.has_pipe && !st->pipefail && !in->json)
		DF("DF-DL4006", line, "set the SHELL option -o pipefail before RUN with a pipe");
	script_done(&sc);
	return 0;
}

static bool is_archive(const char *p)
{
	static const char *const ext[] = { ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz",
					   ".txz", ".tar.zst", ".gz", ".bz2", ".xz", ".zip", ".Z",
					   ".lz", ".lzma", ".tb2", ".tbz", ".tz2", ".tzst" };
	for (size_t i = 0; i < BW_ARRAY_SIZE(ext); i++)
		if (bw_endswith(p, ext[i]))
			return true;
	return false;
}

static bool is_url(const char *p)
{
	return bw_startswith(p, "http://") || bw_startswith(p, "https://") ||
	       bw_startswith(p, "ftp://") || bw_startswith(p, "git@");
}

/* Splits non-JSON args on blanks (quotes removed). */
static int words(const char *args, struct script *s)
{
	struct bw_buf b = BW_BUF_INIT(BW_MAX_DOCKERFILE_LINE);
	const char *p = args;
	int r = 0;

	memset(s, 0, sizeof(*s));
	while (*p && r == 0) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '"' || *p == '\'') {
				char q = *p++;
				while (*p && *p != q)
					bw_buf_append(&b, p++, 1);
				if (*p)
					p++;
			} else {
				bw_buf_append(&b, p++, 1);
			}
		}
		r = add_word(s, &b);
	}
	bw_buf_done(&b);
	return r;
}

static const char *flag_value(const struct bw_df_instr *in, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; i < in->nflags; i++)
		if (!strncmp(in->flags[i], name, l) && in->flags[i][l] == '=')
			return in->flags[i] + l + 1;
	return NULL;
}

static bool sensitive_name(const char *n)
{
	static const char *const words_[] = { "password", "passwd", "secret", "token", "apikey",
					      "api_key", "access_key", "private_key", "credential",
					      "auth" };
	for (size_t i = 0; i < BW_ARRAY_SIZE(words_); i++)
		if (strcasestr(n, words_[i]))
			return true;
	return false;
}

int df_check_file(struct bw_config_scan *s, const char *path, const struct bw_dockerfile *df)
{
	struct df_state sts = { .s = s, .path = path, .df = df }, *st = &sts;
	struct stage *stages = NULL;
	size_t nstages = 0;
	const char *last_user = NULL;
	uint32_t last_user_line = 0;
	size_t cur_stage = 0;
	bool have_from = false, healthcheck = false, curl = false, wget = false;
	int ncmd = 0, nentry = 0, nhealth = 0;
	int r = 0;

	for (size_t i = 0; i < df->n && r >= 0; i++) {
		const struct bw_df_instr *in = &df->instrs[i];
		const char *cmd = in->cmd;
		uint32_t line = in->line;

		if (!strcmp(cmd, "FROM")) {
			struct script w;
			const char *img, *alias = NULL;
			if ((r = words(in->args, &w)) < 0)
				break;
			img = w.n ? w.c[0].w[0] : "";
			if (w.n && w.c[0].n >= 3 && !strcasecmp(w.c[0].w[1], "AS"))
				alias = w.c[0].w[2];
			if (have_from)
				cur_stage++;
			have_from = true;
			st->pipefail = false;
			st->workdir = false;
			ncmd = nentry = nhealth = 0;
			last_user = NULL;
			if (flag_value(in, "platform"))
				r = df_report(s, "DF-DL3029", path, line, "do not use --platform with FROM");
			/* stage references and tags */
			bool is_stage = false;
			for (size_t k = 0; k < nstages; k++)
				if (stages[k].alias && !strcasecmp(stages[k].alias, img))
					is_stage = true;
			if (r >= 0 && !is_stage && strcmp(img, "scratch") && img[0] != '$') {
				bool digest;
				const char *slash = strrchr(img, '/');
				const char *colon = strrchr(slash ? slash : img, ':');
				digest = strchr(img, '@') != NULL;
				if (!digest && !colon)
					r = df_report(s, "DF-DL3006", path, line,
						      "always tag the version of an image explicitly (`%s`)", img);
				else if (!digest && colon && !strcmp(colon + 1, "latest"))
					r = df_report(s, "DF-DL3007", path, line,
						      "using latest is prone to errors (`%s`)", img);
			}
			if (r >= 0 && alias) {
				static const char *const reserved[] = { "scratch", "context" };
				for (size_t k = 0; k < nstages; k++)
					if (stages[k].alias && !strcasecmp(stages[k].alias, alias) && r >= 0)
						r = df_report(s, "DF-DL3024", path, line,
							      "FROM alias `%s` is not unique", alias);
				for (size_t k = 0; k < BW_ARRAY_SIZE(reserved) && r >= 0; k++)
					if (!strcasecmp(alias, reserved[k]))
						r = df_report(s, "DF-DL3063", path, line,
							      "stage name `%s` is a reserved word", alias);
			}
			struct stage *ns = realloc(stages, (nstages + 1) * sizeof(*ns));
			if (!ns) {
				script_done(&w);
				r = -ENOMEM;
				break;
			}
			stages = ns;
			stages[nstages].alias = alias ? strdup(alias) : NULL;
			stages[nstages].index = nstages;
			nstages++;
			script_done(&w);
			continue;
		}
		if (!have_from && strcmp(cmd, "ARG") && r >= 0)
			r = df_report(s, "DF-DL3061", path, line,
				      "invalid instruction order: Dockerfile must begin with FROM, ARG or a comment");
		if (r < 0)
			break;
		if (!strcmp(cmd, "RUN")) {
			/* consecutive RUN */
			if (i > 0 && !strcmp(df->instrs[i - 1].cmd, "RUN") && in->nflags == 0 &&
			    df->instrs[i - 1].nflags == 0)
				r = df_report(s, "DF-DL3059", path, line,
					      "multiple consecutive RUN instructions; consider consolidation");
			if (r >= 0)
				r = check_run(st, in, line);
			if (r >= 0) {
				struct script sc;
				if (run_script(in, &sc) == 0) {
					curl = curl || script_has(&sc, "curl");
					wget = wget || script_has(&sc, "wget");
				}
				script_done(&sc);
			}
		} else if (!strcmp(cmd, "WORKDIR")) {
			const char *a = in->args;
			if (a[0] == '"' || a[0] == '\'')
				a++;
			if (a[0] != '/' && a[0] != '$' &&
			    !(isalpha((unsigned char)a[0]) && a[1] == ':'))
				r = df_report(s, "DF-DL3000", path, line, "use absolute WORKDIR (`%s`)",
					      in->args);
			st->workdir = true;
		} else if (!strcmp(cmd, "USER")) {
			last_user = in->args;
			last_user_line = line;
		} else if (!strcmp(cmd, "MAINTAINER")) {
			r = df_report(s, "DF-DL4000", path, line, "MAINTAINER is deprecated");
		} else if (!strcmp(cmd, "CMD") || !strcmp(cmd, "ENTRYPOINT")) {
			if (!in->json)
				r = df_report(s, "DF-DL3025", path, line,
					      "use arguments JSON notation for CMD and ENTRYPOINT arguments");
			if (r >= 0 && !strcmp(cmd, "CMD") && ++ncmd == 2)
				r = df_report(s, "DF-DL4003", path, line, "multiple CMD instructions found");
			if (r >= 0 && !strcmp(cmd, "ENTRYPOINT") && ++nentry == 2)
				r = df_report(s, "DF-DL4004", path, line,
					      "multiple ENTRYPOINT instructions found");
		} else if (!strcmp(cmd, "HEALTHCHECK")) {
			healthcheck = true;
			if (++nhealth == 2)
				r = df_report(s, "DF-DL3012", path, line, "multiple HEALTHCHECK instructions");
		} else if (!strcmp(cmd, "SHELL")) {
			st->pipefail = false;
			for (size_t k = 0; in->json && k + 1 < in->argc; k++)
				if (!strcmp(in->argv[k], "-o") && !strcmp(in->argv[k + 1], "pipefail"))
					st->pipefail = true;
			for (size_t k = 0; in->json && k < in->argc; k++)
				if (!strcmp(in->argv[k], "-opipefail") || strstr(in->argv[k], "pwsh") ||
				    strstr(in->argv[k], "powershell") || strstr(in->argv[k], "cmd"))
					st->pipefail = true;
		} else if (!strcmp(cmd, "EXPOSE")) {
			struct script w;
			if ((r = words(in->args, &w)) < 0)
				break;
			for (size_t k = 0; w.n && k < w.c[0].n && r >= 0; k++) {
				const char *p = w.c[0].w[k];
				char *end;
				long v;
				if (p[0] == '$')
					continue;
				v = strtol(p, &end, 10);
				if (end != p && v == 22 && (*end == 0 || *end == '/'))
					r = df_report(s, "DF-SSH-PORT", path, line, "port 22 is exposed");
				if (r >= 0 && end != p && (v > 65535 || v < 0))
					r = df_report(s, "DF-DL3011", path, line,
						      "valid UNIX ports range from 0 to 65535 (`%s`)", p);
				if (*end == '-') {
					long v2 = strtol(end + 1, NULL, 10);
					if (v2 > 65535 && r >= 0)
						r = df_report(s, "DF-DL3011", path, line,
							      "valid UNIX ports range from 0 to 65535 (`%s`)", p);
				}
			}
			script_done(&w);
		} else if (!strcmp(cmd, "ADD") || !strcmp(cmd, "COPY")) {
			struct script w;
			char **v;
			size_t n;
			const char *from = flag_value(in, "from");

			if (in->json) {
				v = in->argv;
				n = in->argc;
				memset(&w, 0, sizeof(w));
			} else {
				if ((r = words(in->args, &w)) < 0)
					break;
				v = w.n ? w.c[0].w : NULL;
				n = w.n ? w.c[0].n : 0;
			}
			if (in->nheredocs && n >= 1) {
				/* heredoc sources are inline files */
			} else if (!strcmp(cmd, "ADD") && n >= 2) {
				bool any_url = false, all_local = true;
				for (size_t k = 0; k + 1 < n; k++) {
					if (is_url(v[k])) {
						any_url = true;
						all_local = false;
					} else if (is_archive(v[k])) {
						all_local = false;
					}
				}
				if (any_url && !flag_value(in, "checksum"))
					r = df_report(s, "DF-ADD-URL", path, line, "ADD downloads a URL");
				if (r >= 0 && all_local)
					r = df_report(s, "DF-DL3020", path, line,
						      "use COPY instead of ADD for files and folders");
			}
			if (r >= 0 && n > 2 && !bw_endswith(v[n - 1], "/") && v[n - 1][0] != '$')
				r = df_report(s, "DF-DL3021", path, line,
					      "COPY with more than 2 arguments requires the last argument to end with /");
			if (r >= 0 && n >= 2 && !st->workdir && !in->nheredocs) {
				const char *d = v[n - 1];
				if (d[0] != '/' && d[0] != '$' && !(isalpha((unsigned char)d[0]) && d[1] == ':') &&
				    d[0] != '\\')
					r = df_report(s, "DF-DL3045", path, line,
						      "COPY to a relative destination without WORKDIR set");
			}
			if (r >= 0 && !strcmp(cmd, "COPY") && from) {
				bool known = false, self = false;
				char *end;
				strtol(from, &end, 10);
				if (*end == 0 && end != from)
					known = true;
				for (size_t k = 0; k < nstages; k++) {
					if (stages[k].alias && !strcasecmp(stages[k].alias, from)) {
						if (k == cur_stage)
							self = true;
						else
							known = true;
					}
				}
				if (self)
					r = df_report(s, "DF-DL3023", path, line,
						      "COPY --from cannot reference its own FROM alias");
				else if (!known && !strchr(from, ':') && !strchr(from, '/') && from[0] != '$')
					r = df_report(s, "DF-DL3022", path, line,
						      "COPY --from should reference a previously defined FROM alias");
			}
			if (r >= 0 && !strcmp(cmd, "COPY"))
				for (size_t k = 0; k + 1 < n && r >= 0; k++)
					if (is_archive(v[k]) && !bw_endswith(v[k], ".gz")) {
						/* only when a later RUN extracts it */
						for (size_t j = i + 1; j < df->n; j++)
							if (!strcmp(df->instrs[j].cmd, "RUN") &&
							    (strstr(df->instrs[j].args, "tar ") ||
							     strstr(df->instrs[j].args, "unzip ")) &&
							    strstr(df->instrs[j].args, base(v[k]))) {
								r = df_report(s, "DF-DL3010", path, line,
									      "use ADD for extracting archives into an image");
								break;
							}
					}
			script_done(&w);
		} else if (!strcmp(cmd, "ENV") || !strcmp(cmd, "ARG")) {
			struct script w;
			if ((r = words(in->args, &w)) < 0)
				break;
			/* ENV a=b c=d / ENV a b; ARG a[=b] */
			bool legacy = !strcmp(cmd, "ENV") && w.n && w.c[0].n >= 1 && !strchr(w.c[0].w[0], '=');
			size_t nw = w.n ? w.c[0].n : 0;
			for (size_t k = 0; k < nw && r >= 0; k++) {
				char *kv = w.c[0].w[k], *eq = strchr(kv, '=');
				char name[256];
				size_t l = eq ? (size_t)(eq - kv) : strlen(kv);
				if (l >= sizeof(name))
					l = sizeof(name) - 1;
				memcpy(name, kv, l);
				name[l] = 0;
				if (sensitive_name(name) && (eq || !strcmp(cmd, "ARG") || legacy))
					r = df_report(s, "DF-DL3064", path, line,
						      "potentially sensitive data in %s `%s`", cmd, name);
				char **ne = realloc(st->envs, (st->nenvs + 1) * sizeof(*ne));
				if (ne) {
					st->envs = ne;
					st->envs[st->nenvs] = strdup(name);
					if (st->envs[st->nenvs])
						st->nenvs++;
				}
				if (legacy)
					break;
			}
			/* DL3044: ENV a=1 b=$a */
			if (r >= 0 && !strcmp(cmd, "ENV") && !legacy) {
				for (size_t k = 1; k < nw && r >= 0; k++) {
					const char *val = strchr(w.c[0].w[k], '=');
					for (size_t j = 0; val && j < k && r >= 0; j++) {
						char ref1[300], ref2[300];
						const char *eq = strchr(w.c[0].w[j], '=');
						size_t l = eq ? (size_t)(eq - w.c[0].w[j]) : 0;
						if (!l || l > 250)
							continue;
						snprintf(ref1, sizeof(ref1), "${%.*s}", (int)l, w.c[0].w[j]);
						snprintf(ref2, sizeof(ref2), "$%.*s", (int)l, w.c[0].w[j]);
						const char *hit = strstr(val, ref2);
						bool word_end = hit && !(isalnum((unsigned char)hit[strlen(ref2)]) ||
									 hit[strlen(ref2)] == '_');
						if (strstr(val, ref1) || word_end)
							r = df_report(s, "DF-DL3044", path, line,
								      "do not refer to an environment variable within the same ENV statement where it is defined");
					}
				}
			}
			script_done(&w);
		} else if (!strcmp(cmd, "LABEL")) {
			struct script w;
			if ((r = words(in->args, &w)) < 0)
				break;
			for (size_t k = 0; w.n && k < w.c[0].n && r >= 0; k++) {
				const char *kv = w.c[0].w[k], *eq = strchr(kv, '=');
				size_t l = eq ? (size_t)(eq - kv) : strlen(kv);
				bool bad = l == 0;
				if (!eq)
					continue;
				for (size_t j = 0; j < l; j++)
					if (!(islower((unsigned char)kv[j]) || isdigit((unsigned char)kv[j]) ||
					      kv[j] == '.' || kv[j] == '-'))
						bad = true;
				if (l && (!isalpha((unsigned char)kv[0]) || !isalnum((unsigned char)kv[l - 1])))
					bad = true;
				for (size_t j = 0; j + 1 < l; j++)
					if ((kv[j] == '.' || kv[j] == '-') && (kv[j + 1] == '.' || kv[j + 1] == '-'))
						bad = true;
				if (!strncmp(kv, "com.docker.", 11) || !strncmp(kv, "io.docker.", 10) ||
				    !strncmp(kv, "org.dockerproject.", 18))
					bad = true;
				if (bad)
					r = df_report(s, "DF-DL3048", path, line, "invalid label key `%.*s`",
						      (int)l, kv);
			}
			script_done(&w);
		} else if (!strcmp(cmd, "ONBUILD") && in->onbuild) {
			const char *ic = in->onbuild->cmd;
			if (!strcmp(ic, "ONBUILD") || !strcmp(ic, "FROM") || !strcmp(ic, "MAINTAINER"))
				r = df_report(s, "DF-DL3043", path, line,
					      "`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction");
			else if (!strcmp(ic, "RUN"))
				r = check_run(st, in->onbuild, line);
		}
	}
	if (r >= 0 && curl && wget)
		r = df_report(s, "DF-DL4001", path, df->n ? df->instrs[df->n - 1].line : 0,
			      "either use wget or curl but not both");
	if (r >= 0 && last_user) {
		const char *u = last_user;
		if (!strcmp(u, "root") || !strcmp(u, "0") || bw_startswith(u, "root:") ||
		    bw_startswith(u, "0:"))
			r = df_report(s, "DF-DL3002", path, last_user_line, "last USER should not be root");
	}
	if (r >= 0 && have_from) {
		const char *u = last_user;
		if (!u)
			r = df_report(s, "DF-ROOT-USER", path, 0, "no USER instruction: the image runs as root");
		else if (!strcmp(u, "root") || !strcmp(u, "0") || bw_startswith(u, "root:") ||
			 bw_startswith(u, "0:"))
			r = df_report(s, "DF-ROOT-USER", path, last_user_line, "the image runs as root");
	}
	if (r >= 0 && have_from && !healthcheck)
		r = df_report(s, "DF-DL3057", path, 0, "HEALTHCHECK instruction missing");
	for (size_t i = 0; i < nstages; i++)
		free(stages[i].alias);
	free(stages);
	for (size_t i = 0; i < st->nenvs; i++)
		free(st->envs[i]);
	free(st->envs);
	return r < 0 ? r : 0;
}
