// SPDX-License-Identifier: GPL-2.0
/*
 * memplug-vmm against a fake memplugd (include/memplug/vmm_proto.h): the
 * test plays the daemon on its socket and says what a buggy or restarted
 * memplugd might.  A REQUEST before the guest exists and a CONFIG with
 * sizes nothing can be divided by get errors; a
 * memplugd that comes back without memplug.ko while the VMM runs under
 * its seccomp filter must not get plugs ACKed for slots nobody can
 * attach any more, and must not make the guest retry them at once.  Runs the real VMM and guest: in the test VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "memplug/scm.h"
#include "memplug/vmm_proto.h"

#define VMM_DEFAULT	MEMPLUG_BUILD_DIR "/vmm/memplug-vmm"
#define INITRD		MEMPLUG_BUILD_DIR "/guest/initramfs.cpio.gz"

FIXTURE(fake) {
	char dir[64], sock[96], ctl[96], err[96], kernel[128];
	int lfd, fd;
	pid_t vmm;
	struct memplug_vmm_msg m;
};

FIXTURE_SETUP(fake)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char kver[64] = "";
	FILE *f;

	memset(self, 0, sizeof(*self));
	self->fd = -1;
	strcpy(self->dir, "/tmp/memplug-fake.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->sock, sizeof(self->sock), "%s/memplugd.sock", self->dir);
	snprintf(self->ctl, sizeof(self->ctl), "%s/vmm.sock", self->dir);
	snprintf(self->err, sizeof(self->err), "%s/vmm.err", self->dir);
	f = popen("scripts/kver", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(kver, sizeof(kver), f));
	pclose(f);
	kver[strcspn(kver, "\n")] = 0;
	snprintf(self->kernel, sizeof(self->kernel), "/boot/vmlinuz-%s", kver);
	self->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->lfd);
	strcpy(sa.sun_path, self->sock);
	ASSERT_EQ(0, bind(self->lfd, (void *)&sa, sizeof(sa)));
	ASSERT_EQ(0, listen(self->lfd, 4));
}

FIXTURE_TEARDOWN(fake)
{
	char cmd[128];

	if (self->vmm > 0) {
		kill(self->vmm, SIGKILL);
		waitpid(self->vmm, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "tail -5 %s | sed 's/^/# vmm: /'", self->err);
	if (system(cmd) < 0)
		perror("system");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd) < 0)
		perror("system");
}

static void start_vmm(FIXTURE_DATA(fake) *self, bool paused)
{
	const char *vmm = getenv("MEMPLUG_VMM") ?: VMM_DEFAULT;
	const char *argv[] = {
		vmm, "-k", self->kernel, "-i", INITRD, "-m", "512", "-a", "quiet",
		"--console", "none", "--daemon", self->sock, "--ctl", self->ctl,
		paused ? "--paused" : "--hotplug",
		paused ? NULL : "{\"total_size_mib\":1024,\"block_size_mib\":2,\"slot_size_mib\":128}",
		NULL,
	};

	self->vmm = fork();
	if (self->vmm == 0) {
		int e = open(self->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(e, 2);
		execv(vmm, (char **)argv);
		_exit(127);
	}
}

static bool vmm_alive(FIXTURE_DATA(fake) *self)
{
	return waitpid(self->vmm, NULL, WNOHANG) == 0;
}

/* The next message from the VMM within @ms, or false. */
static bool next_msg(FIXTURE_DATA(fake) *self, int ms)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	int fds[SCM_MAX_FDS], nfds, i;

	if (poll(&p, 1, ms) != 1)
		return false;
	if (scm__recv(self->fd, &self->m, sizeof(self->m), fds, &nfds, 0) <= 0)
		return false;
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return true;
}

