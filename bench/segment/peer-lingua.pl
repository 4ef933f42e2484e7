#!/usr/bin/perl
# Lingua::Sentence (Debian: liblingua-sentence-perl; the Europarl/Moses sentence splitter
# with its per-language lists of non-breaking prefixes) as a peer of mnemo's segmenter.
#
#   peer-lingua.pl LANG < cases.jsonl > predictions.jsonl
#       reads {"id","category","text"} lines, prints {"id","segments":[...]} lines in order
#   peer-lingua.pl --throughput FILE [--passes N] LANG
#       segments FILE (UTF-8, one paragraph per line) one line at a time, the whole file N
#       times (default 3), and prints one line:
#       peer=lingua lang=LANG bytes=B lines=L passes=N segments=S best_s=T mb_s=R
#       (B is the file's size in bytes; MB = 10^6 bytes; the fastest pass counts; reading
#       and decoding the file and splitting it into lines are not timed)
#
# Lingua::Sentence collapses runs of spaces, so its sentences are mapped back onto the
# text: each printed segment is the substring it came from, trimmed.
use strict;
use warnings;
use utf8;

use Encode qw(decode);
use JSON::PP;
use Lingua::Sentence;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

my $usage = "usage: peer-lingua.pl [--throughput FILE [--passes N]] LANG\n";
my ($throughput_file, $passes) = (undef, 3);
while (@ARGV && $ARGV[0] =~ /^--/) {
	my $opt = shift @ARGV;
	if ($opt eq '--throughput' && @ARGV) {
		$throughput_file = shift @ARGV;
	} elsif ($opt eq '--passes' && @ARGV) {
		$passes = shift @ARGV;
		die "--passes: 1 to 100\n$usage" unless $passes =~ /^[0-9]+$/ && $passes >= 1 && $passes <= 100;
	} else {
		print STDERR "unknown option $opt\n$usage";
		exit 2;
	}
}
if (@ARGV != 1) {
	print STDERR $usage;
	exit 2;
}
my $lang = $ARGV[0];
# Lingua::Sentence takes a two-letter code ("fr-CA" -> "fr").
my ($lang2) = lc($lang) =~ /^([a-z][a-z])(?:$|[-_])/ or die "lingua: not a two-letter language: $lang\n";
my $splitter = Lingua::Sentence->new($lang2);

# Each sentence Lingua::Sentence returned, as the trimmed substring of $text it came from.
sub align {
	my ($text, $sentences) = @_;
	my @out;
	my $cursor = 0;
	for my $raw (@$sentences) {
		(my $seg = $raw) =~ s/^\s+|\s+$//g;
		next if $seg eq '';
		my $at = index($text, $seg, $cursor);
		if ($at >= 0 && substr($text, $cursor, $at - $cursor) =~ /^\s*$/) {
			push @out, $seg;
			$cursor = $at + length($seg);
			next;
		}
		# White space was rewritten inside: walk over as many non-space characters.
		(my $want = $seg) =~ s/\s+//g;
		my $i = $cursor;
		$i++ while $i < length($text) && substr($text, $i, 1) =~ /\s/;
		my ($start, $k) = ($i, 0);
		while ($i < length($text) && $k < length($want)) {
			$k++ if substr($text, $i, 1) =~ /\S/;
			$i++;
		}
		die "lingua: sentence not in the text: $raw\n" if $k < length($want);
		push @out, substr($text, $start, $i - $start);
		$cursor = $i;
	}
	return \@out;
}

sub split_text {
	my ($text) = @_;
	return [$splitter->split_array($text)];
}

if (defined $throughput_file) {
	open(my $fh, '<:raw', $throughput_file) or die "lingua: $throughput_file: $!\n";
	my $bytes = do { local $/; <$fh> };
	close($fh);
	my $n_bytes = length($bytes);
	my @lines = grep { $_ ne '' } split(/\n/, decode('UTF-8', $bytes, Encode::FB_CROAK));
	my ($best, $n);
	for (1 .. $passes) {
		my $t0 = clock_gettime(CLOCK_MONOTONIC);
		$n = 0;
		$n += scalar @{split_text($_)} for @lines;
		my $t = clock_gettime(CLOCK_MONOTONIC) - $t0;
		$best = $t if !defined($best) || $t < $best;
	}
	printf "peer=lingua lang=%s bytes=%d lines=%d passes=%d segments=%d best_s=%.4f mb_s=%.2f\n",
		$lang, $n_bytes, scalar(@lines), $passes, $n, $best, $best > 0 ? $n_bytes / 1e6 / $best : 0;
	exit 0;
}

my $json = JSON::PP->new->utf8->canonical;
binmode(STDIN, ':raw');
binmode(STDOUT, ':raw');
while (my $line = <STDIN>) {
	next if $line =~ /^\s*$/;
	my $case = eval { $json->decode($line) };
	die "lingua: stdin:$.: $@" unless $case;
	die "lingua: stdin:$.: no \"id\" or \"text\" string\n"
		unless defined $case->{id} && defined $case->{text};
	my $segments = align($case->{text}, split_text($case->{text}));
	print $json->encode({id => $case->{id}, segments => $segments}), "\n";
}
