#!/bin/sh
# SPDX-License-Identifier: MIT
# completions.sh - the bash, fish and zsh completions of tools/completions
# against what ringflow itself says: the options of `ringflow --help` (and
# whether each takes a value), the values its synopsis lists, the enum
# lists of ringflow.h, the multiline rules of --multiline's error, and the
# verbs and formats the query parser names in its hints.  Each shell that
# is not installed is skipped with a note; bash always runs.
. "${SRCDIR:-.}/tests/lib.sh"

C="${SRCDIR:-.}/tools/completions"
H="${SRCDIR:-.}/include/ringflow.h"
if ! command -v bash > /dev/null 2>&1; then
	echo "bash not found: skipped"
	exit 77
fi

# ---- the oracle ----------------------------------------------------------
"$RINGFLOW" --help > "$T/help" || exit 99
# the option column of each option line ("  --io=auto|mmap  I/O backend"),
# one option a line ("--since=T, --until=T" holds two)
awk '/^Options:/ { on = 1; next }
	on && /^$/ { on = 0 }
	on && /^  -/ { sub(/^  /, ""); sub(/  .*/, ""); n = split($0, p, /, /); for (i = 1; i <= n; i++) print p[i] }' \
	"$T/help" > "$T/specs"
mkdir "$T/values"
: > "$T/long"
: > "$T/short"
: > "$T/valued"
: > "$T/optional"
while read -r spec; do
	case $spec in
	--*)
		name=${spec#--}
		name=${name%%[=[]*}
		echo "$name" >> "$T/long"
		case $spec in
		*"[="*) echo "$name" >> "$T/optional"; vals=${spec#*\[=}; vals=${vals%]} ;;
		*=*) echo "$name" >> "$T/valued"; vals=${spec#*=} ;;
		*) vals= ;;
		esac
		# the values named in lower case (SIZE, N, FILE are placeholders);
		# node:N is completed as far as the colon
		echo "$vals" | tr '|' '\n' | sed -n 's/^\([a-z][a-z0-9]*\)$/\1/p; s/^\([a-z][a-z0-9]*:\)[A-Z]*$/\1/p' |
			sort > "$T/values/$name"
		[ -s "$T/values/$name" ] || rm "$T/values/$name"
		;;
	-?) echo "${spec#-}" >> "$T/short" ;;
	*) fail "--help: cannot read the option '$spec'" ;;
	esac
done < "$T/specs"
for f in long short valued optional; do
	sort -o "$T/$f" "$T/$f"
done
nlong=$(wc -l < "$T/long")
check_eq "--help lists options" "$([ "$nlong" -ge 30 ] && echo yes)" yes
check_eq "--help names values" "$([ -s "$T/values/mode" ] && [ -s "$T/values/io" ] && echo yes)" yes

# the name lists of ringflow.h's enums, for the options set from them
hdr_names() {
	sed -n "/^#define $1(X)/,/[^\\\\]\$/p" "$H" | grep -o 'X(RF_[A-Z0-9_]*, "[a-z0-9]*")' |
		sed 's/.*"\(.*\)")$/\1/; s/^node$/node:/' | sort
}
for pair in io:RF_IO_LIST simd:RF_SIMD_LIST mode:RF_MODE_LIST numa:RF_NUMA_LIST format:RF_FORMAT_LIST \
	regex-engine:RF_REGEX_ENGINE_LIST; do
	hdr_names "${pair#*:}" > "$T/values/${pair%%:*}.h"
	check_same "--${pair%%:*}: the names of ${pair#*:} are those of --help" "$T/values/${pair%%:*}.h" \
		"$T/values/${pair%%:*}"
