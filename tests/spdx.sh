#!/bin/sh
# SPDX-License-Identifier: MIT
# spdx.sh - every source file says its licence in an SPDX line at its top
# (tools/spdx.sh --check names those that do not; tools/spdx.sh adds it).
. "${SRCDIR:-.}/tests/lib.sh"
"$SRCDIR/tools/spdx.sh" --check > "$T/out" 2>&1
check_status "tools/spdx.sh --check" $? 0
[ -s "$T/out" ] && head -50 "$T/out" >&2
# the check itself: a source file without the line is named
mkdir -p "$T/tree/tools" "$T/tree/engine"
cp "$SRCDIR/tools/spdx.sh" "$T/tree/tools/"
printf '/* SPDX-License-Identifier: MIT */\nint a;\n' > "$T/tree/engine/ok.c"
printf '/* no licence here */\nint b;\n' > "$T/tree/engine/bare.c"
printf '#!/bin/sh\n# a script\n' > "$T/tree/tools/bare.sh"
"$T/tree/tools/spdx.sh" --check > "$T/out" 2>&1
check_status "--check on a tree with two bare files" $? 1
check_eq "the files it names" "$(cut -d: -f1 "$T/out" | grep -v ' ' | tr '\n' ' ')" "engine/bare.c tools/bare.sh "
# and the fix: the line first, or right after the #! line
"$T/tree/tools/spdx.sh" > /dev/null
check_eq "bare.c fixed" "$(head -n 2 "$T/tree/engine/bare.c" | tr '\n' '|')" "/* SPDX-License-Identifier: MIT */|/* no licence here */|"
check_eq "bare.sh fixed" "$(head -n 3 "$T/tree/tools/bare.sh" | tr '\n' '|')" "#!/bin/sh|# SPDX-License-Identifier: MIT|# a script|"
check_eq "ok.c untouched" "$(cat "$T/tree/engine/ok.c" | tr '\n' '|')" "/* SPDX-License-Identifier: MIT */|int a;|"
"$T/tree/tools/spdx.sh" --check > /dev/null 2>&1
check_status "--check after the fix" $? 0
finish
