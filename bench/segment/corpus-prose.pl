#!/usr/bin/perl
# The text half of bench/segment/make-corpus: turns documentation files into French
# prose, one paragraph per line.
#
#   corpus-prose.pl --out FILE --stats FILE [--dropped FILE] < list
#
# list: one "SOURCE<TAB>KIND<TAB>PATH" line per file, in the order wanted; KIND is
#   html   an HTML page (DocBook, LibreOffice help, LilyPond...): the text of each block
#          element is a paragraph; navigation, headers, footers, tables of contents,
#          scripts, styles and <pre> blocks (code, screen listings) are skipped
#   xml    a Mallard page (GNOME help) or DocBook XML (KDE handbooks): the same, code
#          listings, screens and metadata skipped
#   text   a man page rendered without wrapping (one paragraph per line)
#   pdf    pdftotext's output: paragraphs are separated by blank lines, their lines are
#          joined (see unwrap)
#
# Each paragraph: white space runs become one space (no-break spaces are kept: French
# puts them before ; : ! ? » and the segmenters must see them), soft hyphens and
# zero-width characters are dropped, NFC. It is kept when it looks like French prose:
# at least 40 bytes and 6 words, letters make at least 75% of its non-space characters
# (code, options, tables do not), characters of code and markup (\ { } [ ] < > = $ % # |
# _ ^ ~) at most 2% of them, at least two French function words and more than twice as
# many as English ones. Then exact duplicates are dropped (the first stays).
# The output depends only on the files and their order.
use strict;
use warnings;
use utf8;

use Encode qw(decode encode);
use Getopt::Long;
use HTML::Entities ();
use HTML::Parser;
use Unicode::Normalize qw(NFC);

my ($out_path, $stats_path, $dropped_path);
GetOptions('out=s' => \$out_path, 'stats=s' => \$stats_path, 'dropped=s' => \$dropped_path)
	or die "usage: corpus-prose.pl --out FILE --stats FILE < list\n";
die "usage: corpus-prose.pl --out FILE --stats FILE < list\n" unless $out_path && $stats_path;

my %FR = map { $_ => 1 } qw(le la les des du de un une et est sont dans pour par sur avec que
	qui ne pas ce cette ces il elle ils elles vous nous au aux être plus ou si son sa ses leur
	leurs peut fait être été mais comme tout tous aussi entre sans sous vers dont où lorsque);
my %EN = map { $_ => 1 } qw(the and of to is are for with that this it be by from or an not
	you which can will was were has have when there their they these into only if);

# Elements whose text ends a paragraph where they start and end.
my %BLOCK = map { $_ => 1 } qw(address article aside blockquote body br caption dd div dl dt
	figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre
	section table tbody td tfoot th thead title tr ul option
	page subtitle desc item list steps terms tree note synopsis listing media credit
	links example para simpara formalpara listitem entry term varlistentry sect1 sect2 sect3
	sect4 sect5 chapter abstract);
# Elements without content or end tag: never skipped as a subtree.
my %VOID = map { $_ => 1 } qw(area base br col embed hr img input link meta source track wbr);
# Elements skipped with everything inside them (and any element marked hidden).
my %SKIP = map { $_ => 1 } qw(script style pre head noscript nav header footer form select
	textarea button svg math screen info programlisting indexterm keywordset bookinfo
	articleinfo);
# ... and any element with one of these classes or ids (site and DocBook navigation, code).
my %SKIP_CLASS = map { $_ => 1 } qw(navheader navfooter toc toctitle breadcrumb breadcrumbs
	navigation sidebar dropdowns footer header related programlisting screen synopsis
	cmdsynopsis funcsynopsis literallayout example-contents search);

my (%seen, %stats, @order);
open(my $out, '>:raw', $out_path) or die "corpus-prose: $out_path: $!\n";
my $dropped;
if ($dropped_path) {
	open($dropped, '>:encoding(UTF-8)', $dropped_path) or die "corpus-prose: $dropped_path: $!\n";
}

