/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenPGP through GPGME: a keyring of trusted keys in an ephemeral GnuPG
 * home (as containers/image verifies signedBy), verification of one
 * signature, signing with the user's keyring; and a framing check of the
 * packets we hand to gpg, so garbage is named as such.
 */
#include <dirent.h>
#include <fcntl.h>
#include <gpgme.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sign/internal.h"

/* ---------------------------------------------------------------- packets */

enum {
	PGP_PKESK = 1,
	PGP_SIG = 2,
	PGP_SKESK = 3,
	PGP_OPS = 4,
	PGP_COMPRESSED = 8,
	PGP_SED = 9,
	PGP_MARKER = 10,
	PGP_LITERAL = 11,
	PGP_SEIPD = 18,
	PGP_AEAD = 20,
};

/* Reads a new-format body length at *pp: 1, 2 or 5 bytes, or a partial
 * length (is_partial). */
static int new_len(const uint8_t **pp, const uint8_t *end, uint64_t *ret, bool *is_partial)
{
	const uint8_t *p = *pp;

	*is_partial = false;
	if (p >= end)
		return -1;
	if (p[0] < 192) {
		*ret = p[0];
		*pp = p + 1;
	} else if (p[0] < 224) {
		if (end - p < 2)
			return -1;
		*ret = ((uint64_t)(p[0] - 192) << 8) + p[1] + 192;
		*pp = p + 2;
	} else if (p[0] == 255) {
		if (end - p < 5)
			return -1;
		*ret = (uint64_t)p[1] << 24 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 8 | p[4];
		*pp = p + 5;
	} else {
		*ret = 1ull << (p[0] & 0x1f);
		*is_partial = true;
		*pp = p + 1;
	}
	return 0;
}

int bw_pgp_check_message(const void *buf, size_t n, struct bw_error **err)
{
	const uint8_t *p = buf, *end = p + n;
	unsigned count = 0, seen = 0;

	if (n == 0)
		return bw_error_set(err, -EBADMSG, "empty OpenPGP message");
	if (n > BW_MAX_PGP_SIGNATURE)
		return bw_error_set(err, -EFBIG, "OpenPGP message larger than %u bytes",
				    BW_MAX_PGP_SIGNATURE);
	if (n >= 15 && !memcmp(p, "-----BEGIN PGP ", 15))
		return 0; /* ASCII armor: gpg decodes and checks it */
	while (p < end) {
		unsigned tag;
		uint64_t len;

		if (!(p[0] & 0x80))
			return bw_error_set(err, -EBADMSG,
					    "not an OpenPGP message: byte %zu (0x%02x) is not a "
					    "packet header",
					    (size_t)(p - (const uint8_t *)buf), p[0]);
		if (++count > BW_MAX_PGP_PACKETS)
			return bw_error_set(err, -EBADMSG, "more than %u OpenPGP packets",
					    BW_MAX_PGP_PACKETS);
		if (p[0] & 0x40) {
			bool partial;

			tag = p[0] & 0x3f;
			p++;
			for (;;) {
				if (new_len(&p, end, &len, &partial) < 0)
					return bw_error_set(err, -EBADMSG,
							    "truncated OpenPGP packet header");
				if (len > (uint64_t)(end - p))
					return bw_error_set(err, -EBADMSG,
							    "OpenPGP packet (tag %u) longer than "
							    "the data",
							    tag);
				p += len;
				if (!partial)
					break;
				if (tag != PGP_COMPRESSED && tag != PGP_LITERAL && tag != PGP_SED &&
				    tag != PGP_SEIPD && tag != PGP_AEAD)
					return bw_error_set(err, -EBADMSG,
							    "partial length in an OpenPGP packet "
							    "of tag %u",
							    tag);
			}
		} else {
			unsigned lt = p[0] & 3, nb = lt == 0 ? 1 : lt == 1 ? 2 : 4;

			tag = (p[0] >> 2) & 0xf;
			p++;
			if (lt == 3) {
				len = (uint64_t)(end - p);
			} else {
				if ((size_t)(end - p) < nb)
					return bw_error_set(err, -EBADMSG,
							    "truncated OpenPGP packet header");
				len = 0;
				for (unsigned i = 0; i < nb; i++)
					len = len << 8 | p[i];
				p += nb;
			}
			if (len > (uint64_t)(end - p))
				return bw_error_set(err, -EBADMSG,
						    "OpenPGP packet (tag %u) longer than the data",
						    tag);
			p += len;
		}
		if (tag == 0)
			return bw_error_set(err, -EBADMSG, "OpenPGP packet with reserved tag 0");
		if (tag < 32)
			seen |= 1u << tag;
	}
	if (seen & (1u << PGP_PKESK | 1u << PGP_SKESK | 1u << PGP_SED | 1u << PGP_SEIPD |
		    1u << PGP_AEAD))
		return bw_error_set(err, -EBADMSG, "an encrypted OpenPGP message, not a signature");
	if (!(seen & (1u << PGP_SIG | 1u << PGP_OPS | 1u << PGP_COMPRESSED)))
		return bw_error_set(err, -EBADMSG,
				    seen & (1u << PGP_LITERAL)
					    ? "OpenPGP literal data without a signature"
					    : "no OpenPGP signature in the message");
	return 0;
}

