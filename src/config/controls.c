/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Control inputs: the values some checks compare against (sensitive key
 * names and value patterns, floating image tags, resource bounds, allowed
 * registries, recommended labels). Defaults are Kubescape's
 * (regolibrary default-config-inputs.json); a file in Kubescape's
 * controls-inputs format (`kubescape download controls-inputs`, either the
 * whole `{"settings": {"postureControlInputs": {...}}}` document or just the
 * `postureControlInputs` object) replaces them, as `kubescape scan
 * --controls-config` does: a list the file does not give is empty.
 *
 * Also the Kubernetes resource quantity parser the bounds are compared with.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulwark/config.h"
#include "config/internal.h"

static const char *const def_keys[] = { "aws_access_key_id", "aws_secret_access_key",
					"azure_batchai_storage_account",
					"azure_batchai_storage_key", "azure_batch_account",
					"azure_batch_key", "secret", "key", "password", "pwd",
					"token", "jwt", "bearer", "credential" };
static const char *const def_values[] = { "BEGIN \\w+ PRIVATE KEY", "PRIVATE KEY", "eyJhbGciO",
					  "JWT", "Bearer", "_key_", "_secret_",
					  "AKIA[0-9A-Z]{16}" };
static const char *const def_labels[] = { "app", "tier", "phase", "version", "owner", "env" };
static const char *const def_k8s_labels[] = { "app.kubernetes.io/name",
					      "app.kubernetes.io/instance",
					      "app.kubernetes.io/version",
					      "app.kubernetes.io/component",
					      "app.kubernetes.io/part-of",
					      "app.kubernetes.io/managed-by",
					      "app.kubernetes.io/created-by" };
static const char *const def_sensitive_interfaces[] = {
	"nifi", "argo-server", "weave-scope-app", "kubeflow", "kubernetes-dashboard", "jenkins",
	"prometheus-deployment", "ollama", "vllm", "kserve", "triton-inference-server",
	"ray-dashboard", "ray-head", "mlflow", "jupyterhub", "seldon", "bentoml"
};

/* ---------------------------------------------------------------- quantities */

/*
 * A Kubernetes resource quantity (k8s.io/apimachinery resource.Quantity):
 * a signed decimal number, optionally with an exponent (`1e3`, `1E-3`) or one
 * suffix: binary Ki Mi Gi Ti Pi Ei, decimal n u m k M G T P E. Returns the
 * value in base units (cores, bytes); -EINVAL for anything else.
 */
