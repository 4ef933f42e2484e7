/* Boilerplate in scraped news text: a rule-based classifier of one paragraph.
 *
 * The paragraph is trimmed and (its first LONG_BYTES) copied into a stack buffer in a
 * normalised form: lower case, accents off ("PUBLICITÉ" -> "publicite"), typographic
 * apostrophes, quotes and dashes made ASCII, '…' spelt "...", every run of white space
 * (NBSP and U+202F included) one space. The case of each source character is kept beside
 * it, because capitals tell a link from a sentence: "Lire aussi Les négociations
 * reprennent" is a link, "Lire aussi les conditions avant de signer." is not. Then the
 * copy is cut into words and punctuation, and a paragraph is boilerplate when
 *
 *   1. it starts with a prefix rule: "lire aussi :" and a title, "READ" in capitals and a
 *      title, "similar news:", a cookie or subscription notice, a prompt left in by a
 *      content farm ("Customize this title in french...");
 *      -- paragraphs longer than LONG_BYTES stop here: furniture is short, and only these
 *         prefixes announce text that is not the article whatever follows them;
 *   2. it has no letter at all: "»", "• • •", "12:30", "22/09/2023", "-57";
 *   3. it is a whole-line label, bullets and trailing ":", "»", "..." aside: "publicité",
 *      "voir les commentaires", "les commentaires (1)", "source link -57";
 *   4. it contains a phrase: "tous droits réservés";
 *   5. it is a date line: dates, times, "publié le", "il y a 7 mois", with at most a
 *      user or author name at one end ("nounou32 Il y a 7 mois Le 22/09/2023 à 15:06");
 *   6. it is a photo credit: an agency at the end, or first and then a separator, and
 *      at most four names ("Isgender GANBAROV / AFP", "AFP - BRYAN R. SMITH", "Photo
 *      AFP"), not a headline in title case ("Reuters Names New CEO"); a caption before
 *      the credit ("Le port, le 14 octobre. AFP - PAUL LEROUX") is text to translate;
 *   7. it is made of menu and share-button words only ("Partager : Facebook Twitter");
 *   8. it is a breadcrumb or a tag list: "Accueil > Monde > Europe";
 *   9. it is one to three words in capitals ("VIDÉO", "EN DIRECT").
 *
 * Prefix rules 1 also cover short lines of given shapes: a credit after "Photo :" and a
 * byline after "Par" / "By" (names, roles, dates: "Par Claire Martin, envoyée spéciale").
 *
 * Rules come from tables, one block per language (neutral, fr, en); a paragraph gets the
 * neutral block and its document's language block. The neutral block holds symbols,
 * agencies and the English words of web pages in any language ("Source link", "Share",
 * "Similar News:"), as the French seed pages show them. Patterns are written normalised
 * (lower case, no accents, "'" for apostrophes), with '#' for a run of digits. */
#include "boiler.h"
#include "hash.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf8.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

enum {
	/* Longer paragraphs get the prefix rules only. The longest furniture in the seeds,
	 * a comment-quota notice, is 110 bytes; a cookie banner can pass 300 but starts
	 * with a prefix rule. */
	LONG_BYTES = 300,
	PREFIX_WINDOW = 160, /* of a long paragraph, read for rule 1: the longest prefix is 47 */
	/* Lower case can take more bytes than upper case (U+023A -> U+2C65): 1.5 times at
	 * most. */
	NORM_CAP = 2 * LONG_BYTES + 8,
	MAX_TOKENS = 160, /* more (a line of 160 "!") and only rules 1-4 apply */
	WORD_MAX = 40,    /* longer words are in no table */
	MAX_CREDIT_WORDS = 10,
	MAX_CREDIT_NAMES = 4,  /* two people's names; a headline has more capitals */
	MAX_BYLINE_WORDS = 12, /* "Par X et Y, envoyés spéciaux, le 3 mars" */
	MAX_NAV_WORDS = 8,
	MAX_CAPS_WORDS = 3,
	MAX_CRUMB_WORDS = 3, /* per part of a breadcrumb */
	MAX_DATE_EXTRA = 3,  /* words beside a date line's date: a user name, an author */
};

enum prefix_kind {
	ANY,    /* whatever follows */
	LINK,   /* a link follows: a separator (":", "»", "|") or a capital or digit */
	SEP,    /* a separator follows: English headlines capitalise every word */
	CAPS,   /* written in capitals, and what follows is not: "READ  Climat : ..." */
	CREDIT, /* names, agencies, numbers follow (short lines): "Photo : X / AFP" */
	BYLINE, /* names, roles, dates follow (short lines): "Par Claire Martin" */
};

struct prefix {
	const char *pat;
	enum prefix_kind kind;
};

/* What a word can be in a line of furniture; a word may be several. */
enum {
	W_MONTH = 1 << 0,   /* with a number, a date: "22 septembre" */
	W_DAY = 1 << 1,     /* weekday */
	W_UNIT = 1 << 2,    /* unit of time: "7 mois", "3 hours" */
	W_AGO = 1 << 3,     /* with a unit, a relative time: "ago", the "y" of "il y a" */
	W_DATE = 1 << 4,    /* other words of date lines: "le", "à", "publié", "updated", "pm" */
	W_NAV = 1 << 5,     /* menu and share buttons: "accueil", "facebook" */
	W_FILL = 1 << 6,    /* between button words: "sur", "on" */
	W_LINK = 1 << 7,    /* between names: "de", "van", "et", "and" */
	W_ROLE = 1 << 8,    /* in bylines: "envoyée spéciale", "staff writer" */
	W_CREDIT = 1 << 9,  /* in photo credits: "photo", "archives", "via", "avec" */
	W_AGENCY = 1 << 10, /* news and photo agencies */
	W_TIME_WORDS = W_MONTH | W_DAY | W_UNIT | W_AGO | W_DATE,
};

struct word {
	const char *w;
	unsigned cls;
};

/* The words of one table by hash, built once: 0 is an empty slot, else the word's index
 * plus one. A paragraph's every word is looked up, so this is the hot loop. */
enum { WORD_SLOTS = 1024 };
struct word_index {
	uint16_t slot[WORD_SLOTS];
};

struct rules {
	const char *const *labels;
	size_t n_labels;
	const struct prefix *prefixes;
	size_t n_prefixes;
	const char *const *phrases;
	size_t n_phrases;
	const struct word *words; /* sorted by bytes (memcmp order): one entry per word */
	size_t n_words;
	struct word_index *index;
};

