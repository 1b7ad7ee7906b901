# selftests/host: tests that run on the host, without the test VM.
HOST_TESTS += selftests/host/vm_run_test.sh