/* ---------------------------------------------------------------- GPGME */

static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;
static bool gpgme_ok;

static void gpgme_setup(void)
{
	if (!gpgme_check_version(NULL))
		return;
	gpgme_ok = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) == 0;
}

static int gpg_ctx_new(const char *home, gpgme_ctx_t *ret, struct bw_error **err)
{
	gpgme_ctx_t ctx;
	gpgme_error_t ge;

	pthread_once(&gpgme_once, gpgme_setup);
	if (!gpgme_ok)
		return bw_error_set(err, -ENOTSUP, "GPGME cannot run gpg (is GnuPG installed?)");
	ge = gpgme_new(&ctx);
	if (ge)
		return bw_error_set(err, -ENOMEM, "GPGME: %s", gpgme_strerror(ge));
	ge = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	if (!ge && home)
		ge = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home);
	if (ge) {
		gpgme_release(ctx);
		return bw_error_set(err, -EIO, "GPGME: %s", gpgme_strerror(ge));
	}
	gpgme_set_armor(ctx, 0);
	gpgme_set_offline(ctx, 1);
	*ret = ctx;
	return 0;
}

/* Copies GPGME data out (NUL-terminated) and releases it. */
static int data_take(gpgme_data_t d, size_t cap, char **ret, size_t *ret_len,
		     struct bw_error **err)
{
	size_t len = 0;
	char *mem = gpgme_data_release_and_get_mem(d, &len), *out;

	if (!mem && len)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (len > cap) {
		gpgme_free(mem);
		return bw_error_set(err, -EFBIG, "signed data larger than %zu bytes", cap);
	}
	out = malloc(len + 1);
	if (!out) {
		gpgme_free(mem);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	if (len)
		memcpy(out, mem, len);
	out[len] = 0;
	gpgme_free(mem);
	*ret = out;
	*ret_len = len;
	return 0;
}

struct bw_gpg_keyring {
	gpgme_ctx_t ctx;
	char *home;
	char **fprs;
	size_t n_fprs;
};

/* Removes the contents of dirfd (depth-first), then nothing else. */
static void rm_contents(int dirfd, unsigned depth)
{
	DIR *d;
	struct dirent *e;

	if (depth > 4)
		return;
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd, e->d_name, 0) < 0 && (errno == EISDIR || errno == EPERM)) {
			int fd = openat(dirfd, e->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (fd >= 0)
				rm_contents(fd, depth + 1);
			unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
		}
	}
	closedir(d);
}

struct bw_gpg_keyring *bw_gpg_keyring_free(struct bw_gpg_keyring *k)
{
	if (!k)
		return NULL;
	if (k->ctx)
		gpgme_release(k->ctx);
	if (k->home) {
		int fd = open(k->home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd >= 0)
			rm_contents(fd, 0);
		rmdir(k->home);
		free(k->home);
	}
	for (size_t i = 0; i < k->n_fprs; i++)
		free(k->fprs[i]);
	free(k->fprs);
	free(k);
	return NULL;
}

