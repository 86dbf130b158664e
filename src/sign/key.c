/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keys in cosign's formats.
 *
 * cosign's private key file is a PEM block `ENCRYPTED SIGSTORE PRIVATE KEY`
 * (older: `ENCRYPTED COSIGN PRIVATE KEY`) whose body is base64 of a JSON
 * envelope:
 *   {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":B64},
 *    "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}
 * The key is scrypt(password, salt, N, r, p) -> 32 bytes; the ciphertext is
 * a NaCl secretbox (XSalsa20-Poly1305) of the PKCS#8 DER private key.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "sign/internal.h"

#define PEM_SIGSTORE "ENCRYPTED SIGSTORE PRIVATE KEY"
#define PEM_COSIGN "ENCRYPTED COSIGN PRIVATE KEY"
#define SCRYPT_N 32768
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SALT_LEN 32

struct bw_sign_key {
	EVP_PKEY *pkey;
	bool private;
};

static void bio_freep(BIO **b)
{
	BIO_free(*b);
}
#define _cleanup_bio_ _cleanup_(bio_freep)

/* ---------------------------------------------------------------- base64 */

void sign_refuse(struct bw_buf *reasons, unsigned n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bw_log(BW_LOG_INFO, "signature %u refused: %s", n, msg);
	(void)bw_buf_printf(reasons, "%ssignature %u: %s", reasons->len ? "; " : "", n, msg);
}

int sign_b64_decode(const char *in, size_t n, size_t cap, unsigned char **ret, size_t *ret_len)
{
	size_t chars = 0, pad = 0;
	char *out;
	size_t len;
	int r;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '\n' || c == '\r')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -EBADMSG;
		chars++;
	}
	if (pad > 2 || (chars + pad) % 4 != 0 || chars == 0)
		return -EBADMSG;
	if (chars / 4 * 3 > cap)
		return -EFBIG;
	r = bw_base64_decode(in, n, &out, &len);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	*ret = (unsigned char *)out;
	*ret_len = len;
	return 0;
}

/* ---------------------------------------------------------------- checks */

/* Refuses what cosign refuses: curves other than P-256/384/521, RSA below
 * 2048 or above 4096 bits, anything but EC, RSA and Ed25519. */
static int check_key(EVP_PKEY *pkey, struct bw_error **err)
{
	int id = EVP_PKEY_get_base_id(pkey);

	if (id == EVP_PKEY_EC) {
		char curve[64];
		size_t n = 0;

		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, curve,
						    sizeof(curve), &n))
			return bw_error_set(err, -EINVAL, "EC key with an unnamed curve");
		if (strcmp(curve, "prime256v1") && strcmp(curve, "secp384r1") &&
		    strcmp(curve, "secp521r1"))
			return bw_error_set(err, -EINVAL,
					    "unsupported EC curve `%s` (P-256, P-384 or P-521)",
					    curve);
		return 0;
	}
	if (id == EVP_PKEY_RSA) {
		int bits = EVP_PKEY_get_bits(pkey);

		if (bits < 2048 || bits > 4096)
			return bw_error_set(err, -EINVAL,
					    "unsupported RSA key size %d (2048 to 4096 bits)", bits);
		return 0;
	}
	if (id == EVP_PKEY_ED25519)
		return 0;
	return bw_error_set(err, -EINVAL, "unsupported key type `%s`",
			    OBJ_nid2sn(id) ? OBJ_nid2sn(id) : "unknown");
}

static int key_new(EVP_PKEY *pkey, bool private, struct bw_sign_key **ret, struct bw_error **err)
{
	struct bw_sign_key *k;
	int r = check_key(pkey, err);

	if (r < 0) {
		EVP_PKEY_free(pkey);
		return r;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	k->pkey = pkey;
	k->private = private;
	*ret = k;
	return 0;
}

struct bw_sign_key *bw_sign_key_free(struct bw_sign_key *k)
{
	if (k) {
		EVP_PKEY_free(k->pkey);
		free(k);
	}
	return NULL;
}

bool bw_sign_key_is_private(const struct bw_sign_key *k)
{
	return k && k->private;
}

int bw_sign_key_generate(struct bw_sign_key **ret, struct bw_error **err)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");

	if (!pkey)
		return bw_error_set(err, -EIO, "cannot generate an ECDSA P-256 key");
	return key_new(pkey, true, ret, err);
}

