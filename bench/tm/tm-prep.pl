#!/usr/bin/perl
# The translation-memory benchmark's data, from what make-memory unpacked (see README.md):
# the memory (memory.tsv), the query sets (queries-*.tsv) and memory.sources.
#
# Units. Every .mo file under OUT/mo/PACKAGE/ whose locale folder is fr, de, es or it is
# read here (the format is gettext's: two tables of lengths and offsets, little- or
# big-endian; strings converted from the catalogue's charset to UTF-8). An entry gives one
# unit, English msgid -> msgstr, and a plural entry a second, msgid_plural -> msgstr[1];
# the header, untranslated entries (empty msgstr) and texts that are not valid UTF-8 or
# hold control characters other than tab and newline are skipped, and so are texts of more
# than MAX_BYTES (2000) bytes: licences and whole help pages, not segments. Units are
# de-duplicated on (source, language, target): the first package in name order keeps one;
# the context (msgctxt) is kept but not part of the key. The units are then shuffled
# (seed) and numbered from 1: the benchmark's sizes are prefixes of this order.
#
# When the catalogues give fewer than --min-units units, synthetic ones make up the rest:
# a real unit with one of its source's words replaced by a word drawn from the memory's
# English words, the target kept; their origin column says "synthetic".
#
# Queries, all English source text with one target language, in four sets:
#   exact      the source of a unit among the first 10,000 (so present at every size)
#   changed    msgids of a package's Debian 13 catalogue that are in no unit of the memory,
#              for which the same catalogue (domain and language) in Debian 12 has a msgid
#              sharing at least half its words (Dice coefficient over lower-cased words):
#              the strings a new release changed. That old unit is moved into the first
#              10,000 (swapped with a unit no other query uses), so every size holds it
#   synthetic  the source of a unit among the first 10,000 with edits at a known rate:
#              words substituted, inserted (words drawn from the memory's English sources)
#              or deleted, one word's case changed, the final punctuation changed; or only
#              the case or the punctuation. The note column says which and how many
#   nomatch    sentences of the English man pages of the same packages, 6 to 30 words,
#              that are no unit's source; the reference says how close the memory comes
# Each file: qid, set, source language, target language, text, note (tab-separated, text
# escaped as in memory.tsv).
#
# memory.tsv: id, source language (en), target language, source, target, origin
# (package/domain), context; \\, \t, \n and \r escaped with a backslash.
use strict;
use warnings;
use Encode qw(decode encode);
use File::Find;
use Getopt::Long;
use List::Util qw(min max sum);
use Digest::SHA;

my ($out, $min_units, $seed, $versions, $versions_new, $pairs_file) = ('bench/out/tm', 1000000, 1);
my %n_query = (exact => 800, changed => 1000, synthetic => 1200, nomatch => 600);
my $max_bytes = 2000;
my $front = 10000;    # the smallest size: queries' units live in this prefix
GetOptions(
	'out=s' => \$out,
	'min-units=i' => \$min_units,
	'seed=i' => \$seed,
	'versions=s' => \$versions,
	'versions-new=s' => \$versions_new,
	'pairs=s' => \$pairs_file,
) or die "usage: tm-prep.pl --out DIR [--min-units N] [--seed N] --versions FILE ...\n";
my @langs = qw(fr de es it);
my %is_lang = map { $_ => 1 } @langs;

# ---- a seeded generator of our own: the same numbers on every perl -----------------------

my $rng_state = $seed * 2654435761 % 4294967296 || 1;
sub rnd {    # xorshift32: [0, 1)
	my $x = $rng_state;
	$x ^= ($x << 13) & 0xffffffff;
	$x ^= $x >> 17;
	$x ^= ($x << 5) & 0xffffffff;
	$rng_state = $x;
	return $x / 4294967296;
}
sub rint { return int(rnd() * $_[0]) }
sub shuffle_in_place {
	my ($a) = @_;
	for (my $i = $#$a; $i > 0; $i--) {
		my $j = rint($i + 1);
		@$a[$i, $j] = @$a[$j, $i];
	}
}

