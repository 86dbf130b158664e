/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_RULES_INTERNAL_H
#define BW_RULES_INTERNAL_H

#include <regex.h>
#include <stddef.h>

#include "bulwark/rules.h"

/* ---------------------------------------------------------------- arena */

/* A bump allocator: everything a ruleset owns is freed at once. */
struct arena_chunk;
struct arena {
	struct arena_chunk *head;
};

void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) BW_PRINTF(2, 3);
void arena_done(struct arena *a);

/* A growable array of pointers in an arena. */
struct ptrvec {
	void **v;
	size_t n, alloc;
};
int ptrvec_push(struct arena *a, struct ptrvec *pv, void *p);

/* ---------------------------------------------------------------- AST */

enum op {
	OP_NONE = 0,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_CONTAINS,
	OP_ICONTAINS,
	OP_BCONTAINS,
	OP_STARTSWITH,
	OP_BSTARTSWITH,
	OP_ENDSWITH,
	OP_GLOB,
	OP_IGLOB,
	OP_REGEX,
	OP_IN,
	OP_INTERSECTS,
	OP_PMATCH,
	OP_EXISTS,
};
const char *op_name(enum op op);

enum tr {
	TR_NONE = 0,
	TR_TOLOWER,
	TR_TOUPPER,
	TR_B64,
	TR_BASENAME,
	TR_LEN,
	TR_JOIN,   /* parser only: join( */
	TR_CONCAT, /* parser only: concat( */
};
#define MAX_TRANSFORMERS 8

/* Multi-value transformers (libsinsp's): join(SEP, (ITEM, ...)) is the
 * values of the items, every value of a list field included, joined by SEP;
 * concat(ITEM, ITEM, ...) is its single-valued items end to end. */
enum { MV_JOIN = 1, MV_CONCAT };

struct ast_multi;

struct ast_field {
	char *name; /* "join" / "concat" when multi */
	char *arg;  /* NULL when none */
	uint8_t ntr;
	uint8_t tr[MAX_TRANSFORMERS]; /* innermost first */
	struct ast_multi *multi;      /* join() / concat() under the transformers */
};

/* An argument of join() / concat(): a quoted string or a field expression. */
struct ast_mitem {
	char *lit; /* NULL: field */
	struct ast_field field;
};

struct ast_multi {
	uint8_t kind;
	struct ast_mitem sep; /* join */
	struct ast_mitem *items;
	uint32_t nitems;
};

enum ast_kind { A_AND, A_OR, A_NOT, A_IDENT, A_CHECK };
enum rhs_kind { R_NONE, R_VALUE, R_LIST, R_LISTREF, R_FIELD };

struct ast {
	enum ast_kind kind;
	unsigned line, col; /* position in the condition (1-based) */
	struct ast **child;
	uint32_t nchild;
	char *ident; /* A_IDENT */
	struct ast_field lhs;
	enum op op;
	enum rhs_kind rkind;
	char **vals; /* R_VALUE (1), R_LIST (n), R_LISTREF (1, the list name) */
	uint32_t nvals;
	struct ast_field rhs;
};

/* Parses a condition into an AST in a. On error returns -EINVAL and sets
 * *ret_msg (static text) and *ret_line, *ret_col (1-based, in the condition). */
int cond_parse(struct arena *a, const char *s, size_t len, struct ast **ret, const char **ret_msg,
	       unsigned *ret_line, unsigned *ret_col);

/* ---------------------------------------------------------------- items */

struct exception_def {
	char *name;
	bool fields_is_list;
	char **fields;
	uint32_t nfields;
	char **comps; /* one per field */
	/* values: nrows rows; a row has nfields cells, each a list of strings
	 * (one string for a plain value, several for a list value). */
	struct ptrvec rows; /* of (struct exc_row *) */
	unsigned line;
};

struct exc_cell {
	bool is_list;
	char **items;
	uint32_t nitems;
};
struct exc_row {
	struct exc_cell *cells;
	uint32_t ncells;
};

struct list_def {
	char *name;
	struct ptrvec items; /* of strings */
	const char *file;
	unsigned line;
	bool used;
	int visiting; /* cycle detection */
	bool expanded;
	struct ptrvec flat; /* expanded items */
};

struct macro_def {
	char *name;
	char *condition;
	const char *file;
	unsigned line;
	bool used;
	int visiting;
	struct ast *ast; /* parsed once */
	bool parse_failed;
};

struct compiled;

struct rule_def {
	struct bw_rule_info info; /* first: the public view */
	char *condition;
	char *output;
	char *desc;
	char *source;
	struct ptrvec tags;
	struct ptrvec exceptions; /* of exception_def pointers */
	bool enabled;
	bool skip_if_unknown_filter;
	unsigned cond_line;
	/* after compile */
	struct cnode *root;
	struct outfmt *out;
	uint32_t *types; /* event type ids the rule can match (NULL: all) */
	uint32_t ntypes;
	bool all_types;
	int src_index;
	size_t order;
};

/* ---------------------------------------------------------------- compiled */

