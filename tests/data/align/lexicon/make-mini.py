#!/usr/bin/env python3
"""Writes mini-fra-eng.index and mini-fra-eng.dict.dz, a dictd dictionary in FreeDict's
layout small enough to read by eye, for tests/unit/test-lexicon.c; and truncated.*, whose
.dict.dz stops half-way. The .dict.dz is plain gzip, not dictzip: a whole read (gzread)
needs no chunk table. Run from this folder; the outputs are committed."""
import gzip

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(n):
    s = ""
    while True:
        s = B64[n % 64] + s
        n //= 64
        if n == 0:
            return s


ENTRIES = [
    ("00databaseinfo", "00-database-info\nA test dictionary: its words must not be read.\n"),
    ("00databaseshort", "00-database-short\nmini French-English\n"),
    ("abatjour", "abat-jour /abaʒuʀ/ <n, masc>\nlamp-shade\n"),  # a phrase headword
    ("chat", "chat /ʃa/ <n, masc>\ncat, (tom)cat\n"),
    ("chemin de fer", "chemin de fer /ʃəmɛ̃ də fɛʀ/ <n, masc>\nrailway\n"),
    ("école", "école /ekɔl/ <n, fem>\n1. school\n2. academy\n"),
    ("falloir", "falloir /falwaʀ/ <v>\n1.\n      \"Il faut quelque chose\"\n We need something\n\n"
                "2. must\n"),
    ("le", "le /lə/ <art, masc>\nthe\n"),  # a stop word
    ("pomme", "pomme /pɔm/ <n, fem>\n1. apple\n2. (pine) cone\n"),
    ("se conformer", "se conformer /sə kɔ̃fɔʀme/ <v>\nconform, comply\n"),
    ("supprimer", "supprimer /sypʀime/ <v>\n1. wipe out\n2. delete, remove; erase\n"
                  "3.  [comp] cancel\n4. get rid of\n"),
    ("voiture", "voiture /vwatyʀ/ <n, fem>\ncar\n"),
]

dict_text = b""
index = []
for head, text in ENTRIES:
    b = text.encode()
    index.append("%s\t%s\t%s\n" % (head, b64(len(dict_text)), b64(len(b))))
    dict_text += b
# Malformed: invalid UTF-8 in an entry, then index lines with a bad number, an offset past
# the end, a missing field and a zero length. None of them may stop the others.
bad = "zèbre /zɛbʀ/ <n, masc>\nzebra\n".encode().replace("è".encode(), b"\xe8")
index.append("zebre\t%s\t%s\n" % (b64(len(dict_text)), b64(len(bad))))
dict_text += bad
index.append("zinc\t!!\tB\n")
index.append("zoo\t%s\tZ\n" % b64(len(dict_text) + 100))
index.append("zoologie\tA\n")
index.append("zut\tA\tA\n")

with open("mini-fra-eng.index", "w", encoding="utf-8") as f:
    f.writelines(index)
with gzip.GzipFile("mini-fra-eng.dict.dz", "wb", mtime=0) as f:
    f.write(dict_text)
with open("truncated.index", "w", encoding="utf-8") as f:
    f.writelines(index)
with open("mini-fra-eng.dict.dz", "rb") as f:
    z = f.read()
with open("truncated.dict.dz", "wb") as f:
    f.write(z[: len(z) // 2])
