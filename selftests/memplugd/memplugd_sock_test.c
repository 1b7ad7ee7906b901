// SPDX-License-Identifier: GPL-2.0
/*
 * memplugd's socket against hostile local peers: a real memplugd (local
 * mode, its own socket in a temporary directory), and clients that speak
 * vmm_proto by hand.  Needs root (it becomes nobody to be the stranger)
 * but no KVM: in local mode memplugd only keeps the fds a VMM passes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "memplug/scm.h"
#include "memplug/vmm_proto.h"
#include "../../daemon/memplugd.h"

#define NOBODY		65534
#define MEMPLUGD	MEMPLUG_BUILD_DIR "/daemon/memplugd"

static int sock_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One message back within @ms, or 0 for a closed socket, -1 for none. */
static ssize_t recv_within(int fd, struct memplug_vmm_msg *m, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return recv(fd, m, sizeof(*m), MSG_DONTWAIT);
}

static void cli_msg(struct memplug_vmm_msg *m, uint32_t cmd, uint32_t vm,
		    const char *body)
{
	memset(m, 0, sizeof(*m));
	m->type = MEMPLUG_VMM_CLI_REQUEST;
	m->cli.cmd = cmd;
	m->cli.vm_id = vm;
	if (body) {
		m->cli.body_len = strlen(body);
		memcpy(m->cli.body, body, m->cli.body_len);
	}
}

/* A request on a new connection and its answer's error (1: no answer). */
static int cli_call(const char *path, uint32_t cmd, uint32_t vm,
		    const char *body, struct memplug_vmm_msg *m)
{
	int fd = sock_connect(path), ret = 1;

	if (fd < 0)
		return 1;
	cli_msg(m, cmd, vm, body);
	if (send(fd, m, sizeof(*m), MSG_NOSIGNAL) == sizeof(*m) &&
	    recv_within(fd, m, 5000) == sizeof(*m) &&
	    m->type == MEMPLUG_VMM_CLI_REPLY)
		ret = m->cli_reply.err;
	close(fd);
	return ret;
}

static void good_register(struct memplug_vmm_register *r)
{
	memset(r, 0, sizeof(*r));
	r->version = MEMPLUG_VMM_PROTO_VERSION;
	r->flags = MEMPLUG_VMM_F_CONFIGURED;
	strcpy(r->name, "sock-test");
	r->region_gpa = 1ULL << 32;
	r->region_size = 1ULL << 30;
	r->region_hva = 1ULL << 40;
	r->slot_base = 1;
	r->slot_count = 8;
	r->config = (struct hotplug_config){ 1024, 2, 128 };
}

/* REGISTER on a new connection; returns it, or -1, and the answer in @m. */
static int do_register(const char *path, const struct memplug_vmm_register *r,
		       struct memplug_vmm_msg *m)
{
	int fd = sock_connect(path), fds[2];

	if (fd < 0)
		return -1;
	fds[0] = memfd_create("vm", MFD_CLOEXEC);
	fds[1] = memfd_create("mem", MFD_CLOEXEC);
	memset(m, 0, sizeof(*m));
	m->type = MEMPLUG_VMM_REGISTER;
	m->reg = *r;
	if (scm__send(fd, m, sizeof(*m), fds, 2)) {
		close(fd);
		fd = -1;
	}
	close(fds[0]);
	close(fds[1]);
	return fd;
}

/* Run @fn as nobody in a user namespace of its own, where it is "root". */
static int as_userns_root(int (*fn)(const char *), const char *path)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		char map[32];
		int fd;

		/* dumpable again, or /proc/self stays root's after setuid */
		if (setgid(NOBODY) || setuid(NOBODY) ||
		    prctl(PR_SET_DUMPABLE, 1) || unshare(CLONE_NEWUSER))
			_exit(100);
		fd = open("/proc/self/setgroups", O_WRONLY);
		if (fd >= 0 && (write(fd, "deny", 4) < 0 || close(fd)))
			_exit(101);
		snprintf(map, sizeof(map), "0 %d 1", NOBODY);
		fd = open("/proc/self/uid_map", O_WRONLY);
		if (fd < 0 || write(fd, map, strlen(map)) < 0 || close(fd))
			_exit(102);
		_exit(fn(path));
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

FIXTURE(mpd) {
	char dir[64], path[96], log[96];
	pid_t pid;
	int vmm;			/* a registered VM's connection */
	uint32_t vm_id;
};