#define RULES(l)                                                                                   \
	{                                                                                          \
		labels_##l, N_OF(labels_##l), prefixes_##l, N_OF(prefixes_##l), phrases_##l,       \
			N_OF(phrases_##l), words_##l, N_OF(words_##l), &index_##l                   \
	}

/* ---- Language-neutral: symbols, agencies, the English of web pages everywhere ---- */

/* One entry a line, so that a change to a list is a one-line diff. */
/* clang-format off */
static const char *const labels_neutral[] = {
	"ad",
	"ads",
	"advertisement",
	"advertising",
	"also read",
	"baca juga", /* Indonesian aggregators: "read also", "read more", "similar news" */
	"baca selengkapnya",
	"berita serupa",
	"berita terkait",
	"back to top",
	"breaking news",
	"click here",
	"comments",
	"comments (#)",
	"# comments",
	"cookies",
	"home",
	"live",
	"loading",
	"login",
	"log in",
	"menu",
	"more",
	"newsletter",
	"next",
	"partner content",
	"photos",
	"podcast",
	"prev",
	"previous",
	"print",
	"promoted",
	"read also",
	"read more",
	"related",
	"related articles",
	"related news",
	"related stories",
	"rss",
	"search",
	"see also",
	"see more",
	"share",
	"share this",
	"share this article",
	"sign in",
	"sign up",
	"similar news",
	"source link",
	"source link -#",
	"sponsored",
	"sponsored content",
	"subscribe",
	"top",
	"trending",
	"tweet",
	"tweet this",
	"video",
	"videos",
};

static const struct prefix prefixes_neutral[] = {
	{"also read", SEP},
	{"read also", SEP},
	{"read more", SEP},
	{"related", SEP},
	{"see also", SEP},
	{"similar news", SEP},
	{"read", CAPS},
	{"read more", CAPS},
	{"watch", CAPS},
	{"listen", CAPS},
	{"\xc2\xa9", CREDIT}, /* © */
	{"(c)", CREDIT},
	{"copyright", CREDIT},
	/* Indonesian aggregators: "source", "related news", "latest news" (a masthead) */
	{"sumber", CREDIT},
	{"berita terkait", SEP},
	{"berita terkini", ANY},
	/* Instructions to a text generator, left in by content farms. */
	{"customize this title in", ANY},
	{"make this article seo", ANY},
	{"let there be subheadings", ANY},
	{"write at least # words", ANY},
};

static const char *const phrases_neutral[] = {
	"all rights reserved",
};

static const struct word words_neutral[] = {
	{"aap", W_AGENCY},
	{"abaca", W_AGENCY},
	{"afp", W_AGENCY},
	{"alamy", W_AGENCY},
	{"anadolu", W_AGENCY},
	{"ansa", W_AGENCY},
	{"ap", W_AGENCY},
	{"archives", W_CREDIT},
	{"article", W_FILL},
	{"associated", W_AGENCY},
	{"belga", W_AGENCY},
	{"c", W_CREDIT},
	{"copyright", W_CREDIT},
	{"credit", W_CREDIT},
	{"credits", W_CREDIT},
	{"dpa", W_AGENCY},
	{"e-mail", W_NAV},
	{"efe", W_AGENCY},
	{"email", W_NAV},
	{"epa", W_AGENCY},
	{"facebook", W_NAV},
	{"flipboard", W_NAV},
	{"getty", W_AGENCY},
	{"gmt", W_DATE},
	{"home", W_NAV},
	{"illustration", W_CREDIT},
	{"image", W_CREDIT},
	{"images", W_CREDIT},
	{"imago", W_AGENCY},
	{"instagram", W_NAV},
	{"istock", W_AGENCY},
	{"link", W_FILL},
	{"linkedin", W_NAV},
	{"login", W_NAV},
	{"mail", W_NAV},
	{"maxppp", W_AGENCY},
	{"menu", W_NAV},
	{"messenger", W_NAV},
	{"next", W_NAV},
	{"nurphoto", W_AGENCY},
	{"on", W_FILL},
	{"pa", W_AGENCY},
	{"photo", W_CREDIT},
	{"photos", W_CREDIT},
	{"pinterest", W_NAV},
	{"pool", W_CREDIT},
	{"prev", W_NAV},
	{"previous", W_NAV},
	{"print", W_NAV},
	{"reddit", W_NAV},
	{"reuters", W_AGENCY},
	{"rss", W_NAV},
	{"search", W_NAV},
	{"share", W_NAV},
	{"shutterstock", W_AGENCY},
	{"sipa", W_AGENCY},
	{"sms", W_NAV},
	{"source", W_CREDIT},
	{"sources", W_CREDIT},
	{"tass", W_AGENCY},
	{"telegram", W_NAV},
	{"the", W_FILL},
	{"this", W_FILL},
	{"tiktok", W_NAV},
	{"tweet", W_NAV},
	{"twitter", W_NAV},
	{"upi", W_AGENCY},
	{"utc", W_DATE},
	{"via", W_FILL | W_CREDIT},
	{"whatsapp", W_NAV},
	{"x", W_NAV},
	{"xinhua", W_AGENCY},
	{"youtube", W_NAV},
	{"zuma", W_AGENCY},
};
/* clang-format on */

/* ---- French ---- */

/* clang-format off */
static const char *const labels_fr[] = {
	"# commentaire",
	"# commentaires",
	"# min de lecture",
	"a la une",
	"a lire",
	"a lire aussi",
	"a lire egalement",
	"a voir",
	"a voir aussi",
	"abonnez vous",
	"abonnez-vous",
	"accepter",
	"accueil",
	"afficher les commentaires",
	"afficher plus",
	"ajouter a mes favoris",
	"ajouter un commentaire",
	"article precedent",
	"article reserve aux abonnes",
	"article suivant",
	"charger plus",
	"commentaire",
	"commentaires",
	"commentaires (#)",
	"commenter",
	"conditions generales d'utilisation",
	"connexion",
	"contenu partenaire",
	"contenu sponsorise",
	"continuer sans accepter",
	"copier le lien",
	"credit photo",
	"dans la meme rubrique",
	"deja abonne",
	"diaporama",
	"direct",
	"ecouter",
	"ecouter cet article",
	"ecouter l'article",
	"ecrire un commentaire",
	"en direct",
	"en images",
	"en savoir plus",
	"envoyer par e-mail",
	"envoyer par mail",
	"exclusif abonnes",
	"fermer",
	"gerer les cookies",
	"haut de page",
	"imprimer",
	"infographie",
	"je m'abonne",
	"laisser un commentaire",
	"les commentaires",
	"les commentaires (#)",
	"les plus lus",
	"les plus partages",
	"lien copie",
	"lire aussi",
	"lire egalement",
	"lire la suite",
	"lire plus",
	"masquer les commentaires",
	"mentions legales",
	"mis a jour",
	"mis a jour le",
	"mise a jour",
	"modifie le",
	"mon compte",
	"newsletters",
	"nous suivre",
	"offrir cet article",
	"page precedente",
	"page suivante",
	"parametrer les cookies",
	"partager",
	"partager cet article",
	"partager l'article",
	"partager sur facebook",
	"partager sur twitter",
	"partager sur x",
	"photo d'illustration",
	"politique de confidentialite",
	"precedent",
	"pub",
	"publicite",
	"publie le",
	"reagir",
	"reagir (#)",
	"recherche",
	"rechercher",
	"refuser",
	"reserve aux abonnes",
	"retour",
	"retour a l'accueil",
	"retour en haut",
	"rubriques",
	"s'abonner",
	"s'inscrire",
	"se connecter",
	"sommaire",
	"suivant",
	"suivez-nous",
	"suivez-nous sur",
	"sur le meme sujet",
	"sur le meme theme",
	"telecharger l'application",
	"temps de lecture : # min",
	"tout accepter",
	"tout refuser",
	"tout voir",
	"video",
	"videos",
	"voir aussi",
	"voir egalement",
	"voir la video",
	"voir les # commentaires",
	"voir les commentaires",
	"voir les photos",
	"voir plus",
	"voir tout",
};

static const struct prefix prefixes_fr[] = {
	{"a decouvrir", LINK},
	{"a lire", LINK},
	{"a lire aussi", LINK},
	{"a lire egalement", LINK},
	{"a voir", LINK},
	{"a voir aussi", LINK},
	{"decouvrez aussi", LINK},
	{"lire aussi", LINK},
	{"lire egalement", LINK},
	{"lire la suite", LINK},
	{"sur le meme sujet", LINK},
	{"sur le meme theme", LINK},
	{"voir aussi", LINK},
	{"voir egalement", LINK},
	{"lire", CAPS},
	{"voir", CAPS},
	{"credit", CREDIT},
	{"credit photo", CREDIT},
	{"credits", CREDIT},
	{"credits photo", CREDIT},
	{"illustration", CREDIT},
	{"photo", CREDIT},
	{"photos", CREDIT},
	{"source", CREDIT},
	{"sources", CREDIT},
	{"par", BYLINE},
	{"propos recueillis par", BYLINE},
	{"un article de", BYLINE},
	/* Comment, subscription and cookie notices, whole paragraphs of them. */
	{"vous avez droit a # commentaire", ANY},
	{"vous avez droit a # commentaires", ANY},
	{"souhaitez-vous recevoir une notification", ANY},
	{"pour contribuer en illimite", ANY},
	{"cet article est reserve aux abonnes", ANY},
	{"la suite de cet article est reservee", ANY},
	{"il vous reste #% de cet article", ANY},
	{"il vous reste # % de cet article", ANY},
	{"abonnez-vous pour lire", ANY},
	{"inscrivez-vous a notre newsletter", ANY},
	{"abonnez-vous a notre newsletter", ANY},
	{"recevez notre newsletter", ANY},
	{"newsletter : recevez", ANY},
	{"newsletter : inscrivez-vous", ANY},
	{"newsletter : abonnez-vous", ANY},
	{"nous utilisons des cookies", ANY},
	{"ce site utilise des cookies", ANY},
	{"en poursuivant votre navigation", ANY},
	{"votre adresse e-mail ne sera pas publiee", ANY},
	{"votre adresse de messagerie ne sera pas publiee", ANY},
	{"vous devez etre connecte", ANY},
	{"connectez-vous pour", ANY},
	{"cette page a-t-elle ete utile", ANY},
	{"cet article vous a-t-il ete utile", ANY},
	{"partager sur", ANY},
	{"derniere modification", LINK},
	{"derniere mise a jour", LINK},
	{"precedent", LINK},
	{"suivant", LINK},
};

static const char *const phrases_fr[] = {
	"droits de reproduction reserves",
	"reproduction interdite",
	"tous droits reserves",
};

static const struct word words_fr[] = {
	{"a", W_DATE | W_FILL | W_LINK},
	{"abonnez-vous", W_NAV},
	{"accueil", W_NAV},
	{"actualise", W_DATE},
	{"actualisee", W_DATE},
	{"agence", W_CREDIT},
	{"agences", W_CREDIT},
	{"al", W_LINK},
	{"an", W_UNIT},
	{"annee", W_UNIT},
	{"annees", W_UNIT},
	{"ans", W_UNIT},
	{"aout", W_MONTH},
	{"article", W_FILL},
	{"au", W_DATE | W_LINK},
	{"aujourd'hui", W_DATE},
	{"aux", W_DATE},
	{"avec", W_CREDIT},
	{"avr", W_MONTH},
	{"avril", W_MONTH},
	{"ben", W_LINK},
	{"ce", W_DATE | W_FILL},
	{"cet", W_DATE | W_FILL},
	{"commenter", W_NAV},
	{"connexion", W_NAV},
	{"copier", W_NAV},
	{"correspondant", W_ROLE},
	{"correspondante", W_ROLE},
	{"correspondantes", W_ROLE},
	{"correspondants", W_ROLE},
	{"cree", W_DATE},
	{"creee", W_DATE},
	{"d", W_DATE | W_LINK},
	{"da", W_LINK},
	{"de", W_DATE | W_FILL | W_LINK},
	{"dec", W_MONTH},
	{"decembre", W_MONTH},
	{"deconnexion", W_NAV},
	{"den", W_LINK},
	{"der", W_LINK},
	{"dernier", W_DATE},
	{"derniere", W_DATE},
	{"des", W_DATE | W_LINK},
	{"di", W_LINK},
	{"dimanche", W_DAY},
	{"du", W_DATE | W_FILL | W_LINK},
	{"el", W_LINK},
	{"en", W_DATE | W_FILL | W_LINK},
	{"envoye", W_ROLE},
	{"envoyee", W_ROLE},
	{"envoyees", W_ROLE},
	{"envoyer", W_NAV},
	{"envoyes", W_ROLE},
	{"et", W_DATE | W_FILL | W_LINK},
	{"fermer", W_NAV},
	{"fev", W_MONTH},
	{"fevr", W_MONTH},
	{"fevrier", W_MONTH},
	{"h", W_UNIT},
	{"haut", W_FILL},
	{"heure", W_UNIT | W_DATE},
	{"heures", W_UNIT},
	{"hier", W_DATE},
	{"il", W_DATE},
	{"imprimer", W_NAV},
	{"inscription", W_NAV},
	{"janv", W_MONTH},
	{"janvier", W_MONTH},
	{"jeudi", W_DAY},
	{"jour", W_UNIT},
	{"journaliste", W_ROLE},
	{"journalistes", W_ROLE},
	{"jours", W_UNIT},
	{"juil", W_MONTH},
	{"juillet", W_MONTH},
	{"juin", W_MONTH},
	{"l'article", W_FILL},
	{"la", W_DATE | W_FILL | W_LINK},
	{"le", W_DATE | W_FILL | W_LINK},
	{"les", W_DATE | W_FILL},
	{"lien", W_FILL},
	{"ligne", W_DATE},
	{"lundi", W_DAY},
	{"mai", W_MONTH},
	{"maj", W_DATE},
	{"mardi", W_DAY},
	{"mars", W_MONTH},
	{"matin", W_DATE},
	{"mercredi", W_DAY},
	{"midi", W_DATE},
	{"min", W_UNIT},
	{"minuit", W_DATE},
	{"minute", W_UNIT},
	{"minutes", W_UNIT},
	{"mis", W_DATE},
	{"mise", W_DATE},
	{"mn", W_UNIT},
	{"modifie", W_DATE},
	{"modifiee", W_DATE},
	{"mois", W_UNIT},
	{"newsletter", W_NAV},
	{"newsletters", W_NAV},
	{"nous", W_FILL},
	{"nov", W_MONTH},
	{"novembre", W_MONTH},
	{"oct", W_MONTH},
	{"octobre", W_MONTH},
	{"page", W_FILL},
	{"par", W_FILL | W_LINK},
	{"partager", W_NAV},
	{"plus", W_FILL},
	{"precedent", W_NAV},
	{"publie", W_DATE},
	{"publiee", W_DATE},
	{"reagir", W_NAV},
	{"recherche", W_NAV},
	{"rechercher", W_NAV},
	{"redaction", W_ROLE},
	{"retour", W_NAV},
	{"rubriques", W_NAV},
	{"s'abonner", W_NAV},
	{"s'inscrire", W_NAV},
	{"samedi", W_DAY},
	{"seconde", W_UNIT},
	{"secondes", W_UNIT},
	{"semaine", W_UNIT},
	{"semaines", W_UNIT},
	{"sept", W_MONTH},
	{"septembre", W_MONTH},
	{"service", W_ROLE},
	{"soir", W_DATE},
	{"sommaire", W_NAV},
	{"special", W_ROLE},
	{"speciale", W_ROLE},
	{"speciales", W_ROLE},
	{"speciaux", W_ROLE},
	{"suivant", W_NAV},
	{"suivez-nous", W_NAV},
	{"sur", W_FILL},
	{"tous", W_FILL},
	{"tout", W_FILL},
	{"toutes", W_FILL},
	{"un", W_DATE},
	{"une", W_DATE},
	{"van", W_LINK},
	{"vendredi", W_DAY},
	{"vers", W_DATE},
	{"von", W_LINK},
	{"y", W_AGO},
};
/* clang-format on */

/* ---- English ---- */

/* clang-format off */
static const char *const labels_en[] = {
	"# min read",
	"# mins read",
	"# minute read",
	"about us",
	"accept",
	"accept all",
	"accept all cookies",
	"add a comment",
	"advertisement - scroll to continue",
	"article continues below",
	"back",
	"comment",
	"contact us",
	"continue reading",
	"continue reading below",
	"cookie policy",
	"cookie settings",
	"copy link",
	"follow us",
	"follow us on",
	"go back",
	"hide comments",
	"join the conversation",
	"latest",
	"latest news",
	"leave a comment",
	"link copied",
	"listen",
	"listen to this article",
	"manage cookies",
	"more news",
	"more on this story",
	"more stories",
	"most popular",
	"most read",
	"most viewed",
	"post a comment",
	"posted",
	"print this article",
	"privacy policy",
	"published",
	"recommended",
	"recommended for you",
	"reject all",
	"related topics",
	"save",
	"save article",
	"scroll to continue with content",
	"share on facebook",
	"share on twitter",
	"share via email",
	"show comments",
	"sign in to comment",
	"sign up for our newsletter",
	"skip to content",
	"skip to main content",
	"story continues below",
	"story continues below advertisement",
	"subscribe now",
	"terms and conditions",
	"terms of service",
	"terms of use",
	"top stories",
	"updated",
	"view # comments",
	"view comments",
	"watch",
	"watch video",
	"you may also like",
	"you might also like",
};

static const struct prefix prefixes_en[] = {
	{"listen", SEP},
	{"more on this story", SEP},
	{"recommended", SEP},
	{"watch", SEP},
	{"credit", CREDIT},
	{"image", CREDIT},
	{"photo", CREDIT},
	{"photograph", CREDIT},
	{"picture", CREDIT},
	{"source", CREDIT},
	{"by", BYLINE},
	{"editing by", BYLINE},
	{"posted by", BYLINE},
	{"reported by", BYLINE},
	{"story by", BYLINE},
	{"written by", BYLINE},
	/* Agency credit lines and notices, whole paragraphs of them. */
	{"(reporting by", ANY},
	{"additional reporting by", ANY},
	{"click here to", ANY},
	{"comments are closed", ANY},
	{"we use cookies", ANY},
	{"this site uses cookies", ANY},
	{"this website uses cookies", ANY},
	{"by continuing to use this", ANY},
	{"sign up for our", ANY},
	{"subscribe to our newsletter", ANY},
	{"this article is for subscribers", ANY},
	{"already a subscriber", ANY},
	{"you have reached your limit of free", ANY},
	{"contact the newsroom", ANY},
	{"share on", ANY},
	{"was this page helpful", ANY},
	{"last updated", LINK},
};

static const char *const phrases_en[] = {
	"all rights reserved",
	"min read",
};

static const struct word words_en[] = {
	{"a", W_DATE},
	{"ago", W_AGO},
	{"al", W_LINK},
	{"all", W_FILL},
	{"am", W_DATE},
	{"an", W_DATE},
	{"and", W_LINK},
	{"apr", W_MONTH},
	{"april", W_MONTH},
	{"at", W_DATE},
	{"aug", W_MONTH},
	{"august", W_MONTH},
	{"back", W_NAV},
	{"bin", W_LINK},
	{"bst", W_DATE},
	{"business", W_ROLE},
	{"by", W_LINK},
	{"cdt", W_DATE},
	{"cest", W_DATE},
	{"cet", W_DATE},
	{"chief", W_ROLE},
	{"close", W_NAV},
	{"comments", W_NAV},
	{"contact", W_NAV},
	{"correspondent", W_ROLE},
	{"correspondents", W_ROLE},
	{"cst", W_DATE},
	{"ct", W_DATE},
	{"da", W_LINK},
	{"day", W_UNIT},
	{"days", W_UNIT},
	{"de", W_LINK},
	{"dec", W_MONTH},
	{"december", W_MONTH},
	{"der", W_LINK},
	{"di", W_LINK},
	{"edited", W_DATE},
	{"editor", W_ROLE},
	{"editors", W_ROLE},
	{"edt", W_DATE},
	{"el", W_LINK},
	{"est", W_DATE},
	{"et", W_DATE},
	{"feb", W_MONTH},
	{"february", W_MONTH},
	{"first", W_DATE},
	{"for", W_LINK},
	{"foreign", W_ROLE},
	{"fri", W_DAY},
	{"friday", W_DAY},
	{"hour", W_UNIT},
	{"hours", W_UNIT},
	{"hr", W_UNIT},
	{"hrs", W_UNIT},
	{"in", W_FILL},
	{"jan", W_MONTH},
	{"january", W_MONTH},
	{"jul", W_MONTH},
	{"july", W_MONTH},
	{"jun", W_MONTH},
	{"june", W_MONTH},
	{"la", W_LINK},
	{"last", W_DATE},
	{"le", W_LINK},
	{"listen", W_NAV},
	{"log", W_FILL},
	{"m", W_DATE},
	{"mar", W_MONTH},
	{"march", W_MONTH},
	{"may", W_MONTH},
	{"mdt", W_DATE},
	{"min", W_UNIT},
	{"mins", W_UNIT},
	{"minute", W_UNIT},
	{"minutes", W_UNIT},
	{"modified", W_DATE},
	{"mon", W_DAY},
	{"monday", W_DAY},
	{"month", W_UNIT},
	{"months", W_UNIT},
	{"more", W_FILL},
	{"mst", W_DATE},
	{"mt", W_DATE},
	{"nov", W_MONTH},
	{"november", W_MONTH},
	{"now", W_FILL},
	{"oct", W_MONTH},
	{"october", W_MONTH},
	{"of", W_DATE | W_LINK},
	{"on", W_DATE},
	{"our", W_FILL},
	{"out", W_FILL},
	{"p", W_DATE},
	{"page", W_FILL},
	{"pdt", W_DATE},
	{"pm", W_DATE},
	{"political", W_ROLE},
	{"posted", W_DATE},
	{"pst", W_DATE},
	{"pt", W_DATE},
	{"published", W_DATE},
	{"register", W_NAV},
	{"reporter", W_ROLE},
	{"reporters", W_ROLE},
	{"sat", W_DAY},
	{"saturday", W_DAY},
	{"sec", W_UNIT},
	{"second", W_UNIT},
	{"seconds", W_UNIT},
	{"secs", W_UNIT},
	{"senior", W_ROLE},
	{"sep", W_MONTH},
	{"sept", W_MONTH},
	{"september", W_MONTH},
	{"sign", W_FILL},
	{"staff", W_ROLE},
	{"subscribe", W_NAV},
	{"sun", W_DAY},
	{"sunday", W_DAY},
	{"the", W_DATE | W_LINK},
	{"thu", W_DAY},
	{"thur", W_DAY},
	{"thurs", W_DAY},
	{"thursday", W_DAY},
	{"to", W_FILL},
	{"today", W_DATE},
	{"tue", W_DAY},
	{"tues", W_DAY},
	{"tuesday", W_DAY},
	{"up", W_FILL},
	{"updated", W_DATE},
	{"us", W_FILL},
	{"van", W_LINK},
	{"von", W_LINK},
	{"watch", W_NAV},
	{"wed", W_DAY},
	{"wednesday", W_DAY},
	{"week", W_UNIT},
	{"weeks", W_UNIT},
	{"with", W_CREDIT},
	{"writer", W_ROLE},
	{"writers", W_ROLE},
	{"year", W_UNIT},
	{"years", W_UNIT},
	{"yesterday", W_DATE},
	{"yr", W_UNIT},
	{"yrs", W_UNIT},
};
/* clang-format on */

static struct word_index index_neutral, index_fr, index_en;
static const struct rules rules_neutral = RULES(neutral);
static const struct rules rules_fr = RULES(fr);
static const struct rules rules_en = RULES(en);

/* ---- The normalised line ---- */

enum {
	T_WORD = 1 << 0,    /* else one punctuation or symbol character */
	T_ALPHA = 1 << 1,   /* has a letter */
	T_DIGIT = 1 << 2,   /* has a digit */
	T_CAP = 1 << 3,     /* first letter written in upper case */
	T_ALLCAPS = 1 << 4, /* every letter written in upper case */
	T_NUM = 1 << 5,     /* a number, date or time: "2023", "1er", "22/09/2023", "15h06" */
	T_TIME = 1 << 6,    /* "15:06", "15h06", "3pm" */
	T_NUMDATE = 1 << 7, /* "22/09/2023", "2023-09-22" */
};

struct tok {
	uint16_t start, end; /* in line.s */
	uint8_t flags;
	unsigned cls; /* W_* of the word, from the tables */
};

struct line {
	char s[NORM_CAP];
	bool upper[NORM_CAP]; /* the source character of s[i] was upper or title case */
	size_t len;
	size_t core_start, core_end; /* s without leading bullets and trailing ":", "»"... */
	bool is_long;
	bool has_letter;
	struct tok toks[MAX_TOKENS];
	size_t n_toks;
	bool too_many_toks;
	size_t n_words;
};

/* ASCII first: most of a French or English line, and ICU's property lookups are the
 * bulk of the time otherwise. */
static bool
is_alnum(UChar32 c)
{
	if (c < 0x80) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
	}
	return u_isalnum(c);
}

