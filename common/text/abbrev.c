/* What a language knows about periods: its abbreviations, and the words that usually
 * start a sentence (to tell "le plan B. Il" from "J. K. Rowling"). The segmenter asks one
 * question, mnemo_text_abbrev_ends(), after ICU's rules proposed a boundary after a '.'.
 *
 * Tables are sorted by bytes (memcmp order) for bsearch; keys are the word without its
 * final period, with one ASCII space between the words of two-word entries ("p. ex"). */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "abbrev.h"

enum kind {
	INNER = 1, /* never ends a sentence: titles, "cf.", "p. ex." */
	NUMBER,    /* inside when a number follows: months, "no.", "p." */
	FINAL,     /* ends a sentence when a capital follows: "etc.", "J.-C." */
	AMBIG,     /* ends only before a word that usually starts one: "Main St. It" */
	TIME,      /* ends before a capital, unless a day, month or time zone: "9 a.m. GMT" */
	STARTER,   /* starter lists: a word that usually starts a sentence */
	PARTICLE,  /* starts sentences too, but also follows initials in names: "J. Le Pen" */
};

struct entry {
	const char *key;
	enum kind kind;
};

struct rules {
	const struct entry *abbrevs;
	size_t n_abbrevs;
	const struct entry *starters;
	size_t n_starters;
	const char *const *lead_labels; /* NULL-terminated */
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Longest key worth looking up, in bytes; longer words are not abbreviations. */
enum { KEY_MAX = 48 };

/* One entry a line, so that a change to a list is a one-line diff. */
/* clang-format off */
static const struct entry abbrevs_fr[] = {
	{"Adj", INNER},
	{"Cal", INNER},
	{"Cdt", INNER},
	{"Ch", INNER},
	{"Cie", FINAL},
	{"Cne", INNER},
	{"Col", INNER},
	{"Cte", INNER},
	{"Ctesse", INNER},
	{"Dr", INNER},
	{"Dre", INNER},
	{"Dres", INNER},
	{"Drs", INNER},
	{"Ets", INNER},
	{"Gal", INNER},
	{"Gén", INNER},
	{"J.-C", FINAL},
	{"Jr", FINAL},
	{"LL.MM", INNER},
	{"Lieut", INNER},
	{"Lt", INNER},
	{"M", INNER},
	{"MM", INNER},
	{"Me", INNER},
	{"Mes", INNER},
	{"Mgr", INNER},
	{"Mgrs", INNER},
	{"Mlle", INNER},
	{"Mlles", INNER},
	{"Mme", INNER},
	{"Mmes", INNER},
	{"Mr", INNER},
	{"Mrs", INNER},
	{"N. B", INNER},
	{"N.B", INNER},
	{"N.D.L.R", FINAL},
	{"N.D.T", FINAL},
	{"NDLR", FINAL},
	{"NDT", FINAL},
	{"P.-S", INNER},
	{"P.S", INNER},
	{"Pdt", INNER},
	{"Ph", INNER},
	{"Pr", INNER},
	{"Prof", INNER},
	{"Prs", INNER},
	{"R.P", INNER},
	{"S.E", INNER},
	{"S.M", INNER},
	{"Sgt", INNER},
	{"Sr", INNER},
	{"St", INNER},
	{"Ste", INNER},
	{"Stes", INNER},
	{"Sts", INNER},
	{"Th", INNER},
	{"Vte", INNER},
	{"Vtesse", INNER},
	{"Vve", INNER},
	{"adj", INNER},
	{"adv", INNER},
	{"al", NUMBER},
	{"anc", INNER},
	{"angl", INNER},
	{"ann", INNER},
	{"ap. J.-C", FINAL},
	{"approx", INNER},
	{"apr", INNER},
	{"apr. J.-C", FINAL},
	{"arr", FINAL},
	{"art", INNER},
	{"av", INNER},
	{"av. J.-C", FINAL},
	{"avr", NUMBER},
	{"bd", INNER},
	{"boul", INNER},
	{"c-à-d", INNER},
	{"c.-à-d", INNER},
	{"c.à.d", INNER},
	{"ca", INNER},
	{"cf", INNER},
	{"ch", INNER},
	{"chap", INNER},
	{"cie", FINAL},
	{"coll", INNER},
	{"conf", INNER},
	{"conj", INNER},
	{"càd", INNER},
	{"dim", NUMBER},
	{"dir", INNER},
	{"déc", NUMBER},
	{"dép", FINAL},
	{"dépt", FINAL},
	{"e.g", INNER},
	{"env", INNER},
	{"et al", FINAL},
	{"et suiv", FINAL},
	{"etc", FINAL},
	{"ex", INNER},
	{"fasc", INNER},
	{"faub", INNER},
	{"fg", INNER},
	{"fig", INNER},
	{"fém", INNER},
	{"fév", NUMBER},
	{"févr", NUMBER},
	{"gouv", FINAL},
	{"gr", INNER},
	{"hab", FINAL},
	{"i.e", INNER},
	{"ibid", FINAL},
	{"id", FINAL},
	{"ill", FINAL},
	{"imp", INNER},
	{"janv", NUMBER},
	{"jeu", NUMBER},
	{"juil", NUMBER},
	{"juill", NUMBER},
	{"lat", INNER},
	{"loc. cit", FINAL},
	{"lun", NUMBER},
	{"mar", NUMBER},
	{"masc", INNER},
	{"max", NUMBER},
	{"md", FINAL},
	{"mds", FINAL},
	{"mer", NUMBER},
	{"mill", FINAL},
	{"min", NUMBER},
	{"mrd", FINAL},
	{"ms", FINAL},
	{"mss", FINAL},
	{"ndlr", FINAL},
	{"ndt", FINAL},
	{"no", NUMBER},
	{"nos", NUMBER},
	{"nov", NUMBER},
	{"n°", INNER},
	{"oct", NUMBER},
	{"op. cit", FINAL},
	{"p", NUMBER},
	{"p. ex", INNER},
	{"p.-ê", INNER},
	{"par ex", INNER},
	{"plur", INNER},
	{"pp", NUMBER},
	{"prov", FINAL},
	{"qqch", FINAL},
	{"qqn", FINAL},
	{"resp", INNER},
	{"rte", INNER},
	{"réf", INNER},
	{"s. d", FINAL},
	{"s. l", FINAL},
	{"sam", NUMBER},
	{"sept", NUMBER},
	{"sing", INNER},
	{"sq", FINAL},
	{"sqq", FINAL},
	{"ss", FINAL},
	{"sté", INNER},
	{"suiv", FINAL},
	{"suppl", INNER},
	{"t", NUMBER},
	{"tab", INNER},
	{"trad", INNER},
	{"tél", INNER},
	{"v", INNER},
	{"ven", NUMBER},
	{"vol", INNER},
	{"vs", INNER},
	{"éd", INNER},
	{"éds", INNER},
	{"éts", INNER},
};
static const struct entry abbrevs_en[] = {
	{"A.M", TIME},
	{"Adm", INNER},
	{"Amb", INNER},
	{"Apr", NUMBER},
	{"Assn", FINAL},
	{"Asst", INNER},
	{"Atty", INNER},
	{"Aug", NUMBER},
	{"Ave", FINAL},
	{"Blvd", FINAL},
	{"Brig", INNER},
	{"Bros", FINAL},
	{"Capt", INNER},
	{"Cdr", INNER},
	{"Cllr", INNER},
	{"Cmdr", INNER},
	{"Co", FINAL},
	{"Col", INNER},
	{"Corp", FINAL},
	{"Cpl", INNER},
	{"Cpt", INNER},
	{"Ct", FINAL},
	{"Dec", NUMBER},
	{"Dept", FINAL},
	{"Det", INNER},
	{"Dr", INNER},
	{"Drs", INNER},
	{"Esq", FINAL},
	{"Feb", NUMBER},
	{"Fr", INNER},
	{"Fri", NUMBER},
	{"Ft", INNER},
	{"Gen", INNER},
	{"Gov", INNER},
	{"Hon", INNER},
	{"Inc", FINAL},
	{"Insp", INNER},
	{"Jan", NUMBER},
	{"Jr", FINAL},
	{"Jul", NUMBER},
	{"Jun", NUMBER},
	{"Lieut", INNER},
	{"Ln", FINAL},
	{"Lt", INNER},
	{"Ltd", FINAL},
	{"Maj", INNER},
	{"Mar", NUMBER},
	{"Messrs", INNER},
	{"Mmes", INNER},
	{"Mon", NUMBER},
	{"Mr", INNER},
	{"Mrs", INNER},
	{"Ms", INNER},
	{"Mt", INNER},
	{"Mx", INNER},
	{"Nov", NUMBER},
	{"Oct", NUMBER},
	{"P.M", TIME},
	{"Ph", INNER},
	{"Plc", FINAL},
	{"Pres", INNER},
	{"Prof", INNER},
	{"Profs", INNER},
	{"Pvt", INNER},
	{"Rd", FINAL},
	{"Rep", INNER},
	{"Rev", INNER},
	{"Revd", INNER},
	{"Sat", NUMBER},
	{"Sec", INNER},
	{"Sen", INNER},
	{"Sep", NUMBER},
	{"Sept", NUMBER},
	{"Sgt", INNER},
	{"Sq", FINAL},
	{"Sr", FINAL},
	{"St", AMBIG},
	{"Sun", NUMBER},
	{"Supt", INNER},
	{"Thu", NUMBER},
	{"Thur", NUMBER},
	{"Thurs", NUMBER},
	{"Tue", NUMBER},
	{"Tues", NUMBER},
	{"Univ", INNER},
	{"Wed", NUMBER},
	{"a.m", TIME},
	{"approx", INNER},
	{"art", INNER},
	{"c", NUMBER},
	{"ca", INNER},
	{"cf", INNER},
	{"ch", INNER},
	{"chap", INNER},
	{"e.g", INNER},
	{"eds", INNER},
	{"eq", INNER},
	{"eqs", INNER},
	{"esp", INNER},
	{"est", NUMBER},
	{"et al", FINAL},
	{"etc", FINAL},
	{"fig", INNER},
	{"figs", INNER},
	{"i.e", INNER},
	{"ibid", FINAL},
	{"incl", INNER},
	{"no", NUMBER},
	{"nos", NUMBER},
	{"op. cit", FINAL},
	{"p", NUMBER},
	{"p.m", TIME},
	{"para", NUMBER},
	{"pp", NUMBER},
	{"sec", NUMBER},
	{"trans", INNER},
	{"viz", INNER},
	{"vol", INNER},
	{"vols", INNER},
	{"vs", INNER},
};
static const struct entry starters_fr[] = {
	{"Ainsi", STARTER},
	{"Alors", STARTER},
	{"Après", STARTER},
	{"Au", STARTER},
	{"Aucun", STARTER},
	{"Aucune", STARTER},
	{"Aujourd'hui", STARTER},
	{"Aussi", STARTER},
	{"Aux", STARTER},
	{"Avant", STARTER},
	{"Avec", STARTER},
	{"C'", STARTER},
	{"Car", STARTER},
	{"Ce", STARTER},
	{"Ceci", STARTER},
	{"Cela", STARTER},
	{"Celle", STARTER},
	{"Celui", STARTER},
	{"Cependant", STARTER},
	{"Certains", STARTER},
	{"Ces", STARTER},
	{"Cet", STARTER},
	{"Cette", STARTER},
	{"Chacun", STARTER},
	{"Chacune", STARTER},
	{"Chaque", STARTER},
	{"Comme", STARTER},
	{"Comment", STARTER},
	{"D'", STARTER},
	{"Dans", STARTER},
	{"De", PARTICLE},
	{"Demain", STARTER},
	{"Depuis", STARTER},
	{"Des", STARTER},
	{"Donc", STARTER},
	{"Du", PARTICLE},
	{"Désormais", STARTER},
	{"Elle", STARTER},
	{"Elles", STARTER},
	{"En", STARTER},
	{"Enfin", STARTER},
	{"Ensuite", STARTER},
	{"Entre", STARTER},
	{"Et", STARTER},
	{"Hier", STARTER},
	{"Ici", STARTER},
	{"Il", STARTER},
	{"Ils", STARTER},
	{"J'", STARTER},
	{"Je", STARTER},
	{"L'", STARTER},
	{"La", PARTICLE},
	{"Le", PARTICLE},
	{"Les", STARTER},
	{"Leur", STARTER},
	{"Leurs", STARTER},
	{"Lors", STARTER},
	{"Lorsque", STARTER},
	{"Ma", STARTER},
	{"Mais", STARTER},
	{"Malgré", STARTER},
	{"Mes", STARTER},
	{"Mon", STARTER},
	{"Même", STARTER},
	{"N'", STARTER},
	{"Ni", STARTER},
	{"Non", STARTER},
	{"Nos", STARTER},
	{"Notre", STARTER},
	{"Nous", STARTER},
	{"Néanmoins", STARTER},
	{"On", STARTER},
	{"Or", STARTER},
	{"Oui", STARTER},
	{"Où", STARTER},
	{"Par", STARTER},
	{"Parmi", STARTER},
	{"Pas", STARTER},
	{"Pendant", STARTER},
	{"Personne", STARTER},
	{"Plus", STARTER},
	{"Plusieurs", STARTER},
	{"Pour", STARTER},
	{"Pourquoi", STARTER},
	{"Pourtant", STARTER},
	{"Puis", STARTER},
	{"Qu'", STARTER},
	{"Quand", STARTER},
	{"Que", STARTER},
	{"Quel", STARTER},
	{"Quelle", STARTER},
	{"Quelles", STARTER},
	{"Quels", STARTER},
	{"Qui", STARTER},
	{"Rien", STARTER},
	{"S'", STARTER},
	{"Sa", STARTER},
	{"Sans", STARTER},
	{"Selon", STARTER},
	{"Ses", STARTER},
	{"Seul", STARTER},
	{"Seule", STARTER},
	{"Seules", STARTER},
	{"Seuls", STARTER},
	{"Si", STARTER},
	{"Son", STARTER},
	{"Sous", STARTER},
	{"Sur", STARTER},
	{"Tous", STARTER},
	{"Tout", STARTER},
	{"Toute", STARTER},
	{"Toutefois", STARTER},
	{"Toutes", STARTER},
	{"Tu", STARTER},
	{"Un", STARTER},
	{"Une", STARTER},
	{"Voici", STARTER},
	{"Voilà", STARTER},
	{"Vos", STARTER},
	{"Votre", STARTER},
	{"Vous", STARTER},
	{"Y", STARTER},
	{"À", STARTER},
	{"Ça", STARTER},
};
static const struct entry starters_en[] = {
	{"A", STARTER},
	{"According", STARTER},
	{"After", STARTER},
	{"Also", STARTER},
	{"An", STARTER},
	{"And", STARTER},
	{"As", STARTER},
	{"At", STARTER},
	{"Before", STARTER},
	{"But", STARTER},
	{"By", STARTER},
	{"De", PARTICLE},
	{"Du", PARTICLE},
	{"During", STARTER},
	{"Each", STARTER},
	{"For", STARTER},
	{"From", STARTER},
	{"He", STARTER},
	{"Her", STARTER},
	{"Here", STARTER},
	{"His", STARTER},
	{"However", STARTER},
	{"I", STARTER},
	{"If", STARTER},
	{"In", STARTER},
	{"It", STARTER},
	{"Its", STARTER},
	{"La", PARTICLE},
	{"Le", PARTICLE},
	{"Meanwhile", STARTER},
	{"Most", STARTER},
	{"My", STARTER},
	{"No", STARTER},
	{"Now", STARTER},
	{"On", STARTER},
	{"One", STARTER},
	{"Or", STARTER},
	{"Our", STARTER},
	{"She", STARTER},
	{"So", STARTER},
	{"Some", STARTER},
	{"That", STARTER},
	{"The", STARTER},
	{"Their", STARTER},
	{"Then", STARTER},
	{"There", STARTER},
	{"These", STARTER},
	{"They", STARTER},
	{"This", STARTER},
	{"Those", STARTER},
	{"Thus", STARTER},
	{"To", STARTER},
	{"Van", PARTICLE},
	{"Von", PARTICLE},
	{"We", STARTER},
	{"What", STARTER},
	{"When", STARTER},
	{"Where", STARTER},
	{"While", STARTER},
	{"Who", STARTER},
	{"Why", STARTER},
	{"With", STARTER},
	{"Yet", STARTER},
	{"You", STARTER},
	{"Your", STARTER},
};

/* Labels that news sites print in lower case on the lead's own line, before it:
 * "l'essentiel Malgré quelques violations, le cessez-le-feu tient." Apostrophes as "'". */
static const char *const lead_labels_fr[] = {
	"l'essentiel",
	"en bref",
	"a retenir",
	"\xc3\xa0 retenir", /* à */
	"ce qu'il faut retenir",
	NULL,
};

static const char *const lead_labels_en[] = {
	"in brief",
	"key points",
	"the essentials",
	NULL,
};

/* Index 0 is "no list"; mnemo_text_abbrev_lang() returns 1 or 2. */
static const struct rules all_rules[] = {
	{NULL, 0, NULL, 0, NULL},
	{abbrevs_fr, N_OF(abbrevs_fr), starters_fr, N_OF(starters_fr), lead_labels_fr},
	{abbrevs_en, N_OF(abbrevs_en), starters_en, N_OF(starters_en), lead_labels_en},
};
/* clang-format on */

struct key {
	const char *s;
	size_t len;
};

static int
cmp_entry(const void *k, const void *e)
{
	const struct key *key = k;
	const struct entry *ent = e;
	size_t len = strlen(ent->key);
	int r = memcmp(key->s, ent->key, key->len < len ? key->len : len);

	if (r != 0) {
		return r;
	}
	return key->len < len ? -1 : key->len > len ? 1 : 0;
}

static bool __attribute__((unused)) /* only in asserts */
sorted(const struct entry *t, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		struct key k = {t[i - 1].key, strlen(t[i - 1].key)};

		if (cmp_entry(&k, &t[i]) >= 0) {
			return false;
		}
	}
	return true;
}