int bw_gpg_keyring_new(struct bw_gpg_keyring **ret, struct bw_error **err)
{
	struct bw_gpg_keyring *k = calloc(1, sizeof(*k));
	const char *tmp = getenv("TMPDIR");
	int r;

	if (!k)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (!tmp || !*tmp || tmp[0] != '/')
		tmp = "/tmp";
	if (asprintf(&k->home, "%s/bulwark-gpg-XXXXXX", tmp) < 0) {
		k->home = NULL;
		bw_gpg_keyring_free(k);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	if (!mkdtemp(k->home)) {
		r = -errno;
		free(k->home);
		k->home = NULL;
		bw_gpg_keyring_free(k);
		return bw_error_set(err, r, "cannot create a temporary GnuPG home in `%s`: %s", tmp,
				    strerror(-r));
	}
	r = gpg_ctx_new(k->home, &k->ctx, err);
	if (r < 0) {
		bw_gpg_keyring_free(k);
		return r;
	}
	*ret = k;
	return 0;
}

static bool has_fpr(const struct bw_gpg_keyring *k, const char *fpr)
{
	for (size_t i = 0; fpr && i < k->n_fprs; i++)
		if (!strcasecmp(k->fprs[i], fpr))
			return true;
	return false;
}

int bw_gpg_keyring_add(struct bw_gpg_keyring *k, const void *data, size_t len, const char *what,
		       struct bw_error **err)
{
	gpgme_data_t d = NULL;
	gpgme_import_result_t res;
	gpgme_import_status_t st;
	gpgme_error_t ge;
	size_t added = 0;

	if (len > BW_MAX_GPG_KEYRING)
		return bw_error_set(err, -EFBIG, "GPG keyring `%s` larger than %u bytes", what,
				    BW_MAX_GPG_KEYRING);
	ge = gpgme_data_new_from_mem(&d, data, len, 0);
	if (ge)
		return bw_error_set(err, -ENOMEM, "GPGME: %s", gpgme_strerror(ge));
	ge = gpgme_op_import(k->ctx, d);
	gpgme_data_release(d);
	if (ge)
		return bw_error_set(err, -EINVAL, "cannot import the keys of `%s`: %s", what,
				    gpgme_strerror(ge));
	res = gpgme_op_import_result(k->ctx);
	for (st = res ? res->imports : NULL; st; st = st->next) {
		char **grown, *f;

		if (st->result || !st->fpr)
			continue;
		added++;
		if (has_fpr(k, st->fpr))
			continue;
		if (k->n_fprs >= 4096)
			return bw_error_set(err, -E2BIG, "too many keys");
		grown = realloc(k->fprs, (k->n_fprs + 1) * sizeof(*grown));
		if (!grown)
			return bw_error_set(err, -ENOMEM, "out of memory");
		k->fprs = grown;
		f = strdup(st->fpr);
		if (!f)
			return bw_error_set(err, -ENOMEM, "out of memory");
		k->fprs[k->n_fprs++] = f;
	}
	if (!added)
		return bw_error_set(err, -EINVAL, "no OpenPGP public key in `%s`", what);
	bw_log(BW_LOG_DEBUG, "gpg: %zu key(s) from %s", added, what);
	return 0;
}

int bw_gpg_keyring_add_file(struct bw_gpg_keyring *k, const char *path, struct bw_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	r = bw_read_file(path, BW_MAX_GPG_KEYRING, &data, &len, err);
	if (r < 0)
		return bw_error_wrap(err, "GPG keyring");
	return bw_gpg_keyring_add(k, data, len, path, err);
}

static const char *sig_status_reason(gpgme_signature_t s)
{
	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_NO_PUBKEY:
		return "signed by a key that is not in the keyring";
	case GPG_ERR_BAD_SIGNATURE:
		return "bad signature (the signed data was changed)";
	case GPG_ERR_KEY_EXPIRED:
		return "signed by an expired key";
	case GPG_ERR_SIG_EXPIRED:
		return "the signature has expired";
	case GPG_ERR_CERT_REVOKED:
		return "signed by a revoked key";
	default:
		return NULL;
	}
}