done
# --multiline's rules are prose in --help: its error message lists them
"$RINGFLOW" --multiline=zz-none count /dev/null 2> "$T/err" < /dev/null
sed -n 's/.*(\(.*\)).*/\1/p' "$T/err" | tr -d ' ' | tr ',' '\n' | sort > "$T/values/multiline"
check_eq "--multiline's error lists rules" "$(wc -l < "$T/values/multiline")" 4
# the verbs and formats, from the parser's hints
"$RINGFLOW" 'zz-none' /dev/null 2> "$T/err"
sed -n 's/^ *hint: verbs: //p' "$T/err" | tr ' ' '\n' | sort > "$T/verbs"
"$RINGFLOW" 'parse zz-none' /dev/null 2> "$T/err"
sed -n 's/^ *hint: formats: //p' "$T/err" | tr ' ' '\n' | sort > "$T/formats"
check_eq "the parser names verbs" "$(grep -c -x -e count -e parse -e where "$T/verbs")" 3
check_eq "the parser names formats" "$(grep -c -x -e combined -e json "$T/formats")" 2

# every option of --help is written in each file, so that none can drift
# even where its shell is not installed
grep '^complete' "$C/ringflow.fish" | grep -o -e " -l [a-z-]*" | sed 's/^ -l //' | sort -u > "$T/got"
check_same "ringflow.fish: the long options of --help" "$T/got" "$T/long"
grep '^complete' "$C/ringflow.fish" | grep -o -e " -s [a-zA-Z]" | sed 's/^ -s //' | sort -u > "$T/got"
check_same "ringflow.fish: the short options of --help" "$T/got" "$T/short"
grep -o -e "'--[a-z-]\{1,\}" -e ",--[a-z-]*=\{0,1\}}" -e ")--[a-z-]\{1,\}" "$C/_ringflow" | tr -d "',}=)" |
	sed 's/^--//' | sort -u > "$T/got"
check_same "_ringflow: the long options of --help" "$T/got" "$T/long"
grep -o -e "{-[a-zA-Z]+\{0,1\}," -e ")-[a-zA-Z]\[" "$C/_ringflow" | tr -d '{,+)[-' | sort -u > "$T/got"
check_same "_ringflow: the short options of --help" "$T/got" "$T/short"

# ---- the cases -------------------------------------------------------------
# Each shell's completions are asked for in one run of that shell: a case
# is a command line, and the candidates expected, one a line, in a file
# of $T/want.  The order of the candidates does not matter.
mkdir "$T/want" "$T/d"
: > "$T/d/a.log"
: > "$T/d/b.log"
: > "$T/d/--mode.log"
: > "$T/bash.in"
: > "$T/bash.cases"
: > "$T/fish.in"
: > "$T/fish.cases"
: > "$T/zsh.in"
: > "$T/zsh.cases"
nb=0 nf=0 nz=0
# bcase DESC WANT WORD...: bash with the cursor at the end of the last
# WORD, the words split as bash splits them ('=' is a word of its own)
bcase() {
	nb=$((nb + 1))
	printf '%s\t%s\t%s\n' $nb "bash: $1" "$T/want/$2" >> "$T/bash.cases"
	shift 2
	for w in "$@"; do
		printf '%s\037' "$w"
	done >> "$T/bash.in"
	echo >> "$T/bash.in"
}
# fcase and zcase DESC WANT LINE: fish and zsh with the cursor at the end
# of LINE
fcase() {
	nf=$((nf + 1))
	printf '%s\t%s\t%s\n' $nf "fish: $1" "$T/want/$2" >> "$T/fish.cases"
	printf '%s\n' "$3" >> "$T/fish.in"
}
zcase() {
	nz=$((nz + 1))
	printf '%s\t%s\t%s\n' $nz "zsh: $1" "$T/want/$2" >> "$T/zsh.cases"
	printf '%s\n' "$3" >> "$T/zsh.in"
}

# all the options, as bash offers them: those with a value end in '=' (an
# optional value: both), so that the value follows without a blank
awk -v valued="$T/valued" -v optional="$T/optional" '
	BEGIN { while ((getline o < valued) > 0) v[o] = 1; while ((getline o < optional) > 0) p[o] = 1 }
	{ if ($0 in v) print "--" $0 "="; else print "--" $0; if ($0 in p) print "--" $0 "=" }' \
	"$T/long" > "$T/want/long="