sub esc {
	my ($s) = @_;
	$s =~ s/\\/\\\\/g;
	$s =~ s/\t/\\t/g;
	$s =~ s/\n/\\n/g;
	$s =~ s/\r/\\r/g;
	return $s;
}

# ---- .mo files ----------------------------------------------------------------------------

# Returns [ctxt, msgid, msgid_plural, [msgstr...]] per entry, the header skipped; dies on a
# malformed file.
sub read_mo {
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or die "$path: $!\n";
	local $/;
	my $data = <$fh>;
	close $fh;
	die "$path: too short\n" if length($data) < 28;
	my $e;
	my $magic = unpack('V', substr($data, 0, 4));
	if ($magic == 0x950412de) {
		$e = 'V';
	} elsif ($magic == 0xde120495) {
		$e = 'N';
	} else {
		die "$path: not a .mo file\n";
	}
	my ($rev, $n, $o, $t) = unpack("$e$e$e$e", substr($data, 4, 16));
	my $get = sub {
		my ($table, $i) = @_;
		my ($len, $off) = unpack("$e$e", substr($data, $table + 8 * $i, 8));
		die "$path: bad offset\n" if $off + $len > length($data);
		return substr($data, $off, $len);
	};
	my $charset = 'UTF-8';
	my @entries;
	for my $i (0 .. $n - 1) {
		my $orig = $get->($o, $i);
		my $trans = $get->($t, $i);
		if ($orig eq '') {
			$charset = $1 if $trans =~ /charset=([-\w.:]+)/i;
			next;
		}
		my ($ctxt, $id) = (undef, $orig);
		($ctxt, $id) = ($1, $2) if $orig =~ /\A(.*?)\x04(.*)\z/s;
		my ($msgid, $plural) = split(/\0/, $id, 2);
		push @entries, [$ctxt, $msgid, $plural, [split(/\0/, $trans, -1)]];
	}
	$charset = 'UTF-8' if $charset =~ /^(utf-?8|charset|CHARSET)$/i;
	for my $en (@entries) {
		for my $s (grep { defined } $en->[0], $en->[1], $en->[2], @{$en->[3]}) {
			my $ok = eval {
				$s = decode($charset, $s, Encode::FB_CROAK);
				1;
			};
			$s = undef unless $ok;
		}
	}
	return \@entries;
}

sub good_text {
	my ($s) = @_;
	return 0 if !defined $s || $s eq '' || $s !~ /\S/;
	return 0 if length(encode('UTF-8', $s)) > $max_bytes;
	return 0 if $s =~ /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
	return 1;
}

# The .mo files of a package: [lang, domain, path], sorted.
sub mo_files {
	my ($dir) = @_;
	my @f;
	return () unless -d $dir;
	find({no_chdir => 1, wanted => sub {
		return unless /\.mo$/ && -f $_;
		return unless m{/([a-z]{2})/LC_MESSAGES/([^/]+)\.mo$};
		push @f, [$1, $2, $_] if $is_lang{$1};
	}}, $dir);
	return sort { $a->[2] cmp $b->[2] } @f;
}

# Units of one package: [source, lang, target, domain, ctxt].
sub package_units {
	my ($dir) = @_;
	my @u;
	my $n_mo = 0;
	for my $f (mo_files($dir)) {
		my ($lang, $domain, $path) = @$f;
		my $entries = eval { read_mo($path) };
		if (!$entries) {
			warn "tm-prep: $path: $@";
			next;
		}
		$n_mo++;
		for my $e (@$entries) {
			my ($ctxt, $id, $plural, $strs) = @$e;
			push @u, [$id, $lang, $strs->[0], $domain, $ctxt]
				if good_text($id) && good_text($strs->[0]);
			push @u, [$plural, $lang, $strs->[1], $domain, $ctxt]
				if defined $plural && good_text($plural) && good_text($strs->[1]);
		}
	}
	return (\@u, $n_mo);
}

