# fish completion for ringflow(1)
#
# Options come anywhere before '--', the first other word is the query and
# every word after it is a file; inside the query the verb of the stage being typed and the format after
# "parse" are completed (the query is one word, normally quoted).

# The long options that take a value, which getopt_long also takes from the
# next word (--stats only takes one after '=').
set -g __fish_ringflow_valued io decompress simd regex-engine mode queue-depth threads memory \
    group-memory buffer-size window max-record on-long record-start multiline format rejects \
    every interval state checkpoint rotate-wait poll tz since until geoip-db asn-db seek-slack \
    stats-file numa cpus plugin partial-out precision color
set -g __fish_ringflow_flags direct sqpoll strict follow progress verbose help version stats exit-empty ascii \
    partial-text

# Where the word at the cursor is: "value" (of the option before it),
# "query" (none yet) or "files" (after the query); then "dashdash" when a
# '--' came before it, after which nothing is an option.  Options may be
# anywhere before '--', as getopt_long takes them.
function __fish_ringflow_where
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    set -l dashdash 0
    set -l query 0
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        if test $dashdash = 1
            set query 1
            continue
        end
        switch $w
            case --
                set dashdash 1
            case '--*=*'
            case '--*'
                # a unique prefix names an option, as getopt_long has it
                set -l name (string sub -s 3 -- $w)
                set -l opts (string match -- "$name*" $__fish_ringflow_valued $__fish_ringflow_flags)
                if contains -- $name $__fish_ringflow_valued
                    set skip 1
                else if test (count $opts) = 1; and contains -- $opts $__fish_ringflow_valued
                    set skip 1
                end
            case '-?*'
                # short options: one that takes a value and ends the word
                # takes the next word
                if string match -q -r -- '^-[^ojSU]*[ojSU]$' $w
                    set skip 1
                end
            case '*'
                set query 1
        end
    end
    if test $skip = 1
        echo value
    else if test $query = 0
        echo query
    else
        echo files
    end
    test $dashdash = 1; and echo dashdash
end

# options and their values: anywhere before a '--'
function __fish_ringflow_options
    not contains -- dashdash (__fish_ringflow_where)
end

function __fish_ringflow_at_query
    contains -- query (__fish_ringflow_where)
end

# The verbs, or parse's formats, that finish the query's last word, each
# after the text before it.
function __fish_ringflow_query
    set -l text (commandline -ct)
    # the token as typed: an opening quote is not part of the text
    set text (string replace -r -- '^[\'"]' '' $text)
    set -l stage (string replace -r -- '^.*\|' '' $text)
    set -l head (string sub -l (math (string length -- "$text") - (string length -- "$stage")) -- "$text")
    set -l blanks (string match -r -- '^ *' $stage)
    set head "$head$blanks"
    set stage (string sub -s (math (string length -- "$blanks") + 1) -- "$stage")
    if not string match -q -- '* *' $stage
        for v in split parse grep regex where eval lookup select head top sort count sum avg min \
            max distinct p50 p90 p95 p99 quantile approx_distinct stddev variance stddev_pop var_pop \
            histogram first last pct
            echo "$head$v"
        end
    else if set -l m (string match -r -- '^(parse +)[^ ]*$' $stage)
        for f in auto combined common docker json logfmt csv tsv regex nginx apache pattern alb elb \
            rfc5424 rfc3164 syslog w3c cloudfront cri
            echo "$head$m[2]$f"
        end
    end
end

# --plugin's value: shared objects, and the directories on the way to them
# (the value only, after a --plugin= in the same word)
function __fish_ringflow_plugins
    set -l text (string replace -r -- '^--[a-z-]*=' '' (commandline -ct))
    for f in $text*
        if test -d $f
            echo $f/
        else if string match -q -- '*.so' $f
            echo $f
        end
    end
end

complete -c ringflow -n __fish_ringflow_at_query -f -a '(__fish_ringflow_query)'