sed 's/^/-/' "$T/short" | cat - "$T/want/long=" > "$T/want/all="
sed 's/^/--/' "$T/long" > "$T/want/long"
sed 's/^/-/' "$T/short" | cat - "$T/want/long" > "$T/want/all"
bcase "the long options" long= ringflow --
bcase "all the options" all= ringflow -
fcase "the long options" long 'ringflow --'
fcase "all the options" all 'ringflow -'
zcase "the long options" long 'ringflow --'

for f in "$T"/values/*; do
	case $f in *.h) continue ;; esac
	o=${f##*/}
	first=$(head -c 1 "$f")
	grep "^$first" "$f" > "$T/want/$o.$first"
	sed "s/^/--$o=/" "$f" > "$T/want/--$o="
	sed -n "s/^$first/--$o=&/p" "$f" > "$T/want/--$o=$first"
	cp "$f" "$T/want/$o"
	bcase "--$o=" "$o" ringflow "--$o" =
	bcase "--$o=$first" "$o.$first" ringflow "--$o" = "$first"
	# with '=' no word break (COMP_WORDBREAKS changed): the word is whole
	bcase "--$o=$first, one word" "--$o=$first" ringflow "--$o=$first"
	fcase "--$o=" "--$o=" "ringflow --$o="
	zcase "--$o=" "$o" "ringflow --$o="
	# getopt_long takes a required value from the next word
	if grep -q -x -e "$o" "$T/valued"; then
		bcase "--$o VALUE" "$o" ringflow "--$o" ''
		fcase "--$o VALUE" "$o" "ringflow --$o "
	fi
done
# an abbreviated option takes its value from the next word too
bcase "--mod VALUE" mode ringflow --mod ''

# the query: verbs, and the formats after parse, inside an open quote too
cp "$T/verbs" "$T/want/verbs"
sed 's/^/parse /' "$T/formats" > "$T/want/parse"
sed 's/^/parse  /' "$T/formats" > "$T/want/parse2"
sed -n 's/^co/grep x | parse &/p' "$T/formats" > "$T/want/grep-parse-co"
sed -n 's/^whe/parse combined | &/p' "$T/verbs" > "$T/want/parse-whe"
cp "$T/formats" "$T/want/formats"
: > "$T/want/none"
bcase "verbs" verbs ringflow ''
bcase "verbs after options" verbs ringflow -v --mode serial ''
bcase "verbs after --" verbs ringflow --io=read -- ''
# an optional value is only ever after '=': the next word is the query
bcase "--stats then the query" verbs ringflow --stats ''
bcase "formats in 'parse" parse ringflow "'parse "
bcase "formats in \"parse" parse2 ringflow '"parse  '
bcase "a format's first letters" grep-parse-co ringflow "'grep x | parse co"
bcase "a verb after a |" parse-whe ringflow "'parse combined | whe"
bcase "nothing for an argument" none ringflow "'grep x"
fcase "verbs" verbs 'ringflow '
fcase "verbs after --mode VALUE" verbs 'ringflow --mode serial '
fcase "--stats then the query" verbs 'ringflow --stats '
fcase "formats in 'parse" parse "ringflow 'parse "
fcase "a format's first letters" grep-parse-co "ringflow \"grep x | parse co"
fcase "a verb after a |" parse-whe "ringflow 'parse combined | whe"
zcase "verbs" verbs "ringflow '"
zcase "formats" formats "ringflow 'grep x | parse "

