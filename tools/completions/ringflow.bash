# bash completion for ringflow(1)                          -*- shell-script -*-
#
# Completes the options (anywhere before '--', as getopt_long takes them),
# the values of those that take a fixed set, the files after the query, and
# inside the query the verb of the stage being typed and the format after
# "parse".
#
# The query is one shell word, normally quoted.  Inside an open quote
# (ringflow 'parse combined | wh<TAB>) readline completes the text after
# the quote, so the candidates are that whole text with the last word
# finished; a unique match closes the quote, as bash does for any quoted
# word.  A query whose blanks are escaped with backslashes gets no help.
#
# It needs nothing from the bash-completion package: it reads COMP_WORDS
# as bash splits them (with '=' a word of its own, the default), or with
# --opt=value kept whole when COMP_WORDBREAKS lacks '='.

# The options that take a value, as getopt_long knows them; a value may
# follow in the next word, except for --stats, whose value is optional.
_ringflow_valued='io decompress simd regex-engine mode queue-depth threads memory group-memory
	buffer-size window max-record on-long record-start multiline format rejects every
	interval state checkpoint rotate-wait poll tz since until geoip-db asn-db seek-slack
	stats-file numa cpus plugin partial-out precision color'
_ringflow_flags='direct sqpoll strict follow progress verbose help version stats exit-empty ascii
	partial-text'

# _ringflow_option PREFIX: the long option PREFIX stands for (getopt_long
# takes a unique prefix), or nothing
_ringflow_option()
{
	local o found='' n=0
	for o in $_ringflow_valued $_ringflow_flags; do
		if [[ $o == "$1" ]]; then
			echo "$o"
			return
		fi
		if [[ $o == "$1"* ]]; then
			found=$o
			n=$((n + 1))
		fi
	done
	[[ $n -eq 1 ]] && echo "$found"
}

# _ringflow_short LETTER: the long option of a short one that takes a value
_ringflow_short()
{
	case $1 in
	o) echo format ;;
	j) echo threads ;;
	S) echo since ;;
	U) echo until ;;
	esac
}

# _ringflow_values OPTION WORD LEAD: COMPREPLY gets the values of OPTION
# that start with WORD, each after LEAD (what readline will replace
# besides WORD)
_ringflow_values()
{
	local opt word=$2 lead=$3 values='' v
	opt=$(_ringflow_option "$1")
	case $opt in
	io) values='auto mmap uring read' ;;
	decompress) values='auto off' ;;
	simd) values='auto avx512 avx2 sse2 scalar' ;;
	regex-engine) values='auto hyperscan pcre2' ;;
	mode) values='auto serial parallel pipeline multiprocess async' ;;
	on-long) values='error skip' ;;
	multiline) values='java python go indent' ;;
	format) values='table tsv csv json chart html' ;;
	stats) values='text json' ;;
	color) values='auto always never' ;;
	numa) values='auto off interleave node:' ;;
	seek-slack) values='off' ;;
	since | until) values='now today yesterday' ;;
	tz)
		# UTC and the IANA names this machine has
		values="UTC $(cd /usr/share/zoneinfo 2> /dev/null &&
			find [A-Z]* -type f 2> /dev/null)"
		;;
	rejects | stats-file | state | geoip-db | asn-db | partial-out)
		compopt -o filenames 2> /dev/null
		while IFS= read -r v; do
			COMPREPLY+=("$lead$v")
		done < <(compgen -f -- "$word")
		return
		;;
	plugin)
		# shared objects, and the directories on the way to them
		compopt -o filenames 2> /dev/null
		while IFS= read -r v; do
			COMPREPLY+=("$lead$v")
		done < <(compgen -d -- "$word"; compgen -f -X '!*.so' -- "$word")
		return
		;;
	esac
	while IFS= read -r v; do
		[[ -n $v ]] && COMPREPLY+=("$lead$v")
	done < <(compgen -W "$values" -- "$word")
	[[ $opt == numa ]] && compopt -o nospace 2> /dev/null
}