static bool
is_alpha(UChar32 c)
{
	if (c < 0x80) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	}
	return u_isalpha(c);
}

static bool
is_space(UChar32 c)
{
	if (c < 0x80) {
		return c == ' ' || c < 0x20 || c == 0x7f;
	}
	return u_isUWhiteSpace(c) || u_charType(c) == U_SPACE_SEPARATOR;
}

/* Characters that decorate a label without changing it: bullets, arrows, "»", trailing
 * ":" or "...". Not "©", "%", "&", "@", brackets or currency signs, which carry meaning. */
static bool
is_decoration(UChar32 c)
{
	if (c == ' ') {
		return true;
	}
	if (c == 0xa9 || c == 0xae || c == '%' || c == '&' || c == '@' || is_alnum(c)) {
		return false;
	}
	switch (u_charType(c)) {
	case U_MATH_SYMBOL:
	case U_OTHER_SYMBOL:
	case U_DASH_PUNCTUATION:
	case U_CONNECTOR_PUNCTUATION:
	case U_INITIAL_PUNCTUATION:
	case U_FINAL_PUNCTUATION:
	case U_OTHER_PUNCTUATION:
		return true;
	default:
		return false;
	}
}

/* Lower case without accents: "É" -> "e", "Ç" -> "c". Only Latin letters lose their
 * marks (Greek or Cyrillic ones keep them: no rule is written in those scripts). */