int quantity_parse(const char *s, double *ret)
{
	static const struct {
		const char *sfx;
		double mult;
	} sfx[] = { { "Ki", 1024.0 },
		    { "Mi", 1048576.0 },
		    { "Gi", 1073741824.0 },
		    { "Ti", 1099511627776.0 },
		    { "Pi", 1125899906842624.0 },
		    { "Ei", 1152921504606846976.0 },
		    { "n", 1e-9 },
		    { "u", 1e-6 },
		    { "m", 1e-3 },
		    { "k", 1e3 },
		    { "M", 1e6 },
		    { "G", 1e9 },
		    { "T", 1e12 },
		    { "P", 1e15 },
		    { "E", 1e18 } };
	const char *p = s;
	char num[64];
	size_t n;
	double v, mult = 1;
	char *end;

	if (!s)
		return -EINVAL;
	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (p == s || (p == s + 1 && !isdigit((unsigned char)*s) && *s != '.'))
		return -EINVAL;
	/* an exponent (e/E followed by a signed integer) or a suffix */
	if ((*p == 'e' || *p == 'E') &&
	    (isdigit((unsigned char)p[1]) ||
	     ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
		const char *q = p + 1;
		if (*q == '+' || *q == '-')
			q++;
		while (isdigit((unsigned char)*q))
			q++;
		if (*q)
			return -EINVAL;
		n = (size_t)(q - s);
		if (n >= sizeof(num))
			return -EINVAL;
		memcpy(num, s, n);
		num[n] = 0;
	} else {
		n = (size_t)(p - s);
		if (n >= sizeof(num))
			return -EINVAL;
		memcpy(num, s, n);
		num[n] = 0;
		if (*p) {
			size_t k;
			for (k = 0; k < BW_ARRAY_SIZE(sfx); k++)
				if (!strcmp(p, sfx[k].sfx))
					break;
			if (k == BW_ARRAY_SIZE(sfx))
				return -EINVAL;
			mult = sfx[k].mult;
		}
	}
	errno = 0;
	v = strtod(num, &end);
	if (*end || errno || !isfinite(v * mult))
		return -EINVAL;
	*ret = v * mult;
	return 0;
}

/* A quantity given as a YAML scalar (`cpu: 2` is an int, `cpu: "500m"` a
 * string: both are quantities). */
int quantity_of(const struct bw_yaml_node *n, double *ret)
{
	return quantity_parse(bw_yaml_str(n), ret);
}

/* ---------------------------------------------------------------- base64 */

/* Decodes standard base64 with padding (Go's base64.StdEncoding, which
 * OPA's base64.decode uses); -EINVAL when s is not that. *ret is
 * NUL-terminated and malloc'd. */
int base64_decode(const char *s, char **ret, size_t *ret_len)
{
	size_t n = strlen(s), o = 0;
	unsigned char *out;

	if (n == 0 || n % 4)
		return -EINVAL;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 4) {
		unsigned v = 0;
		int pad = 0;
		for (size_t k = 0; k < 4; k++) {
			char c = s[i + k];
			unsigned d;
			if (c >= 'A' && c <= 'Z')
				d = (unsigned)(c - 'A');
			else if (c >= 'a' && c <= 'z')
				d = (unsigned)(c - 'a' + 26);
			else if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0' + 52);
			else if (c == '+')
				d = 62;
			else if (c == '/')
				d = 63;
			else if (c == '=' && i + 4 == n && k >= 2) {
				d = 0;
				pad++;
			} else {
				free(out);
				return -EINVAL;
			}
			/* no data after padding */
			if (pad && c != '=') {
				free(out);
				return -EINVAL;
			}
			v = v << 6 | d;
		}
		out[o++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)v;
	}
	out[o] = 0;
	*ret = (char *)out;
	*ret_len = o;
	return 0;
}

/* ---------------------------------------------------------------- lists */

static void strlist_done(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int strlist_set(struct strlist *l, const char *const *v, size_t n)
{
	strlist_done(l);
	if (!n)
		return 0;
	l->v = calloc(n, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		l->v[i] = strdup(v[i]);
		if (!l->v[i]) {
			l->n = i;
			return -ENOMEM;
		}
	}
	l->n = n;
	return 0;
}

bool strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; s && i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

/* Whether lower(s) contains lower(an item) (Kubescape's contains(lower())). */
bool strlist_contained_ci(const struct strlist *l, const char *s)
{
	for (size_t i = 0; s && i < l->n; i++)
		if (*l->v[i] && strcasestr(s, l->v[i]))
			return true;
	return false;
}

static void relist_done(struct relist *l)
{
	for (size_t i = 0; i < l->n; i++)
		regfree(&l->re[i]);
	free(l->re);
	l->re = NULL;
	l->n = 0;
}

/* Compiles every pattern of src (RE2 syntax as Kubescape writes it; a
 * leading `(?i)` becomes a case-insensitive POSIX ERE). */
static int relist_compile(struct relist *l, const struct strlist *src, bool icase, const char *file,
			  struct bw_error **err)
{
	relist_done(l);
	if (!src->n)
		return 0;
	l->re = calloc(src->n, sizeof(*l->re));
	if (!l->re)
		return bw_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < src->n; i++) {
		const char *p = src->v[i];
		int flags = REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0);
		if (!strncmp(p, "(?i)", 4)) {
			p += 4;
			flags |= REG_ICASE;
		}
		if (regcomp(&l->re[l->n], p, flags) != 0)
			return bw_error_set(err, -EINVAL, "%s: cannot compile pattern `%s`", file,
					    src->v[i]);
		l->n++;
	}
	return 0;
}

bool relist_match(const struct relist *l, const char *s)
{
	for (size_t i = 0; s && i < l->n; i++)
		if (regexec(&l->re[i], s, 0, NULL, 0) == 0)
			return true;
	return false;
}

/* ---------------------------------------------------------------- inputs */