static enum kind
find(const struct entry *t, size_t n, const char *s, size_t len)
{
	struct key k = {s, len};
	const struct entry *e = bsearch(&k, t, n, sizeof(*t), cmp_entry);

	return e != NULL ? e->kind : 0;
}

/* Looks s up as written, then with its first letter in lower case: a sentence can start
 * with "Cf." or "Env." while the lists hold "cf" and "env". Capitalised entries ("M",
 * "Col") are never lowered, so "Col." does not match the mountain pass "col.". */
static enum kind
find_any_case(const struct entry *t, size_t n, const char *s, size_t len)
{
	char lowered[KEY_MAX + U8_MAX_LENGTH];
	enum kind kind = find(t, n, s, len);
	int32_t i = 0, out = 0;
	UChar32 c;
	UBool err = false;

	if (kind != 0 || len == 0 || len > KEY_MAX) {
		return kind;
	}
	U8_NEXT((const uint8_t *)s, i, (int32_t)len, c);
	if (c < 0 || !u_isupper(c) || (size_t)i == len) {
		return 0; /* a lone capital is an initial ("P. Vasseur"), never "p." (page) */
	}
	U8_APPEND((uint8_t *)lowered, out, (int32_t)sizeof(lowered), u_tolower(c), err);
	if (err || (size_t)out + (len - (size_t)i) > sizeof(lowered)) {
		return 0;
	}
	memcpy(lowered + out, s + i, len - (size_t)i);
	return find(t, n, lowered, (size_t)out + (len - (size_t)i));
}