/* Take the VMM's REGISTER and answer it in @mode. */
static bool accept_register(FIXTURE_DATA(fake) *self, enum memplug_mode mode)
{
	struct pollfd p = { .fd = self->lfd, .events = POLLIN };
	struct memplug_vmm_msg r = { .type = MEMPLUG_VMM_REGISTERED };

	if (self->fd >= 0)
		close(self->fd);
	if (poll(&p, 1, 30000) != 1)
		return false;
	self->fd = accept4(self->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (self->fd < 0 || !next_msg(self, 10000) || self->m.type != MEMPLUG_VMM_REGISTER)
		return false;
	r.registered.vm_id = 1;
	r.registered.mode = mode;
	return send(self->fd, &r, sizeof(r), 0) == sizeof(r);
}

/* Send REQUEST; the REPLY's err, or 1 when none came. */
static int request(FIXTURE_DATA(fake) *self, uint64_t mib, uint32_t seq)
{
	struct memplug_vmm_msg r = { .type = MEMPLUG_VMM_REQUEST, .seq = seq };

	r.request.requested_size_mib = mib;
	if (send(self->fd, &r, sizeof(r), 0) != sizeof(r))
		return 1;
	while (next_msg(self, 10000))
		if (self->m.type == MEMPLUG_VMM_REPLY && self->m.seq == seq)
			return self->m.reply.err;
	return 1;
}

/* One control-socket request; its reply line in @out. */
static bool ctl(FIXTURE_DATA(fake) *self, const char *line, char *out, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ssize_t n, got = 0;

	strcpy(sa.sun_path, self->ctl);
	if (fd < 0 || connect(fd, (void *)&sa, sizeof(sa)) ||
	    write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(fd);
		return false;
	}
	while (got < (ssize_t)len - 1 && (n = read(fd, out + got, len - 1 - got)) > 0) {
		got += n;
		if (memchr(out, '\n', got))
			break;
	}
	out[got] = 0;
	close(fd);
	return got > 0;
}

TEST_F_TIMEOUT(fake, request_before_the_guest_exists_gets_an_error, 120)
{
	start_vmm(self, true);
	ASSERT_TRUE(accept_register(self, MEMPLUG_MODE_LOCAL));
	ASSERT_EQ(-EAGAIN, request(self, 256, 7));
	ASSERT_TRUE(vmm_alive(self));
}

/* Send CONFIG; the REPLY's err, or 1 when none came. */
static int config(FIXTURE_DATA(fake) *self, struct hotplug_config c, uint32_t seq)
{
	struct memplug_vmm_msg r = { .type = MEMPLUG_VMM_CONFIG, .seq = seq };

	r.config = c;
	if (send(self->fd, &r, sizeof(r), 0) != sizeof(r))
		return 1;
	while (next_msg(self, 10000))
		if (self->m.type == MEMPLUG_VMM_REPLY && self->m.seq == seq)
			return self->m.reply.err;
	return 1;
}

TEST_F_TIMEOUT(fake, bad_config_gets_an_error, 120)
{
	static const struct hotplug_config bad[] = {
		{ 1024, 2, 0 }, { 1024, 0, 128 }, { 1024, 3, 128 }, { 0, 2, 128 },
		{ 1024, 2, 100 }, { 1ULL << 44, 2, 128 }, { 1000, 2, 128 },
	};
	unsigned int i;

	start_vmm(self, true);
	ASSERT_TRUE(accept_register(self, MEMPLUG_MODE_LOCAL));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_GT(0, config(self, bad[i], 10 + i)) TH_LOG("config %u", i);
		ASSERT_TRUE(vmm_alive(self));
	}
	ASSERT_EQ(0, config(self, (struct hotplug_config){ 1024, 2, 128 }, 20));
}

/* a STATS counter, or -1 */
static long stat_of(const char *stats, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(stats, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/*
 * No slot can be had: BUSY, which Linux retries on a timer, not NACK,
 * which it retries at once, thousands of times a second, for as long as
 * memplugd stays without the module (stress seed 2980: 113,000 NACKs in
 * a minute).
 */
TEST_F_TIMEOUT(fake, back_without_the_module_plugs_get_busy, 300)
{
	char stats[1024];
	uint64_t plugged = 0;
	int i;

	start_vmm(self, false);
	/* module mode: the VMM puts itself under the seccomp filter */
	ASSERT_TRUE(accept_register(self, MEMPLUG_MODE_MODULE));
	for (i = 0; i < 1800; i++) {
		if (!next_msg(self, 100))
			continue;
		if (self->m.type == MEMPLUG_VMM_STATE &&
		    (self->m.state.flags & MEMPLUG_VMM_F_DRIVER_READY))
			break;
	}
	ASSERT_LT(i, 1800) TH_LOG("the guest's virtio-mem driver never came up");
	/* memplugd restarts, now without memplug.ko */
	close(self->fd);
	self->fd = -1;
	ASSERT_TRUE(accept_register(self, MEMPLUG_MODE_LOCAL));
	ASSERT_EQ(0, request(self, 256, 8));
	/* the guest tries to plug; nothing may be ACKed */
	for (i = 0; i < 200; i++) {
		if (next_msg(self, 100) && self->m.type == MEMPLUG_VMM_STATE)
			plugged = self->m.state.plugged_size_mib;
		if (plugged)
			break;
		ASSERT_TRUE(ctl(self, "STATS\n", stats, sizeof(stats)));
		if (stat_of(stats, "plug_busy") > 0 || stat_of(stats, "plug_nack") > 0)
			break;
	}
	ASSERT_EQ(0, plugged);
	/* and then waits: a few tries in 5 s, not a storm */
	for (i = 0; i < 50; i++)
		if (next_msg(self, 100) && self->m.type == MEMPLUG_VMM_STATE)
			plugged = self->m.state.plugged_size_mib;
	ASSERT_EQ(0, plugged);
	ASSERT_TRUE(ctl(self, "STATS\n", stats, sizeof(stats)));
	TH_LOG("%s", stats);
	ASSERT_LT(0, stat_of(stats, "plug_busy")) TH_LOG("the guest never tried to plug");
	ASSERT_GT(5, stat_of(stats, "plug_busy")) TH_LOG("the guest retried at once");
	ASSERT_EQ(0, stat_of(stats, "plug_nack"));
	ASSERT_EQ(0, stat_of(stats, "plug"));
	ASSERT_TRUE(vmm_alive(self));
}

TEST_HARNESS_MAIN