/* ---------------------------------------------------------------- PEM */

/* Finds the PEM block labelled label in [pem, pem+len): its base64 body. */
static bool pem_find(const char *pem, size_t len, const char *label, const char **ret_body,
		     size_t *ret_n)
{
	char begin[96], end[96];
	const char *b, *e;

	snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	snprintf(end, sizeof(end), "-----END %s-----", label);
	b = memmem(pem, len, begin, strlen(begin));
	if (!b)
		return false;
	b += strlen(begin);
	e = memmem(b, len - (size_t)(b - pem), end, strlen(end));
	if (!e)
		return false;
	while (b < e && (*b == '\n' || *b == '\r'))
		b++;
	*ret_body = b;
	*ret_n = (size_t)(e - b);
	return true;
}

bool bw_sign_pem_is_encrypted(const char *pem, size_t len)
{
	const char *b;
	size_t n;

	return pem_find(pem, len, PEM_SIGSTORE, &b, &n) || pem_find(pem, len, PEM_COSIGN, &b, &n);
}

static const char *json_s(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int scrypt_key(const char *password, const unsigned char *salt, size_t salt_len,
		      uint64_t N, uint64_t r, uint64_t p, unsigned char out[32])
{
	if (!EVP_PBE_scrypt(password, strlen(password), salt, salt_len, N, r, p,
			    BW_MAX_SCRYPT_MEM, out, 32))
		return -EIO;
	return 0;
}

static int get_u64(json_t *o, const char *k, uint64_t *ret)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return -EBADMSG;
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

/* Opens cosign's envelope (the base64 body of its PEM) into DER. */
static int envelope_open(const char *body, size_t n, const char *password, unsigned char **ret,
			 size_t *ret_len, struct bw_error **err)
{
	_cleanup_free_ unsigned char *js = NULL, *salt = NULL, *nonce = NULL, *ct = NULL;
	_cleanup_json_ json_t *j = NULL;
	json_error_t jerr;
	json_t *kdf, *params, *cipher;
	const char *s;
	size_t js_len, salt_len, nonce_len, ct_len;
	uint64_t N, r, p;
	unsigned char key[32];
	unsigned char *pt;

	if (sign_b64_decode(body, n, BW_MAX_SIGN_KEY_FILE, &js, &js_len) < 0)
		return bw_error_set(err, -EBADMSG, "encrypted key: the PEM body is not base64");
	j = json_loadb((const char *)js, js_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(j))
		return bw_error_set(err, -EBADMSG, "encrypted key: the envelope is not a JSON object");
	kdf = json_object_get(j, "kdf");
	params = json_object_get(kdf, "params");
	cipher = json_object_get(j, "cipher");
	if (!json_is_object(kdf) || !json_is_object(params) || !json_is_object(cipher))
		return bw_error_set(err, -EBADMSG, "encrypted key: envelope lacks kdf or cipher");
	s = json_s(kdf, "name");
	if (!s || strcmp(s, "scrypt"))
		return bw_error_set(err, -EBADMSG, "encrypted key: unsupported kdf `%s`",
				    s ? s : "(none)");
	s = json_s(cipher, "name");
	if (!s || strcmp(s, "nacl/secretbox"))
		return bw_error_set(err, -EBADMSG, "encrypted key: unsupported cipher `%s`",
				    s ? s : "(none)");
	if (get_u64(params, "N", &N) < 0 || get_u64(params, "r", &r) < 0 ||
	    get_u64(params, "p", &p) < 0)
		return bw_error_set(err, -EBADMSG, "encrypted key: bad scrypt parameters");
	if (N < 2 || (N & (N - 1)) || N > BW_MAX_SCRYPT_N || r > BW_MAX_SCRYPT_R ||
	    p > BW_MAX_SCRYPT_P || 128 * r * N > BW_MAX_SCRYPT_MEM)
		return bw_error_set(err, -EBADMSG,
				    "encrypted key: scrypt parameters N=%" PRIu64 " r=%" PRIu64
				    " p=%" PRIu64 " are out of bounds",
				    N, r, p);
	s = json_s(kdf, "salt");
	if (!s || sign_b64_decode(s, strlen(s), 1024, &salt, &salt_len) < 0)
		return bw_error_set(err, -EBADMSG, "encrypted key: bad salt");
	s = json_s(cipher, "nonce");
	if (!s || sign_b64_decode(s, strlen(s), 64, &nonce, &nonce_len) < 0 ||
	    nonce_len != crypto_secretbox_NONCEBYTES)
		return bw_error_set(err, -EBADMSG, "encrypted key: bad nonce");
	s = json_s(j, "ciphertext");
	if (!s || sign_b64_decode(s, strlen(s), BW_MAX_SIGN_KEY_FILE, &ct, &ct_len) < 0 ||
	    ct_len < crypto_secretbox_MACBYTES)
		return bw_error_set(err, -EBADMSG, "encrypted key: bad ciphertext");
	if (scrypt_key(password, salt, salt_len, N, r, p, key) < 0)
		return bw_error_set(err, -EIO, "encrypted key: scrypt failed");
	pt = malloc(ct_len - crypto_secretbox_MACBYTES + 1);
	if (!pt) {
		sodium_memzero(key, sizeof(key));
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	if (crypto_secretbox_open_easy(pt, ct, ct_len, nonce, key) != 0) {
		sodium_memzero(key, sizeof(key));
		free(pt);
		return bw_error_set(err, -EKEYREJECTED,
				    "cannot decrypt the private key: wrong password (or a corrupt "
				    "key file)");
	}
	sodium_memzero(key, sizeof(key));
	*ret = pt;
	*ret_len = ct_len - crypto_secretbox_MACBYTES;
	return 0;
}

static int der_to_pkey(const unsigned char *der, size_t n, EVP_PKEY **ret)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n);

	if (p8) {
		pkey = EVP_PKCS82PKEY(p8);
		PKCS8_PRIV_KEY_INFO_free(p8);
		if (pkey) {
			*ret = pkey;
			return 0;
		}
	}
	/* Some cosign versions sealed SEC1 or PKCS#1 DER. */
	p = der;
	pkey = d2i_AutoPrivateKey(NULL, &p, (long)n);
	if (!pkey)
		return -EBADMSG;
	*ret = pkey;
	return 0;
}