/* Characters that end the word a period belongs to, looking back from the period. An
 * apostrophe ends it too, so "l’O.N.U." is looked up as "O.N.U". */
static bool
stops_word(UChar32 c)
{
	int8_t type;

	if (c < 0 || u_isUWhiteSpace(c) || c == '\'' || c == 0x2019 || c == '"') {
		return true;
	}
	if (c == ',' || c == ';' || c == ':' || c == '/' || c == '!' || c == '?') {
		return true;
	}
	type = u_charType(c);
	return type == U_START_PUNCTUATION || type == U_END_PUNCTUATION ||
	       type == U_INITIAL_PUNCTUATION || type == U_FINAL_PUNCTUATION;
}

/* Start of the word ending at end (exclusive), or -1 when it is longer than any key. */
static int32_t
word_start(const uint8_t *p, int32_t from, int32_t end)
{
	int32_t i = end;

	while (i > from) {
		int32_t j = i;
		UChar32 c;

		U8_PREV(p, from, j, c);
		if (stops_word(c)) {
			break;
		}
		if (end - j > KEY_MAX) {
			return -1;
		}
		i = j;
	}
	return i;
}

/* One capital letter: "K" in "J. K. Rowling". */
static bool
is_initial(const uint8_t *p, int32_t start, int32_t end)
{
	int32_t i = start;
	UChar32 c;

	U8_NEXT(p, i, end, c);
	return i == end && c >= 0 && u_isUUppercase(c);
}