static UChar32
fold(const UNormalizer2 *nfd, UChar32 c)
{
	UErrorCode st = U_ZERO_ERROR;
	UChar d[8];
	int32_t n;

	c = u_tolower(c);
	if (nfd == NULL || c < 0xc0 || (c > 0x24f && (c < 0x1e00 || c > 0x1eff))) {
		return c;
	}
	n = unorm2_getDecomposition(nfd, c, d, (int32_t)N_OF(d), &st);
	if (U_FAILURE(st) || n <= 0 || d[0] >= 0x80) {
		return c;
	}
	return d[0];
}

/* ASCII stand-ins for typographic apostrophes, quotes and dashes. */
static UChar32
plain(UChar32 c)
{
	switch (c) {
	case 0x2018: /* ‘ */
	case 0x2019: /* ’ */
	case 0x201b:
	case 0x02bc: /* modifier letter apostrophe */
	case 0x2032: /* prime */
	case 0x00b4: /* acute accent */
	case 0x0060: /* grave accent */
		return '\'';
	case 0x201c: /* “ */
	case 0x201d: /* ” */
	case 0x201e: /* „ */
	case 0x201f:
	case 0x2033:
		return '"';
	case 0x2010: /* hyphen */
	case 0x2011: /* non-breaking hyphen */
	case 0x2012: /* figure dash */
	case 0x2013: /* – */
	case 0x2014: /* — */
	case 0x2015: /* horizontal bar */
	case 0x2212: /* minus sign */
		return '-';
	default:
		return c;
	}
}

