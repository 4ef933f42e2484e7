/* The aligner's search (common/align/align.c) on sentences made as features directly:
 * every sentence in exactly one bead, edge cases, and a synthetic document pair with
 * deletions, insertions and merges whose true beads are known. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "check.h"
#include "side.h"

static uint64_t rng = 88172645463325252u;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static int
by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* A sentence's ids: sorted, distinct. */
static uint32_t
distinct(uint32_t *v, uint32_t n)
{
	uint32_t k = 0;

	qsort(v, n, sizeof(*v), by_u32);
	for (uint32_t i = 0; i < n; i++) {
		if (k == 0 || v[k - 1] != v[i]) {
			v[k++] = v[i];
		}
	}
	return k;
}

/* Every sentence of both sides in exactly one bead, beads in order, kinds allowed. */
static void
check_cover(const struct mnemo_align_bead *b, size_t nb, size_t n, size_t m)
{
	size_t i = 0, j = 0;

	for (size_t x = 0; x < nb; x++) {
		CHECK(b[x].n_src <= 2 && b[x].n_tgt <= 2 && b[x].n_src + b[x].n_tgt > 0);
		CHECK(!(b[x].n_src == 2 && b[x].n_tgt == 0) && !(b[x].n_src == 0 && b[x].n_tgt == 2));
		CHECK_INT(b[x].src, i);
		CHECK_INT(b[x].tgt, j);
		CHECK(b[x].score >= 0 && b[x].score <= 1);
		i += b[x].n_src;
		j += b[x].n_tgt;
	}
	CHECK_INT(i, n);
	CHECK_INT(j, m);
}

static void
test_edges(void)
{
	static const uint32_t ids[] = {1, 2, 3};
	struct mnemo_align_sentence s[3] = {{40, 0, 3, ids, 3, false},
					    {40, 0, 3, ids, 3, true},
					    {0, 1, 0, NULL, 0, false}};
	struct mnemo_align_bead *b = NULL;
	size_t nb = 99;

	/* nothing on either side */
	CHECK_INT(mnemo_align(NULL, 0, NULL, 0, &b, &nb, NULL), 0);
	CHECK_INT(nb, 0);
	free(b);
	/* one side empty: every sentence alone */
	CHECK_INT(mnemo_align(s, 3, NULL, 0, &b, &nb, NULL), 0);
	CHECK_INT(nb, 3);
	check_cover(b, nb, 3, 0);
	free(b);
	CHECK_INT(mnemo_align(NULL, 0, s, 3, &b, &nb, NULL), 0);
	check_cover(b, nb, 0, 3);
	free(b);
	/* a sentence to skip is never paired, even with its twin */
	CHECK_INT(mnemo_align(&s[1], 1, &s[1], 1, &b, &nb, NULL), 0);
	CHECK_INT(nb, 2);
	check_cover(b, nb, 1, 1);
	free(b);
	/* twins are paired; an empty sentence is harmless */
	CHECK_INT(mnemo_align(s, 3, s, 3, &b, &nb, NULL), 0);
	check_cover(b, nb, 3, 3);
	CHECK(nb >= 1 && b[0].n_src == 1 && b[0].n_tgt == 1 && b[0].score > 0.5);
	free(b);
}

/* A sentence and its copy on the other side (the same copy key) are never paired: text
 * left untranslated. Without the key, the same twins are. */
static void
test_copies(void)
{
	static const uint32_t ids[] = {1, 2, 3, 4};
	struct mnemo_align_sentence s[3] = {{60, 0, 4, ids, 4, false, 0},
					    {60, 0, 4, ids, 4, false, 0x1234},
					    {60, 0, 4, ids, 4, false, 0}};
	struct mnemo_align_bead *b = NULL;
	size_t nb = 0;

	CHECK_INT(mnemo_align(s, 3, s, 3, &b, &nb, NULL), 0);
	check_cover(b, nb, 3, 3);
	for (size_t x = 0; x < nb; x++) {
		CHECK(!(b[x].n_src > 0 && b[x].n_tgt > 0 && b[x].src <= 1 &&
			b[x].src + b[x].n_src > 1 && b[x].tgt <= 1 && b[x].tgt + b[x].n_tgt > 1));
	}
	free(b);
	s[1].copy = 0;
	CHECK_INT(mnemo_align(s, 3, s, 3, &b, &nb, NULL), 0);
	CHECK_INT(nb, 3);
	free(b);
}

