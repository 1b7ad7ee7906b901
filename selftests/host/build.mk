# selftests/host: tests that run on the host, without the test VM
# (tcg_freeze boots the test VM itself, as vm_run_test does).
HOST_TESTS += selftests/host/run_tests_test.sh selftests/host/tcg_freeze.sh
# vm_run_test's test VMs mostly sleep until vm-run's hang, lockup and
# heartbeat detection fires: it runs beside the VM suites
HOST_BESIDE_TESTS += selftests/host/vm_run_test.sh
