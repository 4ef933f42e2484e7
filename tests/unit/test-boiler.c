/* Unit tests for common/text/boiler: which paragraphs of a scraped news page are page
 * furniture. The lines are written for these tests in the style of the pages users send:
 * {language of the document, paragraph, expected}. */
#include "boiler.h"
#include "check.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Invisible characters spelled out, so the cases show where they are. */
#define NBSP "\xc2\xa0"      /* U+00A0 no-break space */
#define NNBSP "\xe2\x80\xaf" /* U+202F narrow no-break space, French thin space */

struct bp_case {
	const char *lang;
	const char *text;
	bool want;
};

static const struct bp_case fr_cases[] = {
	/* Labels, as they come: any case, with bullets, arrows and colons. */
	{"fr", "PUBLICITÉ", true},
	{"fr", "Publicité", true},
	{"fr", "  " NBSP "PUBLICITE " NBSP, true},
	{"fr", "Lire aussi", true},
	{"fr", "LIRE AUSSI" NBSP ":", true},
	{"fr", "» À lire aussi", true},
	{"fr", "Sur le même sujet", true},
	{"fr", "Réagir", true},
	{"fr", "Partager", true},
	{"fr", "Voir les commentaires", true},
	{"fr", "Voir les 14 commentaires", true},
	{"fr", "Les commentaires (12)", true},
	{"fr", "3 commentaires", true},
	{"fr", "S’abonner", true},
	{"fr", "Abonnez-vous", true},
	{"fr", "Publié le", true},
	{"fr", "Lire la suite…", true},
	{"fr", "Voir plus ›", true},
	{"fr", "Temps de lecture" NNBSP ": 4 min", true},
	{"fr", "Source link -12", true},
	{"fr", "EN DIRECT", true},
	{"fr", "VIDÉO", true},
	{"fr", "Les plus lus", true},
	/* Links to other articles. */
	{"fr", "À lire aussi : Karabakh, des milliers de réfugiés arrivent à Goris", true},
	{"fr", "A lire aussi" NBSP ": Grève à la SNCF : le trafic reste perturbé mardi", true},
	{"fr", "Lire aussi Les négociations salariales reprennent à la SNCF", true},
	{"fr", "Lire aussi » Retraites : ce qui change au 1er septembre", true},
	{"fr", "Voir aussi : notre dossier sur l'inflation", true},
	{"fr", "Sur le même sujet : Les réfugiés du Karabakh arrivent en Arménie", true},
	{"fr", "LIRE Le récit d'une nuit d'émeutes à Nanterre", true},
	{"fr", "READ  Inflation : les prix alimentaires reculent enfin - Info Matin", true},
	/* Dates, comment headers, credits, bylines. */
	{"fr", "Publié le 14/03/2024 à 08:15", true},
	{"fr", "Publié le 14 mars 2024 à 8h15, mis à jour le 15 mars 2024 à 10h02", true},
	{"fr", "Mis à jour le 2 février 2024", true},
	{"fr", "Mardi 12 septembre 2023", true},
	{"fr", "12:30", true},
	{"fr", "14/03/2024", true},
	{"fr", "sylvie75 Il y a 3 semaines Le 02/10/2023 à 09:41", true},
	{"fr", "Jean-Marc D. il y a 2 heures", true},
	{"fr", "Farid ALIYEV / AFP", true},
	{"fr", "AFP - MARIE LEBLANC", true},
	{"fr", "Photo AFP", true},
	{"fr", "(avec AFP)", true},
	{"fr", "Photo : Marc Lefèvre / Hans Lucas", true},
	{"fr", "Crédit photo : Ville de Lyon", true},
	{"fr", "© Le Quotidien du Sud 2024 - Tous droits réservés", true},
	{"fr", "Par Claire Martin, envoyée spéciale à Erevan", true},
	{"fr", "Propos recueillis par Thomas Bernard", true},
	{"fr", "Par Julie Petit, le 3 mars 2024 à 18h20", true},
	/* Menus, share bars, notices. */
	{"fr", "Accueil > Monde > Europe", true},
	{"fr", "Politique | Économie | Société", true},
	{"fr", "Partager : Facebook Twitter WhatsApp E-mail", true},
	{"fr", "« Précédent | Suivant »", true},
	{"fr", "»", true},
	{"fr", "• • •", true},
	{"fr", "Vous avez droit à 5 commentaires par jour. Pour contribuer en illimité, "
	       "abonnez-vous. S'abonner",
	 true},
	{"fr", "Souhaitez-vous recevoir une notification lors de la réponse d’un internaute à "
	       "votre commentaire ?",
	 true},
	{"fr", "Cet article est réservé aux abonnés. Il vous reste 80 % à découvrir.", true},
	{"fr", "Nous utilisons des cookies pour vous garantir la meilleure expérience sur notre "
	       "site.",
	 true},
	/* What content farms leave in, whatever the page's language. */
	{"fr", "Customize this title in frenchLa grève des contrôleurs perturbe le trafic aérien",
	 true},
	{"fr", "Make this article seo compatible, be in french, create at least 500 words", true},
	{"fr", "Similar News:Baca juga berita lain dari sumber kami.", true},

	/* Headlines. */
	{"fr", "Violations isolées du cessez-le-feu", false},
	{"fr", "Le cessez-le-feu tient toujours, les pourparlers se poursuivent", false},
	{"fr", "Conflit Azerbaïdjan-Arménie : le cessez-le-feu tient toujours", false},
	{"fr", "ONU : réunion d'urgence du Conseil de sécurité", false},
	{"fr", "Réagir vite face à l'AVC : les bons gestes", false},
	{"fr", "Partager le pouvoir, une idée neuve à Bakou ?", false},
	{"fr", "Accueil chaleureux pour le président à Dakar", false},
	{"fr", "Photo de famille à l'Élysée pour les dirigeants européens", false},
	{"fr", "Crédit immobilier : les taux repartent à la hausse", false},
	{"fr", "Direct : suivez la réunion du Conseil de sécurité", false},
	{"fr", "Lire, écrire, compter : les priorités du nouveau ministre", false},
	{"fr", "Newsletter : le gouvernement veut encadrer les envois publicitaires", false},
	{"fr", "Emmanuel Macron", false},
	{"fr", "Les chiffres clés de la rentrée scolaire", false},
	{"fr", "Karabakh - Les pourparlers reprennent - Info Matin", false},
	{"fr", "Haut-Karabakh | Arménie | Azerbaïdjan", true},
	/* Sentences that start like furniture. */
	{"fr", "Lire un livre est un plaisir.", false},
	{"fr", "Lire aussi les conditions générales avant de signer le contrat.", false},
	{"fr", "À voir absolument, le documentaire diffusé ce soir sur Arte", false},
	{"fr", "Publié le 3 mars, le rapport de la Cour des comptes a fait grand bruit.", false},
	{"fr", "Par ailleurs, les combats ont repris dans le nord du pays.", false},
	{"fr", "Par la suite, le ministre a démenti toute négociation.", false},
	{"fr", "Par 312 voix contre 220, l'Assemblée a adopté le texte.", false},
	{"fr", "L'AFP a contacté le ministère, qui n'a pas répondu.", false},
	{"fr", "Selon l'AFP, au moins dix personnes ont été blessées", false},
	{"fr", "Le 22 septembre, les négociations ont repris à Yevlakh.", false},
	{"fr", "Le train est arrivé à 15:06", false},
	{"fr", "Il y a 7 mois, la guerre reprenait au Karabakh.", false},
	{"fr", "Mardi, le gouvernement a présenté son budget.", false},
	{"fr", "Les commentaires du ministre ont choqué l'opposition.", false},
	{"fr", "Suivant les recommandations de l'OMS, le pays a levé les restrictions.", false},
	{"fr", "Source de tensions, le corridor de Latchine reste fermé.", false},
	{"fr", "Qu'attend la communauté internationale pour réagir ? la situation est la même",
	 false},
	{"fr", "« C'est une victoire », a déclaré le ministre.", false},
	{"fr", "Ararat Mirzoyan, le ministre arménien, le 21 septembre à New York. AFP - JOHN DOE",
	 false},
	{"fr", "l'essentiel Malgré quelques violations, le cessez-le-feu tient toujours.", false},
	/* Other languages are the language identifier's business. */
	{"fr", "Baca lebih lajut »", false},
	{"fr", "Indonesia Berita Terbaru, Indonesia Berita utama", false},
};