/* side.c gives prose a copy key, the same on both sides; code and names none. */
static void
test_copy_keys(void)
{
	static const char *const lines[] = {
		"These control files are installed into the DEBIAN directory.",
		"these control files are installed into the debian directory.",
		"-t type, --type type",
		"Copyright © 2022 Free Software Foundation, Inc.",
		"debrsign(1), debuild(1), dpkg-architecture(1), gpg(1)",
		"│ │ │",
	};
	struct mnemo_align_side a = {0}, b = {0};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t len = strlen(lines[i]);

		CHECK_INT(mnemo_align_side_add(&a, MNEMO_ALIGN_SOURCE, lines[i], len, 0, false), 0);
		CHECK_INT(mnemo_align_side_add(&b, MNEMO_ALIGN_TARGET, lines[i], len, 0, false), 0);
	}
	mnemo_align_side_seal(&a);
	mnemo_align_side_seal(&b);
	CHECK(a.s[0].copy != 0 && a.s[0].copy == b.s[0].copy);
	CHECK(a.s[1].copy == a.s[0].copy); /* case folded */
	for (size_t i = 2; i < a.n; i++) {
		CHECK_MSG(a.s[i].copy == 0, "%s", lines[i]);
	}
	mnemo_align_side_fini(&a);
	mnemo_align_side_fini(&b);
}

struct doc {
	struct mnemo_align_sentence *src, *tgt;
	size_t n, m;
	uint32_t (*gold)[4]; /* src, n_src, tgt, n_tgt */
	size_t n_gold;
	uint32_t *pool; /* every sentence's ids */
	size_t used;
};

static uint32_t *
take(struct doc *d, uint32_t n)
{
	uint32_t *p = d->pool + d->used;

	d->used += n;
	return p;
}

/* Sentences of 20-200 characters with a word every 7, half of them frequent (ids under
 * 200), the target keeping 60% of the source's translations: a weak dictionary. */
static void
fake_sentence(struct doc *d, struct mnemo_align_sentence *s, uint32_t offset)
{
	uint32_t *ids = take(d, 30);

	s->chars = 20 + rnd(180);
	s->n_words = s->chars / 7 + 1 > 30 ? 30 : s->chars / 7 + 1;
	for (uint32_t w = 0; w < s->n_words; w++) {
		ids[w] = offset + (rnd(2) ? rnd(200) : rnd(20000));
	}
	s->n_ids = distinct(ids, s->n_words);
	s->ids = ids;
}

static void
translate(struct doc *d, const struct mnemo_align_sentence *from, size_t n,
	  struct mnemo_align_sentence *to)
{
	uint32_t *ids = take(d, 60), k = 0;

	memset(to, 0, sizeof(*to));
	for (size_t x = 0; x < n; x++) {
		for (uint32_t w = 0; w < from[x].n_ids; w++) {
			if (rnd(10) < 6) {
				ids[k++] = from[x].ids[w];
			}
		}
		to->chars += (uint32_t)(from[x].chars * 0.9) + rnd(11);
		to->n_words += from[x].n_words;
	}
	to->n_ids = distinct(ids, k);
	to->ids = ids;
}

static void
gold(struct doc *d, size_t n_src, size_t n_tgt)
{
	d->gold[d->n_gold][0] = (uint32_t)(d->n - n_src);
	d->gold[d->n_gold][1] = (uint32_t)n_src;
	d->gold[d->n_gold][2] = (uint32_t)(d->m - n_tgt);
	d->gold[d->n_gold][3] = (uint32_t)n_tgt;
	d->n_gold++;
}

/* n sentences; every 500, 10 deleted from the target; every 300, boilerplate inserted in
 * the source; every 97, two sentences translated as one; paragraphs of 7. */
