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

/* A `NAME=value` word before a command's name sets its environment; it
 * is not the command (`PIP_NO_CACHE_DIR=0 pip install`). */
static bool is_assignment(const struct script *s, const struct bw_buf *b)
{
	const char *p = b->data;

	if (s->n && s->c[s->n - 1].n)
		return false;
	if (!p || !(isalpha((unsigned char)*p) || *p == '_'))
		return false;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	return *p == '=';
}

/* Splits a shell script into simple commands. Quotes are removed from
 * words; `$(`...`)` and backquotes are kept as text. */
static int lex(const char *p, struct script *s)
{
	struct bw_buf b = BW_BUF_INIT(BW_MAX_DOCKERFILE_LINE);
	bool inword = false;
	int r = 0;

#define END_WORD()                                                          \
	do {                                                                \
		if (inword && is_assignment(s, &b))                         \
			bw_buf_reset(&b);                                   \
		else if (inword && (r = add_word(s, &b)) < 0)               \
			goto out;                                           \
		inword = false;                                             \
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
	char *image; /* the FROM image without tag or digest */
	size_t index;
};

/*
 * A flag per build stage, keyed as hadolint keys stages: by alias, else by
 * image name. A stage starts with the value of the stage it is built FROM
 * (WORKDIR set, PIP_NO_CACHE_DIR set); "" is the part before any FROM.
 */
struct stage_flags {
	char **name;
	bool *v;
	size_t n, cur;
};

static bool sf_get(const struct stage_flags *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->name[i], name))
			return f->v[i];
	return false;
}