/* Hyphenated initials: "J.-M", "J.-P.-A". */
static bool
is_compound_initial(const uint8_t *p, int32_t start, int32_t end)
{
	int32_t i = start;
	int parts = 0;

	while (i < end) {
		UChar32 c;

		U8_NEXT(p, i, end, c);
		if (c < 0 || !u_isUUppercase(c)) {
			return false;
		}
		parts++;
		if (i == end) {
			break;
		}
		if (end - i < 3 || p[i] != '.' || p[i + 1] != '-') {
			return false;
		}
		i += 2;
	}
	return parts >= 2;
}

/* Dotted acronyms and abbreviations of one or two letters per part, at least one of them
 * a capital: "O.N.U", "U.S", "Ph.D". Lower-case ones ("a.m", "i.e") are left to the lists. */
static bool
is_acronym(const uint8_t *p, int32_t start, int32_t end)
{
	int32_t i = start;
	int run = 0, parts = 0;
	bool upper = false;

	while (i < end) {
		UChar32 c;

		if (p[i] == '.') {
			if (run == 0) {
				return false;
			}
			run = 0;
			parts++;
			i++;
			continue;
		}
		U8_NEXT(p, i, end, c);
		if (c < 0 || !u_isalpha(c) || ++run > 2) {
			return false;
		}
		upper |= u_isUUppercase(c);
	}
	return run > 0 && parts >= 1 && upper;
}

