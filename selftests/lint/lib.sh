# shellcheck shell=dash
# selftests/lint/lib.sh: the tree's files as the lint tests see them
# (sourced from the checkout).  Few processes: a fork is slow on a busy
# 2-core machine, so no command runs once a file.

# tree_files: every regular file of the checkout, tracked or new (not
# ignored), one a line; outside a git checkout, every file but build outputs
tree_files() {
	{ git ls-files --cached --others --exclude-standard 2>/dev/null ||
		find . -type f ! -path './.git/*' ! -path './build*' | sed 's|^\./||'; } |
	while read -r f; do
		[ -f "$f" ] && [ ! -h "$f" ] && echo "$f"
	done
}

# shebang_files REGEX: the files whose first line matches REGEX (awk's)
shebang_files() {
	# shellcheck disable=SC2016 # awk's $0
	tree_files | tr '\n' '\0' |
		xargs -0 -r awk -v re="$1" 'FNR == 1 { if ($0 ~ re) print FILENAME; nextfile }'
}

# shell_files: the shell scripts: *.sh, a shell's #! line (sh, bash, dash,
# busybox sh), and bash completions
shell_files() {
	{
		tree_files | grep -E '(\.sh$|^completion/bash/)'
		shebang_files '^#!.*[/ ](sh|bash|dash)( |$)'
	} | sort -u
}

# source_files: the C, shell and Python files
source_files() {
	{
		tree_files | grep -E '\.(c|h|py)$'
		shell_files
		shebang_files '^#!.*python'
	} | sort -u
}
