# bash: the shell's own features, each line's output compared with Linux's.
echo "=== begin basics"
square() { echo $(( $1 * $1 )); }
echo "function and arithmetic: $(square 7) $(( (3 + 4) * 5 % 6 )) $(( 1 << 10 ))"
x=outer; (x=inner; echo "subshell sees $x"); echo "parent keeps $x"
nested=$(echo "a $(echo "b $(echo c)")"); echo "nested substitution: $nested"
count=0; for i in 1 2 3 4 5; do count=$((count + i)); done; echo "loop sum: $count"
i=0; while [ $i -lt 3 ]; do i=$((i + 1)); done; echo "while: $i"
case "exo-kernel" in exo-*) echo "case: prefix";; *) echo "case: other";; esac
word="Hello, World"; echo "strings: ${#word} ${word,,} ${word/World/exo} ${word:7}"
arr=(one two three); echo "array: ${arr[1]} ${#arr[@]} ${arr[*]}"
declare -A map=([k]=v); echo "assoc: ${map[k]}"
cat <<END
here document: $((6 * 7)) ${word%%,*}
END
cat <<'END'
quoted here document: $word
END
echo "pipeline: $(echo one two three | tr ' ' '\n' | sort -r | head -n 1)"
echo "status of false: $(false; echo $?) and of a pipeline: $(true | false; echo $?)"
set -o pipefail; echo "pipefail: $(false | true; echo $?)"; set +o pipefail
( set -e; echo "set -e: before"; false; echo "set -e: not reached" ); echo "set -e subshell status: $?"
trap 'echo "trap: EXIT in subshell"' EXIT; (trap 'echo "trap: subshell exits"' EXIT; exit 3); echo "subshell status: $?"; trap - EXIT
(sleep 0.1; echo "background job done") & wait $!; echo "wait: $?"
(exit 5) & pid=$!; wait $pid; echo "wait for a failing job: $?"
{ for n in 1 2 3; do (echo "job $n") & done; wait; } | sort; echo "all jobs waited"
trap 'echo "trap: USR1 caught"' USR1; kill -USR1 $$; trap - USR1
echo "redirect to stderr" 1>&2
{ echo "group one"; echo "group two"; } | wc -l
read -r first rest <<< "alpha beta gamma"; echo "read: $first / $rest"
printf "printf: %05d %s %x\n" 42 str 255
echo "exec in a subshell: $(exec echo replaced)"
echo "command not found status: $(nosuchcommand 2>/dev/null; echo $?)"
echo "a program of the system's own: $(/echo from /echo)"
echo "through a link, by a musl program: $(/cat /etc/hostname.link)"
echo "a file nobody may execute: $(/scripts/basics.sh 2>/dev/null; echo $?)"
echo "long argument lists: $(/bin/busybox seq 1 3000 | /bin/busybox xargs /bin/busybox echo | /bin/busybox wc -c) $(/bin/busybox echo $(/bin/busybox seq 1 20000) | /bin/busybox wc -c)"
echo "an argument list too long: $(/bin/busybox true $(/bin/busybox seq 1 400000) 2>/dev/null; echo $?)"
echo "=== end basics"
