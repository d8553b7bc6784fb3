#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test of ./mtier that needs no kernel module: batches (-b) through the
# real command line, and the bash completion (mtier.bash-completion and the
# __complete helper behind it).  Nothing here reaches the kernel: the
# commands run are help, parse errors and refusals made before a request
# is sent.  Prints TAP; exits 1 if a check failed.
#
#   make -C user test     (or: cd user && bash test_cli.sh)

cd "$(dirname "$0")" || exit 1
MTIER=./mtier
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tests=0
failed=0

# check DESC COMMAND...: COMMAND must succeed.
check() {
	local desc=$1
	shift
	tests=$((tests + 1))
	if "$@" >"$tmp/why" 2>&1; then
		echo "ok $tests $desc"
	else
		failed=$((failed + 1))
		echo "not ok $tests $desc"
		sed 's/^/# /' "$tmp/why"
	fi
}

# run ARGS...: run the CLI; sets $rc, $out and $err.
run() {
	"$MTIER" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# is WHAT GOT WANT
is() {
	[ "$2" = "$3" ] && return 0
	printf '%s:\n got: %s\nwant: %s\n' "$1" "$2" "$3"
	return 1
}

# result RC STDERR: the last run ended with status RC and said STDERR.
result() {
	is "status" "$rc" "$1" && is "stderr" "$err" "$2"
}

usage_lines() {	# usage_lines N: the last stdout had N "Usage:" lines
	is "Usage: lines" "$(printf '%s\n' "$out" | grep -c '^Usage:')" "$1"
}

# ------------------------------------------------------------ batches

cat >"$tmp/ok" <<'EOF'
# a comment, then a blank line

pool help
	peer help   # a trailing comment
"tier" 'help'
EOF
run -b "$tmp/ok"
check "-b: every line runs" result 0 ""
check "-b: three usages printed" usage_lines 3

cat >"$tmp/bad" <<'EOF'
pool help

# line 3
pool frob
tier help
peer add
peer help
EOF
run -b "$tmp/bad"
check "-b: the first error stops the batch with its line number" \
	result 1 "Error: unknown pool command 'frob'
Command failed $tmp/bad:4"
check "-b: nothing after the error runs" usage_lines 1

run -force -b "$tmp/bad"
check "-force -b: every error reported, status 1" \
	result 1 "Error: unknown pool command 'frob'
Command failed $tmp/bad:4
Error: missing peer name
Command failed $tmp/bad:6"
check "-force -b: the other lines ran" usage_lines 3

run -batch "$tmp/bad" -force
check "-batch FILE -force: -force may come after" result 1 "Error: unknown pool command 'frob'
Command failed $tmp/bad:4
Error: missing peer name
Command failed $tmp/bad:6"

"$MTIER" -b - <"$tmp/ok" >"$tmp/out" 2>"$tmp/err"
rc=$? out=$(cat "$tmp/out") err=$(cat "$tmp/err")
check "-b -: reads stdin" result 0 ""
check "-b -: three usages" usage_lines 3

printf 'pool help\npool frob\n' | "$MTIER" --batch - >/dev/null 2>"$tmp/err"
rc=$? err=$(cat "$tmp/err")
check "--batch -: errors name the file '-'" \
	result 1 "Error: unknown pool command 'frob'
Command failed -:2"

printf 'pool help\nsave\n' >"$tmp/json"
run -j -b "$tmp/json"
check "options before -b apply to every line (-j save refused)" \
	result 1 "Error: save prints commands: it has no -json or -statistics output
Command failed $tmp/json:2"

printf 'pool \\\n  help\n-j pool\nmonitor\nfoo "bar\n' >"$tmp/odd"
run -force -b "$tmp/odd"
check "-b: joined lines, options, monitor and quotes" \
	result 1 "Error: options go before -b, not on a line ('-j')
Command failed $tmp/odd:3
Error: monitor cannot run in a batch
Command failed $tmp/odd:4
Error: unterminated double quote
Command failed $tmp/odd:5"
check "-b: the joined line ran" usage_lines 1

run -b "$tmp/missing"
check "-b: a missing file" result 1 "Error: cannot open $tmp/missing: No such file or directory"
run -b
check "-b needs a file" result 1 "Error: -batch needs a file name (- for stdin)"
run -b "$tmp/ok" pool
check "-b FILE takes no command" result 1 "Error: unexpected argument 'pool' after -batch FILE"
run -b "$tmp/ok" -b "$tmp/ok"
check "-b twice" result 1 "Error: -batch is given twice"
run save frob
check "save takes no argument" result 1 "Error: unexpected argument 'frob'"
run save help
check "save help" usage_lines 1

# ------------------------------------------------------------ completion

# The helper, as the completion calls it.
comp() {	# comp WORD... CURRENT: what __complete prints, on one line
	"$MTIER" __complete "$@" 2>&1 | tr '\n' ' ' | sed 's/ $//'
}

check "__complete: objects" is objects "$(comp '')" "pool peer tier monitor save help"
check "__complete: object prefix" is prefix "$(comp p)" "pool peer"
check "__complete: commands" is commands "$(comp pool '')" "add set del show help"
check "__complete: command prefix" is prefix "$(comp tier s)" "set show"
check "__complete: an alias when only it matches" is alias "$(comp pool li)" "list"
check "__complete: object prefixes resolve" is prefix "$(comp ti a t0 pre)" "prefetch"
check "__complete: pool add keywords" is keywords "$(comp pool add p0 '')" \
	"size slab listen port transport lease max-clients max-clients-addr max-client-size help"
check "__complete: given keywords are left out" \
	is keywords "$(comp pool add p0 size 4G lease 100 '')" \
	"slab listen port transport max-clients max-clients-addr max-client-size help"
check "__complete: pool set keywords" is keywords "$(comp pool set p0 '')" \
	"size lease max-clients max-clients-addr max-client-size help"
check "__complete: peer add keywords" is keywords "$(comp peer add d1 '')" \
	"addr port transport keepalive timeout help"
check "__complete: tier set keywords" is keywords "$(comp tier set t0 '')" \
	"prefetch window-max history cache resync-rate help"
check "__complete: peer may repeat" is keywords "$(comp tier add t0 peer d1 size 1G pe)" "peer"
check "__complete: transport values" is values "$(comp peer add d1 transport '')" "rdma tcp"
check "__complete: prefetch values" is values "$(comp tier set t0 prefetch '')" \
	"off sequential adaptive"
check "__complete: a value with no list" is none "$(comp pool add p0 size '')" ""
check "__complete: new names are not completed" is none "$(comp pool add '')" ""
check "__complete: monitor" is monitor "$(comp monitor '')" "all pool peer tier help"
check "__complete: nothing after monitor's object" is none "$(comp monitor pool '')" ""
check "__complete: nothing after save" is none "$(comp save '')" ""
check "__complete: options" is options "$(comp -)" \
	"-json -pretty -statistics -Version -help -batch -force"
check "__complete: --options" is options "$(comp --st)" "--statistics"
check "__complete: objects after options" is objects "$(comp -j -s '')" \
	"pool peer tier monitor save help"
check "__complete: pool del force" is force "$(comp pool del p0 '')" "force"
check "__complete: no force for peers" is force "$(comp peer del d0 '')" ""
check "__complete: an unknown keyword stops it" is none "$(comp pool add p0 frob '')" ""
"$MTIER" __complete -j -b '' >/dev/null 2>&1
rc=$?
check "__complete: a file after -b (status 2)" is status "$rc" 2
check "__complete: nothing after -b FILE" is none "$(comp -b f '')" ""

# The bash side: the function, with COMP_WORDS as bash sets them.
(
	. ./mtier.bash-completion
	complete -p mtier
) >"$tmp/cp" 2>&1
check "complete -p mtier" is "complete -p" "$(cat "$tmp/cp")" "complete -F _mtier mtier"

# bashcomp WORD...: COMPREPLY for the cursor on the last word.
bashcomp() {
	(
		# shellcheck disable=SC1091
		. ./mtier.bash-completion
		COMP_WORDS=("$MTIER" "$@")
		COMP_CWORD=$#
		_mtier
		printf '%s\n' "${COMPREPLY[*]}"
	)
}
check "bash: objects" is objects "$(bashcomp '')" "pool peer tier monitor save help"
check "bash: keywords" is keywords "$(bashcomp tier add t0 size 1G '')" \
	"peer replicas prefetch window-max history cache resync-rate help"
check "bash: values" is values "$(bashcomp tier add t0 prefetch s)" "sequential"
check "bash: nothing" is none "$(bashcomp pool add '')" ""
(
	cd "$tmp" && touch batch.one batch.two &&
	. "$OLDPWD/mtier.bash-completion" &&
	COMP_WORDS=("$OLDPWD/mtier" -b batch.) COMP_CWORD=2 &&
	_mtier && printf '%s\n' "${COMPREPLY[@]}"
) >"$tmp/files" 2>&1
check "bash: file names after -b" is files "$(sort "$tmp/files" | tr '\n' ' ')" \
	"batch.one batch.two "

echo "1..$tests"
[ $failed = 0 ] || echo "# $failed of $tests checks failed"
[ $failed = 0 ]