static const struct bp_case en_cases[] = {
	{"en", "ADVERTISEMENT", true},
	{"en", "Advertisement", true},
	{"en", "Story continues below advertisement", true},
	{"en", "Read more:", true},
	{"en", "Read more »", true},
	{"en", "Read more: Talks resume as ceasefire holds in the region", true},
	{"en", "RELATED: Rail strike to go ahead on Monday", true},
	{"en", "Related", true},
	{"en", "Share this article", true},
	{"en", "Facebook Twitter LinkedIn Email", true},
	{"en", "By Sarah Jones", true},
	{"en", "By JOHN MILLER and ANNA LEE, Associated Press", true},
	{"en", "Posted by Tom Baker on May 3, 2024", true},
	{"en", "Updated 3:06 PM EDT, Fri September 22, 2023", true},
	{"en", "Published September 22, 2023", true},
	{"en", "Sept. 22, 2023", true},
	{"en", "2 hours ago", true},
	{"en", "mike77 5 days ago", true},
	{"en", "(Reporting by Tom Baker; Editing by Jane Smith)", true},
	{"en", "Photo: Getty Images", true},
	{"en", "Reuters", true},
	{"en", "12 comments", true},
	{"en", "Comments (4)", true},
	{"en", "Sign up for our newsletter and get the top stories every morning.", true},
	{"en", "We use cookies to improve your experience on our site.", true},
	{"en", "Click here to subscribe", true},
	{"en", "Back to top ↑", true},
	{"en", "Listen to this article", true},
	{"en", "Home › World › Europe", true},
	{"en", "© 2024 The Daily Courier. All rights reserved.", true},
	{"en", "BREAKING NEWS", true},
	{"en", "WATCH: Crowds gather at the airport as flights resume", true},

	{"en", "Ceasefire largely holds as talks resume", false},
	{"en", "Read the full report on the ministry's website.", false},
	{"en", "Related to the strike, the union also called for talks.", false},
	{"en", "Share prices fell sharply on Monday.", false},
	{"en", "By Monday, the talks had collapsed.", false},
	{"en", "By the end of the week, prices had doubled", false},
	{"en", "By the Numbers", false},
	{"en", "By Reuters Staff", true},
	{"en", "Reuters reported that at least ten people were injured.", false},
	{"en", "Reuters Names New Chief Executive", false},
	{"en", "The AP could not verify the footage independently.", false},
	{"en", "Comments from the minister angered the opposition.", false},
	{"en", "Home prices rose 3% in September.", false},
	{"en", "Next week, the council will vote on the budget.", false},
	{"en", "Updated guidance was published by the health ministry on Friday.", false},
	{"en", "Photo finish in the Senate race", false},
	{"en", "Click and collect sales doubled last year.", false},
	{"en", "We used to live near the airport.", false},
	{"en", "Doors open at 7:30", false},
	{"en", "“We will not give up,” she said.", false},
	{"en", "Source: Ministry of Health", true},
	{"en", "Reuters Poll: Most Voters Back the Plan", false},
	{"en", "Ukraine Says It Shot Down Drones Overnight: Reuters", false},
	{"en", "Related Party Deals Under Scrutiny", false},
	{"en", "Watch Out for Falling Prices", false},
	{"en", "Photo: Crowds Gather in Kyiv as Sirens Sound Again", false},
};

