# suite=real: fork-heavy shell loops, timed by bash.  Each case runs inside the shell under test
# (bash or busybox sh), K iterations and, to take its start-up out, 0 iterations: a sample is
# (T(K) - T(0)) / K in nanoseconds, which under QEMU's -icount shift=0 are guest instructions.
# Prints "real: shell=S case=C sample=N" lines; bench/real.py makes medians of them.
K=${K:-16}
SAMPLES=${SAMPLES:-7}
now() { local t=${EPOCHREALTIME/./}; echo $((10#$t * 1000)); }
loop() { # shell, iterations, body
	local start end
	start=$(now)
	"$1" -c "i=0; while [ \$i -lt $2 ]; do $3; i=\$((i + 1)); done"
	end=$(now)
	echo $((end - start))
}
run_case() { # name, body
	for shell in /bin/bash "/bin/busybox"; do
		local label=${shell##*/}
		[ "$label" = busybox ] && shell_cmd="busybox_sh" || shell_cmd=$shell
		for s in $(seq 1 "$SAMPLES"); do
			base=$(loop "$shell_cmd" 0 "$2")
			full=$(loop "$shell_cmd" "$K" "$2")
			echo "real: shell=$label case=$1 sample=$(( (full - base) / K ))"
		done
	done
}
busybox_sh() { /bin/busybox sh "$@"; }
body() { # the loop body of each case
	case $1 in
	cmdsubst) echo 'x=$(echo hi)' ;;
	subshell) echo '(true)' ;;
	pipeline_exec) echo 'echo hi | /bin/cat >/dev/null' ;;
	esac
}
# "real.sh profile CASE SHELL N": N iterations of one case inside a profiling window
# (/profmark, tools/profile.py --real), in a shell started before the window opens.
if [ "$1" = profile ]; then
	[ "$3" = busybox ] && shell_cmd=busybox_sh || shell_cmd=/bin/bash
	$shell_cmd -c "/profmark on; i=0; while [ \$i -lt $4 ]; do $(body "$2"); i=\$((i + 1)); done; /profmark off"
	echo "real: done"
	exit
fi
echo "real: start"
for name in cmdsubst subshell pipeline_exec; do
	run_case $name "$(body $name)"
done
echo "real: done"