/* Kind of the word at next in the starter list (0 if none). A capital followed by a
 * period is an initial, not the pronoun "A" or "I": "J. A. Smith". */
static enum kind
starter_kind(const struct rules *ru, const uint8_t *p, int32_t next, int32_t n)
{
	char word[KEY_MAX + 1];
	int32_t i = next, end;
	size_t len;

	while (i < n) {
		int32_t j = i;
		UChar32 c;

		U8_NEXT(p, j, n, c);
		if (c < 0 || !u_isalpha(c)) {
			break;
		}
		if (j - next > KEY_MAX - 1) {
			return 0;
		}
		i = j;
	}
	end = i;
	if (end == next) {
		return 0;
	}
	if (end < n && p[end] == '.' && is_initial(p, next, end)) {
		return 0;
	}
	len = (size_t)(end - next);
	memcpy(word, p + next, len);
	/* Elided articles and pronouns: "L’armée", "Qu'il". */
	if (end < n && (p[end] == '\'' || (n - end >= 3 && p[end] == 0xe2 && p[end + 1] == 0x80 &&
					   p[end + 2] == 0x99))) {
		word[len++] = '\'';
	}
	return find(ru->starters, ru->n_starters, word, len);
}

static bool
digit_at(const uint8_t *p, int32_t i, int32_t n)
{
	UChar32 c;

	if (i >= n) {
		return false;
	}
	U8_NEXT(p, i, n, c);
	return c >= 0 && u_isdigit(c);
}