# _ringflow_query WORD: the verbs, or parse's formats, that finish the
# query's last word
_ringflow_query()
{
	local text=$1 head stage blanks w words
	local verbs='split parse grep regex where eval lookup select head top sort count sum avg min
		max distinct p50 p90 p95 p99 quantile approx_distinct stddev variance stddev_pop var_pop
		histogram first last pct'
	local formats='auto combined common docker json logfmt csv tsv regex nginx apache pattern
		alb elb rfc5424 rfc3164 syslog w3c cloudfront cri'
	# readline completes the text after an opening quote
	case $text in
	\'* | \"*) text=${text:1} ;;
	esac
	stage=${text##*|}
	head=${text%"$stage"}
	blanks=${stage%%[! ]*}
	head+=$blanks
	stage=${stage#"$blanks"}
	if [[ $stage != *' '* ]]; then
		words=$verbs
	elif [[ $stage =~ ^(parse +)([^ ]*)$ ]]; then
		head+=${BASH_REMATCH[1]}
		stage=${BASH_REMATCH[2]}
		words=$formats
	else
		return
	fi
	while IFS= read -r w; do
		COMPREPLY+=("$head$w")
	done < <(compgen -W "$words" -- "$stage")
	compopt -o nospace 2> /dev/null
}

_ringflow()
{
	local cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]} i=1 w opt query=0 dashdash=0
	COMPREPLY=()

	# The words before the cursor: options and their values anywhere
	# before '--' (getopt_long's order), the query the first other word,
	# files after it.
	while [[ $i -lt $cword ]]; do
		w=${COMP_WORDS[i]}
		if [[ $dashdash -eq 1 || $w == - || $w != -* ]]; then
			query=1
		elif [[ $w == -- ]]; then
			dashdash=1
		elif [[ $w == --* ]]; then
			if [[ ${COMP_WORDS[i + 1]} == = ]]; then
				# --opt=value, split by bash at the '='
				if [[ $((i + 1)) -eq $cword ]]; then
					_ringflow_values "${w#--}" '' ''
					return
				elif [[ $((i + 2)) -eq $cword ]]; then
					_ringflow_values "${w#--}" "$cur" ''
					return
				fi
				i=$((i + 3))
				continue
			fi
			opt=$(_ringflow_option "${w#--}")
			if [[ $w != *=* && -n $opt && $opt != stats && " "$_ringflow_valued" " == *[[:space:]]$opt[[:space:]]* ]]; then
				# the value in the next word
				if [[ $((i + 1)) -eq $cword ]]; then
					_ringflow_values "$opt" "$cur" ''
					return
				fi
				i=$((i + 1))
			fi
		else
			# a cluster of short options: one that takes a value takes
			# the rest of the word, or the next word when it ends it
			opt=${w#-}
			opt=${opt%%[ojSU]*}
			if [[ ${#opt} -eq $((${#w} - 2)) && $w == *[ojSU] ]]; then
				if [[ $((i + 1)) -eq $cword ]]; then
					_ringflow_values "$(_ringflow_short "${w: -1}")" "$cur" ''
					return
				fi
				i=$((i + 1))
			fi
		fi
		i=$((i + 1))
	done

	if [[ $dashdash -eq 0 && $cur == --*=* ]]; then
		# '=' is not a word break here: the value keeps its option
		w=${cur%%=*}
		_ringflow_values "${w#--}" "${cur#*=}" "$w="
	elif [[ $dashdash -eq 0 && $cur == -* ]]; then
		local o opts='-f -v -h -V -o -j -s -S -U --stats='
		for o in $_ringflow_valued; do
			opts+=" --$o="
		done
		for o in $_ringflow_flags; do
			opts+=" --$o"
		done
		while IFS= read -r w; do
			COMPREPLY+=("$w")
		done < <(compgen -W "$opts" -- "$cur")
		# after --opt= the value is typed without a blank
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2> /dev/null
	elif [[ $query -eq 1 ]]; then
		# after the query: files
		compopt -o filenames 2> /dev/null
		while IFS= read -r w; do
			COMPREPLY+=("$w")
		done < <(compgen -f -- "$cur")
	else
		_ringflow_query "$cur"
	fi
} &&
	complete -F _ringflow ringflow

# ex: filetype=sh