complete -c ringflow -n __fish_ringflow_options -l io -x -a 'auto mmap uring read' -d 'I/O backend'
complete -c ringflow -n __fish_ringflow_options -l decompress -x -a 'auto off' -d 'Decode compressed inputs'
complete -c ringflow -n __fish_ringflow_options -l direct -d 'io_uring with O_DIRECT'
complete -c ringflow -n __fish_ringflow_options -l sqpoll -d 'io_uring with a kernel submission thread'
complete -c ringflow -n __fish_ringflow_options -l simd -x -a 'auto avx512 avx2 sse2 scalar' -d 'Kernel level'
complete -c ringflow -n __fish_ringflow_options -l regex-engine -x -a 'auto hyperscan pcre2' -d 'Matcher of regex and grep'
complete -c ringflow -n __fish_ringflow_options -l mode -x -a 'auto serial parallel pipeline multiprocess async' -d 'Execution mode'
complete -c ringflow -n __fish_ringflow_options -l queue-depth -x -d 'Pipeline mode: batches between two stages'
complete -c ringflow -n __fish_ringflow_options -s j -l threads -x -d 'Parallel and multiprocess workers'
complete -c ringflow -n __fish_ringflow_options -l memory -x -d 'Buffer pool budget'
complete -c ringflow -n __fish_ringflow_options -l group-memory -x -d 'What a group-by may add'
complete -c ringflow -n __fish_ringflow_options -l buffer-size -x -d 'One pool buffer'
complete -c ringflow -n __fish_ringflow_options -l window -x -d 'mmap window'
complete -c ringflow -n __fish_ringflow_options -l max-record -x -d 'Longest record accepted'
complete -c ringflow -n __fish_ringflow_options -l on-long -x -a 'error skip' -d 'What a longer record is'
complete -c ringflow -n __fish_ringflow_options -l record-start -x -d 'Multiline records: regex of a first line'
complete -c ringflow -n __fish_ringflow_options -l multiline -x -a 'java python go indent' -d 'Multiline records by a preset rule'
complete -c ringflow -n __fish_ringflow_options -s o -l format -x -a 'table tsv csv json chart html' -d 'How result rows print'
complete -c ringflow -n __fish_ringflow_options -l ascii -d 'Chart bars of #, not Unicode blocks'
complete -c ringflow -n __fish_ringflow_options -l rejects -r -F -d 'File for records a parser rejects'
complete -c ringflow -n __fish_ringflow_options -l plugin -x -a '(__fish_ringflow_plugins)' -d 'Load the stages of a plugin (repeatable)'
complete -c ringflow -n __fish_ringflow_options -l strict -d 'A rejected record is an error'
complete -c ringflow -n __fish_ringflow_options -l every -x -d 'Print the aggregate every DURATION'
complete -c ringflow -n __fish_ringflow_options -l interval -x -d 'The same, each for its interval'
complete -c ringflow -n __fish_ringflow_options -s f -l follow -d 'Follow the files as they grow'
complete -c ringflow -n __fish_ringflow_options -l state -r -F -d 'Follow: checkpoint file'
complete -c ringflow -n __fish_ringflow_options -l checkpoint -x -d 'Follow: how often --state is written'
complete -c ringflow -n __fish_ringflow_options -l rotate-wait -x -d 'Follow: how long a rotated file is read'
complete -c ringflow -n __fish_ringflow_options -l poll -x -d 'Follow: poll at this interval'
complete -c ringflow -n __fish_ringflow_options -l tz -x -a "UTC (find /usr/share/zoneinfo -path '/usr/share/zoneinfo/[A-Z]*' -type f 2>/dev/null | string replace /usr/share/zoneinfo/ '')" -d 'Time zone'
complete -c ringflow -n __fish_ringflow_options -s S -l since -x -a 'now today yesterday' -d 'Only records from this time'
complete -c ringflow -n __fish_ringflow_options -s U -l until -x -a 'now today yesterday' -d 'Only records before this time'
complete -c ringflow -n __fish_ringflow_options -l geoip-db -r -F -d 'MaxMind database of geoip()'
complete -c ringflow -n __fish_ringflow_options -l asn-db -r -F -d 'MaxMind database of asn()'
complete -c ringflow -n __fish_ringflow_options -l seek-slack -x -a off -d 'How far back a time may be'
complete -c ringflow -n __fish_ringflow_options -l stats -f -a 'text json' -d 'Run statistics on stderr'
complete -c ringflow -n __fish_ringflow_options -s s -d 'Run statistics on stderr (text)'
complete -c ringflow -n __fish_ringflow_options -l exit-empty -d 'Exit status 1 when the result is empty'
complete -c ringflow -n __fish_ringflow_options -l stats-file -r -F -d 'Write the statistics to a file'
complete -c ringflow -n __fish_ringflow_options -l partial-out -r -F -d 'Write the partial state to a file'
complete -c ringflow -n __fish_ringflow_options -l partial-text -d 'The partial state as a line of base64 text'
complete -c ringflow -n __fish_ringflow_options -l progress -d 'A progress bar on stderr'
complete -c ringflow -n __fish_ringflow_options -l precision -x -d 'Significant digits of floats in tables'
complete -c ringflow -n __fish_ringflow_options -l color -x -a 'auto always never' -d 'Colour on a terminal'
complete -c ringflow -n __fish_ringflow_options -l numa -x -a 'auto off interleave node:' -d 'Thread and buffer placement'
complete -c ringflow -n __fish_ringflow_options -l cpus -x -d 'Run only on these CPUs'
complete -c ringflow -n __fish_ringflow_options -s v -l verbose -d 'Say which mode, backend and SIMD level were used'
complete -c ringflow -n __fish_ringflow_options -s h -l help -d 'Print the help'
complete -c ringflow -n __fish_ringflow_options -s V -l version -d 'Print the version'