static bool
upper_at(const uint8_t *p, int32_t i, int32_t n)
{
	UChar32 c;

	if (i >= n) {
		return false;
	}
	U8_NEXT(p, i, n, c);
	return c >= 0 && u_isUUppercase(c);
}

/* Whether the letter at p[start] closes a list of letters, as in "H, J et L" or "A or B":
 * a capital standing alone (no period), then a comma or a conjunction, then it. Initials
 * never come that way: "J. et L. Dupont" has periods. */
static bool
ends_letter_list(const uint8_t *p, int32_t from, int32_t start)
{
	static const char *const links[] = {"et", "ou", "and", "or"};
	int32_t i = start, ws;
	bool linked = false;

	while (i > from && p[i - 1] == ' ') {
		i--;
	}
	if (i > from && p[i - 1] == ',') {
		linked = true;
		i--;
	} else {
		ws = word_start(p, from, i);
		for (size_t k = 0; ws >= 0 && ws < i && k < N_OF(links); k++) {
			linked = linked || ((size_t)(i - ws) == strlen(links[k]) &&
					    memcmp(p + ws, links[k], (size_t)(i - ws)) == 0);
		}
		i = ws;
	}
	if (!linked || i == start) {
		return false;
	}
	while (i > from && p[i - 1] == ' ') {
		i--;
	}
	ws = word_start(p, from, i);
	return ws >= 0 && ws < i && is_initial(p, ws, i);
}

/* A list or section marker alone: "1.", "2.3.", "§ 3.", "IV.", "b." make the whole
 * sentence so far; it belongs to what follows. */
static bool
is_list_marker(const uint8_t *p, int32_t from, int32_t dot)
{
	int32_t len, i;
	bool digits = true, roman = true, dotted = true;
	int n_digits = 0;

	if (dot - from >= 2 && p[from] == 0xc2 && p[from + 1] == 0xa7) { /* § */
		from += 2;
		while (from < dot && p[from] == ' ') {
			from++;
		}
	}
	len = dot - from;
	for (i = from; i < dot && len <= 12; i++) {
		dotted &= (p[i] >= '0' && p[i] <= '9') || p[i] == '.';
		n_digits += p[i] >= '0' && p[i] <= '9';
	}
	if (len > 0 && len <= 12 && dotted && n_digits > 0 && p[from] != '.') {
		return true; /* "2.3", "3.2.1" */
	}
	if (len == 0 || len > 4) {
		return false;
	}
	if (is_initial(p, from, dot) || (len == 1 && u_isalpha(p[from]))) {
		return true;
	}
	for (i = from; i < dot; i++) {
		digits &= p[i] >= '0' && p[i] <= '9';
		roman &= p[i] != '\0' && strchr("IVXivx", p[i]) != NULL;
	}
	return (digits && len <= 3) || roman;
}