int bw_sign_key_load_private(const char *pem, size_t len, const char *password,
			     struct bw_sign_key **ret, struct bw_error **err)
{
	const char *body;
	size_t n;
	int r;

	if (len > BW_MAX_SIGN_KEY_FILE)
		return bw_error_set(err, -EFBIG, "key file larger than %u bytes",
				    BW_MAX_SIGN_KEY_FILE);
	if (pem_find(pem, len, PEM_SIGSTORE, &body, &n) || pem_find(pem, len, PEM_COSIGN, &body, &n)) {
		unsigned char *der = NULL;
		size_t der_len = 0;
		EVP_PKEY *pkey = NULL;

		r = envelope_open(body, n, password ? password : "", &der, &der_len, err);
		if (r < 0)
			return r;
		r = der_to_pkey(der, der_len, &pkey);
		sodium_memzero(der, der_len);
		free(der);
		if (r < 0)
			return bw_error_set(err, -EBADMSG,
					    "encrypted key: the decrypted key is not a private key");
		return key_new(pkey, true, ret, err);
	}
	{
		_cleanup_bio_ BIO *bio = BIO_new_mem_buf(pem, (int)len);
		EVP_PKEY *pkey;

		if (!bio)
			return bw_error_set(err, -ENOMEM, "out of memory");
		/* No password callback: an OpenSSL-encrypted PEM is refused
		 * rather than prompted for. */
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
		if (!pkey) {
			if (memmem(pem, len, "PUBLIC KEY-----", 15))
				return bw_error_set(err, -EINVAL,
						    "this is a public key: a private key is needed");
			return bw_error_set(err, -EBADMSG,
					    "not a private key (a cosign key, or a PKCS#8, EC or "
					    "RSA PEM private key)");
		}
		return key_new(pkey, true, ret, err);
	}
}

