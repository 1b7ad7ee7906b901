# selftests/pkg: what the packages install, tested from the checkout's
# build (or, with MEMPLUG_INSTALLED=1, the installed paths: check-deb):
# man pages against --help, memplugctl's bash completion, --version, the
# systemd unit.
PKG_TESTS := $(addprefix selftests/pkg/, man_test.sh completion_test.sh \
	version_test.sh unit_test.sh)
HOST_TESTS += $(PKG_TESTS)
$(PKG_TESTS): selftests/pkg/lib.sh $(B)/daemon/memplugd $(B)/tools/memplugctl \
	$(B)/vmm/memplug-vmm $(B)/tools/memplug-bench $(MANPAGES)