/* After a.m./p.m. a capital starts a new sentence unless it names a day, a month or a
 * time zone: "at 9 a.m. Please be on time" ends, "at 9 a.m. GMT" and "5 p.m. Monday" do
 * not. */
static bool
time_follower(const uint8_t *p, int32_t next, int32_t n)
{
	static const char *const words[] = {
		"April", "Atlantic", "Aug", "August", "BST", "CEST", "CET", "CDT", "CST", "CT",
		"Central", "Dec", "December", "EDT", "EST", "ET", "Eastern", "Feb", "February",
		"Fri", "Friday", "GMT", "Jan", "January", "July", "June", "Local", "MDT", "MST",
		"MT", "March", "May", "Mon", "Monday", "Mountain", "Nov", "November", "Oct",
		"October", "PDT", "PST", "PT", "Pacific", "Sat", "Saturday", "Sept",
		"September", "Sun", "Sunday", "Thu", "Thursday", "Tue", "Tuesday", "UTC",
		"Wed", "Wednesday",
	};
	int32_t end = next;

	while (end < n && end - next < 16 && ((p[end] >= 'A' && p[end] <= 'Z') ||
					      (p[end] >= 'a' && p[end] <= 'z'))) {
		end++;
	}
	for (size_t i = 0; i < N_OF(words); i++) {
		if ((size_t)(end - next) == strlen(words[i]) &&
		    memcmp(p + next, words[i], (size_t)(end - next)) == 0) {
			return true;
		}
	}
	return false;
}

/* "Chapitre IV.", "Article 12.", "Titre Ier.": a labelled heading. What follows on the same
 * line is its title ("Chapitre IV. Le retour", one heading) unless it is a sentence of its
 * own, with its final punctuation ("Article 12. Le contrat s'applique…"). */
static bool
is_label(const uint8_t *p, int32_t from, int32_t dot)
{
	static const char *const labels[] = {
		"Annexe", "Appendix", "Article", "Book", "Chapitre", "Chapter", "Livre",
		"Part", "Partie", "Section", "Titre", "Tome", "Volume",
	};
	int32_t sp = from;

	while (sp < dot && p[sp] != ' ') {
		sp++;
	}
	if (sp >= dot - 1 || dot - sp > 6) {
		return false;
	}
	for (int32_t i = sp + 1; i < dot; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || strchr("IVXLCDMer", p[i]) != NULL)) {
			return false;
		}
	}
	for (size_t i = 0; i < N_OF(labels); i++) {
		if ((size_t)(sp - from) == strlen(labels[i]) &&
		    memcmp(p + from, labels[i], (size_t)(sp - from)) == 0) {
			return true;
		}
	}
	return false;
}

/* Whether the paragraph p[0..n) ends with sentence punctuation (then closing quotes). */
static bool
paragraph_ends_sentence(const uint8_t *p, int32_t n)
{
	while (n > 0) {
		UChar32 c;

		U8_PREV(p, 0, n, c);
		if (c == '.' || c == '!' || c == '?' || c == 0x2026) {
			return true;
		}
		if (!(u_isUWhiteSpace(c) || c == 0xbb || c == 0x201d || c == '"' || c == ')')) {
			return false;
		}
	}
	return false;
}

/* A bare number after a colon or a dash: "Précédent : 1. Présentation". */
static bool
is_inline_marker(const uint8_t *p, int32_t from, int32_t start, int32_t dot)
{
	int32_t i;

	if (dot - start == 0 || dot - start > 3) {
		return false;
	}
	for (i = start; i < dot; i++) {
		if (p[i] < '0' || p[i] > '9') {
			return false;
		}
	}
	i = start;
	while (i > from && p[i - 1] == ' ') {
		i--;
	}
	return i > from && i < start &&
	       (p[i - 1] == ':' || (i - from >= 3 && p[i - 3] == 0xe2 && p[i - 2] == 0x80 &&
				    (p[i - 1] == 0x94 || p[i - 1] == 0x93)));
}

int
mnemo_text_abbrev_lang(const char *lang)
{
	assert(sorted(abbrevs_fr, N_OF(abbrevs_fr)) && sorted(abbrevs_en, N_OF(abbrevs_en)));
	assert(sorted(starters_fr, N_OF(starters_fr)) && sorted(starters_en, N_OF(starters_en)));

	if (lang == NULL) {
		return 0;
	}
	if (strncmp(lang, "fr", 2) == 0 && (lang[2] == '\0' || lang[2] == '-')) {
		return 1;
	}
	if (strncmp(lang, "en", 2) == 0 && (lang[2] == '\0' || lang[2] == '-')) {
		return 2;
	}
	return 0;
}