static bool
emit(struct line *ln, UChar32 c, bool upper)
{
	size_t at = ln->len;

	if (ln->len + U8_MAX_LENGTH > sizeof(ln->s) || c < 0 || c > 0x10ffff ||
	    U_IS_SURROGATE(c)) {
		return false;
	}
	/* room checked above: the checked U8_APPEND only makes the optimiser doubt it */
	U8_APPEND_UNSAFE(ln->s, ln->len, c);
	memset(ln->upper + at, upper, ln->len - at);
	return true;
}

static bool
emit_space(struct line *ln)
{
	if (ln->len == 0 || ln->s[ln->len - 1] == ' ') {
		return true;
	}
	return emit(ln, ' ', false);
}

/* Moves *start and *end inwards past white space. */
static void
trim(const uint8_t *p, size_t *start, size_t *end)
{
	while (*start < *end) {
		size_t i = *start;
		UChar32 c;

		U8_NEXT(p, i, *end, c);
		if (c < 0 || !is_space(c)) {
			break;
		}
		*start = i;
	}
	while (*end > *start) {
		size_t lead = *end - 1, i;
		UChar32 c;

		/* Back to the lead byte, then forwards: U8_PREV counts in int32_t. */
		while (lead > *start && *end - lead < U8_MAX_LENGTH && U8_IS_TRAIL(p[lead])) {
			lead--;
		}
		i = lead;
		U8_NEXT(p, i, *end, c);
		if (c < 0 || i != *end || !is_space(c)) {
			break;
		}
		*end = lead;
	}
}

static void
normalize(struct line *ln, const uint8_t *p, size_t len)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfd = unorm2_getNFDInstance(&st);
	size_t i = 0;

	if (U_FAILURE(st)) {
		nfd = NULL; /* then accents stay, and fewer rules match */
	}
	while (i < len) {
		bool ok = true;
		UChar32 c;

		U8_NEXT(p, i, len, c);
		if (c < 0) {
			c = 0xfffd;
		}
		if (c < 0x80 && c > ' ' && c != 0x7f) {
			bool upper = c >= 'A' && c <= 'Z';

			ln->has_letter = ln->has_letter || upper || (c >= 'a' && c <= 'z');
			ok = emit(ln, upper ? c - 'A' + 'a' : plain(c), upper);
		} else if (is_space(c)) {
			ok = emit_space(ln);
		} else if (c == 0x2026) { /* … */
			ok = emit(ln, '.', false) && emit(ln, '.', false) && emit(ln, '.', false);
		} else if (u_charType(c) == U_NON_SPACING_MARK ||
			   u_charType(c) == U_ENCLOSING_MARK || u_charType(c) == U_FORMAT_CHAR) {
			continue; /* accents of decomposed text, zero-width and bidi marks */
		} else if (u_isalpha(c)) {
			ln->has_letter = true;
			ok = emit(ln, fold(nfd, c), u_isupper(c) || u_istitle(c));
		} else {
			ok = emit(ln, plain(c), false);
		}
		if (!ok) {
			ln->is_long = true; /* not expected within NORM_CAP; read as a long line */
			break;
		}
	}
	if (ln->len > 0 && ln->s[ln->len - 1] == ' ') {
		ln->len--;
	}
}

static UChar32
char_at(const struct line *ln, size_t i, size_t *ret_next)
{
	UChar32 c;

	U8_NEXT(ln->s, i, ln->len, c);
	if (ret_next != NULL) {
		*ret_next = i;
	}
	return c;
}

static bool
alnum_at(const struct line *ln, size_t i)
{
	return i < ln->len && is_alnum(char_at(ln, i, NULL));
}

static bool
digit_at(const struct line *ln, size_t i)
{
	return i < ln->len && ln->s[i] >= '0' && ln->s[i] <= '9';
}

static void
find_core(struct line *ln)
{
	size_t i = 0, end = ln->len;

	ln->core_start = ln->len;
	while (i < ln->len) {
		size_t next;

		if (!is_decoration(char_at(ln, i, &next))) {
			ln->core_start = i;
			break;
		}
		i = next;
	}
	while (end > ln->core_start) {
		int32_t j = (int32_t)end; /* the line is under NORM_CAP bytes */
		UChar32 c;

		U8_PREV(ln->s, 0, j, c);
		if (!is_decoration(c)) {
			break;
		}
		end = (size_t)j;
	}
	ln->core_end = end;
}

static bool
is_suffix(const char *s, size_t n, const char *const *list, size_t n_list)
{
	size_t i;

	for (i = 0; i < n_list; i++) {
		if (strlen(list[i]) == n && memcmp(s, list[i], n) == 0) {
			return true;
		}
	}
	return false;
}