sub keep_paragraph {
	my ($source, $p) = @_;
	$p =~ s/[\x{00AD}\x{200B}-\x{200D}\x{2060}\x{FEFF}]//g;
	$p =~ s/[\x00-\x08\x0B\x0E-\x1F\x7F-\x9F]//g;
	$p =~ s/[ \t\r\n\f]+/ /g;
	$p =~ s/^[\s\x{00A0}\x{202F}]+|[\s\x{00A0}\x{202F}]+$//g;
	return if $p eq '';
	$p = NFC($p);
	my $st = $stats{$source};
	my $bytes = encode('UTF-8', $p);
	my @words = grep { length } split(/[^\p{L}]+/, lc $p);
	my $nonspace = () = $p =~ /\S/g;
	my $letters = () = $p =~ /\p{L}/g;
	my ($fr, $en) = (0, 0);
	for (@words) {
		$fr++ if $FR{$_};
		$en++ if $EN{$_};
	}
	my $code = () = $p =~ /[\\{}\[\]<>=\$%#|_^~]/g;
	if (length($bytes) < 40 || @words < 6 || $letters < 0.75 * $nonspace || $fr < 2
		|| $fr <= 2 * $en || $code > 0.02 * length($p)) {
		$st->{dropped}++;
		print $dropped "$source\t$p\n" if $dropped;
		return;
	}
	if ($seen{$bytes}++) {
		$st->{duplicates}++;
		return;
	}
	print $out $bytes, "\n" or die "corpus-prose: $out_path: $!\n";
	$st->{kept}++;
	$st->{bytes} += length($bytes) + 1;
}

# A block of pdftotext output as one paragraph: a word cut by a hyphen at the end of a
# line is joined again ("ty-\npographie"; a hyphenated compound cut there loses its
# hyphen), other line ends become spaces.
sub unwrap {
	my ($block) = @_;
	$block =~ s/(\p{Ll})-\n(\p{Ll})/$1$2/g;
	$block =~ s/\n/ /g;
	return $block;
}

sub decode_html {
	my ($raw) = @_;
	my ($charset) = substr($raw, 0, 4096) =~ /charset=["']?([A-Za-z0-9_.:-]+)/i;
	$charset = 'UTF-8' if !$charset || $charset =~ /^utf-?8$/i;
	my $text = eval { decode($charset, $raw, Encode::FB_CROAK) };
	$text = decode('cp1252', $raw) unless defined $text;
	return $text;
}

sub markup_paragraphs {
	my ($source, $kind, $text) = @_;
	my $buf = '';
	my ($skip_tag, $skip_depth) = (undef, 0);
	my $flush = sub {
		keep_paragraph($source, $buf) if $buf =~ /\S/;
		$buf = '';
	};
	my $p = HTML::Parser->new(
		api_version => 3,
		start_h => [sub {
			my ($tag, $attr) = @_;
			if (defined $skip_tag) {
				$skip_depth++ if $tag eq $skip_tag;
				return;
			}
			my @cls = split(' ', join(' ', $attr->{class} // '', $attr->{id} // ''));
			if (!$VOID{$tag} && $tag ne 'body' && $tag ne 'html'
				&& ($SKIP{$tag} || exists $attr->{hidden} || grep { $SKIP_CLASS{$_} } @cls)) {
				$flush->();
				($skip_tag, $skip_depth) = ($tag, 1);
				return;
			}
			$flush->() if $BLOCK{$tag};
		}, 'tagname, attr'],
		end_h => [sub {
			my ($tag) = @_;
			if (defined $skip_tag) {
				$skip_tag = undef if $tag eq $skip_tag && --$skip_depth == 0;
				return;
			}
			$flush->() if $BLOCK{$tag};
		}, 'tagname'],
		text_h => [sub {
			$buf .= $_[0] unless defined $skip_tag;
		}, 'dtext'],
	);
	if ($kind eq 'xml') {
		# DocBook's own entities (&kstars;, &Linux;...) become their names.
		$text =~ s/&([A-Za-z][A-Za-z0-9._-]*);/
			exists $HTML::Entities::entity2char{$1} ? "&$1;" : $1/ge;
		$p->xml_mode(1);
	}
	$p->empty_element_tags(1);
	$p->ignore_elements(qw(script style));
	$p->parse($text);
	$p->eof;
	$flush->();
}

while (my $line = <STDIN>) {
	chomp $line;
	next if $line eq '';
	my ($source, $kind, $path) = split(/\t/, $line, 3);
	die "corpus-prose: bad list line: $line\n" unless defined $path;
	unless ($stats{$source}) {
		$stats{$source} = {files => 0, kept => 0, bytes => 0, dropped => 0, duplicates => 0};
		push @order, $source;
	}
	$stats{$source}{files}++;
	open(my $fh, '<:raw', $path) or die "corpus-prose: $path: $!\n";
	my $raw = do { local $/; <$fh> };
	close($fh);
	if ($kind eq 'text') {
		my $text = eval { decode('UTF-8', $raw, Encode::FB_CROAK) } // decode('cp1252', $raw);
		keep_paragraph($source, $_) for split(/\n/, $text);
	} elsif ($kind eq 'pdf') {
		my $text = eval { decode('UTF-8', $raw, Encode::FB_CROAK) } // decode('cp1252', $raw);
		keep_paragraph($source, unwrap($_)) for split(/\n[ \t\f]*\n/, $text);
	} elsif ($kind eq 'html' || $kind eq 'xml') {
		markup_paragraphs($source, $kind, $kind eq 'xml' ? decode('UTF-8', $raw) : decode_html($raw));
	} else {
		die "corpus-prose: unknown kind $kind: $line\n";
	}
}
close($out) or die "corpus-prose: $out_path: $!\n";

open(my $sf, '>:encoding(UTF-8)', $stats_path) or die "corpus-prose: $stats_path: $!\n";
printf $sf "%-28s %6s %9s %11s %9s %10s\n", 'source', 'files', 'kept', 'bytes', 'dropped', 'duplicates';
for my $s (@order) {
	my $st = $stats{$s};
	printf $sf "%-28s %6d %9d %11d %9d %10d\n", $s, @{$st}{qw(files kept bytes dropped duplicates)};
}
close($sf) or die "corpus-prose: $stats_path: $!\n";