/* p[0..n) is the paragraph, p[dot] the '.' after which ICU (or the segmenter) proposes a
 * boundary, from the first non-space byte of the current sentence and next the start of
 * what follows (n at the end). Returns whether the sentence really ends there. */
bool
mnemo_text_abbrev_ends(int list, const uint8_t *p, int32_t from, int32_t dot, int32_t next,
		       int32_t n)
{
	char key[2 * KEY_MAX + 2];
	const struct rules *ru;
	int32_t start, prev_start;
	enum kind kind = 0;
	size_t len;

	if (list <= 0 || (size_t)list >= N_OF(all_rules)) {
		return true;
	}
	ru = &all_rules[list];
	if (is_list_marker(p, from, dot)) {
		return false;
	}
	if (is_label(p, from, dot)) {
		return paragraph_ends_sentence(p, n);
	}
	start = word_start(p, from, dot);
	if (start < 0 || start == dot) {
		return true;
	}
	if (is_inline_marker(p, from, start, dot)) {
		return false;
	}

	/* Two-word abbreviations first: "p. ex.", "av. J.-C.". */
	if (start - from >= 3 && p[start - 1] == ' ' && p[start - 2] == '.') {
		prev_start = word_start(p, from, start - 2);
		if (prev_start >= 0 && prev_start < start - 2) {
			len = (size_t)(start - 2 - prev_start);
			memcpy(key, p + prev_start, len);
			key[len++] = '.';
			key[len++] = ' ';
			memcpy(key + len, p + start, (size_t)(dot - start));
			len += (size_t)(dot - start);
			kind = find_any_case(ru->abbrevs, ru->n_abbrevs, key, len);
		}
	}
	if (kind == 0) {
		kind = find_any_case(ru->abbrevs, ru->n_abbrevs, (const char *)p + start,
				     (size_t)(dot - start));
	}

	switch (kind) {
	case INNER:
		return false;
	case NUMBER:
		return !digit_at(p, next, n);
	case FINAL:
		return true;
	case AMBIG:
		return starter_kind(ru, p, next, n) != 0;
	case TIME:
		return next < n && !time_follower(p, next, n);
	default:
		break;
	}

	if (is_initial(p, start, dot)) {
		/* "le plan B. Il faut" ends, "Charles de G. Dupont" does not; the last of a
		 * list of letters ends before any capital: "lignes H, J et L. Ligne P". */
		if (ends_letter_list(p, from, start)) {
			return upper_at(p, next, n);
		}
		return starter_kind(ru, p, next, n) == STARTER;
	}
	if (is_compound_initial(p, start, dot)) {
		return false;
	}
	if (is_acronym(p, start, dot)) {
		/* "l’O.N.U. Le Conseil" ends, "the U.S. Army" does not. */
		return starter_kind(ru, p, next, n) != 0;
	}
	return true;
}

bool
mnemo_text_abbrev_is_starter(int list, const uint8_t *p, int32_t at, int32_t n)
{
	if (list <= 0 || (size_t)list >= N_OF(all_rules)) {
		return false;
	}
	switch (starter_kind(&all_rules[list], p, at, n)) {
	case STARTER:
		return true;
	case PARTICLE: {
		/* "La guerre" starts a sentence, "La Fontaine" is a name. */
		int32_t i = at;
		UChar32 c = 0;

		while (i < n) {
			U8_NEXT(p, i, n, c);
			if (c < 0 || !u_isalpha(c)) {
				break;
			}
		}
		if (c != ' ' || i >= n) {
			return false;
		}
		U8_NEXT(p, i, n, c);
		return c >= 0 && u_isULowercase(c);
	}
	default:
		return false;
	}
}

int32_t
mnemo_text_abbrev_lead_label(int list, const uint8_t *p, int32_t n)
{
	if (list <= 0 || (size_t)list >= N_OF(all_rules)) {
		return -1;
	}
	for (const char *const *l = all_rules[list].lead_labels; *l != NULL; l++) {
		const char *label = *l;
		int32_t i = 0;

		/* the label as written, with "'" standing for either apostrophe */
		for (; *label != '\0' && i < n; label++) {
			if (*label == '\'' && n - i >= 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
			    p[i + 2] == 0x99) {
				i += 3;
			} else if ((uint8_t)*label == p[i]) {
				i++;
			} else {
				break;
			}
		}
		if (*label == '\0' && n - i >= 2 && p[i] == ' ' && upper_at(p, i + 1, n)) {
			return i + 1;
		}
	}
	return -1;
}