static const struct {
	const char *name;
	size_t off;
} list_keys[] = {
	{ "floatingImageTags", offsetof(struct controls, floating_tags) },
	{ "sensitiveKeyNames", offsetof(struct controls, sens_keys) },
	{ "sensitiveValues", offsetof(struct controls, sens_values) },
	{ "sensitiveKeyNamesAllowed", offsetof(struct controls, sens_keys_allowed) },
	{ "sensitiveValuesAllowed", offsetof(struct controls, sens_values_allowed) },
	{ "imageRepositoryAllowList", offsetof(struct controls, image_allow) },
	{ "untrustedRegistries", offsetof(struct controls, untrusted_registries) },
	{ "recommendedLabels", offsetof(struct controls, recommended_labels) },
	{ "k8sRecommendedLabels", offsetof(struct controls, k8s_recommended_labels) },
	{ "sensitiveInterfaces", offsetof(struct controls, sensitive_interfaces) },
};

static const struct {
	const char *name;
	size_t off;
} bound_keys[] = {
	{ "cpu_request_min", offsetof(struct controls, bounds[BOUND_CPU_REQUEST_MIN]) },
	{ "cpu_request_max", offsetof(struct controls, bounds[BOUND_CPU_REQUEST_MAX]) },
	{ "cpu_limit_min", offsetof(struct controls, bounds[BOUND_CPU_LIMIT_MIN]) },
	{ "cpu_limit_max", offsetof(struct controls, bounds[BOUND_CPU_LIMIT_MAX]) },
	{ "memory_request_min", offsetof(struct controls, bounds[BOUND_MEM_REQUEST_MIN]) },
	{ "memory_request_max", offsetof(struct controls, bounds[BOUND_MEM_REQUEST_MAX]) },
	{ "memory_limit_min", offsetof(struct controls, bounds[BOUND_MEM_LIMIT_MIN]) },
	{ "memory_limit_max", offsetof(struct controls, bounds[BOUND_MEM_LIMIT_MAX]) },
	{ "sandbox_cpu_limit_max", offsetof(struct controls, bounds[BOUND_SANDBOX_CPU_LIMIT_MAX]) },
	{ "sandbox_memory_limit_max",
	  offsetof(struct controls, bounds[BOUND_SANDBOX_MEM_LIMIT_MAX]) },
};

void controls_done(struct controls *c)
{
	for (size_t i = 0; i < BW_ARRAY_SIZE(list_keys); i++)
		strlist_done((struct strlist *)((char *)c + list_keys[i].off));
	relist_done(&c->values_re);
	relist_done(&c->values_re_ci);
	relist_done(&c->values_allowed_re);
	memset(c, 0, sizeof(*c));
}

static int controls_compile(struct controls *c, const char *file, struct bw_error **err)
{
	int r;

	if ((r = relist_compile(&c->values_re, &c->sens_values, false, file, err)) < 0 ||
	    (r = relist_compile(&c->values_re_ci, &c->sens_values, true, file, err)) < 0 ||
	    (r = relist_compile(&c->values_allowed_re, &c->sens_values_allowed, false, file,
				err)) < 0)
		return r;
	return 0;
}

int controls_init(struct controls *c)
{
	struct bw_error *err = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	if (strlist_set(&c->sens_keys, def_keys, BW_ARRAY_SIZE(def_keys)) < 0 ||
	    strlist_set(&c->sens_values, def_values, BW_ARRAY_SIZE(def_values)) < 0 ||
	    strlist_set(&c->recommended_labels, def_labels, BW_ARRAY_SIZE(def_labels)) < 0 ||
	    strlist_set(&c->k8s_recommended_labels, def_k8s_labels,
			BW_ARRAY_SIZE(def_k8s_labels)) < 0 ||
	    strlist_set(&c->sensitive_interfaces, def_sensitive_interfaces,
			BW_ARRAY_SIZE(def_sensitive_interfaces)) < 0)
		return -ENOMEM;
	/* the minimums default to 0, the maximums to none */
	c->bounds[BOUND_CPU_REQUEST_MIN].v[0] = 0;
	c->bounds[BOUND_CPU_REQUEST_MIN].n = 1;
	c->bounds[BOUND_CPU_LIMIT_MIN].n = 1;
	c->bounds[BOUND_MEM_REQUEST_MIN].n = 1;
	c->bounds[BOUND_MEM_LIMIT_MIN].n = 1;
	r = controls_compile(c, "built-in control inputs", &err);
	bw_error_free(err);
	return r;
}