static void
make_doc(struct doc *d, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->src = calloc(n + n / 100 + 1, sizeof(*d->src));
	d->tgt = calloc(n + 1, sizeof(*d->tgt));
	d->gold = calloc(n + n / 100 + 1, sizeof(*d->gold));
	d->pool = calloc((n + n / 100 + 1) * 90, sizeof(*d->pool));
	for (size_t k = 0; k < n; k++) {
		uint32_t para = (uint32_t)(k / 7);

		if (k % 300 == 150) {
			fake_sentence(d, &d->src[d->n], 1000000); /* shares nothing */
			d->src[d->n++].paragraph = para;
			gold(d, 1, 0);
		}
		fake_sentence(d, &d->src[d->n], 0);
		d->src[d->n++].paragraph = para;
		if (k % 500 >= 200 && k % 500 < 210) {
			gold(d, 1, 0);
		} else if (k % 97 == 50 && k + 1 < n) {
			k++;
			fake_sentence(d, &d->src[d->n], 0);
			d->src[d->n++].paragraph = para;
			translate(d, &d->src[d->n - 2], 2, &d->tgt[d->m]);
			d->tgt[d->m++].paragraph = para;
			gold(d, 2, 1);
		} else {
			translate(d, &d->src[d->n - 1], 1, &d->tgt[d->m]);
			d->tgt[d->m++].paragraph = para;
			gold(d, 1, 1);
		}
	}
}

static void
free_doc(struct doc *d)
{
	free(d->src);
	free(d->tgt);
	free(d->gold);
	free(d->pool);
}

static void
test_synthetic(size_t n, double min_f1)
{
	struct mnemo_align_bead *b = NULL;
	struct mnemo_align_stats st;
	size_t nb = 0, hit = 0, nulls = 0, null_hit = 0, x = 0, n_right = 0, n_wrong = 0;
	double p, r, right_score = 0, wrong_score = 0;
	bool *right;
	struct doc d;

	make_doc(&d, n);
	CHECK_INT(mnemo_align(d.src, d.n, d.tgt, d.m, &b, &nb, &st), 0);
	check_cover(b, nb, d.n, d.m);
	right = calloc(nb + 1, sizeof(*right));
	/* both lists are in order: walk them together */
	for (size_t g = 0; g < d.n_gold; g++) {
		bool is_null = d.gold[g][1] == 0 || d.gold[g][3] == 0;

		nulls += is_null;
		while (x < nb && b[x].src + b[x].n_src <= d.gold[g][0] && b[x].n_src > 0) {
			x++;
		}
		for (size_t y = x; y < nb && y < x + 4; y++) {
			if (b[y].src == d.gold[g][0] && b[y].n_src == d.gold[g][1] &&
			    b[y].n_tgt == d.gold[g][3] && (is_null || b[y].tgt == d.gold[g][2])) {
				hit++;
				null_hit += is_null;
				right[y] = true;
				break;
			}
		}
	}
	p = nb > 0 ? (double)hit / nb : 0;
	r = d.n_gold > 0 ? (double)hit / d.n_gold : 0;
	CHECK_MSG(2 * p * r / (p + r) >= min_f1, "%zu sentences: strict F1 %.4f (P %.4f R %.4f)", n,
		  2 * p * r / (p + r), p, r);
	CHECK_MSG((double)null_hit / nulls >= 0.95, "1-0 recall %zu/%zu", null_hit, nulls);
	/* the confidence of paired beads is higher for right ones */
	for (size_t y = 0; y < nb; y++) {
		if (b[y].n_src > 0 && b[y].n_tgt > 0) {
			*(right[y] ? &right_score : &wrong_score) += b[y].score;
			*(right[y] ? &n_right : &n_wrong) += 1;
		}
	}
	CHECK_MSG(n_wrong == 0 || right_score / n_right > wrong_score / n_wrong + 0.1,
		  "mean score: right %.3f, wrong %.3f", right_score / n_right,
		  n_wrong ? wrong_score / n_wrong : 0);
	free(right);
	CHECK_MSG(st.cells < 100 * (uint64_t)(d.n + d.m), "%zu sentences: %llu cells", n,
		  (unsigned long long)st.cells);
	free(b);
	free_doc(&d);
}

int
main(void)
{
	test_edges();
	test_copies();
	test_copy_keys();
	test_synthetic(2000, 0.99);
	test_synthetic(30000, 0.99); /* the corridor keeps it linear */
	return check_exit();
}
