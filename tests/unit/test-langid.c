/* Unit tests for common/text/langid: CLD2 behind mnemo_langid_detect. The paragraphs are
 * written for these tests in the style of the news pages users send. */
#include "check.h"
#include "langid.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

struct para {
	const char *lang;
	const char *text;
};

static const struct para paras[] = {
	{"fr", "Les discussions entre le gouvernement et les syndicats de cheminots ont repris "
	       "mardi matin à Paris. Selon plusieurs sources proches du dossier, un accord sur les "
	       "salaires pourrait être trouvé avant la fin de la semaine, mais la grève reste "
	       "maintenue."},
	{"en", "Talks between the government and the rail unions resumed on Tuesday morning in "
	       "London. Several people familiar with the matter said a deal on wages could be "
	       "reached before the end of the week, but the strike remains in place for now."},
	{"de", "Die Gespräche zwischen der Regierung und den Bahngewerkschaften wurden am "
	       "Dienstag in Berlin fortgesetzt. Nach Angaben aus Verhandlungskreisen könnte eine "
	       "Einigung über die Löhne noch vor dem Wochenende gelingen, der Streik geht aber "
	       "weiter."},
	{"es", "Las conversaciones entre el Gobierno y los sindicatos ferroviarios se reanudaron "
	       "el martes por la mañana en Madrid. Según varias fuentes cercanas a la negociación, "
	       "el acuerdo salarial podría cerrarse antes del fin de semana, pero la huelga "
	       "sigue."},
	{"id", "Perundingan antara pemerintah dan serikat pekerja kereta api kembali dilanjutkan "
	       "pada hari Selasa di Jakarta. Menurut beberapa sumber, kesepakatan mengenai upah "
	       "kemungkinan tercapai sebelum akhir pekan, tetapi pemogokan masih terus "
	       "berlangsung."},
};

static void
detect(const char *text, const char *hint, struct mnemo_langid *r)
{
	memset(r, 0x5a, sizeof(*r)); /* garbage, so a field left unset shows */
	mnemo_langid_detect(text, text != NULL ? strlen(text) : 0, hint, r);
}

static void
test_paragraphs(void)
{
	struct mnemo_langid r;
	size_t i;

	for (i = 0; i < N_OF(paras); i++) {
		detect(paras[i].text, NULL, &r);
		CHECK_STR(r.lang, paras[i].lang);
		CHECK_MSG(r.reliable, "%s paragraph not reliable", paras[i].lang);
		CHECK_MSG(r.percent >= 90, "%s: %d%%", paras[i].lang, r.percent);
		CHECK_MSG(r.letters > 150 && r.letters < strlen(paras[i].text), "%s: %zu letters",
			  paras[i].lang, r.letters);
	}
}

/* Short lines, as news pages have them, are never reliable: CLD2 itself calls "Voir les
 * commentaires" reliable French, the letter threshold does not. */
static void
test_short_lines(void)
{
	static const char *const lines[] = {
		"Bonjour",
		"Karabakh",
		"Lire aussi",
		"PUBLICITÉ",
		"Voir les commentaires",
		"Le cessez-le-feu tient",
	};
	struct mnemo_langid r;
	size_t i;

	for (i = 0; i < N_OF(lines); i++) {
		detect(lines[i], NULL, &r);
		CHECK_MSG(!r.reliable, "'%s' reliable as %s", lines[i], r.lang);
		CHECK(r.letters < 30);
	}
	/* A guess is still given below CLD2's own minimum. */
	detect("Voir les commentaires", NULL, &r);
	CHECK_STR(r.lang, "fr");
	CHECK_INT(r.letters, 19);
	detect("Bonjour", NULL, &r);
	CHECK_STR(r.lang, "fr");
	CHECK_INT(r.letters, 7);

	/* A full short sentence crosses the threshold. */
	detect("Le gouvernement a présenté mercredi son projet de budget.", NULL, &r);
	CHECK_STR(r.lang, "fr");
	CHECK(r.reliable);
}

static void
test_unknown(void)
{
	struct mnemo_langid r;

	detect("1234 !!!", NULL, &r);
	CHECK_STR(r.lang, "und");
	CHECK(!r.reliable);
	CHECK_INT(r.percent, 0);
	CHECK_INT(r.letters, 0);

	detect("", NULL, &r);
	CHECK_STR(r.lang, "und");
	CHECK(!r.reliable);
	CHECK_INT(r.letters, 0);

	detect(NULL, "fr", &r);
	CHECK_STR(r.lang, "und");
	CHECK(!r.reliable);

	detect("22/09/2023 à 15:06 — 12 € — 3,5 % — (+33) 1 23 45 67 89", "fr", &r);
	CHECK_INT(r.letters, 1); /* the "à" */
	CHECK(!r.reliable);

	detect("\xe2\x80\xa2 \xc2\xbb \xe2\x80\xa6 *** ---", NULL, &r);
	CHECK_STR(r.lang, "und");
	CHECK_INT(r.letters, 0);
}