/* T_NUM and its kind for a word that starts with a digit: "2023", "22/09/2023",
 * "15:06", "15h06", "15h", "1er", "22nd", "3pm"; 0 for anything else ("4x4", "covid-19"). */
static uint8_t
number_kind(const char *s, size_t n)
{
	static const char *const ordinal[] = {"e", "eme", "er", "re", "st", "nd", "rd", "th"};
	static const char *const clock[] = {"am", "pm", "h"};
	size_t i = 0, seps = 0;
	uint8_t kind = T_NUM;

	while (i < n) {
		char c = s[i];

		if (c >= '0' && c <= '9') {
			i++;
		} else if (c == ':') {
			kind |= T_TIME;
			i++;
		} else if (c == '/') {
			kind |= T_NUMDATE;
			i++;
		} else if (c == '.' || c == '-') {
			seps++;
			i++;
		} else if (c == ',') {
			i++;
		} else if (c == 'h' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') {
			kind |= T_TIME; /* 15h06 */
			i++;
		} else if (is_suffix(s + i, n - i, clock, N_OF(clock))) {
			return kind | T_TIME;
		} else if (is_suffix(s + i, n - i, ordinal, N_OF(ordinal))) {
			return kind;
		} else {
			return 0;
		}
	}
	if (seps >= 2) {
		kind |= T_NUMDATE; /* 22.09.2023, 2023-09-22 */
	}
	return kind;
}

#ifndef NDEBUG
static bool
sorted(const struct word *t, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (strcmp(t[i - 1].w, t[i].w) >= 0) {
			return false;
		}
	}
	return true;
}
#endif

static uint32_t
word_hash(const char *s, size_t len)
{
	return (uint32_t)mnemo_fnv1a64(MNEMO_FNV_OFFSET, s, len);
}

static void
index_words(const struct rules *ru)
{
	_Static_assert(WORD_SLOTS <= UINT16_MAX, "slots hold an index + 1");
	assert(ru->n_words < WORD_SLOTS / 2);
	for (size_t i = 0; i < ru->n_words; i++) {
		uint32_t h = word_hash(ru->words[i].w, strlen(ru->words[i].w));

		while (ru->index->slot[h % WORD_SLOTS] != 0) {
			h++;
		}
		ru->index->slot[h % WORD_SLOTS] = (uint16_t)(i + 1);
	}
}

static pthread_once_t indexed = PTHREAD_ONCE_INIT;

static void
index_all(void)
{
	index_words(&rules_neutral);
	index_words(&rules_fr);
	index_words(&rules_en);
}

static unsigned
word_class(const struct rules *const *sets, size_t n_sets, const char *s, size_t len)
{
	uint32_t h0;
	unsigned cls = 0;

	if (len > WORD_MAX) {
		return 0;
	}
	h0 = word_hash(s, len);
	for (size_t i = 0; i < n_sets; i++) {
		const struct rules *ru = sets[i];

		for (uint32_t h = h0; ru->index->slot[h % WORD_SLOTS] != 0; h++) {
			const struct word *w = &ru->words[ru->index->slot[h % WORD_SLOTS] - 1];

			if (strncmp(w->w, s, len) == 0 && w->w[len] == '\0') {
				cls |= w->cls;
				break;
			}
		}
	}
	return cls;
}

static bool
add_tok(struct line *ln, size_t start, size_t end, uint8_t flags)
{
	struct tok *t;

	if (ln->n_toks == MAX_TOKENS) {
		ln->too_many_toks = true;
		return false;
	}
	t = &ln->toks[ln->n_toks++];
	t->start = (uint16_t)start;
	t->end = (uint16_t)end;
	t->flags = flags;
	t->cls = 0;
	return true;
}

/* A word runs over letters and digits, and over "'" and "-" between them ("l'onu",
 * "cessez-le-feu", "e-mail"), and ".", ":", "/", "," between digits ("22/09/2023",
 * "15:06"). Any other character is a token of its own; spaces separate. */
static void
tokenize(struct line *ln, const struct rules *const *sets, size_t n_sets)
{
	size_t i = 0;

	while (i < ln->len) {
		size_t start = i, next;
		UChar32 c = char_at(ln, i, &next);
		uint8_t flags = T_WORD | T_ALLCAPS;
		bool first_letter = true;
		struct tok *t;

		if (c == ' ') {
			i = next;
			continue;
		}
		if (!is_alnum(c)) {
			if (!add_tok(ln, start, next, 0)) {
				return;
			}
			i = next;
			continue;
		}
		for (;;) {
			if (is_alpha(c)) {
				flags |= T_ALPHA;
				if (!ln->upper[i]) {
					flags &= (uint8_t)~T_ALLCAPS;
				} else if (first_letter) {
					flags |= T_CAP;
				}
				first_letter = false;
			} else {
				flags |= T_DIGIT;
			}
			i = next;
			if (i >= ln->len) {
				break;
			}
			c = char_at(ln, i, &next);
			if (is_alnum(c)) {
				continue;
			}
			/* "aujourd'hui", "peut-être", user names "mimi_06" */
			if (((c == '\'' || c == '-' || c == '_') && alnum_at(ln, next)) ||
			    ((c == '.' || c == ':' || c == '/' || c == ',') &&
			     digit_at(ln, i - 1) && digit_at(ln, next))) {
				i = next;
				c = char_at(ln, i, &next);
				continue;
			}
			break;
		}
		if (!(flags & T_ALPHA)) {
			flags &= (uint8_t)~T_ALLCAPS;
		}
		if (!add_tok(ln, start, i, flags)) {
			return;
		}
		t = &ln->toks[ln->n_toks - 1];
		if (digit_at(ln, start)) {
			t->flags |= number_kind(ln->s + start, i - start);
		}
		t->cls = word_class(sets, n_sets, ln->s + start, i - start);
		ln->n_words++;
	}
}

static bool
tok_is(const struct line *ln, const struct tok *t, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(t->end - t->start) == n && memcmp(ln->s + t->start, s, n) == 0;
}

/* Sentence punctuation at the end: a date or credit line never has it. */
static bool
ends_sentence(const struct line *ln)
{
	const struct tok *t;

	if (ln->n_toks == 0) {
		return false;
	}
	t = &ln->toks[ln->n_toks - 1];
	return !(t->flags & T_WORD) &&
	       (tok_is(ln, t, ".") || tok_is(ln, t, "!") || tok_is(ln, t, "?"));
}

static bool
name_like(const struct tok *t)
{
	return (t->flags & T_ALPHA) && (t->flags & (T_CAP | T_ALLCAPS)) && !(t->flags & T_DIGIT);
}

/* ---- Rules ---- */

/* Matches pat at s[at..n): bytes as they are, '#' for one or more ASCII digits. */
static bool
match(const char *pat, const char *s, size_t at, size_t n, size_t *ret_end)
{
	size_t i = at;

	for (; *pat != '\0'; pat++) {
		if (*pat == '#') {
			size_t d = i;

			while (d < n && s[d] >= '0' && s[d] <= '9') {
				d++;
			}
			if (d == i) {
				return false;
			}
			i = d;
		} else if (i < n && s[i] == *pat) {
			i++;
		} else {
			return false;
		}
	}
	*ret_end = i;
	return true;
}

static size_t
skip_spaces(const struct line *ln, size_t i)
{
	while (i < ln->len && ln->s[i] == ' ') {
		i++;
	}
	return i;
}

static const struct tok *
first_word_from(const struct line *ln, size_t at)
{
	size_t i;

	for (i = 0; i < ln->n_toks; i++) {
		if (ln->toks[i].start >= at && (ln->toks[i].flags & T_WORD)) {
			return &ln->toks[i];
		}
	}
	return NULL;
}

/* After "Lire aussi": a separator, or (title) a title, which starts with a capital, a digit
 * or a quote. A comma or a lower-case word means a sentence goes on. */