int bw_sign_key_load_public(const char *pem, size_t len, struct bw_sign_key **ret,
			    struct bw_error **err)
{
	_cleanup_bio_ BIO *bio = NULL;
	EVP_PKEY *pkey;

	if (len > BW_MAX_SIGN_KEY_FILE)
		return bw_error_set(err, -EFBIG, "key file larger than %u bytes",
				    BW_MAX_SIGN_KEY_FILE);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return bw_error_set(err, -ENOMEM, "out of memory");
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!pkey && !bw_sign_pem_is_encrypted(pem, len)) {
		BIO_free(bio);
		bio = BIO_new_mem_buf(pem, (int)len);
		if (!bio)
			return bw_error_set(err, -ENOMEM, "out of memory");
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	}
	if (!pkey)
		return bw_error_set(err, -EBADMSG, "not a PEM public key");
	return key_new(pkey, false, ret, err);
}

/* ---------------------------------------------------------------- export */

static int b64_json(json_t *o, const char *k, const void *p, size_t n)
{
	_cleanup_free_ char *s = bw_base64_encode(p, n);

	if (!s || json_object_set_new(o, k, json_string(s)) < 0)
		return -ENOMEM;
	return 0;
}

/* Wraps base64 of data in a PEM block of 64-column lines. */
static char *pem_wrap(const char *label, const void *data, size_t n)
{
	_cleanup_free_ char *b64 = bw_base64_encode(data, n);
	struct bw_buf b = BW_BUF_INIT(1u << 20);
	size_t len;

	if (!b64)
		return NULL;
	len = strlen(b64);
	if (bw_buf_printf(&b, "-----BEGIN %s-----\n", label) < 0)
		goto fail;
	for (size_t i = 0; i < len; i += 64)
		if (bw_buf_append(&b, b64 + i, len - i < 64 ? len - i : 64) < 0 ||
		    bw_buf_puts(&b, "\n") < 0)
			goto fail;
	if (bw_buf_printf(&b, "-----END %s-----\n", label) < 0)
		goto fail;
	return bw_buf_steal(&b);
fail:
	bw_buf_done(&b);
	return NULL;
}

int bw_sign_key_export_private(const struct bw_sign_key *k, const char *password, char **ret,
			       struct bw_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *js = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL, *ct = NULL;
	unsigned char salt[SALT_LEN], nonce[crypto_secretbox_NONCEBYTES], key[32];
	int der_len, r = -ENOMEM;
	char *pem;

	if (!k->private)
		return bw_error_set(err, -EINVAL, "not a private key");
	if (sodium_init() < 0)
		return bw_error_set(err, -EIO, "cannot initialise libsodium");
	p8 = EVP_PKEY2PKCS8(k->pkey);
	der_len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (der_len <= 0)
		return bw_error_set(err, -EIO, "cannot encode the private key");
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if (scrypt_key(password ? password : "", salt, sizeof(salt), SCRYPT_N, SCRYPT_R, SCRYPT_P,
		       key) < 0) {
		r = bw_error_set(err, -EIO, "scrypt failed");
		goto out;
	}
	ct = malloc((size_t)der_len + crypto_secretbox_MACBYTES);
	if (!ct)
		goto nomem;
	crypto_secretbox_easy(ct, der, (unsigned long long)der_len, nonce, key);

	j = json_pack("{s:{s:s,s:{s:i,s:i,s:i}},s:{s:s}}", "kdf", "name", "scrypt", "params", "N",
		      SCRYPT_N, "r", SCRYPT_R, "p", SCRYPT_P, "cipher", "name", "nacl/secretbox");
	if (!j || b64_json(json_object_get(j, "kdf"), "salt", salt, sizeof(salt)) < 0 ||
	    b64_json(json_object_get(j, "cipher"), "nonce", nonce, sizeof(nonce)) < 0 ||
	    b64_json(j, "ciphertext", ct, (size_t)der_len + crypto_secretbox_MACBYTES) < 0)
		goto nomem;
	js = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!js)
		goto nomem;
	pem = pem_wrap(PEM_SIGSTORE, js, strlen(js));
	if (!pem)
		goto nomem;
	*ret = pem;
	r = 0;
	goto out;
