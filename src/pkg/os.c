/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdio.h>

#include "pkg/internal.h"

/*
 * OS detection. os-release (freedesktop's format: KEY=VALUE, values quoted
 * with " or ' or bare, comments and blank lines) is the source of truth;
 * /etc/debian_version gives distroless Debian its version; one-line
 * redhat-release files ("CentOS release 5.7 (Final)") and
 * system-release-cpe serve old RHEL-likes; a busybox binary names itself.
 * An unknown ID is kept but never guessed from NAME or ID_LIKE.
 */

#define OS_FILE_CAP (64u << 10)

static int set_val(char **dst, const char *v, size_t n)
{
	return pkg_set(dst, v, n);
}

/* Unquotes an os-release value in place into out (at most n bytes). */
static size_t unquote(const char *v, size_t n, char *out)
{
	size_t o = 0;
	char q = 0;

	if (n && (v[0] == '"' || v[0] == '\'')) {
		q = v[0];
		v++;
		n--;
		if (n && v[n - 1] == q)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		if (q == '"' && v[i] == '\\' && i + 1 < n)
			i++;
		out[o++] = v[i];
	}
	return o;
}

static int parse_os_release(const char *data, size_t len, struct bw_os *os)
{
	struct lines c = { data, data + len };
	const char *line;
	size_t n;
	int r = 0;

	while (r == 0 && next_line(&c, &line, &n)) {
		const char *eq, *v;
		size_t kn, vn;
		char **dst = NULL;
		char buf[1024];

		trim(&line, &n);
		if (n == 0 || line[0] == '#')
			continue;
		eq = memchr(line, '=', n);
		if (!eq)
			continue;
		kn = (size_t)(eq - line);
		v = eq + 1;
		vn = n - kn - 1;
		trim(&v, &vn);
		if (vn >= sizeof(buf))
			continue;
#define KEY(k, f) else if (kn == sizeof(k) - 1 && !memcmp(line, k, kn)) dst = &os->f
		if (0)
			;
		KEY("ID", id);
		KEY("VERSION_ID", version_id);
		KEY("VERSION", version);
		KEY("VERSION_CODENAME", version_codename);
		KEY("NAME", name);
		KEY("PRETTY_NAME", pretty_name);
		KEY("ID_LIKE", id_like);
#undef KEY
		if (!dst)
			continue;
		vn = unquote(v, vn, buf);
		r = set_val(dst, buf, vn);
	}
	return r;
}

static bool empty(const char *s)
{
	return !s || !*s;
}

/* "Name release 8.10 (Codename)" and friends. */
static int parse_redhat_release(const char *data, size_t len, struct bw_os *os)
{
	const char *line, *rel, *v, *paren;
	size_t n, vn, nn;
	struct lines c = { data, data + len };
	char id[64];
	int r;

	if (!next_line(&c, &line, &n))
		return 0;
	trim(&line, &n);
	rel = memmem(line, n, " release ", 9);
	if (!rel)
		return 0;
	nn = (size_t)(rel - line);
	v = rel + 9;
	vn = (size_t)(line + n - v);
	trim(&v, &vn);
	/* version: digits and dots */
	size_t dn = 0;
	while (dn < vn && (isdigit((unsigned char)v[dn]) || v[dn] == '.'))
		dn++;
	if (dn == 0)
		return 0;
	paren = memchr(v + dn, '(', vn - dn);
	r = set_val(&os->name, line, nn);
	if (r == 0)
		r = set_val(&os->version_id, v, dn);
	if (r == 0)
		r = set_val(&os->pretty_name, line, n);
	if (r == 0) {
		if (paren && !(vn - (size_t)(paren - v) >= 7 && !strncasecmp(paren, "(Final)", 7))) {
			const char *pe = v + vn;
			r = set_val(&os->version, v, (size_t)(pe - v));
		} else {
			r = set_val(&os->version, v, dn);
		}
	}
	if (r < 0)
		return r;
	/* ID: the first word of the name, lowercased; Red Hat is "rhel". */
	if (nn >= 7 && !strncasecmp(line, "Red Hat", 7)) {
		strcpy(id, "rhel");
	} else {
		size_t i = 0;
		while (i < nn && i < sizeof(id) - 1 && line[i] != ' ') {
			id[i] = (char)tolower((unsigned char)line[i]);
			i++;
		}
		id[i] = 0;
	}
	r = pkg_sets(&os->id, id);
	if (r == 0) {
		char like[80];
		if (!strcmp(id, "rhel"))
			snprintf(like, sizeof(like), "rhel");
		else
			snprintf(like, sizeof(like), "%s rhel", id);
		r = pkg_sets(&os->id_like, like);
	}
	return r;
}

