# fish completion for ringflow(1)
#
# Options come before the query, and every word after the query is a file;
# inside the query the verb of the stage being typed and the format after
# "parse" are completed (the query is one word, normally quoted).

# The long options that take a value, which getopt_long also takes from the
# next word (--stats only takes one after '=').
set -g __fish_ringflow_valued io decompress simd regex-engine mode queue-depth threads memory \
    group-memory buffer-size window max-record on-long record-start multiline format rejects \
    every interval state checkpoint rotate-wait poll tz since until geoip-db asn-db seek-slack \
    stats-file numa cpus plugin partial-out precision color
set -g __fish_ringflow_flags direct sqpoll strict follow progress verbose help version stats

# Where the word at the cursor is: "options" (no query yet), "value" (of
# the option before it), "query" (after a '--'), or "files" (after the
# query).
function __fish_ringflow_where
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    set -l dashdash 0
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        if test $dashdash = 1
            echo files
            return
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
            case '*'
                echo files
                return
        end
    end
    if test $skip = 1
        echo value
    else if test $dashdash = 1
        echo query
    else
        echo options
    end
end

# options and their values: before the query
function __fish_ringflow_before_query
    contains -- (__fish_ringflow_where) options value
end

function __fish_ringflow_at_query
    contains -- (__fish_ringflow_where) options query
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

complete -c ringflow -n __fish_ringflow_before_query -l io -x -a 'auto mmap uring read' -d 'I/O backend'
complete -c ringflow -n __fish_ringflow_before_query -l decompress -x -a 'auto off' -d 'Decode compressed inputs'
complete -c ringflow -n __fish_ringflow_before_query -l direct -d 'io_uring with O_DIRECT'
complete -c ringflow -n __fish_ringflow_before_query -l sqpoll -d 'io_uring with a kernel submission thread'
complete -c ringflow -n __fish_ringflow_before_query -l simd -x -a 'auto avx512 avx2 sse2 scalar' -d 'Kernel level'
complete -c ringflow -n __fish_ringflow_before_query -l regex-engine -x -a 'auto hyperscan pcre2' -d 'Matcher of regex and grep'
complete -c ringflow -n __fish_ringflow_before_query -l mode -x -a 'auto serial parallel pipeline multiprocess async' -d 'Execution mode'
complete -c ringflow -n __fish_ringflow_before_query -l queue-depth -x -d 'Pipeline mode: batches between two stages'
complete -c ringflow -n __fish_ringflow_before_query -l threads -x -d 'Parallel and multiprocess workers'
complete -c ringflow -n __fish_ringflow_before_query -l memory -x -d 'Buffer pool budget'
complete -c ringflow -n __fish_ringflow_before_query -l group-memory -x -d 'What a group-by may add'
complete -c ringflow -n __fish_ringflow_before_query -l buffer-size -x -d 'One pool buffer'
complete -c ringflow -n __fish_ringflow_before_query -l window -x -d 'mmap window'
complete -c ringflow -n __fish_ringflow_before_query -l max-record -x -d 'Longest record accepted'
complete -c ringflow -n __fish_ringflow_before_query -l on-long -x -a 'error skip' -d 'What a longer record is'
complete -c ringflow -n __fish_ringflow_before_query -l record-start -x -d 'Multiline records: regex of a first line'
complete -c ringflow -n __fish_ringflow_before_query -l multiline -x -a 'java python go indent' -d 'Multiline records by a preset rule'
complete -c ringflow -n __fish_ringflow_before_query -l format -x -a 'table tsv csv json' -d 'How result rows print'
complete -c ringflow -n __fish_ringflow_before_query -l rejects -r -F -d 'File for records a parser rejects'
complete -c ringflow -n __fish_ringflow_before_query -l plugin -x -a '(__fish_ringflow_plugins)' -d 'Load the stages of a plugin (repeatable)'
complete -c ringflow -n __fish_ringflow_before_query -l strict -d 'A rejected record is an error'
complete -c ringflow -n __fish_ringflow_before_query -l every -x -d 'Print the aggregate every DURATION'
complete -c ringflow -n __fish_ringflow_before_query -l interval -x -d 'The same, each for its interval'
complete -c ringflow -n __fish_ringflow_before_query -s f -l follow -d 'Follow the files as they grow'
complete -c ringflow -n __fish_ringflow_before_query -l state -r -F -d 'Follow: checkpoint file'
complete -c ringflow -n __fish_ringflow_before_query -l checkpoint -x -d 'Follow: how often --state is written'
complete -c ringflow -n __fish_ringflow_before_query -l rotate-wait -x -d 'Follow: how long a rotated file is read'
complete -c ringflow -n __fish_ringflow_before_query -l poll -x -d 'Follow: poll at this interval'
complete -c ringflow -n __fish_ringflow_before_query -l tz -x -a "UTC (find /usr/share/zoneinfo -path '/usr/share/zoneinfo/[A-Z]*' -type f 2>/dev/null | string replace /usr/share/zoneinfo/ '')" -d 'Time zone'
complete -c ringflow -n __fish_ringflow_before_query -l since -x -a 'now today yesterday' -d 'Only records from this time'
complete -c ringflow -n __fish_ringflow_before_query -l until -x -a 'now today yesterday' -d 'Only records before this time'
complete -c ringflow -n __fish_ringflow_before_query -l geoip-db -r -F -d 'MaxMind database of geoip()'
complete -c ringflow -n __fish_ringflow_before_query -l asn-db -r -F -d 'MaxMind database of asn()'
complete -c ringflow -n __fish_ringflow_before_query -l seek-slack -x -a off -d 'How far back a time may be'
complete -c ringflow -n __fish_ringflow_before_query -l stats -f -a 'text json' -d 'Run statistics on stderr'
complete -c ringflow -n __fish_ringflow_before_query -l stats-file -r -F -d 'Write the statistics to a file'
complete -c ringflow -n __fish_ringflow_before_query -l partial-out -r -F -d 'Write the partial state to a file'
complete -c ringflow -n __fish_ringflow_before_query -l progress -d 'A progress bar on stderr'
complete -c ringflow -n __fish_ringflow_before_query -l precision -x -d 'Significant digits of floats in tables'
complete -c ringflow -n __fish_ringflow_before_query -l color -x -a 'auto always never' -d 'Colour on a terminal'
complete -c ringflow -n __fish_ringflow_before_query -l numa -x -a 'auto off interleave node:' -d 'Thread and buffer placement'
complete -c ringflow -n __fish_ringflow_before_query -l cpus -x -d 'Run only on these CPUs'
complete -c ringflow -n __fish_ringflow_before_query -s v -l verbose -d 'Say which mode, backend and SIMD level were used'
complete -c ringflow -n __fish_ringflow_before_query -s h -l help -d 'Print the help'
complete -c ringflow -n __fish_ringflow_before_query -s V -l version -d 'Print the version'
