# selftests/host: tests that run on the host, without the test VM
# (tcg_freeze boots the test VM itself, as vm_run_test does).
HOST_TESTS += selftests/host/vm_run_test.sh selftests/host/run_tests_test.sh \
	selftests/host/tcg_freeze.sh