static void
test_mixed(void)
{
	static const char mixed[] =
		"Le Premier ministre a défendu jeudi devant les députés une réforme des retraites "
		"jugée indispensable par le gouvernement. L'opposition dénonce un texte injuste et "
		"promet de déposer des centaines d'amendements dès la semaine prochaine. Les "
		"syndicats appellent à une nouvelle journée de mobilisation le 12 octobre. "
		"The prime minister told reporters the plan was final.";
	static const char franglais[] =
		"Le patron de la start-up, qui a lancé son app l'an dernier, veut faire de la data "
		"le cœur de son business model et vise un nouveau round de financement.";
	/* Here CLD2 scores its chunks about half French, half English and will not call it
	 * reliable: still French, as a guess. */
	static const char heavy[] =
		"La start-up a levé vingt millions d'euros pour développer son cloud et recruter "
		"des data scientists, une levée de fonds saluée par les business angels du "
		"secteur.";
	struct mnemo_langid r;

	detect(mixed, NULL, &r);
	CHECK_STR(r.lang, "fr");
	CHECK(r.reliable);
	CHECK_MSG(r.percent >= 60 && r.percent < 100, "%d%%", r.percent);

	/* English words inside French stay French. */
	detect(franglais, NULL, &r);
	CHECK_STR(r.lang, "fr");
	CHECK(r.reliable);
	detect(heavy, NULL, &r);
	CHECK_STR(r.lang, "fr");
	CHECK(!r.reliable);
	CHECK_MSG(r.percent < 70, "%d%%", r.percent);
}

/* "Date limite" reads as English, French, German or Spanish alike: the hint decides. */
static void
test_hint(void)
{
	struct mnemo_langid r;

	detect("Date limite", "fr", &r);
	CHECK_STR(r.lang, "fr");
	CHECK(!r.reliable);
	detect("Date limite", "de", &r);
	CHECK_STR(r.lang, "de");
	detect("Date limite", "es", &r);
	CHECK_STR(r.lang, "es");
	detect("Date limite", "en", &r);
	CHECK_STR(r.lang, "en");

	/* Any spelling of the tag works; a tag CLD2 does not know is no hint. */
	detect("Date limite", "FR", &r);
	CHECK_STR(r.lang, "fr");
	detect("Date limite", "fr_CA", &r);
	CHECK_STR(r.lang, "fr");
	detect("Date limite", "french", &r);
	CHECK(strcmp(r.lang, "und") != 0);
	detect("Date limite", "", &r);
	CHECK(strcmp(r.lang, "und") != 0);

	/* A hint does not overrule a clear paragraph. */
	detect(paras[1].text, "fr", &r);
	CHECK_STR(r.lang, "en");
	CHECK(r.reliable);
}

/* CLD2's codes that BCP 47 spells otherwise, and one it spells the same. */
static void
test_tags(void)
{
	struct mnemo_langid r;

	detect("הממשלה הודיעה היום על תוכנית חדשה לבניית דירות בערים הגדולות, והשרים "
	       "יצביעו עליה בשבוע הבא.",
	       NULL, &r);
	CHECK_STR(r.lang, "he");
	detect("Pamarentah ngumumake rencana anyar kanggo mbangun omah kanggo warga ing "
	       "kutha-kutha gedhe, lan para menteri bakal milih rencana kasebut minggu ngarep.",
	       NULL, &r);
	CHECK_STR(r.lang, "jv");
	detect("政府今天宣佈一項新計劃，將在各大城市興建公共住宅，並將在下週由立法院表決。", NULL, &r);
	CHECK_STR(r.lang, "zh-Hant");
	CHECK(r.letters > 20 && r.letters < 40); /* one letter per ideograph */
}

/* Only MNEMO_LANGID_MAX_BYTES are read, cut before a character that would cross it. */
static void
test_truncation(void)
{
	size_t n = 2 * MNEMO_LANGID_MAX_BYTES + 10, len, i;
	struct mnemo_langid r;
	char *s = malloc(n);

	CHECK(s != NULL);
	if (s == NULL) {
		return;
	}
	/* "a" then "é" (2 bytes): byte MAX_BYTES is the second byte of an "é". */
	s[0] = 'a';
	for (i = 1; i + 1 < n; i += 2) {
		s[i] = '\xc3';
		s[i + 1] = '\xa9';
	}
	len = i;
	mnemo_langid_detect(s, len, NULL, &r);
	CHECK_INT(r.letters, 1 + (MNEMO_LANGID_MAX_BYTES - 2) / 2);

	/* A French paragraph repeated past the limit is still French. */
	len = 0;
	while (len + strlen(paras[0].text) + 1 < n) {
		memcpy(s + len, paras[0].text, strlen(paras[0].text));
		len += strlen(paras[0].text);
		s[len++] = ' ';
	}
	mnemo_langid_detect(s, len, NULL, &r);
	CHECK_STR(r.lang, "fr");
	CHECK(r.reliable);
	CHECK(r.letters < MNEMO_LANGID_MAX_BYTES);
	free(s);

	/* Invalid UTF-8 (against the contract): what precedes it is read, no more. */
	mnemo_langid_detect("Le gouvernement \xff tient bon", 28, NULL, &r);
	CHECK_INT(r.letters, 14);
}