sub read_versions {
	my ($file) = @_;
	my @v;
	return @v unless $file && -f $file;
	open(my $fh, '<', $file) or die "$file: $!\n";
	while (<$fh>) {
		chomp;
		my ($p, $ver, $deb) = split / /;
		push @v, [$p, $ver, $deb];
	}
	return @v;
}

# ---- the memory ---------------------------------------------------------------------------

my @versions = read_versions($versions);
die "tm-prep: no packages in $versions\n" unless @versions;
my (@units, %seen, %stats);
my %sources_of;    # source text -> 1 (every language)
for my $v (sort { $a->[0] cmp $b->[0] } @versions) {
	my ($p, $ver) = @$v;
	my ($u, $n_mo) = package_units("$out/mo/$p");
	my $kept = 0;
	my %by_lang;
	for my $x (@$u) {
		my $key = join("\0", $x->[0], $x->[1], $x->[2]);
		next if $seen{$key}++;
		push @units, [$x->[0], $x->[1], $x->[2], "$p/$x->[3]", $x->[4] // ''];
		$sources_of{$x->[0]} = 1;
		$kept++;
		$by_lang{$x->[1]}++;
	}
	$stats{$p} = {version => $ver, mo => $n_mo, read => scalar(@$u), kept => $kept, %by_lang};
	printf STDERR "tm-prep: %-34s %4d .mo %7d entries %7d new units\n", $p, $n_mo, scalar(@$u), $kept
		if $n_mo;
}
%seen = ();
my $n_real = @units;
printf STDERR "tm-prep: %d real units\n", $n_real;
shuffle_in_place(\@units);

# English words of the memory, with their frequencies (for substitutions and insertions).
my @vocab;
for my $i (0 .. min($#units, 199999)) {
	push @vocab, grep { /^\p{L}[\p{L}']*$/ && length > 1 } split /\s+/, $units[$i][0];
}

my $n_synth = 0;
while (@units < $min_units) {
	my $u = $units[rint($n_real)];
	my @w = split / /, $u->[0];
	next if @w < 3;
	my $i = rint(scalar @w);
	next unless $w[$i] =~ /^\p{L}+$/;
	$w[$i] = $vocab[rint(scalar @vocab)];
	my $s = join ' ', @w;
	my $key = join("\0", $s, $u->[1], $u->[2]);
	next if $seen{$key}++ || $sources_of{$s};
	push @units, [$s, $u->[1], $u->[2], 'synthetic', ''];
	$n_synth++;
}
printf STDERR "tm-prep: %d synthetic units\n", $n_synth if $n_synth;

# ---- queries ------------------------------------------------------------------------------

my %used;    # positions (0-based) in @units that queries use
my @queries;

sub add_query {
	my ($set, $lang, $text, $note) = @_;
	push @queries, [$set, 'en', $lang, $text, $note];
}

sub words_of {
	my %w;
	$w{lc $_} = 1 for grep { length > 2 } split /[^\p{L}\p{N}']+/, $_[0];
	return \%w;
}

# changed: Debian 13 msgids near a Debian 12 msgid of the same catalogue.
my @pairs;
if ($pairs_file && -s $pairs_file) {
	open(my $fh, '<', $pairs_file) or die "$pairs_file: $!\n";
	while (<$fh>) {
		chomp;
		push @pairs, [split / /] if /\S/;
	}
	@pairs = sort { $a->[0] cmp $b->[0] } @pairs;
}
my %pos_of;    # "source\0lang\0target" -> position, for the old units
for my $i (0 .. $n_real - 1) {
	$pos_of{join("\0", @{$units[$i]}[0, 1, 2])} //= $i;
}
my (@changed, %changed_seen);
my %new_versions = map { $_->[0] => $_->[1] } read_versions($versions_new);
for my $pair (@pairs) {
	my ($old, $new) = @$pair;
	next unless $new_versions{$new};
	my ($ou) = package_units("$out/mo/$old");
	my ($nu) = package_units("$out/mo-trixie/$new");
	my (%old_by_cat, %old_src);
	# A catalogue is a domain and a language; version numbers in domain names (gcc-12,
	# gimp20) are dropped, so gcc-12's catalogue pairs with gcc-14's.
	my $cat_of = sub { my $d = $_[0][3] =~ s/[-_.]?\d+(?:\.\d+)*//gr; "$d\0$_[0][1]" };
	for my $x (@$ou) {
		push @{$old_by_cat{$cat_of->($x)}}, $x;
	}
	my $n_found = 0;
	for my $cat (sort keys %old_by_cat) {
		my $olds = $old_by_cat{$cat};
		my (%post, @ow);
		for my $k (0 .. $#$olds) {
			my $w = words_of($olds->[$k][0]);
			push @ow, $w;
			push @{$post{$_}}, $k for keys %$w;
		}
		my %old_ids = map { $_->[0] => 1 } @$olds;
		my @news = grep { $cat_of->($_) eq $cat } @$nu;
		for my $x (@news) {
			my $q = $x->[0];
			next if $sources_of{$q} || $old_ids{$q} || $changed_seen{$q};
			my $qw = words_of($q);
			my $nq = keys %$qw;
			next if $nq < 2;
			my %common;
			for my $w (keys %$qw) {
				my $p = $post{$w} or next;
				next if @$p > 3000;
				$common{$_}++ for @$p;
			}
			my ($best, $best_d) = (undef, 0);
			for my $k (keys %common) {
				my $d = 2 * $common{$k} / ($nq + keys %{$ow[$k]});
				($best, $best_d) = ($k, $d) if $d > $best_d || ($d == $best_d && $k < $best);
			}
			next unless defined $best && $best_d >= 0.5;
			my $o = $olds->[$best];
			my $pos = $pos_of{join("\0", $o->[0], $o->[1], $o->[2])};
			next unless defined $pos;
			$changed_seen{$q} = 1;
			push @changed, [$x->[1], $q, sprintf('%s/%s was "%s" dice=%.2f', $new, $x->[3],
				esc($o->[0]), $best_d), $pos];
			$n_found++;
		}
	}
	$stats{$old}{changed} = $n_found;
	$stats{$old}{new_version} = $new_versions{$new};
	printf STDERR "tm-prep: %s -> %s %s: %d changed strings\n", $old, $new, $new_versions{$new},
		$n_found;
}
shuffle_in_place(\@changed);
splice(@changed, $n_query{changed}) if @changed > $n_query{changed};

# The old units of the changed strings go into the first $front positions.
my @front_free = grep { 1 } (0 .. min($front, scalar @units) - 1);
shuffle_in_place(\@front_free);
my %anchor;
$anchor{$_->[3]} = 1 for @changed;
@front_free = grep { !$anchor{$_} } @front_free;
for my $c (@changed) {
	my $pos = $c->[3];
	if ($pos >= $front) {
		my $q = shift @front_free;
		@units[$pos, $q] = @units[$q, $pos];
		$c->[3] = $q;
	}
	$used{$c->[3]} = 1;
}
my @pick = grep { !$used{$_} } @front_free;
for my $c (@changed) {
	add_query('changed', $c->[0], $c->[1], $c->[2] . ' unit=' . ($c->[3] + 1));
}

# exact
for (1 .. $n_query{exact}) {
	my $pos = shift @pick;
	last unless defined $pos;
	$used{$pos} = 1;
	add_query('exact', $units[$pos][1], $units[$pos][0], 'unit=' . ($pos + 1));
}

# synthetic
sub edit_case {
	my ($w) = @_;
	return ucfirst($w) if $w =~ /^\p{Ll}/;
	return lc($w) if $w =~ /^\p{Lu}\p{Ll}/;
	return lc($w);
}
sub edit_punct {
	my ($s) = @_;
	return $s =~ s/[.!?:;…]+\s*$// ? $s : $s =~ s/\s*$/./r;
}
my $n_synth_q = 0;
while ($n_synth_q < $n_query{synthetic} && @pick) {
	my $pos = shift @pick;
	my $src = $units[$pos][0];
	my @w = split / /, $src;
	next if @w < 2 || $src =~ /\n/;
	$used{$pos} = 1;
	my $kind = rnd();
	my ($n_sub, $n_ins, $n_del, $case, $punct, $rate) = (0, 0, 0, 0, 0, 0);
	if ($kind < 0.15) {    # case or punctuation only
		$case = rnd() < 0.5 ? 1 : 0;
		$punct = $case ? (rnd() < 0.5 ? 1 : 0) : 1;
	} else {
		next if @w < 4;
		$rate = (0.1, 0.2, 0.3, 0.4)[rint(4)];
		my $k = max(1, int($rate * @w + 0.5));
		for (1 .. $k) {
			my $op = rint(3);
			if ($op == 0) {
				my $i = rint(scalar @w);
				$w[$i] = $vocab[rint(scalar @vocab)];
				$n_sub++;
			} elsif ($op == 1) {
				splice(@w, rint(@w + 1), 0, $vocab[rint(scalar @vocab)]);
				$n_ins++;
			} elsif (@w > 1) {
				splice(@w, rint(scalar @w), 1);
				$n_del++;
			}
		}
		$case = rnd() < 0.3 ? 1 : 0;
		$punct = rnd() < 0.3 ? 1 : 0;
	}
	if ($case) {
		my @letters = grep { $w[$_] =~ /^\p{L}/ } 0 .. $#w;
		if (@letters) {
			my $i = $letters[rint(scalar @letters)];
			$w[$i] = edit_case($w[$i]);
		}
	}
	my $q = join ' ', @w;
	$q = edit_punct($q) if $punct;
	next if $q eq $src || $q !~ /\S/;
	add_query('synthetic', $units[$pos][1], $q,
		sprintf('unit=%d rate=%.1f sub=%d ins=%d del=%d case=%d punct=%d', $pos + 1, $rate,
			$n_sub, $n_ins, $n_del, $case, $punct));
	$n_synth_q++;
}

# nomatch: sentences of English man pages.
sub roff_text {
	my ($path) = @_;
	my $fh;
	if ($path =~ /\.gz$/) {
		open($fh, '-|', 'gzip', '-dc', $path) or return '';
	} else {
		open($fh, '<', $path) or return '';
	}
	my @paras = ('');
	while (my $l = <$fh>) {
		$l = decode('UTF-8', $l);
		chomp $l;
		if ($l =~ /^[.'](\w+)\s*(.*)$/) {
			my ($m, $args) = ($1, $2);
			if ($m =~ /^(B|I|BI|BR|IB|IR|RB|RI|SM|SB)$/) {
				$args =~ s/"//g;
				$paras[-1] .= " $args";
			} else {
				push @paras, '';
			}
			next;
		}
		next if $l =~ /^[.']/;
		push @paras, '' if $l =~ /^\s*$/;
		$paras[-1] .= " $l";
	}
	close $fh;
	for (@paras) {
		s/\\f(\[[^]]*\]|\(..|.)//g;
		s/\\\(em|\\\(en/-/g;
		s/\\\(..//g;
		s/\\\*\(..|\\\*.//g;
		s/\\-/-/g;
		s/\\e/\\/g;
		s/\\&//g;
		s/\\[ ~0|^]/ /g;
		s/\\././g;
		s/\s+/ /g;
		s/^ | $//g;
	}
	return grep { length } @paras;
}
my (@nomatch, %nm_seen);
for my $v (sort { $a->[0] cmp $b->[0] } @versions) {
	my @pages;
	my $d = "$out/mo/$v->[0]";
	next unless -d $d;
	find({no_chdir => 1, wanted => sub {
		push @pages, $_ if -f $_ && m{/share/man/man[18]/[^/]+$};
	}}, $d);
	for my $page (sort @pages) {
		for my $para (roff_text($page)) {
			for my $s (split /(?<=[.!?])\s+(?=[A-Z])/, $para) {
				my @w = split / /, $s;
				next if @w < 6 || @w > 30;
				next if $s =~ /[{}<>=|\\\$@#_\/]/ || $s !~ /[.!?]$/ || $s !~ /^[A-Z]/;
				next if $sources_of{$s} || $nm_seen{$s}++;
				push @nomatch, [$s, $v->[0]];
			}
		}
	}
}
shuffle_in_place(\@nomatch);
for my $i (0 .. min($n_query{nomatch}, scalar @nomatch) - 1) {
	add_query('nomatch', $langs[rint(4)], $nomatch[$i][0], "man page of $nomatch[$i][1]");
}

# ---- writing ------------------------------------------------------------------------------

sub write_file {
	my ($path, $lines) = @_;
	open(my $fh, '>:encoding(UTF-8)', "$path.tmp") or die "$path: $!\n";
	print $fh $_ for @$lines;
	close($fh) or die "$path: $!\n";
	rename("$path.tmp", $path) or die "$path: $!\n";
}
{
	open(my $fh, '>:encoding(UTF-8)', "$out/memory.tsv.tmp") or die "$out/memory.tsv: $!\n";
	for my $i (0 .. $#units) {
		my $u = $units[$i];
		print $fh join("\t", $i + 1, 'en', $u->[1], esc($u->[0]), esc($u->[2]), $u->[3],
			esc($u->[4])), "\n";
	}
	close($fh) or die "$out/memory.tsv: $!\n";
	rename("$out/memory.tsv.tmp", "$out/memory.tsv") or die "$out/memory.tsv: $!\n";
}
my %by_set;
my $qid = 0;
for my $set (qw(exact changed synthetic nomatch)) {
	my @lines;
	for my $q (grep { $_->[0] eq $set } @queries) {
		$qid++;
		push @lines, join("\t", $qid, $q->[0], $q->[1], $q->[2], esc($q->[3]), $q->[4]) . "\n";
	}
	$by_set{$set} = scalar @lines;
	write_file("$out/queries-$set.tsv", \@lines);
}

sub sha256_of {
	return Digest::SHA->new(256)->addfile($_[0])->hexdigest;
}
my %lang_total;
$lang_total{$_->[1]}++ for @units;
my @src;
push @src, "# bench/tm/make-memory, seed $seed, min-units $min_units, max-bytes $max_bytes\n";
push @src, sprintf("units %d (real %d, synthetic %d): %s\n", scalar @units, $n_real, $n_synth,
	join(' ', map { "en-$_ " . ($lang_total{$_} // 0) } @langs));
push @src, sprintf("distinct English sources %d\n", scalar keys %sources_of);
push @src, sprintf("queries %s\n", join(' ', map { "$_ $by_set{$_}" } qw(exact changed synthetic nomatch)));
push @src, "sha256 $_ " . sha256_of("$out/$_") . "\n"
	for ('memory.tsv', map { "queries-$_.tsv" } qw(exact changed synthetic nomatch));
push @src, "# package version .mo-files entries units-kept fr de es it [changed: new-version strings]\n";
for my $p (sort keys %stats) {
	my $s = $stats{$p};
	push @src, join(' ', $p, $s->{version}, $s->{mo}, $s->{read}, $s->{kept},
		map({ $s->{$_} // 0 } @langs),
		defined $s->{new_version} ? ("changed:", $s->{new_version}, $s->{changed}) : ()) . "\n";
}
write_file("$out/memory.sources", \@src);
printf STDERR "tm-prep: memory.tsv %d units; queries: %s\n", scalar @units,
	join(', ', map { "$_ $by_set{$_}" } qw(exact changed synthetic nomatch));
