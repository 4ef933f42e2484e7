/* gettext .mo files in. A .mo file is untrusted input like any other: it is read whole (it
 * is an index, small), and every offset and length of its tables is checked against the
 * file's size, with the NUL gettext puts after each string, before any unit is made, so
 * a file that lies is refused whole and nothing is read outside it.
 *
 * Layout (all numbers uint32 in the byte order the magic number tells):
 *   0 magic 0x950412de   4 revision (major << 16 | minor)   8 N strings
 *  12 O: offset of the originals' table   16 T: offset of the translations' table
 *  20 hash table size   24 hash table offset (not needed to read every entry)
 *  revision 1 adds system-dependent strings (<inttypes.h> formats), which are skipped.
 * Each table entry is (length, offset) of a string; an original is "msgctxt\4msgid" or
 * "msgid" and "\0msgid_plural" may follow; a translation holds its plural forms separated
 * by NULs. */
#include "formats-internal.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MO_HEADER_BYTES = 28, MO_REV1_HEADER_BYTES = 48 };

struct mo {
	const unsigned char *data;
	size_t len;
	bool big_endian;
	uint32_t n, orig_tab, trans_tab;
};

static uint32_t
u32(const struct mo *mo, size_t off)
{
	const unsigned char *p = mo->data + off;

	if (mo->big_endian) {
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	}
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* String i of a table, checked: its bytes and the NUL after them are inside the file. */
static int
string_at(struct fmt_reader *fr, const struct mo *mo, uint32_t tab, uint32_t i, const char *what,
	  struct gt_str *ret)
{
	uint64_t entry = (uint64_t)tab + (uint64_t)i * 8;
	uint32_t len = u32(mo, (size_t)entry), off = u32(mo, (size_t)entry + 4);

	if ((uint64_t)off + len >= mo->len) {
		return fr_error(fr, -EINVAL, true, 0, 0, (int64_t)entry,
				"%s string %u: %u bytes at offset %u run past the end of the file "
				"(%zu bytes)",
				what, i, len, off, mo->len);
	}
	if (mo->data[(size_t)off + len] != '\0') {
		return fr_error(fr, -EINVAL, true, 0, 0, (int64_t)entry,
				"%s string %u (%u bytes at offset %u) is not followed by a NUL", what,
				i, len, off);
	}
	ret->s = (const char *)mo->data + off;
	ret->len = len;
	return 0;
}

static int
check_header(struct fmt_reader *fr, struct mo *mo)
{
	uint32_t magic, rev;

	if (mo->len < MO_HEADER_BYTES) {
		return fr_error(fr, -EINVAL, true, 0, 0, 0,
				"%zu bytes: too short for a .mo file (its header is 28)", mo->len);
	}
	mo->big_endian = false;
	magic = u32(mo, 0);
	if (magic == 0xde120495) {
		mo->big_endian = true;
	} else if (magic != 0x950412de) {
		return fr_error(fr, -EINVAL, true, 0, 0, 0,
				"not a .mo file: magic number 0x%08x, not 0x950412de", magic);
	}
	rev = u32(mo, 4);
	if (rev >> 16 > 1) {
		return fr_error(fr, -EINVAL, true, 0, 0, 4, "revision %u.%u: only 0 and 1 are known",
				rev >> 16, rev & 0xffff);
	}
	mo->n = u32(mo, 8);
	mo->orig_tab = u32(mo, 12);
	mo->trans_tab = u32(mo, 16);
	if ((uint64_t)mo->orig_tab + (uint64_t)mo->n * 8 > mo->len) {
		return fr_error(fr, -EINVAL, true, 0, 0, 12,
				"the table of %u original strings at offset %u runs past the end "
				"of the file (%zu bytes)",
				mo->n, mo->orig_tab, mo->len);
	}
	if ((uint64_t)mo->trans_tab + (uint64_t)mo->n * 8 > mo->len) {
		return fr_error(fr, -EINVAL, true, 0, 0, 16,
				"the table of %u translations at offset %u runs past the end of the "
				"file (%zu bytes)",
				mo->n, mo->trans_tab, mo->len);
	}
	if (rev >> 16 == 1 && mo->len >= MO_REV1_HEADER_BYTES) {
		fr->stats->sysdep = u32(mo, 36);
	}
	return 0;
}

/* Entry i into e; strings checked already. */
static void
split_entry(const struct gt_str *orig, const struct gt_str *trans, struct gt_entry *e,
	    uint64_t *ret_dropped)
{
	const char *s = orig->s, *end = orig->s + orig->len;
	const char *eot = memchr(s, '\4', orig->len);
	const char *nul;
	size_t forms = 0;

	if (eot != NULL) {
		e->has_ctxt = true;
		e->ctxt.s = s;
		e->ctxt.len = (size_t)(eot - s);
		s = eot + 1;
	}
	nul = memchr(s, '\0', (size_t)(end - s));
	e->id.s = s;
	e->id.len = nul != NULL ? (size_t)(nul - s) : (size_t)(end - s);
	if (nul != NULL) {
		e->has_plural = true;
		e->id_plural.s = nul + 1;
		e->id_plural.len = strnlen(nul + 1, (size_t)(end - nul - 1));
	}
	/* the plural forms */
	s = trans->s;
	end = trans->s + trans->len;
	*ret_dropped = 0;
	for (;;) {
		size_t n = strnlen(s, (size_t)(end - s));

		if (forms < 2) {
			e->str[forms].s = s;
			e->str[forms].len = n;
		} else if (n > 0) {
			(*ret_dropped)++;
		}
		forms++;
		if (s + n >= end) {
			break;
		}
		s += n + 1;
	}
	e->n_str = forms < 2 ? (unsigned)forms : 2;
	if (!e->has_plural) {
		e->n_str = 1; /* extra forms without msgid_plural: dropped */
	}
}

static int
mo_read(struct fmt_reader *fr, struct gt *g, struct mo *mo)
{
	struct gt_str orig, trans;
	struct gt_entry e;
	uint64_t dropped;
	uint32_t i;
	int r;

	if ((r = check_header(fr, mo)) < 0) {
		return r;
	}
	/* Every string first: a lie anywhere refuses the file before any unit is made. */
	for (i = 0; i < mo->n; i++) {
		if ((r = string_at(fr, mo, mo->orig_tab, i, "original", &orig)) < 0 ||
		    (r = string_at(fr, mo, mo->trans_tab, i, "translated", &trans)) < 0) {
			return r;
		}
	}
	/* The header entry (msgid "", first in the sorted table). */
	for (i = 0; i < mo->n; i++) {
		string_at(fr, mo, mo->orig_tab, i, "original", &orig);
		if (orig.len == 0) {
			string_at(fr, mo, mo->trans_tab, i, "translated", &trans);
			memset(&e, 0, sizeof(e));
			e.str[0] = trans;
			e.n_str = 1;
			e.offset = (int64_t)mo->trans_tab + (int64_t)i * 8;
			if ((r = gt_header(g, &e)) < 0) {
				return r;
			}
			break;
		}
	}
	for (i = 0; i < mo->n; i++) {
		string_at(fr, mo, mo->orig_tab, i, "original", &orig);
		if (orig.len == 0) {
			continue;
		}
		string_at(fr, mo, mo->trans_tab, i, "translated", &trans);
		memset(&e, 0, sizeof(e));
		split_entry(&orig, &trans, &e, &dropped);
		e.offset = (int64_t)mo->orig_tab + (int64_t)i * 8;
		e.index = i;
		fr->stats->plural_forms_dropped += dropped;
		if ((r = gt_emit(g, &e)) < 0) {
			return r;
		}
	}
	return 0;
}

int
mnemo_mo_read_mem(const void *data, size_t len, const struct mnemo_formats_read_options *opt,
		  struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err)
{
	struct mnemo_formats_stats own;
	struct fmt_reader fr;
	struct gt g;
	struct mo mo = {.data = data, .len = len};
	int r;

	assert(data != NULL || len == 0);
	fr_init(&fr, opt, ret_stats != NULL ? ret_stats : &own, "mo");
	fr.stats->bytes = len;
	r = gt_init(&g, &fr, false);
	if (r == 0 && len > MNEMO_MO_MAX_BYTES) {
		r = fr_error(&fr, -EFBIG, true, 0, 0, -1, "%zu bytes: over the %d MiB a .mo may have",
			     len, MNEMO_MO_MAX_BYTES >> 20);
	}
	if (r == 0) {
		mo.data = data != NULL ? data : (const void *)"";
		r = mo_read(&fr, &g, &mo);
	}
	fr_progress(&fr);
	r = fr_result(&fr, r, ret_stats, ret_err);
	gt_fini(&g);
	fr_fini(&fr);
	return r;
}

/* Reads up to MNEMO_MO_MAX_BYTES + 1 bytes, so that an oversized file is seen as one. */
static int
slurp(int fd, FILE *f, unsigned char **ret, size_t *ret_len)
{
	const size_t max = (size_t)MNEMO_MO_MAX_BYTES + 1;
	size_t cap = 64 << 10, len = 0;
	unsigned char *buf;
	struct stat st;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < max) {
		cap = (size_t)st.st_size + 1; /* one more, to see the end */
	}
	buf = malloc(cap);
	if (buf == NULL) {
		return -ENOMEM;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			unsigned char *nb;

			if (cap >= max) {
				break; /* over the limit: the caller refuses it */
			}
			cap = cap <= max / 2 ? cap * 2 : max;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		if (f != NULL) {
			n = fread(buf + len, 1, cap - len, f);
			if (n == 0) {
				if (ferror(f)) {
					free(buf);
					return -EIO;
				}
				break;
			}
		} else {
			ssize_t k = read(fd, buf + len, cap - len);

			if (k < 0 && errno == EINTR) {
				continue;
			}
			if (k < 0) {
				int err = -errno;

				free(buf);
				return err;
			}
			if (k == 0) {
				break;
			}
			n = (size_t)k;
		}
		len += n;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int
read_whole(int fd, FILE *f, const struct mnemo_formats_read_options *opt,
	   struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r = slurp(fd, f, &buf, &len);

	if (r < 0) {
		struct mnemo_formats_stats own;
		struct fmt_reader fr;

		fr_init(&fr, opt, ret_stats != NULL ? ret_stats : &own, "mo");
		fr_error(&fr, r, true, 0, 0, -1, "read error: %s", strerror(-r));
		r = fr_result(&fr, r, ret_stats, ret_err);
		fr_fini(&fr);
		return r;
	}
	r = mnemo_mo_read_mem(buf, len, opt, ret_stats, ret_err);
	free(buf);
	return r;
}

int
mnemo_mo_read_file(FILE *f, const struct mnemo_formats_read_options *opt,
		   struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err)
{
	assert(f != NULL);
	return read_whole(-1, f, opt, ret_stats, ret_err);
}