FIXTURE_SETUP(mpd)
{
	struct memplug_vmm_register reg;
	struct memplug_vmm_msg m;
	int i, fd = -1;

	strcpy(self->dir, "/tmp/memplugd-sock-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	chmod(self->dir, 0755);
	snprintf(self->path, sizeof(self->path), "%s/sock", self->dir);
	snprintf(self->log, sizeof(self->log), "%s/log", self->dir);
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		int lf = open(self->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(lf, 2);
		const char *bin = getenv("MEMPLUGD") ?: MEMPLUGD;

		execl(bin, bin, "--no-module", "-s", self->path,
		      "-g", "memplug-sock-test-nogroup", NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && fd < 0; i++) {
		usleep(50000);
		fd = sock_connect(self->path);
	}
	ASSERT_LE(0, fd);
	close(fd);
	good_register(&reg);
	self->vmm = do_register(self->path, &reg, &m);
	ASSERT_LE(0, self->vmm);
	ASSERT_EQ(sizeof(m), recv_within(self->vmm, &m, 5000));
	ASSERT_EQ(MEMPLUG_VMM_REGISTERED, m.type);
	self->vm_id = m.registered.vm_id;
}

FIXTURE_TEARDOWN(mpd)
{
	char cmd[128];

	close(self->vmm);
	kill(self->pid, SIGTERM);
	waitpid(self->pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

static int died_status;

static bool alive(pid_t pid)
{
	return waitpid(pid, &died_status, WNOHANG) == 0;
}

/* How memplugd ended, and the end of its log: for a test that saw it die. */
static const char *death(const char *log)
{
	static char buf[2048];
	size_t n;
	FILE *f;
	int len;

	len = snprintf(buf, sizeof(buf), "%s %d; its log ends:\n",
		       WIFSIGNALED(died_status) ? "killed by signal" : "exit status",
		       WIFSIGNALED(died_status) ? WTERMSIG(died_status) :
		       WEXITSTATUS(died_status));
	f = fopen(log, "r");
	if (!f)
		return buf;
	fseek(f, -1024, SEEK_END);
	n = fread(buf + len, 1, sizeof(buf) - len - 1, f);
	buf[len + n] = '\0';
	fclose(f);
	return buf;
}

TEST_F(mpd, socket_is_0660)
{
	struct stat st;

	ASSERT_EQ(0, stat(self->path, &st));
	ASSERT_EQ(0660, st.st_mode & 0777);
}

TEST_F(mpd, registered_vm_answers_get)
{
	struct memplug_vmm_msg m;

	ASSERT_EQ(0, cli_call(self->path, MEMPLUG_CMD_HOTPLUG_GET, self->vm_id,
			      NULL, &m));
	ASSERT_NE(NULL, strstr(m.cli_reply.body, "\"total_size_mib\":1024"));
}

static char patch_path[96];

static int patch_as_stranger(const char *path)
{
	struct memplug_vmm_msg m;
	int err = cli_call(path, MEMPLUG_CMD_HOTPLUG_PATCH, 1,
			   "{\"requested_size_mib\":512}", &m);

	return err == -EPERM ? 0 : err == 1 ? 3 : 4;
}

/*
 * "root" in a user namespace of one's own has every capability there, but
 * is nobody to memplugd.  (The socket is opened to all for this test, so
 * that the peer check is what is tested, not the file mode.)
 */
TEST_F(mpd, userns_root_cannot_patch)
{
	struct memplug_vmm_msg m;

	ASSERT_EQ(1, self->vm_id);
	ASSERT_EQ(0, chmod(self->path, 0666));
	snprintf(patch_path, sizeof(patch_path), "%s", self->path);
	ASSERT_EQ(0, as_userns_root(patch_as_stranger, patch_path));
	/* and nothing changed: still not asked for anything */
	ASSERT_EQ(0, cli_call(self->path, MEMPLUG_CMD_HOTPLUG_GET, self->vm_id,
			      NULL, &m));
	ASSERT_NE(NULL, strstr(m.cli_reply.body, "\"requested_size_mib\":0"));
}

static int register_as_stranger(const char *path)
{
	struct memplug_vmm_register reg;
	struct memplug_vmm_msg m;
	int fd;

	good_register(&reg);
	fd = do_register(path, &reg, &m);
	if (fd < 0)
		return 3;
	/* refused: the daemon closes the connection without an answer */
	return recv_within(fd, &m, 5000) == 0 ? 0 : 4;
}

TEST_F(mpd, userns_root_cannot_register)
{
	ASSERT_EQ(0, chmod(self->path, 0666));
	ASSERT_EQ(0, as_userns_root(register_as_stranger, self->path));
}

/* Each bad REGISTER is refused, and memplugd is still there afterwards. */
TEST_F(mpd, bad_register_is_refused)
{
	struct memplug_vmm_register reg;
	struct memplug_vmm_msg m;
	int i, fd;

	for (i = 0; i < 13; i++) {
		good_register(&reg);
		switch (i) {
		case 0: reg.config.slot_size_mib = 0; break;
		case 1: reg.config.block_size_mib = 0; break;
		case 2: reg.config.total_size_mib = 1ULL << 44; break;
		case 3: reg.version = 99; break;
		case 4: reg.slot_count = 0; break;
		case 5: reg.slot_base = MEMPLUG_SLOTS_MAX - 4; break;
		case 6: reg.region_size = 0; break;
		case 7: reg.region_gpa = UINT64_MAX - (1 << 20) + 1; break;
		case 8: memset(reg.name, 'x', sizeof(reg.name)); break;
		case 9: strcpy(reg.name, "a\"b"); break;
		case 10: reg.plugged_size_mib = 2048; break;
		case 11: reg.config.total_size_mib = 2048;
			 reg.config.slot_size_mib = 256; break;
		/* 16 slots of 64 MiB, 8 memslot ids */
		case 12: reg.config.slot_size_mib = 64; break;
		}
		fd = do_register(self->path, &reg, &m);
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, recv_within(fd, &m, 5000)) TH_LOG("case %d accepted", i);
		close(fd);
		ASSERT_TRUE(alive(self->pid)) TH_LOG("memplugd died at case %d", i);
	}
	ASSERT_EQ(0, cli_call(self->path, MEMPLUG_CMD_HOTPLUG_GET, self->vm_id,
			      NULL, &m));
}

/* A client that never reads its answers cannot stop memplugd serving others. */
TEST_F(mpd, unread_replies_do_not_block)
{
	struct memplug_vmm_msg m;
	int fd = sock_connect(self->path), i, sent = 0;

	ASSERT_LE(0, fd);
	cli_msg(&m, MEMPLUG_CMD_HOTPLUG_GET, self->vm_id, NULL);
	/* in rounds, so that the daemon has answered all it could meanwhile */
	for (i = 0; i < 400; i++) {
		if (send(fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT) == sizeof(m))
			sent++;
		else if (errno == EAGAIN)
			usleep(10000);
		else
			break;		/* dropped by the daemon */
	}
	TH_LOG("%d GETs queued, none read", sent);
	ASSERT_LT(0, sent);
	ASSERT_EQ(0, cli_call(self->path, MEMPLUG_CMD_HOTPLUG_GET, self->vm_id,
			      NULL, &m));
	close(fd);
}

static int many_connections(const char *path)
{
	int fds[24], i, open = 0;
	struct memplug_vmm_msg m;

	for (i = 0; i < 24; i++)
		fds[i] = sock_connect(path);
	/* the daemon closes what is over the limit: recv sees the end */
	for (i = 0; i < 24; i++)
		if (fds[i] >= 0 && recv_within(fds[i], &m, 1000) == -1)
			open++;
	return open == MPD_MAX_CONNS_PER_USER ? 0 : 10 + open;
}

/* One user (not root) holds at most its share; root still gets in. */
TEST_F(mpd, connections_per_user_are_bounded)
{
	struct memplug_vmm_msg m;

	ASSERT_EQ(0, chmod(self->path, 0666));
	ASSERT_EQ(0, as_userns_root(many_connections, self->path));
	ASSERT_EQ(0, cli_call(self->path, MEMPLUG_CMD_HOTPLUG_GET, self->vm_id,
			      NULL, &m));
}

/* The body is body_len bytes: a NUL inside does not end it. */
/*
 * A paused VMM (no config yet, so no slot size) whose STATE says the
 * guest's driver is up: memplugd divided by the slot size before it looked
 * at the config (UBSan, make check SANITIZE=1, in proto_fuzz).
 */
TEST_F(mpd, driver_ready_before_config_is_taken)
{
	struct memplug_vmm_register r;
	struct memplug_vmm_msg m;
	int fd;

	good_register(&r);
	r.flags = 0;
	r.config = (struct hotplug_config){ 0 };
	strcpy(r.name, "paused");
	fd = do_register(self->path, &r, &m);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, recv_within(fd, &m, 5000));
	ASSERT_EQ(MEMPLUG_VMM_REGISTERED, m.type);
	memset(&m, 0, sizeof(m));
	m.type = MEMPLUG_VMM_STATE;
	m.state.flags = MEMPLUG_VMM_F_RUNNING | MEMPLUG_VMM_F_DRIVER_READY;
	ASSERT_EQ(sizeof(m), send(fd, &m, sizeof(m), 0));
	/* memplugd took it and answers others */
	ASSERT_EQ(0, cli_call(self->path, MEMPLUG_CMD_HOTPLUG_GET, self->vm_id,
			      NULL, &m));
	ASSERT_TRUE(alive(self->pid)) TH_LOG("%s", death(self->log));
	close(fd);
}

TEST_F(mpd, body_with_nul_is_refused)
{
	static const char body[] = "{\"total_size_mib\":1024}\0junk";
	struct memplug_vmm_msg m;
	int fd = sock_connect(self->path);

	ASSERT_LE(0, fd);
	cli_msg(&m, MEMPLUG_CMD_HOTPLUG_PUT, self->vm_id, NULL);
	memcpy(m.cli.body, body, sizeof(body) - 1);
	m.cli.body_len = sizeof(body) - 1;
	ASSERT_EQ(sizeof(m), send(fd, &m, sizeof(m), MSG_NOSIGNAL));
	ASSERT_EQ(sizeof(m), recv_within(fd, &m, 5000));
	ASSERT_EQ(-EINVAL, m.cli_reply.err);
	ASSERT_STREQ("Invalid JSON: trailing characters", m.cli_reply.text);
	close(fd);
}

/* xorshift64*: a replayable stream from the printed seed */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 2685821657736338717ULL;
}

static bool fuzz_trusted;		/* the fuzzing peer is the real root */

/* Some value a field might be checked against: edges more than noise. */
static uint64_t edgy(void)
{
	static const uint64_t e[] = {
		0, 1, 2, 3, 127, 128, 129, 1024, 4096,
		MEMPLUG_SLOTS_MAX - 1, MEMPLUG_SLOTS_MAX, MEMPLUG_SLOTS_MAX + 1,
		1ULL << 20, (1ULL << 20) + 1, 1ULL << 32, 1ULL << 44, MEMPLUG_ADDR_LIMIT,
		INT32_MAX, UINT32_MAX, INT64_MAX, UINT64_MAX, UINT64_MAX - 1,
	};

	return rnd() % 3 ? e[rnd() % (sizeof(e) / sizeof(e[0]))] : rnd();
}

static void fuzz_msg(struct memplug_vmm_msg *m, size_t *len)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	switch (rnd() % 4) {
	case 0:		/* noise */
		for (i = 0; i < sizeof(*m) / 8; i++)
			((uint64_t *)m)[i] = rnd();
		break;
	case 1:		/* a REGISTER with one field off */
		good_register(&m->reg);
		switch (rnd() % 8) {
		case 0: m->reg.config.total_size_mib = edgy(); break;
		case 1: m->reg.config.block_size_mib = edgy(); break;
		case 2: m->reg.config.slot_size_mib = edgy(); break;
		case 3: m->reg.slot_base = edgy(); m->reg.slot_count = edgy(); break;
		case 4: m->reg.region_gpa = edgy(); m->reg.region_size = edgy(); break;
		case 5: m->reg.plugged_size_mib = edgy(); break;
		case 6: m->reg.flags = edgy(); m->reg.requested_size_mib = edgy(); break;
		case 7: m->reg.name[rnd() % sizeof(m->reg.name)] = rnd(); break;
		}
		m->type = MEMPLUG_VMM_REGISTER;
		break;
	default:	/* a CLI request, any command, any VM, any body */
		m->cli.cmd = rnd() % 16;
		m->cli.vm_id = rnd() % 4;
		/*
		 * Root may change the test's VM, whose "VMM" never answers:
		 * each change would wait out the VMM timeout and measure that.
		 */
		if (fuzz_trusted && m->cli.vm_id == 1 &&
		    m->cli.cmd != MEMPLUG_CMD_HOTPLUG_GET)
			m->cli.vm_id = 2;
		m->cli.body_len = rnd() % 2 ? rnd() % 64 : edgy();
		for (i = 0; i < 64; i++)
			m->cli.body[i] = rnd() % 2 ? "{\"_:0123456789,}\\u"[rnd() % 19] : rnd();
		m->type = MEMPLUG_VMM_CLI_REQUEST;
		break;
	}
	if (rnd() % 4 == 0)
		m->type = rnd() % 16;
	*len = sizeof(*m);
	if (rnd() % 4 == 0)
		*len = rnd() % sizeof(*m);	/* truncated */
}

