# selftests/lint: the static checks, run by 'make lint' and among make
# check's host tests (each a TAP program): shellcheck on every shell script
# (shellcheck.sh), checkpatch --strict and sparse on module/
# (module_check.sh, by scripts/module-check), no C, shell or Python file
# over 800 lines but those long-files lists (file_size.sh); and, from
# selftests/memplug/build.mk, uapi/memplug.yaml against uapi/linux/memplug.h
# (ynl_spec_test.py).
LINT_TESTS += selftests/lint/shellcheck.sh selftests/lint/module_check.sh \
	selftests/lint/file_size.sh