static int load_list(struct strlist *l, const struct bw_yaml_node *seq, const char *file,
		     const char *key, struct bw_error **err)
{
	const char *tmp[BW_MAX_CONTROL_VALUES];
	uint32_t n = bw_yaml_count(seq);

	if (seq && seq->type != BW_YAML_SEQ)
		return bw_error_set(err, -EINVAL, "%s:%u:%u: %s: expected a list", file, seq->line,
				    seq->col, key);
	if (n > BW_MAX_CONTROL_VALUES)
		return bw_error_set(err, -E2BIG, "%s:%u:%u: %s: more than %d values", file,
				    seq->line, seq->col, key, BW_MAX_CONTROL_VALUES);
	for (uint32_t i = 0; i < n; i++) {
		tmp[i] = bw_yaml_str(seq->kids[i]);
		if (!tmp[i])
			return bw_error_set(err, -EINVAL, "%s:%u:%u: %s: expected a string", file,
					    seq->kids[i]->line, seq->kids[i]->col, key);
	}
	if (strlist_set(l, tmp, n) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int controls_load(struct controls *c, const char *file, const char *data, size_t len,
		  struct bw_error **err)
{
	_cleanup_(bw_yaml_file_freep) struct bw_yaml_file *y = NULL;
	const struct bw_yaml_node *root, *in;
	struct controls nc;
	int r;

	if ((r = bw_yaml_parse(file, data, len, &y, err)) < 0)
		return r;
	root = bw_yaml_file_ndocs(y) ? bw_yaml_file_doc(y, 0) : NULL;
	if (!root || root->type != BW_YAML_MAP)
		return bw_error_set(err, -EINVAL, "%s: expected an object of control inputs", file);
	in = bw_yaml_path(root, "settings.postureControlInputs");
	if (!in)
		in = bw_yaml_get(root, "postureControlInputs");
	if (!in)
		in = root;
	if (in->type != BW_YAML_MAP)
		return bw_error_set(err, -EINVAL, "%s:%u:%u: postureControlInputs: expected an object",
				    file, in->line, in->col);
	memset(&nc, 0, sizeof(nc));
	for (size_t i = 0; i < BW_ARRAY_SIZE(list_keys); i++) {
		r = load_list((struct strlist *)((char *)&nc + list_keys[i].off),
			      bw_yaml_get(in, list_keys[i].name), file, list_keys[i].name, err);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; i < BW_ARRAY_SIZE(bound_keys); i++) {
		const struct bw_yaml_node *seq = bw_yaml_get(in, bound_keys[i].name);
		struct bound *b = (struct bound *)((char *)&nc + bound_keys[i].off);
		if (seq && seq->type != BW_YAML_SEQ) {
			r = bw_error_set(err, -EINVAL, "%s:%u:%u: %s: expected a list", file,
					 seq->line, seq->col, bound_keys[i].name);
			goto fail;
		}
		for (uint32_t k = 0; k < bw_yaml_count(seq); k++) {
			double v;
			if (b->n == BW_ARRAY_SIZE(b->v) || quantity_of(seq->kids[k], &v) < 0) {
				r = bw_error_set(err, -EINVAL,
						 "%s:%u:%u: %s: `%s` is not a resource quantity",
						 file, seq->kids[k]->line, seq->kids[k]->col,
						 bound_keys[i].name,
						 bw_yaml_str(seq->kids[k]) ? bw_yaml_str(seq->kids[k]) :
									     "?");
				goto fail;
			}
			b->v[b->n++] = v;
		}
	}
	if ((r = controls_compile(&nc, file, err)) < 0)
		goto fail;
	controls_done(c);
	*c = nc;
	return 0;
fail:
	controls_done(&nc);
	return r;
}

int bw_config_scan_load_controls(struct bw_config_scan *s, const char *path, struct bw_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r;

	r = bw_read_file(path, 1u << 20, &data, &len, err);
	if (r < 0)
		return r;
	return controls_load(&s->controls, path, data, len, err);
}