int bw_gpg_verify(struct bw_gpg_keyring *k, const void *sig, size_t n, char **ret_payload,
		  size_t *ret_len, char **ret_fpr, struct bw_error **err)
{
	gpgme_data_t sd = NULL, plain = NULL;
	gpgme_verify_result_t res;
	gpgme_signature_t s;
	gpgme_key_t key = NULL;
	gpgme_subkey_t sub;
	gpgme_error_t ge;
	_cleanup_free_ char *payload = NULL, *fpr = NULL;
	size_t len, nsigs = 0;
	int r;

	r = bw_pgp_check_message(sig, n, err);
	if (r < 0)
		return r;
	ge = gpgme_data_new_from_mem(&sd, sig, n, 0);
	if (!ge)
		ge = gpgme_data_new(&plain);
	if (ge) {
		gpgme_data_release(sd);
		return bw_error_set(err, -ENOMEM, "GPGME: %s", gpgme_strerror(ge));
	}
	ge = gpgme_op_verify(k->ctx, sd, NULL, plain);
	gpgme_data_release(sd);
	if (ge) {
		gpgme_data_release(plain);
		return bw_error_set(err, -EBADMSG, "not a valid OpenPGP signature: %s",
				    gpgme_strerror(ge));
	}
	r = data_take(plain, BW_MAX_SIGN_PAYLOAD, &payload, &len, err);
	if (r < 0)
		return r;
	res = gpgme_op_verify_result(k->ctx);
	for (s = res ? res->signatures : NULL; s; s = s->next)
		nsigs++;
	if (nsigs != 1)
		return bw_error_set(err, nsigs ? -EKEYREJECTED : -EBADMSG,
				    "%zu OpenPGP signatures in the message, not 1", nsigs);
	s = res->signatures;
	if (s->status || s->validity == GPGME_VALIDITY_NEVER || s->validity_reason ||
	    s->wrong_key_usage || (s->summary & (GPGME_SIGSUM_KEY_REVOKED |
						 GPGME_SIGSUM_KEY_EXPIRED |
						 GPGME_SIGSUM_SIG_EXPIRED | GPGME_SIGSUM_RED))) {
		const char *why = sig_status_reason(s);

		if (!why && (s->summary & GPGME_SIGSUM_KEY_REVOKED))
			why = "signed by a revoked key";
		else if (!why && (s->summary & GPGME_SIGSUM_KEY_EXPIRED))
			why = "signed by an expired key";
		return bw_error_set(err, -EKEYREJECTED, "invalid OpenPGP signature by %.64s: %s",
				    s->fpr ? s->fpr : "?",
				    why ? why : gpgme_strerror(s->status ? s->status
									 : s->validity_reason));
	}
	if (!s->fpr)
		return bw_error_set(err, -EKEYREJECTED, "OpenPGP signature without a signer");
	/* The signing key may be a subkey: find its primary key, and refuse
	 * a subkey that was revoked or has expired. */
	ge = gpgme_get_key(k->ctx, s->fpr, &key, 0);
	if (ge || !key || !key->subkeys)
		return bw_error_set(err, -EKEYREJECTED, "signed by %.64s, a key not in the keyring",
				    s->fpr);
	for (sub = key->subkeys; sub; sub = sub->next) {
		if (!sub->fpr || strcasecmp(sub->fpr, s->fpr))
			continue;
		if (sub->revoked || sub->expired || sub->disabled || sub->invalid) {
			gpgme_key_unref(key);
			return bw_error_set(err, -EKEYREJECTED, "signed by %.64s, a %s key", s->fpr,
					    sub->revoked ? "revoked" : sub->expired ? "expired"
										 : "unusable");
		}
	}
	if (key->revoked || key->expired) {
		gpgme_key_unref(key);
		return bw_error_set(err, -EKEYREJECTED, "signed by %.64s, a %s key", s->fpr,
				    key->revoked ? "revoked" : "expired");
	}
	fpr = strdup(key->subkeys->fpr);
	gpgme_key_unref(key);
	if (!fpr)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (!has_fpr(k, fpr) && !has_fpr(k, s->fpr))
		return bw_error_set(err, -EKEYREJECTED, "signed by %s, a key that is not trusted",
				    fpr);
	*ret_payload = TAKE_PTR(payload);
	*ret_len = len;
	if (ret_fpr)
		*ret_fpr = TAKE_PTR(fpr);
	return 0;
}

int gpg_sign_user(const char *fingerprint, const void *p, size_t n, char **ret, size_t *ret_len,
		  struct bw_error **err)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	gpgme_data_t in = NULL, out = NULL;
	gpgme_sign_result_t res;
	gpgme_error_t ge;
	int r;

	r = gpg_ctx_new(NULL, &ctx, err);
	if (r < 0)
		return r;
	gpgme_set_offline(ctx, 0);
	ge = gpgme_get_key(ctx, fingerprint, &key, 1);
	if (ge || !key) {
		gpgme_release(ctx);
		return bw_error_set(err, -ENOKEY, "no secret key `%s` in the GnuPG keyring: %s",
				    fingerprint, ge ? gpgme_strerror(ge) : "not found");
	}
	ge = gpgme_signers_add(ctx, key);
	gpgme_key_unref(key);
	if (!ge)
		ge = gpgme_data_new_from_mem(&in, p, n, 0);
	if (!ge)
		ge = gpgme_data_new(&out);
	if (!ge)
		ge = gpgme_op_sign(ctx, in, out, GPGME_SIG_MODE_NORMAL);
	gpgme_data_release(in);
	if (ge) {
		gpgme_data_release(out);
		gpgme_release(ctx);
		return bw_error_set(err, -EIO, "cannot sign with `%s`: %s", fingerprint,
				    gpgme_strerror(ge));
	}
	res = gpgme_op_sign_result(ctx);
	if (!res || !res->signatures || res->invalid_signers) {
		gpgme_data_release(out);
		gpgme_release(ctx);
		return bw_error_set(err, -EIO, "gpg did not sign with `%s`", fingerprint);
	}
	gpgme_release(ctx);
	return data_take(out, BW_MAX_PGP_SIGNATURE, ret, ret_len, err);
}