static bool
link_follows(const struct line *ln, size_t at, bool title)
{
	size_t i = skip_spaces(ln, at);
	UChar32 c;

	if (i >= ln->len) {
		return false; /* nothing follows: a label, rule 3's business */
	}
	c = char_at(ln, i, NULL);
	if (u_isdigit(c)) {
		return title;
	}
	if (u_isalpha(c)) {
		return title && ln->upper[i];
	}
	if (c == '"' || c == 0xab) { /* « */
		return title;
	}
	return c != ',' && c != '.' && c != ';' && c != ')';
}

/* The prefix "READ" was in capitals and the next word is not: "READ  Climat : ...", not
 * an all-capitals headline ("READ MY LIPS"). */
static bool
caps_then_title(const struct line *ln, size_t end)
{
	const struct tok *next;
	size_t i;

	for (i = ln->core_start; i < end; i++) {
		if (ln->s[i] >= 'a' && ln->s[i] <= 'z' && !ln->upper[i]) {
			return false;
		}
	}
	next = first_word_from(ln, end);
	return next != NULL && !(next->flags & T_ALLCAPS);
}

/* After "Photo :": a few names, agencies, numbers ("Photo : Marc Lefèvre / Hans Lucas",
 * "© 2024 Le Monde"), not a caption ("Photo : les images du sommet"). */
static bool
credit_follows(const struct line *ln, size_t end)
{
	size_t i, words = 0, names = 0;

	for (i = 0; i < ln->n_toks; i++) {
		const struct tok *t = &ln->toks[i];

		if (t->start < end || !(t->flags & T_WORD)) {
			continue;
		}
		if (t->cls & (W_AGENCY | W_CREDIT | W_LINK) || (t->flags & T_NUM)) {
			words++;
		} else if (name_like(t)) {
			words++;
			names++;
		} else {
			return false;
		}
	}
	return words > 0 && words <= MAX_CREDIT_WORDS && names <= MAX_CREDIT_NAMES &&
	       !ends_sentence(ln);
}

/* After "Par" / "By": a name first, then names, their links, roles and a date ("Par Claire
 * Martin, envoyée spéciale à Erevan", "By JOHN MILLER and ANNA LEE, Associated Press").
 * Not "Par ailleurs, ...", "By Monday, the talks had failed." or "By the Numbers". */
static bool
byline_follows(const struct line *ln, size_t end)
{
	const struct tok *first = first_word_from(ln, end);
	size_t i, words = 0, names = 0;

	if (first == NULL || !(name_like(first) || (first->cls & W_AGENCY))) {
		return false;
	}

	for (i = 0; i < ln->n_toks; i++) {
		const struct tok *t = &ln->toks[i];

		if (t->start < end || !(t->flags & T_WORD)) {
			continue;
		}
		if (name_like(t) && !(t->cls & (W_MONTH | W_DAY))) {
			names++;
		} else if (!(t->flags & T_NUM) &&
			   !(t->cls & (W_LINK | W_ROLE | W_AGENCY | W_TIME_WORDS))) {
			return false;
		}
		words++;
	}
	return names > 0 && words <= MAX_BYLINE_WORDS && !ends_sentence(ln);
}

/* Whole and cut into words: the rules that read every word need both. */
static bool
short_line(const struct line *ln)
{
	return !ln->is_long && !ln->too_many_toks;
}

static bool
boundary_at(const struct line *ln, size_t i)
{
	return i >= ln->len || !alnum_at(ln, i);
}

/* Whether some prefix rule's words start the line (what must follow is not checked). */
static bool
prefix_seen(const struct line *ln, const struct rules *const *sets, size_t n_sets)
{
	for (size_t k = 0; k < n_sets; k++) {
		for (size_t i = 0; i < sets[k]->n_prefixes; i++) {
			size_t end;

			if (match(sets[k]->prefixes[i].pat, ln->s, ln->core_start, ln->len, &end) &&
			    boundary_at(ln, end)) {
				return true;
			}
		}
	}
	return false;
}

static bool
prefix_rule(const struct line *ln, const struct rules *const *sets, size_t n_sets)
{
	size_t k, i;

	for (k = 0; k < n_sets; k++) {
		for (i = 0; i < sets[k]->n_prefixes; i++) {
			const struct prefix *pr = &sets[k]->prefixes[i];
			size_t end;
			bool hit = false;

			if (!match(pr->pat, ln->s, ln->core_start, ln->len, &end) ||
			    !boundary_at(ln, end)) {
				continue;
			}
			switch (pr->kind) {
			case ANY:
				hit = true;
				break;
			case LINK:
				hit = link_follows(ln, end, true);
				break;
			case SEP:
				hit = link_follows(ln, end, false);
				break;
			case CAPS:
				hit = caps_then_title(ln, end);
				break;
			case CREDIT:
				hit = short_line(ln) && credit_follows(ln, end);
				break;
			case BYLINE:
				hit = short_line(ln) && byline_follows(ln, end);
				break;
			}
			if (hit) {
				return true;
			}
		}
	}
	return false;
}

static bool
label_rule(const struct line *ln, const struct rules *const *sets, size_t n_sets)
{
	size_t k, i, end;

	for (k = 0; k < n_sets; k++) {
		for (i = 0; i < sets[k]->n_labels; i++) {
			if (match(sets[k]->labels[i], ln->s, ln->core_start, ln->core_end, &end) &&
			    end == ln->core_end) {
				return true;
			}
		}
	}
	return false;
}

static bool
phrase_rule(const struct line *ln, const struct rules *const *sets, size_t n_sets)
{
	size_t k, i, at, end;

	for (at = 0; at < ln->len; at++) {
		uint8_t prev = at > 0 ? (uint8_t)ln->s[at - 1] : ' ';

		if (prev >= 0x80 || (prev >= '0' && prev <= '9') || (prev >= 'a' && prev <= 'z')) {
			continue; /* phrases start a word; s is lower case */
		}
		for (k = 0; k < n_sets; k++) {
			for (i = 0; i < sets[k]->n_phrases; i++) {
				if (match(sets[k]->phrases[i], ln->s, at, ln->len, &end) &&
				    boundary_at(ln, end)) {
					return true;
				}
			}
		}
	}
	return false;
}

/* Dates, times and their words, with at most MAX_DATE_EXTRA other words in one run at
 * the start or the end when there is a time or a relative date: a user name before a
 * comment's date ("nounou32 Il y a 7 mois Le 22/09/2023 à 15:06"), an author. Those
 * words look like names (capital or digit): "Le train est arrivé à 15:06" is a sentence
 * without its period, not a date line. */
static bool
date_rule(const struct line *ln)
{
	bool time = false, numdate = false, number = false, month = false, unit = false,
	     ago = false, names_only = true;
	size_t i, w = 0, n_extra = 0, first_extra = 0, last_extra = 0;

	for (i = 0; i < ln->n_toks; i++) {
		const struct tok *t = &ln->toks[i];

		if (!(t->flags & T_WORD)) {
			continue;
		}
		if (t->flags & T_NUM) {
			number = true;
			time = time || (t->flags & T_TIME);
			numdate = numdate || (t->flags & T_NUMDATE);
		} else if (t->cls & W_TIME_WORDS) {
			month = month || (t->cls & W_MONTH);
			unit = unit || (t->cls & W_UNIT);
			ago = ago || (t->cls & W_AGO);
		} else {
			if (n_extra == 0) {
				first_extra = w;
			}
			last_extra = w;
			n_extra++;
			if (!name_like(t) && !(t->flags & T_DIGIT) && !(t->cls & W_LINK)) {
				names_only = false;
			}
		}
		w++;
	}
	if (n_extra == 0) {
		return time || numdate || (ago && unit) || (month && number);
	}
	if (n_extra > MAX_DATE_EXTRA || !names_only || !(time || (ago && unit))) {
		return false;
	}
	/* One run, at one end. */
	if (last_extra - first_extra + 1 != n_extra) {
		return false;
	}
	return (first_extra == 0 || last_extra == w - 1) && !ends_sentence(ln);
}