/* A string set with open addressing, for `in`/`intersects`. */
struct strset {
	uint32_t mask;
	uint32_t minlen, maxlen;
	const char **keys;
	uint32_t *lens;
	uint32_t n;
};
bool strset_has(const struct strset *s, const char *k, uint32_t len);

struct ipnet {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

struct rval {
	const char *s;
	uint32_t len;
	bool is_num;
	int64_t num;
	char *lower; /* lowercase copy for icontains/iglob */
	/* pmatch with wildcards: the pattern's path components, NUL-terminated */
	char **comps;
	uint32_t ncomps;
	struct ipnet net;
	bool is_net;
	regex_t *re;
};

struct fmulti;

struct fref {
	struct bw_field_ref ref; /* unused when multi */
	enum bw_field_type type;
	unsigned flags;
	uint8_t ntr;
	uint8_t tr[MAX_TRANSFORMERS];
	bool is_list; /* after transformers */
	bool len_num; /* a len() transformer made it a number */
	const struct fmulti *multi; /* join() / concat(): the value transformers apply to */
};

struct fitem {
	const char *lit; /* NULL: f */
	uint32_t litlen;
	struct fref *f;
};

struct fmulti {
	uint8_t kind;
	struct fitem sep;
	struct fitem *items;
	uint32_t nitems;
};

/* Shapes of checks that the matcher evaluates without the general code: a
 * plain single-valued field (no transformer, no list) against constants. */
enum check_fast {
	F_GENERAL = 0,
	F_INDEX,      /* on the index field (evt.type): decided by the event type */
	F_EXISTS,
	F_STR_EQ,     /* string = one value */
	F_STR_NE,
	F_STR_SET,    /* string in (set) */
	F_STR_PREFIX, /* startswith, bstartswith */
	F_STR_SUFFIX, /* endswith */
	F_STR_SUB,    /* contains, bcontains */
	F_NUM,	      /* number or bool compared with one number */
};

struct check {
	struct fref lhs;
	enum op op;
	struct rval *vals;
	uint32_t nvals;
	struct strset *set; /* in / intersects over strings */
	struct fref *rhs_field;
	uint32_t id; /* identical checks of a ruleset share it (results are memoised) */
	uint8_t fast; /* enum check_fast */
	uint32_t idx; /* F_INDEX: its column in a matcher's table of results by type */
};

enum cnode_kind { C_AND, C_OR, C_NOT, C_CHECK, C_TRUE, C_FALSE };
struct cnode {
	enum cnode_kind kind;
	uint32_t nchild;
	struct cnode **child;
	struct check *chk;
};

/* An output format: literal text and field references, alternating. */
struct outpart {
	const char *lit;
	uint32_t litlen;
	struct fref *field; /* NULL for pure literal */
	const char *name; /* "%name" without %, for output_fields */
};
struct outfmt {
	struct outpart *parts;
	uint32_t nparts;
};

struct evtypes {
	struct bw_map *ids; /* name -> (id + 1) cast to pointer */
	struct ptrvec names;
};

/* Per-source compiled data: slots and the rule index. */
struct srcdata {
	const struct bw_source *src;
	struct ptrvec slots; /* of bw_field_ref pointers */
	struct bw_map *slot_ids; /* "field\x01arg" -> slot + 1 */
};

struct bw_ruleset {
	struct arena arena;
	struct ptrvec diags; /* of bw_diag pointers */
	struct ptrvec files; /* names */
	struct ptrvec lists;
	struct bw_map *list_by_name;
	struct ptrvec macros;
	struct bw_map *macro_by_name;
	struct ptrvec rules;
	struct bw_map *rule_by_name;
	bool load_failed;
	bool compiled;
	struct srcdata *srcs;
	size_t nsrcs;
	struct evtypes evtypes;
	struct ptrvec regexes; /* to regfree() */
	struct bw_map *check_ids; /* check signature -> id + 1 */
	uint32_t nchecks;
	uint32_t nindex; /* checks on the index field (check.idx) */
	size_t visits;
};

void rs_diag(struct bw_ruleset *rs, enum bw_diag_level level, const char *file, unsigned line,
	     unsigned col, const char *kind, const char *name, const char *fmt, ...) BW_PRINTF(8, 9);

/* yaml loading (load.c) */
int rs_load_yaml(struct bw_ruleset *rs, const char *file, const char *data, size_t len);

/* compile (compile.c) */
int rs_compile(struct bw_ruleset *rs, const struct bw_source *const *sources, size_t n);

/* evaluation (eval.c) */
int compile_output(struct bw_ruleset *rs, struct rule_def *r, struct srcdata *sd,
		   const char **ret_missing);

/* Resolves "name" (maybe with a dotted argument) against a source's fields;
 * returns the field index or -1; *ret_arg gets a dotted argument. */
int field_lookup(const struct bw_source *src, const char *name, const char **ret_dotarg);
int srcdata_slot(struct bw_ruleset *rs, struct srcdata *sd, uint32_t field, const char *arg,
		 struct bw_field_ref *ret);

#endif
