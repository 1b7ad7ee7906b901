# shellcheck shell=dash
# selftests/lib/wait.sh: bounded waits for the shell tests (sourced by sh,
# which is dash, or bash).  Each polls every 0.1 s, fails after SECONDS.

# wait_for FILE REGEX SECONDS: until FILE has a line matching REGEX
wait_for() {
	local i=0 max=$(($3 * 10))
	while ! grep -qE "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge $max ] && return 1
		sleep 0.1
	done
}

# wait_count FILE REGEX N SECONDS: until FILE has N lines matching REGEX
wait_count() {
	local i=0 n
	# grep -c prints 0 (and fails) for none, nothing for a missing file
	while n=$(grep -cE "$2" "$1" 2>/dev/null); [ "${n:-0}" -lt "$3" ]; do
		i=$((i + 1))
		[ $i -ge $(($4 * 10)) ] && return 1
		sleep 0.1
	done
}