/* The neutral rules work for any language; the French and English ones only for theirs. */
static const struct bp_case other_cases[] = {
	{"de", "Source link -57", true},
	{"de", "Isgender GANBAROV / AFP", true},
	{"de", "»", true},
	{"de", "12:30", true},
	{"de", "Advertisement", true},
	{"de", "Lire aussi", false},
	{"de", "Die Gespräche wurden am Dienstag fortgesetzt.", false},
	{"en", "Publicité", false},
	{"en", "Lire aussi : Karabakh, des milliers de réfugiés", false},
	{"fr", "Story continues below advertisement", false},
	{NULL, "Similar News: Talks resume in Yevlakh", true},
	{NULL, "Voir les commentaires", false},
	{"fr-CA", "Voir les commentaires", true},
	{"en-GB", "By Sarah Jones", true},
	{"fr", "", false},
	{"fr", "   " NBSP " ", false},
};

static void
run(const struct bp_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bool got = mnemo_text_is_boilerplate(cases[i].lang, cases[i].text,
						     strlen(cases[i].text));

		CHECK_MSG(got == cases[i].want, "[%s] '%s' should%s be boilerplate",
			  cases[i].lang ? cases[i].lang : "-", cases[i].text,
			  cases[i].want ? "" : " not");
	}
}