/* The scanner family name (trivy's) for an os-release ID, or NULL. */
static const char *family_of(const struct bw_os *os)
{
	static const struct {
		const char *id, *family;
	} map[] = {
		{ "alpine", "alpine" },
		{ "debian", "debian" },
		{ "ubuntu", "ubuntu" },
		{ "rhel", "redhat" },
		{ "centos", "centos" },
		{ "rocky", "rocky" },
		{ "almalinux", "alma" },
		{ "ol", "oracle" },
		{ "amzn", "amazon" },
		{ "fedora", "fedora" },
		{ "opensuse-leap", "opensuse-leap" },
		{ "opensuse-tumbleweed", "opensuse-tumbleweed" },
		{ "opensuse", "opensuse-leap" },
		{ "sles", "sles" },
		{ "sles_sap", "sles" },
		{ "sle-micro", "slem" },
		{ "sl-micro", "slem" },
		{ "sle-micro-rancher", "slem" },
		{ "photon", "photon" },
		{ "wolfi", "wolfi" },
		{ "chainguard", "chainguard" },
		{ "mariner", "cbl-mariner" },
		{ "azurelinux", "azurelinux" },
		{ "echo", "echo" },
		{ "minimos", "minimos" },
		{ "bottlerocket", "bottlerocket" },
		{ "activestate", "activestate" },
		{ "coreos", "coreos" },
		{ "arch", "arch" },
		{ "scientific", "scientific" },
		{ "busybox", "busybox" },
	};

	if (empty(os->id))
		return NULL;
	if (!strcmp(os->id, "centos") && os->name && strstr(os->name, "Stream"))
		return "centos-stream";
	for (size_t i = 0; i < BW_ARRAY_SIZE(map); i++)
		if (!strcmp(map[i].id, os->id))
			return map[i].family;
	return NULL;
}

static int try_read(bw_os_read_fn read, void *ud, const char *path, char **ret, size_t *ret_len)
{
	*ret = NULL;
	*ret_len = 0;
	return read(ud, path, ret, ret_len);
}

int bw_os_detect(bw_os_read_fn read, void *ud, struct bw_os *ret, struct bw_error **err)
{
	struct bw_os os = { 0 };
	char *data = NULL;
	size_t len;
	int r = 0;

	if (try_read(read, ud, "/etc/os-release", &data, &len) == 0 ||
	    try_read(read, ud, "/usr/lib/os-release", &data, &len) == 0) {
		r = parse_os_release(data, len > OS_FILE_CAP ? OS_FILE_CAP : len, &os);
		free(data);
		data = NULL;
	}
	/* Distroless Debian says only "Distroless"; debian_version has the
	 * point release. */
	if (r == 0 && (empty(os.id) || !strcmp(os.id, "debian")) && empty(os.version_id) &&
	    try_read(read, ud, "/etc/debian_version", &data, &len) == 0) {
		const char *v = data;
		size_t n = len > 64 ? 64 : len;
		struct lines c = { v, v + n };
		if (next_line(&c, &v, &n)) {
			trim(&v, &n);
			if (n && isdigit((unsigned char)v[0])) {
				r = set_val(&os.version_id, v, n);
				if (r == 0)
					r = set_val(&os.version, v, n);
				if (r == 0 && empty(os.id))
					r = pkg_sets(&os.id, "debian");
				if (r == 0 && empty(os.name))
					r = pkg_sets(&os.name, "Debian GNU/Linux");
			}
		}
		free(data);
		data = NULL;
	}
	if (r == 0 && empty(os.id) && empty(os.name)) {
		static const char *const rh[] = { "/etc/redhat-release", "/etc/centos-release",
						  "/etc/rocky-release",	 "/etc/almalinux-release",
						  "/etc/system-release" };
		for (size_t i = 0; r == 0 && empty(os.id) && i < BW_ARRAY_SIZE(rh); i++) {
			if (try_read(read, ud, rh[i], &data, &len) == 0)
				r = parse_redhat_release(data, len > OS_FILE_CAP ? OS_FILE_CAP : len, &os);
			free(data);
			data = NULL;
		}
	}
	if (r == 0 && empty(os.id) && empty(os.name) &&
	    try_read(read, ud, "/etc/system-release-cpe", &data, &len) == 0) {
		/* cpe:/o:VENDOR:PRODUCT:VERSION[:...] */
		char buf[256];
		size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
		memcpy(buf, data, n);
		buf[n] = 0;
		buf[strcspn(buf, "\r\n")] = 0;
		if (bw_startswith(buf, "cpe:/o:")) {
			char *vendor = buf + 7, *product = strchr(vendor, ':');
			char *ver = product ? strchr(product + 1, ':') : NULL;
			if (ver) {
				*product = 0;
				*ver++ = 0;
				ver[strcspn(ver, ":")] = 0;
				r = pkg_sets(&os.id, vendor);
				if (r == 0)
					r = pkg_sets(&os.version_id, ver);
			}
		}
		free(data);
		data = NULL;
	}
	if (r == 0 && empty(os.id) && empty(os.name) &&
	    try_read(read, ud, "/bin/busybox", &data, &len) == 0) {
		const char *m = memmem(data, len, "BusyBox v", 9);
		if (m) {
			const char *v = m + 9;
			size_t n = 0;
			while (v + n < data + len && (isdigit((unsigned char)v[n]) || v[n] == '.'))
				n++;
			if (n) {
				r = pkg_sets(&os.id, "busybox");
				if (r == 0)
					r = pkg_sets(&os.name, "busybox");
				if (r == 0)
					r = pkg_sets(&os.id_like, "busybox");
				if (r == 0)
					r = set_val(&os.version_id, v, n);
				if (r == 0)
					r = set_val(&os.version, v, n);
				if (r == 0)
					r = set_val(&os.pretty_name, m, n + 9);
			}
		}
		free(data);
		data = NULL;
	}
	if (r == 0) {
		const char *fam = family_of(&os);
		if (fam && !empty(os.version_id)) {
			r = pkg_sets(&os.family, fam);
			if (r == 0)
				r = pkg_sets(&os.family_version, os.version_id);
		}
	}
	if (r < 0) {
		bw_os_done(&os);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = os;
	return 0;
}