enum { N_THREADS = 4, N_ROUNDS = 1000 };

struct worker {
	int id;
	int mismatches;
};

static struct mnemo_langid expected[N_OF(paras)];

static void *
work(void *arg)
{
	struct worker *w = arg;
	int k;

	for (k = 0; k < N_ROUNDS; k++) {
		size_t i = (size_t)(k + w->id) % N_OF(paras);
		struct mnemo_langid r;

		mnemo_langid_detect(paras[i].text, strlen(paras[i].text), k % 2 ? "fr" : NULL, &r);
		if (strcmp(r.lang, expected[i].lang) != 0 || r.reliable != expected[i].reliable ||
		    r.percent != expected[i].percent || r.letters != expected[i].letters) {
			w->mismatches++;
		}
	}
	return NULL;
}

static void
test_threads(void)
{
	struct worker workers[N_THREADS];
	pthread_t tids[N_THREADS];
	size_t i;
	int t;

	for (i = 0; i < N_OF(paras); i++) {
		mnemo_langid_detect(paras[i].text, strlen(paras[i].text), NULL, &expected[i]);
	}
	for (t = 0; t < N_THREADS; t++) {
		workers[t].id = t;
		workers[t].mismatches = 0;
		CHECK_INT(pthread_create(&tids[t], NULL, work, &workers[t]), 0);
	}
	for (t = 0; t < N_THREADS; t++) {
		CHECK_INT(pthread_join(tids[t], NULL), 0);
		CHECK_INT(workers[t].mismatches, 0);
	}
}

/* The quick test by function words: "yes" for plain French and English, never for the
 * languages that share words with them. */
static void
test_plainly(void)
{
	static const struct {
		const char *lang, *text;
		bool plainly;
	} cases[] = {
		{"fr", "Les pompiers sont intervenus dans la nuit pour évacuer une centaine "
		       "d'habitants, et la préfecture a ouvert une cellule de crise.", true},
		{"fr-CA", "Le gouvernement a annoncé des mesures pour les familles et les aînés.",
		 true},
		{"fr", "El presidente del Gobierno celebró el acuerdo como una victoria de la "
		       "unidad europea y pidió más esfuerzos a los socios.", false},
		{"fr", "El Govern de la Generalitat ha aprovat les mesures per fer front a la "
		       "sequera, que afecten més de sis milions de persones.", false},
		{"fr", "Il presidente del Consiglio ha detto che le misure saranno adottate entro "
		       "la fine del mese.", false},
		{"fr", "O governo anunciou que as medidas serão aplicadas até ao final do mês e "
		       "que não haverá recuo.", false},
		{"fr", "The minister said the talks would resume on Monday in Geneva.", false},
		{"en", "The minister said the talks would resume on Monday in Geneva, and that "
		       "the ceasefire was holding.", true},
		{"en", "Deutschland ist und bleibt der größte Unterstützer der Ukraine in Europa.",
		 false},
		{"fr", "Qui le opposizioni chiedono più tempo, ma le regioni hanno già approvato "
		       "il piano per le scuole e per gli ospedali.", false},
		/* guillemets and no-break spaces separate words: "«\u00a0Nous" is "Nous" */
		{"fr", "«\u00a0Nous ne pouvions plus attendre\u00a0», a déclaré M. Lemaire à "
		       "l\u2019issue d\u2019une séance de près de quatre heures.", true},
		{"fr", "Bonjour à tous.", false}, /* too few words to say */
		{"de", "Deutschland ist und bleibt der größte Unterstützer der Ukraine.", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = mnemo_langid_plainly(cases[i].lang, cases[i].text,
						strlen(cases[i].text));

		CHECK_MSG(got == cases[i].plainly, "[%s] %s: plainly %d", cases[i].lang,
			  cases[i].text, got);
	}
}

int
main(void)
{
	test_paragraphs();
	test_short_lines();
	test_unknown();
	test_mixed();
	test_hint();
	test_tags();
	test_truncation();
	test_threads();
	test_plainly();
	return check_exit();
}