# files after the query, and never an option there
printf '%s\n' "$T/d/--mode.log" "$T/d/a.log" "$T/d/b.log" > "$T/want/files"
echo "$T/d/a.log" > "$T/want/a.log"
echo "$T/d/b.log" > "$T/want/b.log"
echo "--mode.log" > "$T/want/--mode.log"
bcase "files after the query" files ringflow count "$T/d/"
bcase "files after options and the query" b.log ringflow -f --tz UTC count "$T/d/a.log" "$T/d/b"
bcase "files after -- QUERY" a.log ringflow -- count "$T/d/a"
bcase "--rejects FILE" a.log ringflow --rejects "$T/d/a"
# --plugin: shared objects (and directories), not the other files
mkdir "$T/p" "$T/p/sub"
: > "$T/p/x.so"
: > "$T/p/y.log"
printf '%s\n' "$T/p/sub" "$T/p/x.so" > "$T/want/plugin"
bcase "--plugin FILE.so" plugin ringflow --plugin "$T/p/"
bcase "--plugin=FILE.so" plugin ringflow --plugin = "$T/p/"
printf '%s\n' "$T/p/sub/" "$T/p/x.so" > "$T/want/plugin-fish"
fcase "--plugin FILE.so" plugin-fish "ringflow --plugin $T/p/"
fcase "files after the query" files "ringflow count $T/d/"
if [ -f /usr/share/zoneinfo/Europe/Berlin ]; then
	echo Europe/Berlin > "$T/want/berlin"
	bcase "--tz=Europe/Berl" berlin ringflow --tz = Europe/Berl
	fcase "--tz Europe/Berl" berlin 'ringflow --tz Europe/Berl'
fi
# an option anywhere before '--' (getopt_long's order), a file after it
echo "--mode=" > "$T/want/opt-mode="
echo "--mode" > "$T/want/opt-mode"
echo "$T/d/--mode.log" > "$T/want/path-mode.log"
bcase "an option after the query" opt-mode= ringflow count a.log --mo
fcase "an option after the query" opt-mode 'ringflow count a.log --mo'
bcase "no option after -- QUERY" path-mode.log ringflow -- count "$T/d/--mo"
# a short option's value in the next word, then the query and files
bcase "-o VALUE" format ringflow -o ''
bcase "-vo VALUE after the query" format ringflow count -vo ''
bcase "-ojson, then the query" verbs ringflow -ojson ''
bcase "-j N, then the query" verbs ringflow -j 4 ''
bcase "files after -S T QUERY" a.log ringflow -S 1h count "$T/d/a"
fcase "-o VALUE" format 'ringflow -o '
fcase "-j N, then the query" verbs 'ringflow -j 4 '
# these run in $T/d, where "--mo" begins a file name
bcase "no option after --" --mode.log ringflow count -- --mo
fcase "no option after --" --mode.log 'ringflow count -- --mo'

# compare SHELL: the candidates of each case of SHELL (in $T/SHELL.out:
# "== N" and then the candidates of case N, one a line; fish adds a tab and
# a description) against what the case wants, as sets
compare() {
	awk -F '\t' -v out="$T/$1.out" '
	BEGIN {
		while ((getline line < out) > 0) {
			if (line ~ /^== [0-9]+$/) { n = substr(line, 4) + 0; seen[n] = 1; continue }
			sub(/\t.*/, "", line)
			if (line != "" && !((n, line) in got)) { got[n, line] = 1; ngot[n]++; list[n] = list[n] " " line }
		}
	}
	{
		n = $1; nwant = 0; missing = ""
		while ((getline w < $3) > 0) {
			nwant++
			if (!((n, w) in got)) missing = missing " " w
		}
		close($3)
		if (!(n in seen)) print "FAIL: " $2 ": no answer"
		else if (missing != "" || ngot[n] + 0 != nwant) print "FAIL: " $2 ": got" list[n] "; missing:" missing
		else print "ok"
	}' "$T/$1.cases" > "$T/$1.result"
	while read -r line; do
		checks=$((checks + 1))
		[ "$line" = ok ] || fail "${line#FAIL: }"
	done < "$T/$1.result"
}