/* Returns the index of name's entry, adding it; -ENOMEM. */
static int sf_find(struct stage_flags *f, const char *name)
{
	char **nn;
	bool *nv;

	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->name[i], name))
			return (int)i;
	if (f->n >= BW_MAX_DOCKERFILE_INSTRUCTIONS)
		return -E2BIG;
	nn = realloc(f->name, (f->n + 1) * sizeof(*nn));
	if (!nn)
		return -ENOMEM;
	f->name = nn;
	nv = realloc(f->v, (f->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	f->v = nv;
	f->name[f->n] = strdup(name);
	if (!f->name[f->n])
		return -ENOMEM;
	f->v[f->n] = false;
	return (int)f->n++;
}

static int sf_enter(struct stage_flags *f, const char *name, const char *parent)
{
	bool v = sf_get(f, parent);
	int i = sf_find(f, name);

	if (i < 0)
		return i;
	f->v[i] = v;
	f->cur = (size_t)i;
	return 0;
}

static int sf_set_current(struct stage_flags *f, bool v)
{
	if (f->n == 0) {
		int i = sf_find(f, "");
		if (i < 0)
			return i;
		f->cur = (size_t)i;
	}
	f->v[f->cur] = v;
	return 0;
}

static bool sf_current(const struct stage_flags *f)
{
	return f->n ? f->v[f->cur] : false;
}

static void sf_done(struct stage_flags *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->name[i]);
	free(f->name);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* A finding that stands only if its stage ends up in the image: the last
 * stage, or one a later FROM builds on (DL3009, DL3060). */
struct deferred {
	const char *id, *msg;
	uint32_t line;
	size_t stage;
};

struct df_state {
	struct bw_config_scan *s;
	const char *path;
	const struct bw_dockerfile *df;
	bool pipefail; /* SHELL with -o pipefail (or a non-POSIX shell) in this stage */
	size_t stage;  /* index of the current stage */
	bool onbuild;  /* checking an ONBUILD trigger */
	struct stage_flags workdir, nocache;
	struct deferred *later;
	size_t nlater;
};

#define DF(id, line, ...)                                                      \
	do {                                                                   \
		if ((r = df_report(st->s, id, st->path, line, __VA_ARGS__)) < 0) \
			goto out;                                              \
	} while (0)

static int defer(struct df_state *st, const char *id, uint32_t line, const char *msg)
{
	struct deferred *d;

	/* An ONBUILD trigger runs in every image built on this one. */
	if (st->onbuild)
		return df_report(st->s, id, st->path, line, "%s", msg);
	if (st->nlater >= BW_MAX_DOCKERFILE_INSTRUCTIONS)
		return 0;
	d = realloc(st->later, (st->nlater + 1) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	st->later = d;
	st->later[st->nlater++] = (struct deferred){ id, msg, line, st->stage };
	return 0;
}

/* A `RUN --mount=type=cache|tmpfs,target=DIR...` whose target starts with
 * dir (or, with anywhere, contains it): what the command leaves there never
 * reaches the layer. */
static bool run_mount(const struct bw_df_instr *in, const char *dir, bool anywhere)
{
	for (size_t i = 0; i < in->nflags; i++) {
		const char *f = in->flags[i], *p;
		bool cache = false;
		const char *target = NULL;
		size_t tl = 0;

		if (!bw_startswith(f, "mount="))
			continue;
		p = f + 6;
		while (*p) {
			const char *e = strchr(p, ',');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			if ((l == 10 && !strncmp(p, "type=cache", 10)) ||
			    (l == 10 && !strncmp(p, "type=tmpfs", 10)))
				cache = true;
			else if (!strncmp(p, "target=", 7) && l > 7) {
				target = p + 7;
				tl = l - 7;
			} else if (!strncmp(p, "dst=", 4) && l > 4) {
				target = p + 4;
				tl = l - 4;
			} else if (!strncmp(p, "destination=", 12) && l > 12) {
				target = p + 12;
				tl = l - 12;
			}
			p += l + (e ? 1 : 0);
		}
		if (!cache || !target)
			continue;
		if (anywhere ? memmem(target, tl, dir, strlen(dir)) != NULL :
			       (tl >= strlen(dir) && !strncmp(target, dir, strlen(dir))))
			return true;
	}
	return false;
}

/* Index of the first non-option word (the subcommand), 0 if none. */
static size_t first_arg(const struct cmd *c)
{
	for (size_t i = 1; i < c->n; i++)
		if (c->w[i][0] != '-')
			return i;
	return 0;
}

static bool is_one_of(const char *w, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(w, set[i]))
			return true;
	return false;
}

/* `rm` of a path under one of the prefixes. */
static bool rm_of(const struct cmd *c, const char *const *prefixes, size_t n)
{
	if (!cmd_is(c, "rm"))
		return false;
	for (size_t i = 1; i < c->n; i++)
		for (size_t k = 0; k < n; k++)
			if (bw_startswith(c->w[i], prefixes[k]))
				return true;
	return false;
}

/* pip, pip3, pip3.12, pipx (not pipenv) or `python -m pip`: the index of
 * its `install` word, 0 if it is not an install. */
static size_t pip_install(const struct cmd *c, bool *ret_wrapper)
{
	const char *name = base(c->w[0]);

	*ret_wrapper = false;
	if (bw_startswith(name, "pip")) {
		if (strstr(name, "pipenv"))
			return 0;
		*ret_wrapper = strstr(name, "pipx") != NULL;
		for (size_t i = 1; i < c->n; i++)
			if (!strcmp(c->w[i], "install"))
				return i;
		return 0;
	}
	if (bw_startswith(name, "python"))
		for (size_t i = 1; i + 2 < c->n; i++)
			if (!strcmp(c->w[i], "-m") && !strcmp(c->w[i + 2], "install")) {
				if (!strcmp(c->w[i + 1], "pip"))
					return i + 2;
				if (!strcmp(c->w[i + 1], "pipx")) {
					*ret_wrapper = true;
					return i + 2;
				}
			}
	return 0;
}

static bool pip_pinned(const char *p)
{
	static const char *const vcs[] = { "git", "hg+", "svn", "bzr+" };
	bool is_vcs = false;

	if (strstr(p, "==") || strstr(p, ">=") || strstr(p, "<=") || strchr(p, '>') ||
	    strchr(p, '<') || strstr(p, "!=") || strstr(p, "~="))
		return true;
	if (bw_endswith(p, ".whl") || bw_endswith(p, ".tar.gz"))
		return true;
	for (size_t i = 0; i < BW_ARRAY_SIZE(vcs); i++)
		if (bw_startswith(p, vcs[i]))
			is_vcs = true;
	/* a VCS URL pins with @ref; any other path or URL is a fixed source */
	return is_vcs ? strchr(p, '@') != NULL : strchr(p, '/') != NULL;
}

/* An rpm package spec with a version: NAME-VERSION[-RELEASE], where the
 * parts after the first dash are version-like and one starts with a digit
 * (openssl-1:1.1.1k, gcc-c++-1.1.1). */
static bool rpm_pinned(const char *p)
{
	const char *dash = strchr(p, '-');
	bool digit = false;

	if (!dash)
		return false;
	if (bw_endswith(p, ".rpm"))
		return true;
	for (const char *q = dash + 1; *q; q++)
		if (!(isalnum((unsigned char)*q) || strchr(".~^_:+-", *q)))
			return false;
	for (const char *q = dash; q; q = strchr(q + 1, '-'))
		if (isdigit((unsigned char)q[1]))
			digit = true;
	return digit;
}

/* yum/dnf/microdnf install: checks -y (yes_id) and pinning (pin_id); the
 * packages of `module install` pin with NAME:STREAM. */
static int rpm_install(struct df_state *st, const struct cmd *c, uint32_t line, const char *yes_id,
		       const char *pin_id)
{
	size_t k = first_arg(c);
	bool module = false;
	int r;

	if (!k)
		return 0;
	if (!strcmp(c->w[k], "module")) {
		module = true;
		for (k = k + 1; k < c->n && c->w[k][0] == '-'; k++)
			;
		if (k >= c->n)
			return 0;
	}
	if (strcmp(c->w[k], "install") && strcmp(c->w[k], "in"))
		return 0;
	if (!has_flag(c, (const char *const[]){ "-y", "--assumeyes" }, 2) && !has_short(c, 'y'))
		DF(yes_id, line, "use the -y switch with %s install", base(c->w[0]));
	for (size_t j = k + 1; j < c->n; j++) {
		const char *p = c->w[j];
		if (p[0] == '-')
			continue;
		if (module ? strchr(p, ':') == NULL : !rpm_pinned(p)) {
			DF(pin_id, line, "specify a version with %s install (`%s`)", base(c->w[0]), p);
			break;
		}
	}
	r = 0;
out:
	return r;
}

/* Every install (install(c) true) is followed by a clean (clean(c) true)
 * by the same tool, or by rm of its cache. */
static bool cleaned_after(const struct script *sc, bool (*install)(const struct cmd *),
			  bool (*clean)(const struct cmd *))
{
	for (size_t i = 0; i < sc->n; i++) {
		bool ok = false;
		if (!install(&sc->c[i]))
			continue;
		for (size_t j = i + 1; j < sc->n && !ok; j++)
			ok = clean(&sc->c[j]) && (cmd_is(&sc->c[j], "rm") ||
						  !strcmp(base(sc->c[j].w[0]), base(sc->c[i].w[0])));
		if (!ok)
			return false;
	}
	return true;
}

static bool any_cmd(const struct script *sc, bool (*fn)(const struct cmd *))
{
	for (size_t i = 0; i < sc->n; i++)
		if (fn(&sc->c[i]))
			return true;
	return false;
}

static bool yum_install(const struct cmd *c)
{
	size_t k;
	if (!cmd_is(c, "yum") || !(k = first_arg(c)))
		return false;
	return !strcmp(c->w[k], "install") || !strcmp(c->w[k], "module");
}

static bool yum_clean(const struct cmd *c)
{
	static const char *const dirs[] = { "/var/cache/yum" };
	return (cmd_is(c, "yum") && subcmd(c, "clean")) || rm_of(c, dirs, 1);
}

static bool dnf_install(const struct cmd *c)
{
	static const char *const subs[] = { "install", "in", "localinstall", "groupinstall",
					    "reinstall", "rei", "upgrade", "up", "update",
					    "upgrade-minimal", "up-min", "module" };
	size_t k;
	if (!(cmd_is(c, "dnf") || cmd_is(c, "dnf5") || cmd_is(c, "microdnf")) ||
	    !(k = first_arg(c)))
		return false;
	return is_one_of(c->w[k], subs, BW_ARRAY_SIZE(subs));
}

static bool dnf_clean(const struct cmd *c)
{
	static const char *const dirs[] = { "/var/cache/yum", "/var/cache/dnf",
					    "/var/cache/libdnf5" };
	return ((cmd_is(c, "dnf") || cmd_is(c, "dnf5") || cmd_is(c, "microdnf")) &&
		subcmd(c, "clean")) ||
	       rm_of(c, dirs, BW_ARRAY_SIZE(dirs));
}

static bool zypper_install(const struct cmd *c)
{
	return cmd_is(c, "zypper") && (subcmd(c, "install") || subcmd(c, "in"));
}

static bool zypper_clean(const struct cmd *c)
{
	static const char *const dirs[] = { "/var/cache/zypp" };
	return (cmd_is(c, "zypper") && (subcmd(c, "clean") || subcmd(c, "cc"))) ||
	       rm_of(c, dirs, 1);
}

static bool yarn_install(const struct cmd *c)
{
	return cmd_is(c, "yarn") && (subcmd(c, "install") || c->n == 1);
}

static bool yarn_clean(const struct cmd *c)
{
	return cmd_is(c, "yarn") && subcmd(c, "cache") && c->n > 2 && !strcmp(c->w[c->n - 1], "clean");
}

static bool apt_update(const struct cmd *c)
{
	return (cmd_is(c, "apt-get") || cmd_is(c, "apt") || cmd_is(c, "aptitude")) &&
	       subcmd(c, "update");
}

static bool apt_lists_removed(const struct cmd *c)
{
	static const char *const dirs[] = { "/var/lib/apt/lists" };
	return rm_of(c, dirs, 1);
}

/* apt-get -q counts as -y only given twice (-qq, -q -q, -q=2): one -q
 * still asks. */
static bool apt_yes(const struct cmd *c)
{
	int quiet = 0;

	if (has_flag(c, (const char *const[]){ "--yes", "--assume-yes" }, 2) || has_short(c, 'y'))
		return true;
	for (size_t i = 1; i < c->n; i++) {
		const char *w = c->w[i];
		if (!strcmp(w, "--quiet"))
			quiet++;
		else if (bw_startswith(w, "--quiet=") || bw_startswith(w, "-q="))
			quiet += atoi(strchr(w, '=') + 1);
		else if (w[0] == '-' && w[1] != '-')
			for (const char *p = w + 1; *p && *p != '='; p++)
				quiet += *p == 'q';
	}
	return quiet >= 2;
}

static int check_go(struct df_state *st, const struct cmd *c, uint32_t line)
{
	size_t k = first_arg(c);
	bool run;
	int r;

	if (!k || (strcmp(c->w[k], "install") && strcmp(c->w[k], "get") && strcmp(c->w[k], "run")))
		return 0;
	run = !strcmp(c->w[k], "run");
	for (size_t j = k + 1; j < c->n; j++) {
		const char *p = c->w[j], *at;
		if (p[0] == '-')
			continue;
		/* local packages build what is checked out */
		if (p[0] == '.' || p[0] == '/' || p[0] == '$')
			goto next;
		at = strrchr(p, '@');
		if (!at || !strcmp(at, "@latest") || !at[1])
			DF("DF-DL3062", line, "pin versions in go %s (`%s`)", c->w[k], p);
next:
		if (run)
			break; /* the rest are the program's arguments */
	}
	r = 0;
out:
	return r;
}

static int check_run(struct df_state *st, const struct bw_df_instr *in, uint32_t line)
{
	static const char *const apt_val[] = { "-o", "-c", "-t", "--target-release" };
	struct script sc;
	bool apt_install = false;
	int r;

	r = run_script(in, &sc);
	if (r < 0) {
		script_done(&sc);
		return r;
	}
	for (size_t i = 0; i < sc.n; i++) {
		const struct cmd *c = &sc.c[i];
		const char *name;
		size_t k;
		bool wrapper;

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
			if (!apt_yes(c))
				DF("DF-DL3014", line, "use the -y switch with apt-get install");
			if (!has_flag(c, (const char *const[]){ "--no-install-recommends" }, 1)) {
				bool ok = false;
				for (size_t j = 1; j < c->n; j++)
					if (strstr(c->w[j], "APT::Install-Recommends=false") ||
					    strstr(c->w[j], "APT::Install-Recommends=0"))
						ok = true;
				if (!ok)
					DF("DF-DL3015", line, "avoid additional packages with --no-install-recommends");
			}
		}

		/* pip */
		if ((k = pip_install(c, &wrapper))) {
			static const char *const pipval[] = {
				"-b", "--build", "-e", "--editable", "-i", "--index-url",
				"--extra-index-url", "-t", "--target", "--prefix", "--root", "-f",
				"--find-links", "--trusted-host", "--platform", "--python-version",
				"--implementation", "--abi", "--src", "--progress-bar", "--log",
				"--cache-dir", "--global-option", "--install-option",
				"--upgrade-strategy", "--no-binary", "--only-binary", "--proxy",
				"--root-user-action", "--python", "--pip-args", "--suffix"
			};
			struct cmd sub = { c->w + k, c->n - k, false };
			const char *pk[256];
			size_t np = packages(&sub, 1, pipval, BW_ARRAY_SIZE(pipval), pk, 256);
			bool skip = has_flag(c, (const char *const[]){ "-r", "--requirement", "-c", "--constraint" }, 4);
			for (size_t j = 1; j < c->n; j++)
				if (!strcmp(c->w[j], ".") || (c->w[j][0] == '-' && c->w[j][1] != '-' &&
							      strchr(c->w[j] + 1, 'c')))
					skip = true;
			for (size_t j = 0; j < np && !skip; j++)
				if (!pip_pinned(pk[j])) {
					DF("DF-DL3013", line, "pin versions in pip (`%s`)", pk[j]);
					break;
				}
			if (!wrapper && !has_flag(c, (const char *const[]){ "--no-cache-dir" }, 1) &&
			    !sf_current(&st->nocache) && !run_mount(in, ".cache/pip", true)) {
				static const char *const truthy[] = { "1", "true", "True", "TRUE", "on", "On",
								      "ON", "yes", "Yes", "YES" };
				const char *e = strstr(in->args, "PIP_NO_CACHE_DIR=");
				bool set = false;
				for (size_t t = 0; e && t < BW_ARRAY_SIZE(truthy); t++)
					if (bw_startswith(e + 17, truthy[t]))
						set = true;
				if (!set)
					DF("DF-DL3042", line,
					   "avoid the cache directory with pip install --no-cache-dir");
			}
		}
		/* npm: the packages of `npm install` */
		if (!strcmp(name, "npm") && (k = first_arg(c)) && !strcmp(c->w[k], "install")) {
			const char *pk[256];
			static const char *const npmval[] = { "--registry", "--prefix", "--cache",
							      "--loglevel", "--userconfig", "--tag" };
			size_t np = packages(c, k + 1, npmval, BW_ARRAY_SIZE(npmval), pk, 256);
			for (size_t j = 0; j < np; j++) {
				const char *p = pk[j], *at;
				if (bw_startswith(p, "git://") || bw_startswith(p, "git+ssh://") ||
				    bw_startswith(p, "git+http://") || bw_startswith(p, "git+https://")) {
					if (strchr(p, '#'))
						continue;
				} else if (bw_endswith(p, ".tar") || bw_endswith(p, ".tar.gz") ||
					   bw_endswith(p, ".tgz") || p[0] == '/' || bw_startswith(p, "./") ||
					   bw_startswith(p, "../") || bw_startswith(p, "~/")) {
					continue;
				} else {
					at = p[0] == '@' ? strchr(p, '/') : p;
					if (at && strchr(at, '@'))
						continue;
				}
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
				if (!strpbrk(pk[j], "=~<>") && !bw_endswith(pk[j], ".apk")) {
					DF("DF-DL3018", line, "pin versions in apk add (`%s`)", pk[j]);
					break;
				}
			if (!has_flag(c, (const char *const[]){ "--no-cache" }, 1) &&
			    !run_mount(in, "/var/cache/apk", false))
				DF("DF-DL3019", line, "use apk add --no-cache");
		}
		/* gem: the gems named right after install, up to the first option
		 * (the rest are build options, after -- or not) */
		if (!strcmp(name, "gem") && (k = first_arg(c)) &&
		    (!strcmp(c->w[k], "install") || !strcmp(c->w[k], "i"))) {
			bool ver = has_flag(c, (const char *const[]){ "-v", "--version" }, 2);
			size_t j = k + 1;
			while (j < c->n && c->w[j][0] == '-' && strcmp(c->w[j], "--"))
				j++;
			for (; j < c->n && !ver && c->w[j][0] != '-'; j++)
				if (!strchr(c->w[j], ':')) {
					DF("DF-DL3028", line, "pin versions in gem install (`%s`)", c->w[j]);
					break;
				}
		}
		if (!strcmp(name, "yum") &&
		    (r = rpm_install(st, c, line, "DF-DL3030", "DF-DL3033")) < 0)
			goto out;
		if ((!strcmp(name, "dnf") || !strcmp(name, "dnf5") || !strcmp(name, "microdnf")) &&
		    (r = rpm_install(st, c, line, "DF-DL3038", "DF-DL3041")) < 0)
			goto out;
		if (!strcmp(name, "zypper")) {
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
		}
		if (!strcmp(name, "go") && (r = check_go(st, c, line)) < 0)
			goto out;
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
	(void)apt_install;
	/* DL3009: lists fetched by an update stay unless removed or kept on a
	 * cache mount (of the lists, or of both apt directories). */
	if (any_cmd(&sc, apt_update) && !any_cmd(&sc, apt_lists_removed) &&
	    !run_mount(in, "/var/lib/apt/lists", false) &&
	    !(run_mount(in, "/var/lib/apt", false) && run_mount(in, "/var/cache/apt", false)) &&
	    (r = defer(st, "DF-DL3009", line, "delete the apt-get lists after installing something")) < 0)
		goto out;
	if (!cleaned_after(&sc, yum_install, yum_clean) && !run_mount(in, "/var/cache/yum", false))
		DF("DF-DL3032", line, "yum clean all missing after yum command");
	if (!cleaned_after(&sc, dnf_install, dnf_clean) && !run_mount(in, "/var/cache/dnf", false) &&
	    !run_mount(in, "/var/cache/libdnf5", false) && !run_mount(in, "/var/cache/yum", false))
		DF("DF-DL3040", line, "dnf clean all missing after dnf command");
	if (!cleaned_after(&sc, zypper_install, zypper_clean) && !run_mount(in, "/var/cache/zypp", false))
		DF("DF-DL3036", line, "zypper clean missing after zypper use");
	if (!cleaned_after(&sc, yarn_install, yarn_clean) && !run_mount(in, ".cache/yarn", true) &&
	    (r = defer(st, "DF-DL3060", line, "yarn cache clean missing after yarn install")) < 0)
		goto out;
	if (sc.has_pipe && !st->pipefail && !in->json)
		DF("DF-DL4006", line, "set the SHELL option -o pipefail before RUN with a pipe");
	r = 0;
out:
	script_done(&sc);
	return r;
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

static bool is_root(const char *u)
{
	return !strcmp(u, "root") || !strcmp(u, "0") || bw_startswith(u, "root:") ||
	       bw_startswith(u, "0:");
}

/* pip's reading of a boolean environment variable set to true */
static bool truthy(const char *v)
{
	static const char *const yes[] = { "1", "true", "True", "TRUE", "on", "On", "ON",
					   "yes", "Yes", "YES" };
	return is_one_of(v, yes, BW_ARRAY_SIZE(yes));
}

/* The image of a FROM without tag or digest (hadolint's stage key for a
 * stage without alias); NULL on allocation failure. */
static char *image_name(const char *img)
{
	const char *at = strchr(img, '@'), *slash, *colon;
	size_t n = at ? (size_t)(at - img) : strlen(img);

	slash = memrchr(img, '/', n);
	colon = memchr(slash ? slash : img, ':', n - (size_t)((slash ? slash : img) - img));
	if (colon)
		n = (size_t)(colon - img);
	return strndup(img, n);
}

static bool same_flags(const struct bw_df_instr *a, const struct bw_df_instr *b)
{
	if (a->nflags != b->nflags)
		return false;
	for (size_t i = 0; i < a->nflags; i++) {
		bool found = false;
		for (size_t k = 0; k < b->nflags && !found; k++)
			found = !strcmp(a->flags[i], b->flags[k]);
		if (!found)
			return false;
	}
	return true;
}

/*
 * Whether a SHELL makes pipes fail: a non-POSIX shell (PowerShell, cmd)
 * has no such problem; bash, zsh or ash with `-o pipefail` (also in an
 * option bundle such as -eo) fix it; plain sh cannot.
 */
static bool shell_pipefail(const struct bw_df_instr *in)
{
	static const char *const posix_ok[] = { "bash", "zsh", "ash" };
	bool o = false, pf = false;

	if (!in->json || !in->argc)
		return false;
	if (strstr(in->argv[0], "pwsh") || strstr(in->argv[0], "powershell") ||
	    bw_startswith(base(in->argv[0]), "cmd"))
		return true;
	if (!is_one_of(base(in->argv[0]), posix_ok, BW_ARRAY_SIZE(posix_ok)))
		return false;
	for (size_t k = 1; k < in->argc; k++) {
		const char *a = in->argv[k];
		if (a[0] == '-' && a[1] != '-' && strchr(a + 1, 'o'))
			o = true;
		if (!strcmp(a, "pipefail") || !strcmp(a, "-opipefail"))
			pf = true;
	}
	return o && pf;
}

/* ---------------------------------------------------------------- DL3010 */

struct archive {
	char *name; /* base name, quotes and Windows directories removed */
	uint32_t line;
};

static const char *path_base(const char *p)
{
	const char *b = p;

	for (const char *q = p; *q; q++)
		if (*q == '/' || *q == '\\')
			b = q + 1;
	return b;
}

static int remember_archive(struct archive **a, size_t *n, const char *path, uint32_t line)
{
	struct archive *na;

	if (*n >= BW_MAX_DOCKERFILE_INSTRUCTIONS)
		return 0;
	na = realloc(*a, (*n + 1) * sizeof(*na));
	if (!na)
		return -ENOMEM;
	*a = na;
	na[*n].name = strdup(path_base(path));
	if (!na[*n].name)
		return -ENOMEM;
	na[*n].line = line;
	(*n)++;
	return 0;
}

static bool extracts(const struct cmd *c)
{
	static const char *const unz[] = { "unzip", "gunzip", "bunzip2", "unlzma", "unxz",
					   "zgz", "uncompress", "zcat", "gzcat" };
	if (cmd_is(c, "tar")) {
		for (size_t i = 1; i < c->n; i++)
			if (!strcmp(c->w[i], "--extract") || !strcmp(c->w[i], "--get") ||
			    (c->w[i][0] == '-' && c->w[i][1] != '-' && strchr(c->w[i], 'x')))
				return true;
		return false;
	}
	return c->n && is_one_of(base(c->w[0]), unz, BW_ARRAY_SIZE(unz));
}

/* Reports each remembered archive that this RUN extracts (once). */
static int check_extract(struct df_state *st, const struct bw_df_instr *in,
			 struct archive *a, size_t *n)
{
	struct script sc;
	int r = run_script(in, &sc);

	for (size_t i = 0; r >= 0 && i < sc.n; i++) {
		const struct cmd *c = &sc.c[i];
		if (!extracts(c))
			continue;
		for (size_t j = 1; j < c->n && r >= 0; j++) {
			if (c->w[j][0] == '-')
				continue;
			for (size_t k = 0; k < *n; k++) {
				if (strcmp(a[k].name, path_base(c->w[j])))
					continue;
				r = df_report(st->s, "DF-DL3010", st->path, a[k].line,
					      "use ADD for extracting archives into an image");
				free(a[k].name);
				a[k] = a[--(*n)];
				break;
			}
		}
	}
	script_done(&sc);
	return r < 0 ? r : 0;
}

int df_check_file(struct bw_config_scan *s, const char *path, const struct bw_dockerfile *df)
{
	struct df_state sts = { .s = s, .path = path, .df = df }, *st = &sts;
	struct stage *stages = NULL;
	size_t nstages = 0;
	const char *last_user = NULL;
	uint32_t last_user_line = 0;
	size_t cur_stage = 0;
	bool have_from = false, curl = false, wget = false;
	int ncmd = 0, nentry = 0, nhealth = 0;
	/* DL3002: the line of the root USER that ends each stage (0: none) */
	uint32_t *root_line = NULL;
	/* DL3057: stages with a HEALTHCHECK, their own or inherited */
	bool *healthy = NULL;
	/* DL3059: the RUN just before (NULL after any other instruction) */
	const struct bw_df_instr *prev_run = NULL;
	size_t prev_count = 0;
	/* DL3010: archives COPY brought into this stage, by base name */
	struct archive *archives = NULL;
	size_t narchives = 0;
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
			st->stage = cur_stage;
			ncmd = nentry = nhealth = 0;
			last_user = NULL;
			prev_run = NULL;
			for (size_t k = 0; k < narchives; k++)
				free(archives[k].name);
			narchives = 0;
			{
				/* hadolint's stage key: the alias, else the image name */
				_cleanup_free_ char *iname = image_name(img);
				if (!iname ||
				    (r = sf_enter(&st->workdir, alias ? alias : iname, iname)) < 0 ||
				    (r = sf_enter(&st->nocache, alias ? alias : iname, iname)) < 0) {
					script_done(&w);
					r = r < 0 ? r : -ENOMEM;
					break;
				}
			}
			{
				const char *pf = flag_value(in, "platform");
				/* $BUILDPLATFORM and $TARGETPLATFORM are what --platform is for */
				if (pf && !strstr(pf, "$BUILDPLATFORM") && !strstr(pf, "${BUILDPLATFORM") &&
				    !strstr(pf, "$TARGETPLATFORM") && !strstr(pf, "${TARGETPLATFORM"))
					r = df_report(s, "DF-DL3029", path, line, "do not use --platform with FROM");
			}
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
			uint32_t *nr = ns ? realloc(root_line, (nstages + 1) * sizeof(*nr)) : NULL;
			bool *nh = nr ? realloc(healthy, (nstages + 1) * sizeof(*nh)) : NULL;
			if (ns)
				stages = ns;
			if (nr)
				root_line = nr;
			if (nh)
				healthy = nh;
			if (!nh) {
				script_done(&w);
				r = -ENOMEM;
				break;
			}
			stages[nstages].alias = alias ? strdup(alias) : NULL;
			stages[nstages].image = image_name(img);
			stages[nstages].index = nstages;
			root_line[nstages] = 0;
			/* DL3057: built on a stage that has a HEALTHCHECK */
			healthy[nstages] = false;
			for (size_t k = 0; k < nstages; k++)
				if (healthy[k] && !strcmp(stages[k].alias ? stages[k].alias : stages[k].image ? stages[k].image : "",
							  stages[nstages].image ? stages[nstages].image : ""))
					healthy[nstages] = true;
			nstages++;
			script_done(&w);
			continue;
		}
		if (strcmp(cmd, "RUN"))
			prev_run = NULL;
		if (!have_from && strcmp(cmd, "ARG") && r >= 0)
			r = df_report(s, "DF-DL3061", path, line,
				      "invalid instruction order: Dockerfile must begin with FROM, ARG or a comment");
		if (r < 0)
			break;
		if (!strcmp(cmd, "RUN")) {
			/* DL3059: consecutive RUNs of one command each and the same
			 * flags; chained commands are taken as a deliberate split */
			size_t count = 0;
			{
				struct script sc;
				if (run_script(in, &sc) == 0)
					count = sc.n;
				script_done(&sc);
			}
			if (prev_run && count <= 1 && prev_count <= 1 && same_flags(prev_run, in))
				r = df_report(s, "DF-DL3059", path, line,
					      "multiple consecutive RUN instructions; consider consolidation");
			prev_run = in;
			prev_count = count;
			if (r >= 0)
				r = check_run(st, in, line);
			if (r >= 0)
				r = check_extract(st, in, archives, &narchives);
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
			if (r >= 0)
				r = sf_set_current(&st->workdir, true);
		} else if (!strcmp(cmd, "USER")) {
			last_user = in->args;
			last_user_line = line;
			if (nstages)
				root_line[nstages - 1] = is_root(in->args) ? line : 0;
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
			if (nstages)
				healthy[nstages - 1] = true;
			if (++nhealth == 2)
				r = df_report(s, "DF-DL3012", path, line, "multiple HEALTHCHECK instructions");
			/* HEALTHCHECK CMD runs like CMD: the shell form wraps it in sh -c */
			if (r >= 0 && !strncasecmp(in->args, "CMD", 3) &&
			    (in->args[3] == ' ' || in->args[3] == '\t')) {
				const char *a = in->args + 3;
				while (*a == ' ' || *a == '\t')
					a++;
				if (*a != '[')
					r = df_report(s, "DF-DL3025", path, line,
						      "use arguments JSON notation for HEALTHCHECK CMD arguments");
			}
		} else if (!strcmp(cmd, "SHELL")) {
			st->pipefail = shell_pipefail(in);
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
					} else if (is_archive(v[k]) && !bw_endswith(v[k], ".zip")) {
						/* ADD unpacks local tar archives (not zip) */
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
			if (r >= 0 && n >= 2 && !strcmp(cmd, "COPY") && !sf_current(&st->workdir) &&
			    !in->nheredocs) {
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
			/* DL3010: remember local archives COPY brings in (the
			 * destination's name when it names an archive) */
			if (r >= 0 && !strcmp(cmd, "COPY") && !from && n >= 2) {
				if (is_archive(v[n - 1]))
					r = remember_archive(&archives, &narchives, v[n - 1], line);
				else
					for (size_t k = 0; k + 1 < n && r >= 0; k++)
						if (is_archive(v[k]))
							r = remember_archive(&archives, &narchives, v[k], line);
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
				if (r >= 0 && !strcmp(cmd, "ENV") && !strcmp(name, "PIP_NO_CACHE_DIR")) {
					const char *val = legacy ? (nw > 1 ? w.c[0].w[1] : "") :
								   (eq ? eq + 1 : "");
					if (truthy(val))
						r = sf_set_current(&st->nocache, true);
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
			else if (!strcmp(ic, "RUN")) {
				st->onbuild = true;
				r = check_run(st, in->onbuild, line);
				st->onbuild = false;
			}
		}
	}
	if (r >= 0 && curl && wget)
		r = df_report(s, "DF-DL4001", path, df->n ? df->instrs[df->n - 1].line : 0,
			      "either use wget or curl but not both");
	/* DL3002: every stage whose last USER is root (a later stage built
	 * on it inherits the user) */
	for (size_t i = 0; i < nstages && r >= 0; i++)
		if (root_line[i])
			r = df_report(s, "DF-DL3002", path, root_line[i], "last USER should not be root");
	if (r >= 0 && have_from) {
		const char *u = last_user;
		if (!u)
			r = df_report(s, "DF-ROOT-USER", path, 0, "no USER instruction: the image runs as root");
		else if (is_root(u))
			r = df_report(s, "DF-ROOT-USER", path, last_user_line, "the image runs as root");
	}
	/* DL3057: every stage without a HEALTHCHECK of its own or inherited */
	for (size_t i = 0; i < nstages && r >= 0; i++)
		if (!healthy[i]) {
			r = df_report(s, "DF-DL3057", path, 0, "HEALTHCHECK instruction missing");
			break;
		}
	/* DL3009, DL3060: only for stages that end up in an image: the last
	 * one, or one a later FROM builds on */
	for (size_t i = 0; i < st->nlater && r >= 0; i++) {
		size_t k = st->later[i].stage;
		bool used = nstages == 0 || k + 1 >= nstages;
		for (size_t j = 0; j < nstages && !used; j++)
			if (stages[k].alias && stages[j].image && !strcasecmp(stages[j].image, stages[k].alias))
				used = true;
		if (used)
			r = df_report(s, st->later[i].id, path, st->later[i].line, "%s", st->later[i].msg);
	}
	for (size_t i = 0; i < nstages; i++) {
		free(stages[i].alias);
		free(stages[i].image);
	}
	free(stages);
	free(root_line);
	free(healthy);
	for (size_t i = 0; i < narchives; i++)
		free(archives[i].name);
	free(archives);
	free(st->later);
	sf_done(&st->workdir);
	sf_done(&st->nocache);
	return r < 0 ? r : 0;
}