static bool
is_one_of(const struct line *ln, const struct tok *t, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (tok_is(ln, t, list[i])) {
			return true;
		}
	}
	return false;
}

/* "Isgender GANBAROV / AFP", "AFP - BRYAN R. SMITH", "Photo AFP", "(avec AFP)": an
 * agency and at most MAX_CREDIT_NAMES words in capitals, the agency at the end or first
 * and then a separator. "Reuters Names New CEO" and "Ukraine Says It Shot Down Drones:
 * Reuters" are headlines. */
static bool
credit_rule(const struct line *ln)
{
	static const char *const separators[] = {"/", "-", "\xc2\xa9", ":", "(", ")", "|", ","};
	const struct tok *first = NULL, *last = NULL;
	size_t i, names = 0;
	bool agency = false;

	if (ln->n_words > MAX_CREDIT_WORDS || ends_sentence(ln)) {
		return false;
	}
	for (i = 0; i < ln->n_toks; i++) {
		const struct tok *t = &ln->toks[i];

		if (!(t->flags & T_WORD)) {
			continue;
		}
		if (t->cls & W_AGENCY) {
			agency = true;
		} else if (t->cls & (W_CREDIT | W_LINK)) {
			continue; /* "Photo", "avec", "et" stand anywhere */
		} else if (name_like(t)) {
			names++;
		} else {
			return false;
		}
		if (first == NULL) {
			first = t;
		}
		last = t;
	}
	if (!agency || names > MAX_CREDIT_NAMES) {
		return false;
	}
	if (names == 0 || (last->cls & W_AGENCY)) {
		return true;
	}
	/* First, then a separator: "AFP - BRYAN R. SMITH". */
	return (first->cls & W_AGENCY) && first + 1 < ln->toks + ln->n_toks &&
	       is_one_of(ln, first + 1, separators, N_OF(separators));
}

/* Share bars and menus: "Partager : Facebook Twitter E-mail", "« Précédent | Suivant »". */
static bool
nav_rule(const struct line *ln)
{
	bool nav = false;
	size_t i;

	if (ln->n_words > MAX_NAV_WORDS) {
		return false;
	}
	for (i = 0; i < ln->n_toks; i++) {
		const struct tok *t = &ln->toks[i];

		if (!(t->flags & T_WORD)) {
			continue;
		}
		if (!(t->cls & (W_NAV | W_FILL))) {
			return false;
		}
		nav = nav || (t->cls & W_NAV);
	}
	return nav;
}

/* "Accueil > Monde > Europe", "Politique | Économie | Société": short parts between
 * separators, three parts or more, or two after a menu word. Not " - ", which also joins
 * a headline to its site's name ("Karabakh - Les pourparlers reprennent - Info Matin"). */
static bool
breadcrumb_rule(const struct line *ln)
{
	/* > | / » › • · → */
	static const char *const separators[] = {">", "|", "/", "\xc2\xbb", "\xe2\x80\xba",
						 "\xe2\x80\xa2", "\xc2\xb7", "\xe2\x86\x92"};
	size_t i, parts = 0, words = 0, seps = 0;
	bool first_nav = true, in_first = true;

	if (ends_sentence(ln)) {
		return false;
	}
	for (i = 0; i < ln->n_toks; i++) {
		const struct tok *t = &ln->toks[i];

		if (t->flags & T_WORD) {
			if (++words > MAX_CRUMB_WORDS) {
				return false;
			}
			if (in_first && !(t->cls & W_NAV)) {
				first_nav = false;
			}
		} else if (is_one_of(ln, t, separators, N_OF(separators))) {
			if (words > 0) {
				parts++;
				in_first = false;
			}
			seps++;
			words = 0;
		}
	}
	if (words > 0) {
		parts++;
	}
	return seps > 0 && (parts >= 3 || (parts == 2 && first_nav));
}

/* "VIDÉO", "EN DIRECT", "ONU": one to three words in capitals, no sentence, more than a
 * letter. */
static bool
caps_rule(const struct line *ln)
{
	size_t i, bytes = 0;

	if (ln->n_words == 0 || ln->n_words > MAX_CAPS_WORDS || ends_sentence(ln)) {
		return false;
	}
	for (i = 0; i < ln->n_toks; i++) {
		const struct tok *t = &ln->toks[i];

		if (!(t->flags & T_WORD)) {
			continue;
		}
		if (!(t->flags & T_ALLCAPS)) {
			return false;
		}
		bytes += (size_t)(t->end - t->start);
	}
	return bytes >= 2;
}

#ifndef NDEBUG
/* A long paragraph is read for PREFIX_WINDOW bytes: a prefix and a title after it fit. */
static bool
prefixes_fit(const struct prefix *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(t[i].pat) > PREFIX_WINDOW / 2) {
			return false;
		}
	}
	return true;
}

/* One entry per word (the index keeps one), and prefixes must fit the window; checked once (in builds
 * with assertions), not for every paragraph, where it would double the time. Threads racing here both check. */
static bool
tables_sorted(void)
{
	static atomic_bool checked;

	if (!atomic_load_explicit(&checked, memory_order_relaxed)) {
		if (!sorted(words_neutral, N_OF(words_neutral)) ||
		    !sorted(words_fr, N_OF(words_fr)) || !sorted(words_en, N_OF(words_en)) ||
		    !prefixes_fit(prefixes_neutral, N_OF(prefixes_neutral)) ||
		    !prefixes_fit(prefixes_fr, N_OF(prefixes_fr)) ||
		    !prefixes_fit(prefixes_en, N_OF(prefixes_en))) {
			return false;
		}
		atomic_store_explicit(&checked, true, memory_order_relaxed);
	}
	return true;
}
#endif

static const struct rules *
lang_rules(const char *lang)
{
	if (lang == NULL) {
		return NULL;
	}
	if (strncmp(lang, "fr", 2) == 0 && (lang[2] == '\0' || lang[2] == '-')) {
		return &rules_fr;
	}
	if (strncmp(lang, "en", 2) == 0 && (lang[2] == '\0' || lang[2] == '-')) {
		return &rules_en;
	}
	return NULL;
}

bool
mnemo_text_is_boilerplate(const char *lang, const char *p, size_t len)
{
	const struct rules *sets[2] = {&rules_neutral, NULL};
	size_t n_sets = 1, start = 0, end = len;
	struct line ln;

	assert(p != NULL || len == 0);
	assert(tables_sorted());
	pthread_once(&indexed, index_all);

	sets[1] = lang_rules(lang);
	if (sets[1] != NULL) {
		n_sets = 2;
	}
	trim((const uint8_t *)p, &start, &end);
	if (start == end) {
		return false; /* nothing to tag */
	}
	ln.len = 0;
	ln.has_letter = false;
	ln.is_long = end - start > LONG_BYTES;
	ln.n_toks = 0;
	ln.n_words = 0;
	ln.too_many_toks = false;
	if (ln.is_long) {
		/* Enough for any prefix and what must follow it, cut before the character
		 * that would cross it. */
		size_t cut = start + PREFIX_WINDOW;

		while (cut > start && U8_IS_TRAIL((uint8_t)p[cut])) {
			cut--;
		}
		end = cut;
	}
	normalize(&ln, (const uint8_t *)p + start, end - start);
	find_core(&ln);
	if (ln.is_long && !prefix_seen(&ln, sets, n_sets)) {
		return false; /* most paragraphs: no need to cut them into words */
	}
	tokenize(&ln, sets, n_sets);

	if (prefix_rule(&ln, sets, n_sets)) {
		return true;
	}
	if (ln.is_long) {
		return false;
	}
	if (!ln.has_letter) {
		return true;
	}
	if (label_rule(&ln, sets, n_sets) || phrase_rule(&ln, sets, n_sets)) {
		return true;
	}
	if (ln.too_many_toks) {
		return false;
	}
	return date_rule(&ln) || credit_rule(&ln) || nav_rule(&ln) || breadcrumb_rule(&ln) ||
	       caps_rule(&ln);
}
