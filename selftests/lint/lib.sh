# shellcheck shell=dash
# selftests/lint/lib.sh: the tree's files as the lint tests see them
# (sourced from the checkout).

# tree_files: every file of the checkout, tracked or new (not ignored),
# one a line; outside a git checkout, every file but build outputs
tree_files() {
	git ls-files --cached --others --exclude-standard 2>/dev/null ||
		find . -type f ! -path './.git/*' ! -path './build*' | sed 's|^\./||'
}

# shell_files: the shell scripts: *.sh, a shell's #! line (sh, bash, dash,
# busybox sh), and bash completions
shell_files() {
	tree_files | while read -r f; do
		[ -f "$f" ] || continue
		case $f in
		*.sh | completion/bash/*) echo "$f" ;;
		*) head -n1 "$f" 2>/dev/null | grep -qE '^#!.*[/ ](sh|bash|dash)( |$)' && echo "$f" ;;
		esac
	done
}