# ---- bash ------------------------------------------------------------------
cat > "$T/bash.sh" << 'EOF'
source "$1" || exit 99
n=0
while IFS= read -r line; do
	n=$((n + 1))
	# the words, each ended by a \037
	COMP_WORDS=()
	while [[ -n $line ]]; do
		COMP_WORDS+=("${line%%$'\037'*}")
		line=${line#*$'\037'}
	done
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_ringflow
	echo "== $n"
	printf '%s\n' "${COMPREPLY[@]}"
done
EOF
# the cases after the last one that names a file in $T/d run there
head -n $((nb - 1)) "$T/bash.in" | bash --norc --noprofile "$T/bash.sh" "$C/ringflow.bash" > "$T/bash.out"
(cd "$T/d" && tail -n 1 "$T/bash.in" | bash --norc --noprofile "$T/bash.sh" "$C/ringflow.bash") |
	sed "s/^== 1\$/== $nb/" >> "$T/bash.out"
compare bash

# ---- fish ------------------------------------------------------------------
if command -v fish > /dev/null 2>&1; then
	cat > "$T/fish.fish" << 'EOF'
source $argv[1]
set -l n 0
while read -l line
	set n (math $n + 1)
	echo "== $n"
	complete -C"$line"
end
EOF
	head -n $((nf - 1)) "$T/fish.in" | fish --no-config "$T/fish.fish" "$C/ringflow.fish" > "$T/fish.out"
	(cd "$T/d" && tail -n 1 "$T/fish.in" | fish --no-config "$T/fish.fish" "$C/ringflow.fish") |
		sed "s/^== 1\$/== $nf/" >> "$T/fish.out"
	# fish offers --stats= too, as the start of its optional value
	grep -v -e '^--stats=$' -e "^--stats=$(printf '\t')" "$T/fish.out" > "$T/fish.out2"
	mv "$T/fish.out2" "$T/fish.out"
	compare fish
else
	echo "fish not installed: its completion not run (the text checks above cover it)"
fi

# ---- zsh -------------------------------------------------------------------
if command -v zsh > /dev/null 2>&1; then
	checks=$((checks + 1))
	zsh -n "$C/_ringflow" || fail "_ringflow: zsh -n finds a syntax error"
	# One interactive zsh in a pseudo-terminal (zpty) types each line and a
	# TAB; its compadd also prints the matches it adds.
	cat > "$T/zsh.zsh" << 'EOF'
zmodload zsh/zpty || exit 99
zpty z zsh -f -i
zpty -w z "PS1=\"Z\"\"P>\" PS2='' fpath=('$1' \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'unsetopt autolist listbeep beep'
# compadd as it is, and what it adds printed (unless it is asked only to
# return matches: -O, -A, -D)
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a m; builtin compadd -O m "$@"; (( $#m )) && print -r -- "<<" ${(j:|:)m}; builtin compadd "$@"; }'
# zz_sync: read everything up to the output of the sentinel command, then the
# prompt after it (keys typed before zle reads again would meet the
# terminal's own line editing)
zz_sync() {
	zpty -w z 'print ZZ$((6*7))'
	zpty -r z out '*ZZ42*'
	zpty -r z rest '*ZP>'
}
zz_sync
n=0
while IFS= read -r query; do
	n=$((n + 1))
	print -r -- "== $n"
	zpty -w -n z "$query"$'\t\C-u'
	zz_sync
	for line in "${(@f)out}"; do
		[[ $line == *'<< '* ]] && print -rl -- ${(s:|:)${${line#*<< }%%$'\r'*}}
	done
done < "$2"
zpty -d z
EOF
	timeout 120 zsh -f "$T/zsh.zsh" "$C" "$T/zsh.in" > "$T/zsh.out" 2> /dev/null
	if ! grep -q -v '^== ' "$T/zsh.out"; then
		echo "zsh: no completion came back through zpty: its live checks not run"
	else
		compare zsh
	fi
else
	echo "zsh not installed: its completion not run (the text checks above cover it)"
fi

finish