nomem:
	r = bw_error_set(err, -ENOMEM, "out of memory");
out:
	sodium_memzero(key, sizeof(key));
	if (der) {
		OPENSSL_cleanse(der, (size_t)der_len);
		OPENSSL_free(der);
	}
	free(ct);
	return r;
}

int bw_sign_key_export_public(const struct bw_sign_key *k, char **ret, struct bw_error **err)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k->pkey, &der);
	char *pem;

	if (n <= 0)
		return bw_error_set(err, -EIO, "cannot encode the public key");
	pem = pem_wrap("PUBLIC KEY", der, (size_t)n);
	OPENSSL_free(der);
	if (!pem)
		return bw_error_set(err, -ENOMEM, "out of memory");
	*ret = pem;
	return 0;
}

/* ---------------------------------------------------------------- sign */

static const EVP_MD *key_md(const struct bw_sign_key *k)
{
	return EVP_PKEY_get_base_id(k->pkey) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

int bw_sign_blob(const struct bw_sign_key *k, const void *p, size_t n, char **ret_b64,
		 struct bw_error **err)
{
	EVP_MD_CTX *ctx;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	char *b64;
	int ok;

	if (!k->private)
		return bw_error_set(err, -EINVAL, "cannot sign with a public key");
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return bw_error_set(err, -ENOMEM, "out of memory");
	ok = EVP_DigestSignInit(ctx, NULL, key_md(k), NULL, k->pkey) == 1 &&
	     EVP_DigestSign(ctx, NULL, &sig_len, p, n) == 1 && (sig = malloc(sig_len)) &&
	     EVP_DigestSign(ctx, sig, &sig_len, p, n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		free(sig);
		return bw_error_set(err, -EIO, "cannot sign");
	}
	b64 = bw_base64_encode(sig, sig_len);
	free(sig);
	if (!b64)
		return bw_error_set(err, -ENOMEM, "out of memory");
	*ret_b64 = b64;
	return 0;
}

int bw_sign_verify_blob(const struct bw_sign_key *k, const void *p, size_t n, const char *sig_b64,
			struct bw_error **err)
{
	_cleanup_free_ unsigned char *sig = NULL;
	EVP_MD_CTX *ctx;
	size_t sig_len;
	int r, ok;

	r = sign_b64_decode(sig_b64, strlen(sig_b64), BW_MAX_SIGN_SIG_B64, &sig, &sig_len);
	if (r == -ENOMEM)
		return bw_error_set(err, r, "out of memory");
	if (r < 0)
		return bw_error_set(err, -EBADMSG, "the signature is not valid base64");
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return bw_error_set(err, -ENOMEM, "out of memory");
	ok = EVP_DigestVerifyInit(ctx, NULL, key_md(k), NULL, k->pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, sig_len, p, n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return bw_error_set(err, -EKEYREJECTED,
				    "the signature does not verify with this key");
	return 0;
}