/* Sends @len bytes of @m with @nfds memfds (any number the kernel takes). */
static void send_fds(int fd, const void *m, size_t len, int nfds)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)m, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[4], i;

	for (i = 0; i < nfds; i++)
		fds[i] = memfd_create("fuzz", MFD_CLOEXEC);
	if (nfds) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

static int fuzz_secs(void)
{
	const char *s = getenv("MEMPLUG_FUZZ_SEC");

	return s ? atoi(s) : 30;
}

/* Random, truncated and out-of-order messages with 0..4 fds; returns sent. */
static long fuzz_loop(const char *path, int secs)
{
	struct memplug_vmm_msg *m = malloc(sizeof(*m));
	time_t end = time(NULL) + secs;
	int conns[8], i;
	long sent = 0;
	size_t len;

	for (i = 0; i < 8; i++)
		conns[i] = -1;
	while (m && time(NULL) < end) {
		i = rnd() % 8;
		if (conns[i] < 0 || rnd() % 16 == 0) {
			if (conns[i] >= 0)
				close(conns[i]);
			conns[i] = sock_connect(path);
			if (conns[i] < 0) {
				usleep(1000);
				continue;
			}
		}
		fuzz_msg(m, &len);
		send_fds(conns[i], m, len, rnd() % 4 ? 0 : rnd() % 5);
		sent++;
		/* read answers now and then, not always: unread ones pile up */
		while (rnd() % 2 && recv(conns[i], m, sizeof(*m), MSG_DONTWAIT) > 0)
			;
	}
	for (i = 0; i < 8; i++)
		if (conns[i] >= 0)
			close(conns[i]);
	free(m);
	return sent;
}