static char *
repeat(const char *head, const char *unit, size_t total)
{
	size_t len = strlen(head), n = strlen(unit);
	char *s = malloc(total + n + 1);

	if (s == NULL) {
		return NULL;
	}
	memcpy(s, head, len);
	while (len < total) {
		memcpy(s + len, unit, n);
		len += n;
	}
	s[len] = '\0';
	return s;
}

/* Past LONG_BYTES only the prefix rules apply. */
static void
test_long(void)
{
	char *link = repeat("À lire aussi : ", "Karabakh, les réfugiés affluent à Goris ", 400);
	char *cookies = repeat("Nous utilisons des cookies ", "pour mesurer l'audience, ", 600);
	char *dates = repeat("Publié le 14/03/2024 à 08:15", ", mis à jour le 14/03/2024", 400);
	char *sentence = repeat("Le gouvernement ", "a présenté un projet de loi, ", 5000);
	char *symbols = repeat("", "• ", 1000);

	CHECK(link && cookies && dates && sentence && symbols);
	if (link && cookies && dates && sentence && symbols) {
		CHECK(mnemo_text_is_boilerplate("fr", link, strlen(link)));
		CHECK(mnemo_text_is_boilerplate("fr", cookies, strlen(cookies)));
		CHECK(!mnemo_text_is_boilerplate("fr", dates, strlen(dates)));
		CHECK(!mnemo_text_is_boilerplate("fr", sentence, strlen(sentence)));
		CHECK(!mnemo_text_is_boilerplate("fr", symbols, strlen(symbols)));
	}
	free(link);
	free(cookies);
	free(dates);
	free(sentence);
	free(symbols);
}

/* Odd input must not read out of bounds (ASan watches) nor crash. */
static void
test_odd(void)
{
	static const char *const odd[] = {
		"\xe2\x80\xa6", "A", "a", "'", "-", "--", "# #", "(c)", "©", "1er", "h", "15h",
		"x", "X", "Par", "By", "Photo :", "il y a", "22/", "/22", "Lire aussi :",
		"\xef\xbf\xbd", "Ȼ Ȼ Ȼ", /* U+023A grows when lowered */
	};
	char buf[700];
	size_t i;

	for (i = 0; i < N_OF(odd); i++) {
		(void)mnemo_text_is_boilerplate("fr", odd[i], strlen(odd[i]));
		(void)mnemo_text_is_boilerplate("en", odd[i], strlen(odd[i]));
	}
	/* Exactly LONG_BYTES of a character that grows when lowered. */
	for (i = 0; i + 2 <= 300; i += 2) {
		memcpy(buf + i, "\xc8\xba", 2);
	}
	CHECK(mnemo_text_is_boilerplate("fr", buf, i)); /* 150 capital letters, one word */
	/* A line of many tiny tokens. */
	for (i = 0; i + 2 <= 298; i += 2) {
		memcpy(buf + i, "a ", 2);
	}
	CHECK(!mnemo_text_is_boilerplate("fr", buf, i));
	for (i = 0; i < 299; i++) {
		buf[i] = '!';
	}
	CHECK(mnemo_text_is_boilerplate("fr", buf, i));
	/* Not NUL-terminated: only len bytes are read. */
	memcpy(buf, "PublicitéXXXX", 13);
	CHECK(mnemo_text_is_boilerplate("fr", buf, 10));
	CHECK(!mnemo_text_is_boilerplate("fr", buf, 13));
}

int
main(void)
{
	run(fr_cases, N_OF(fr_cases));
	run(en_cases, N_OF(en_cases));
	run(other_cases, N_OF(other_cases));
	test_long();
	test_odd();
	fprintf(stderr, "%zu French, %zu English, %zu other lines\n", N_OF(fr_cases),
		N_OF(en_cases), N_OF(other_cases));
	return check_exit();
}