static char fuzz_path[96];

static int fuzz_as_stranger(const char *path)
{
	long sent;

	rnd_state ^= 0x5eed;
	sent = fuzz_loop(path, fuzz_secs());
	printf("# the stranger sent %ld messages\n", sent);
	fflush(stdout);
	return sent > 0 ? 0 : 1;
}

/*
 * memplugd under random traffic from root and from a stranger at once
 * stays up and keeps answering a well-behaved client, and the VM that
 * registered properly stays registered.
 */
TEST_F_TIMEOUT(mpd, proto_fuzz, 120)
{
	struct memplug_vmm_msg m;
	int secs = fuzz_secs(), st, checks = 0;
	time_t end = time(NULL) + secs;
	pid_t stranger, root;
	long sent;

	rnd_state = getenv("MEMPLUG_FUZZ_SEED") ?
		    strtoull(getenv("MEMPLUG_FUZZ_SEED"), NULL, 0) :
		    (uint64_t)time(NULL) * 2654435761ULL;
	if (!rnd_state)
		rnd_state = 1;
	TH_LOG("seed %#llx (MEMPLUG_FUZZ_SEED replays it), %d s",
	       (unsigned long long)rnd_state, secs);
	ASSERT_EQ(0, chmod(self->path, 0666));
	snprintf(fuzz_path, sizeof(fuzz_path), "%s", self->path);
	stranger = fork();
	ASSERT_LE(0, stranger);
	if (stranger == 0)
		_exit(as_userns_root(fuzz_as_stranger, fuzz_path));
	root = fork();
	ASSERT_LE(0, root);
	if (root == 0) {
		fuzz_trusted = true;
		sent = fuzz_loop(fuzz_path, secs);
		printf("# root sent %ld messages\n", sent);
		fflush(stdout);
		_exit(sent > 0 ? 0 : 1);
	}
	while (time(NULL) < end) {
		EXPECT_EQ(0, cli_call(self->path, MEMPLUG_CMD_HOTPLUG_GET,
				      self->vm_id, NULL, &m))
			TH_LOG("a GET went unanswered after %d", checks);
		ASSERT_TRUE(alive(self->pid))
			TH_LOG("memplugd died: %s", death(self->log));
		checks++;
		sleep(1);
	}
	ASSERT_EQ(stranger, waitpid(stranger, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(root, waitpid(root, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_TRUE(alive(self->pid));
	ASSERT_EQ(0, cli_call(self->path, MEMPLUG_CMD_HOTPLUG_GET, self->vm_id,
			      NULL, &m));
	ASSERT_NE(NULL, strstr(m.cli_reply.body, "\"total_size_mib\":1024"));
	TH_LOG("%d GETs answered during the fuzzing", checks);
}

TEST_HARNESS_MAIN
