// SPDX-License-Identifier: GPL-2.0
/*
 * misbehave: a hostile virtio-mem driver in the test guest (init's
 * "misbehave" command), for selftests/vmm/vmm_misbehave.sh.
 *
 * Debian's kernel keeps userspace away from device memory: /dev/mem
 * refuses System RAM and (IO_STRICT_DEVMEM) any busy resource, virtio_mem
 * claims its whole region exclusively, virtio-pci its BAR.  So this program
 * unbinds virtio-pci from the virtio-mem device while nothing is plugged
 * (the Linux driver goes with it and leaves no resource behind) and is the
 * driver itself, from userspace:
 *
 *  - the transport through the PCI device's sysfs files: config (the
 *    capability list, PCI_COMMAND) and resource0 (BAR 0, mmap'd);
 *  - the split ring and the buffers in two mlocked pages of its own, whose
 *    guest-physical addresses come from /proc/self/pagemap; interrupts
 *    off (no MSI-X), the used ring is polled;
 *  - the device's memory through /dev/mem, which now allows it.
 *
 * It then does what the spec forbids or leaves undefined: requests with
 * bad sizes, addresses and types, plugs beyond the requested size,
 * unplugs of unplugged blocks, malformed descriptor chains, rings in
 * unplugged memory, and loads and stores in unplugged blocks of attached
 * slots, in slots the VMM has not attached (spare or none) and past the
 * region.  Each answer is checked against the spec (and, where the spec
 * leaves a choice, against what memplug-vmm documents), and after every
 * broken ring the device must come back with a reset and keep its
 * plugged state; at the end a normal plug must still work.
 *
 * Protocol on the console (stdin, stdout), for the host test:
 *   @mb ready addr=A region=R block=B      device initialised, DRIVER_OK;
 *                                           waits for a line (the host
 *                                           PATCHes a size first)
 *   @mb touched plugged_kb=N wrote_kb=N    after the memory phase; waits
 *                                           for a line (the host measures)
 *   @mb ok|FAIL NAME got=X want=Y          one line per check
 *   @mb done pass=N fail=N                 the end (device left DRIVER_OK)
 *   @mb error TEXT                         could not run (exit 1)
 * Bounded: alarm(600).  Needs root and nothing plugged at the start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mem.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define MIB		(1ULL << 20)
#define QSIZE		16
#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_MEM_PCI_ID	(0x1040 + 24)
#define NEEDS_RESET	VIRTIO_CONFIG_S_NEEDS_RESET
#define S_ALL		(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK)
#define F_WANTED	((1ULL << VIRTIO_F_VERSION_1) | \
			 (1ULL << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE))
/* the ring page: descriptors, avail and used rings */
#define AVAIL_OFF	0x400
#define USED_OFF	0x800
/* the buffer page: requests at 0, responses at RESP_OFF */
#define RESP_OFF	0x800
#define POISON		0xeeeeU
#define NO_USED		(-1)
#define CC(f)		offsetof(struct virtio_pci_common_cfg, f)

static char pci[128];			/* the device's sysfs directory */
static volatile uint8_t *bar;
static uint32_t common_off, notify_off, device_off, notify_mult;
static uint8_t *ring, *buf;
static uint64_t ring_pa, buf_pa;
static uint16_t avail_idx, used_seen;
static int devmem = -1;
static int passed, failed;
static uint64_t A, R, B;		/* region address, size, block size */

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void die(const char *what)
{
	say("@mb error %s: %s\n", what, strerror(errno));
	exit(1);
}

static void check(const char *name, long long got, long long want)
{
	if (got == want)
		passed++;
	else
		failed++;
	say("@mb %s %s got=%lld want=%lld\n", got == want ? "ok" : "FAIL", name, got, want);
}

/* A line from the console, read byte by byte: the rest is init's. */
static void wait_line(void)
{
	char c;

	while (read(0, &c, 1) == 1 && c != '\n')
		;
}

/* ---- the transport ----------------------------------------------------- */

static uint8_t r8(uint32_t off) { return *(volatile uint8_t *)(bar + off); }
static uint16_t r16(uint32_t off) { return *(volatile uint16_t *)(bar + off); }
static uint32_t r32(uint32_t off) { return *(volatile uint32_t *)(bar + off); }
static void w8(uint32_t off, uint8_t v) { *(volatile uint8_t *)(bar + off) = v; }
static void w16(uint32_t off, uint16_t v) { *(volatile uint16_t *)(bar + off) = v; }
static void w32(uint32_t off, uint32_t v) { *(volatile uint32_t *)(bar + off) = v; }

static uint8_t status(void) { return r8(common_off + CC(device_status)); }
static void set_status(uint8_t s) { w8(common_off + CC(device_status), s); }

static int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		ret = -1;
	close(fd);
	return ret;
}

static unsigned long sysfs_hex(const char *dir, const char *name)
{
	char p[400], v[32] = "";
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "r");
	if (!f)
		return 0;
	if (!fgets(v, sizeof(v), f))
		v[0] = 0;
	fclose(f);
	return strtoul(v, NULL, 16);
}

/* The virtio-mem PCI function, unbound from virtio-pci; BAR 0 mapped. */
static void take_device(void)
{
	uint8_t cfg[256];
	char p[400], *name;
	struct dirent *de;
	FILE *f;
	DIR *d;
	int fd, at;
	uint16_t cmd;

	/* an unbind with memory plugged would leave it System RAM */
	f = fopen("/proc/iomem", "r");
	while (f && fgets(p, sizeof(p), f))
		if (strstr(p, "(virtio_mem)")) {
			errno = EBUSY;
			die("virtio_mem has memory plugged");
		}
	if (f)
		fclose(f);
	d = opendir("/sys/bus/pci/devices");
	if (!d)
		die("/sys/bus/pci/devices");
	while ((de = readdir(d))) {
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", de->d_name);
		if (sysfs_hex(p, "vendor") == VIRTIO_PCI_VENDOR &&
		    sysfs_hex(p, "device") == VIRTIO_MEM_PCI_ID)
			break;
	}
	if (!de) {
		errno = ENODEV;
		die("no virtio-mem PCI device");
	}
	snprintf(pci, sizeof(pci), "/sys/bus/pci/devices/%.64s", de->d_name);
	name = de->d_name;
	snprintf(p, sizeof(p), "%s/driver", pci);
	if (access(p, F_OK) == 0 &&
	    sysfs_write("/sys/bus/pci/drivers/virtio-pci/unbind", name))
		die("unbinding virtio-pci");
	closedir(d);

	snprintf(p, sizeof(p), "%s/config", pci);
	fd = open(p, O_RDWR);
	if (fd < 0 || pread(fd, cfg, sizeof(cfg), 0) != sizeof(cfg))
		die("PCI config");
	/* memory decoding on (it stays on after the unbind, but be sure) */
	memcpy(&cmd, cfg + PCI_COMMAND, 2);
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(fd, &cmd, 2, PCI_COMMAND) != 2)
		die("PCI_COMMAND");
	close(fd);
	for (at = cfg[PCI_CAPABILITY_LIST]; at >= 0x40 && at < 0xf0; at = cfg[at + 1]) {
		struct virtio_pci_cap c;

		memcpy(&c, cfg + at, sizeof(c));
		if (c.cap_vndr != PCI_CAP_ID_VNDR || c.bar != 0)
			continue;
		if (c.cfg_type == VIRTIO_PCI_CAP_COMMON_CFG)
			common_off = c.offset;
		else if (c.cfg_type == VIRTIO_PCI_CAP_DEVICE_CFG)
			device_off = c.offset;
		else if (c.cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
			notify_off = c.offset;
			memcpy(&notify_mult, cfg + at + sizeof(c), 4);
		}
	}
	if (!device_off || !notify_off) {
		errno = ENOENT;
		die("virtio capabilities");
	}
	snprintf(p, sizeof(p), "%s/resource0", pci);
	fd = open(p, O_RDWR | O_SYNC);
	if (fd < 0)
		die("resource0");
	bar = mmap(NULL, 0x8000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED)
		die("mmap resource0");
	close(fd);
}

static struct virtio_mem_config config(void)
{
	struct virtio_mem_config c;
	uint8_t gen;

	do {
		gen = r8(common_off + CC(config_generation));
		for (size_t i = 0; i < sizeof(c); i += 4) {
			uint32_t v = r32(device_off + i);

			memcpy((uint8_t *)&c + i, &v, 4);
		}
	} while (gen != r8(common_off + CC(config_generation)));
	return c;
}

/* Guest-physical address of a locked page of ours. */
static uint64_t phys(void *p)
{
	uint64_t e;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &e, 8, (uintptr_t)p / PAGE * 8) != 8)
		die("pagemap");
	close(fd);
	if (!(e & (1ULL << 63)) || !(e & ((1ULL << 55) - 1))) {
		errno = EFAULT;
		die("pagemap: no PFN (not root?)");
	}
	return (e & ((1ULL << 55) - 1)) * PAGE;
}

static void set_queue(uint64_t desc, uint64_t avail, uint64_t used)
{
	w16(common_off + CC(queue_select), 0);
	w16(common_off + CC(queue_size), QSIZE);
	w16(common_off + CC(queue_msix_vector), VIRTIO_MSI_NO_VECTOR);
	w32(common_off + CC(queue_desc_lo), desc);
	w32(common_off + CC(queue_desc_hi), desc >> 32);
	w32(common_off + CC(queue_avail_lo), avail);
	w32(common_off + CC(queue_avail_hi), avail >> 32);
	w32(common_off + CC(queue_used_lo), used);
	w32(common_off + CC(queue_used_hi), used >> 32);
	w16(common_off + CC(queue_enable), 1);
}

/*
 * Reset and bring the device up as a driver does, with @features and the
 * rings at @desc/@avail/@used; the status read back at the end.
 */
static uint8_t bring_up(uint64_t features, uint64_t desc, uint64_t avail, uint64_t used)
{
	set_status(0);
	if (status() != 0)
		return status();
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE);
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	w32(common_off + CC(guest_feature_select), 0);
	w32(common_off + CC(guest_feature), features);
	w32(common_off + CC(guest_feature_select), 1);
	w32(common_off + CC(guest_feature), features >> 32);
	set_status(S_ALL);
	if (!(status() & VIRTIO_CONFIG_S_FEATURES_OK))
		return status();
	memset(ring, 0, PAGE);
	((struct vring_avail *)(ring + AVAIL_OFF))->flags = VRING_AVAIL_F_NO_INTERRUPT;
	avail_idx = used_seen = 0;
	set_queue(desc, avail, used);
	set_status(S_ALL | VIRTIO_CONFIG_S_DRIVER_OK);
	return status();
}

static uint8_t bring_up_plain(void)
{
	return bring_up(F_WANTED, ring_pa, ring_pa + AVAIL_OFF, ring_pa + USED_OFF);
}

static struct vring_desc *descs(void) { return (struct vring_desc *)ring; }
static struct vring_avail *avail(void) { return (struct vring_avail *)(ring + AVAIL_OFF); }
static struct vring_used *used(void) { return (struct vring_used *)(ring + USED_OFF); }

/*
 * Make head @head available (the avail index advanced by @step), notify,
 * and poll the used ring: the used element's length, or NO_USED.
 */
static long kick(uint16_t head, uint16_t step)
{
	struct timespec t0, t;
	uint16_t u;

	avail()->ring[avail_idx % QSIZE] = head;
	avail_idx += step;
	__atomic_store_n(&avail()->idx, avail_idx, __ATOMIC_RELEASE);
	w16(notify_off + r16(common_off + CC(queue_notify_off)) * notify_mult, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		u = __atomic_load_n(&used()->idx, __ATOMIC_ACQUIRE);
		if (u != used_seen)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		/* the VMM answers during the notify; a second is plenty */
		if (t.tv_sec - t0.tv_sec > 1 || (status() & NEEDS_RESET))
			return NO_USED;
		usleep(1000);
	}
	return used()->ring[used_seen++ % QSIZE].len;
}

static void put_desc(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	descs()[i] = (struct vring_desc){ addr, len, flags, next };
}

/* A request in one readable and one writable descriptor: the response type. */
static long request(uint16_t type, uint64_t addr, uint16_t nb, uint16_t *state)
{
	struct virtio_mem_req *rq = (void *)buf;
	struct virtio_mem_resp *rs = (void *)(buf + RESP_OFF);
	long len;

	memset(rq, 0, sizeof(*rq));
	rq->type = type;
	rq->u.plug.addr = addr;
	rq->u.plug.nb_blocks = nb;
	memset(rs, 0xee, sizeof(*rs));
	put_desc(0, buf_pa, sizeof(*rq), VRING_DESC_F_NEXT, 1);
	put_desc(1, buf_pa + RESP_OFF, sizeof(*rs), VRING_DESC_F_WRITE, 0);
	len = kick(0, 1);
	if (len == NO_USED)
		return NO_USED;
	if (len != sizeof(*rs))
		return -2;
	if (state)
		*state = rs->u.state.state;
	return rs->type;
}

static long state_of(uint64_t addr, uint16_t nb)
{
	uint16_t st = POISON;
	long r = request(VIRTIO_MEM_REQ_STATE, addr, nb, &st);

	return r == VIRTIO_MEM_RESP_ACK ? st : -10 - r;
}

/* ---- memory through /dev/mem ------------------------------------------ */

static volatile uint64_t *phys_map(uint64_t pa, uint64_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, devmem, pa);

	if (p == MAP_FAILED) {
		say("@mb error mmap /dev/mem at %#" PRIx64 ": %s\n", pa, strerror(errno));
		exit(1);
	}
	return p;
}

static uint64_t pattern(uint64_t pa)
{
	return pa * 0x9e3779b97f4a7c15ULL ^ 0x6d69736265686176ULL;
}

/*
 * Write the pattern at every @stride bytes of [pa, pa + len), then read it
 * back: the number of words that read back as written.
 */
static uint64_t touch(uint64_t pa, uint64_t len, uint64_t stride, uint64_t *ones)
{
	volatile uint64_t *p = phys_map(pa, len);
	uint64_t off, same = 0, v;

	for (off = 0; off < len; off += stride)
		p[off / 8] = pattern(pa + off);
	*ones = 0;
	for (off = 0; off < len; off += stride) {
		v = p[off / 8];
		same += v == pattern(pa + off);
		*ones += v == ~0ULL;
	}
	munmap((void *)p, len);
	return same;
}

/* ---- the checks -------------------------------------------------------- */

static void reset_check(const char *name)
{
	char n[128];

	snprintf(n, sizeof(n), "%s: NEEDS_RESET set", name);
	check(n, !!(status() & NEEDS_RESET), 1);
	snprintf(n, sizeof(n), "%s: device back after reset", name);
	check(n, bring_up_plain(), S_ALL | VIRTIO_CONFIG_S_DRIVER_OK);
	snprintf(n, sizeof(n), "%s: plugged blocks kept over reset", name);
	check(n, state_of(A, 64 * MIB / B), VIRTIO_MEM_STATE_PLUGGED);
}

static void spec_requests(uint64_t Q, uint64_t U)
{
	check("STATE of the whole region: unplugged", state_of(A, R / B),
	      VIRTIO_MEM_STATE_UNPLUGGED);
	check("PLUG nb_blocks 0: ERROR", request(VIRTIO_MEM_REQ_PLUG, A, 0, NULL),
	      VIRTIO_MEM_RESP_ERROR);
	check("PLUG misaligned: ERROR", request(VIRTIO_MEM_REQ_PLUG, A + B / 2, 1, NULL),
	      VIRTIO_MEM_RESP_ERROR);
	check("PLUG below the region: ERROR", request(VIRTIO_MEM_REQ_PLUG, A - B, 1, NULL),
	      VIRTIO_MEM_RESP_ERROR);
	check("PLUG at the usable end: ERROR", request(VIRTIO_MEM_REQ_PLUG, A + U, 1, NULL),
	      VIRTIO_MEM_RESP_ERROR);
	check("PLUG across the usable end: ERROR",
	      request(VIRTIO_MEM_REQ_PLUG, A + U - B, 2, NULL), VIRTIO_MEM_RESP_ERROR);
	check("PLUG past the region: ERROR", request(VIRTIO_MEM_REQ_PLUG, A + R, 1, NULL),
	      VIRTIO_MEM_RESP_ERROR);
	check("PLUG nb_blocks 0xffff: ERROR", request(VIRTIO_MEM_REQ_PLUG, A, 0xffff, NULL),
	      VIRTIO_MEM_RESP_ERROR);
	check("PLUG wrapping the address space: ERROR",
	      request(VIRTIO_MEM_REQ_PLUG, -B, 0xffff, NULL), VIRTIO_MEM_RESP_ERROR);
	check("PLUG beyond the requested size: NACK",
	      request(VIRTIO_MEM_REQ_PLUG, A, Q / B + 1, NULL), VIRTIO_MEM_RESP_NACK);
	check("UNPLUG of an unplugged block: ERROR",
	      request(VIRTIO_MEM_REQ_UNPLUG, A, 1, NULL), VIRTIO_MEM_RESP_ERROR);
	check("UNPLUG across the region end: ERROR",
	      request(VIRTIO_MEM_REQ_UNPLUG, A + R - B, 2, NULL), VIRTIO_MEM_RESP_ERROR);
	check("UNPLUG nb_blocks 0: ERROR", request(VIRTIO_MEM_REQ_UNPLUG, A, 0, NULL),
	      VIRTIO_MEM_RESP_ERROR);
	check("STATE across the region end: ERROR", state_of(A + R - B, 2),
	      -10 - VIRTIO_MEM_RESP_ERROR);
	check("STATE past the region: ERROR", state_of(A + R, 1), -10 - VIRTIO_MEM_RESP_ERROR);
	check("STATE nb_blocks 0: ERROR", state_of(A, 0), -10 - VIRTIO_MEM_RESP_ERROR);
	check("STATE misaligned: ERROR", state_of(A + 4096, 1), -10 - VIRTIO_MEM_RESP_ERROR);
	check("request type 4: ERROR", request(4, A, 1, NULL), VIRTIO_MEM_RESP_ERROR);
	check("request type 0xffff: ERROR", request(0xffff, A, 1, NULL), VIRTIO_MEM_RESP_ERROR);
	check("nothing plugged by all that", config().plugged_size, 0);

	check("PLUG 64 MiB: ACK", request(VIRTIO_MEM_REQ_PLUG, A, 64 * MIB / B, NULL),
	      VIRTIO_MEM_RESP_ACK);
	check("plugged_size 64 MiB", config().plugged_size, 64 * MIB);
	check("PLUG of a plugged block: ERROR", request(VIRTIO_MEM_REQ_PLUG, A, 1, NULL),
	      VIRTIO_MEM_RESP_ERROR);
	check("PLUG half plugged: ERROR",
	      request(VIRTIO_MEM_REQ_PLUG, A + 64 * MIB - B, 2, NULL), VIRTIO_MEM_RESP_ERROR);
	check("UNPLUG half plugged: ERROR",
	      request(VIRTIO_MEM_REQ_UNPLUG, A + 64 * MIB - B, 2, NULL), VIRTIO_MEM_RESP_ERROR);
	check("STATE half plugged: MIXED", state_of(A, 128 * MIB / B), VIRTIO_MEM_STATE_MIXED);
	check("STATE of the plugged part: PLUGGED", state_of(A, 64 * MIB / B),
	      VIRTIO_MEM_STATE_PLUGGED);
	check("plugged_size still 64 MiB", config().plugged_size, 64 * MIB);
}

/* The readable request split into 8-byte pieces: legal, if odd. */
static void split_request(void)
{
	struct virtio_mem_req *rq = (void *)buf;
	struct virtio_mem_resp *rs = (void *)(buf + RESP_OFF);
	long len;

	memset(rq, 0, sizeof(*rq));
	rq->type = VIRTIO_MEM_REQ_STATE;
	rq->u.state.addr = A;
	rq->u.state.nb_blocks = 1;
	memset(rs, 0xee, sizeof(*rs));
	put_desc(0, buf_pa, 8, VRING_DESC_F_NEXT, 5);
	put_desc(5, buf_pa + 8, 8, VRING_DESC_F_NEXT, 9);
	put_desc(9, buf_pa + 16, 8, VRING_DESC_F_NEXT, 2);
	put_desc(2, buf_pa + RESP_OFF, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	put_desc(3, buf_pa + RESP_OFF + 4, sizeof(*rs) - 4, VRING_DESC_F_WRITE, 0);
	len = kick(0, 1);
	check("request in five descriptors: answered", len, sizeof(*rs));
	check("request in five descriptors: STATE PLUGGED", rs->type == VIRTIO_MEM_RESP_ACK ?
	      rs->u.state.state : -1, VIRTIO_MEM_STATE_PLUGGED);
}

static void bad_chains(uint64_t unattached)
{
	struct virtio_mem_req *rq = (void *)buf;
	uint64_t plugged = config().plugged_size;
	long len;

	/* a valid PLUG with no room for the answer must not be done */
	memset(rq, 0, sizeof(*rq));
	rq->type = VIRTIO_MEM_REQ_PLUG;
	rq->u.plug.addr = A + 64 * MIB;
	rq->u.plug.nb_blocks = 1;
	put_desc(0, buf_pa, sizeof(*rq), VRING_DESC_F_NEXT, 1);
	put_desc(1, buf_pa + RESP_OFF, 2, VRING_DESC_F_WRITE, 0);
	len = kick(0, 1);
	check("PLUG with a 2-byte response buffer: used, length 0", len, 0);
	check("PLUG with a 2-byte response buffer: not done", config().plugged_size, plugged);
	put_desc(0, buf_pa, sizeof(*rq), 0, 0);
	len = kick(0, 1);
	check("PLUG with no response buffer: used, length 0", len, 0);
	check("PLUG with no response buffer: not done", config().plugged_size, plugged);
	check("queue still fine after them", status() & NEEDS_RESET, 0);
	/* a short request: only its type */
	put_desc(0, buf_pa, 2, VRING_DESC_F_NEXT, 1);
	put_desc(1, buf_pa + RESP_OFF, sizeof(struct virtio_mem_resp), VRING_DESC_F_WRITE, 0);
	len = kick(0, 1);
	check("a 2-byte request: answered", len, sizeof(struct virtio_mem_resp));
	check("a 2-byte request: ERROR", ((struct virtio_mem_resp *)(buf + RESP_OFF))->type,
	      VIRTIO_MEM_RESP_ERROR);
	split_request();

	/* chains the spec forbids: the device must stop using the ring */
	put_desc(0, buf_pa + RESP_OFF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put_desc(1, buf_pa, sizeof(*rq), 0, 0);
	kick(0, 1);
	reset_check("writable before readable");

	put_desc(0, buf_pa, sizeof(*rq), VRING_DESC_F_NEXT, 0);
	kick(0, 1);
	reset_check("a descriptor chained to itself");

	put_desc(0, buf_pa, sizeof(*rq), VRING_DESC_F_NEXT, 1);
	put_desc(1, buf_pa + RESP_OFF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	kick(0, 1);
	reset_check("a loop of two descriptors");

	kick(QSIZE + 3, 1);
	reset_check("a head past the ring");

	put_desc(0, buf_pa, sizeof(*rq), VRING_DESC_F_NEXT, QSIZE);
	kick(0, 1);
	reset_check("a next index past the ring");

	put_desc(0, buf_pa, 32, VRING_DESC_F_INDIRECT, 0);
	kick(0, 1);
	reset_check("an INDIRECT descriptor (not offered)");

	put_desc(0, unattached, sizeof(*rq), VRING_DESC_F_NEXT, 1);
	put_desc(1, buf_pa + RESP_OFF, 16, VRING_DESC_F_WRITE, 0);
	kick(0, 1);
	reset_check("a request in unplugged memory");

	put_desc(0, buf_pa, sizeof(*rq), VRING_DESC_F_NEXT, 1);
	put_desc(1, unattached, 16, VRING_DESC_F_WRITE, 0);
	kick(0, 1);
	reset_check("a response buffer in unplugged memory");

	put_desc(0, 0x7ff000000000ULL, sizeof(*rq), VRING_DESC_F_NEXT, 1);
	put_desc(1, buf_pa + RESP_OFF, 16, VRING_DESC_F_WRITE, 0);
	kick(0, 1);
	reset_check("a buffer outside guest memory");

	put_desc(0, 0xfffffffffffffff0ULL, 0x100, VRING_DESC_F_NEXT, 1);
	put_desc(1, buf_pa + RESP_OFF, 16, VRING_DESC_F_WRITE, 0);
	kick(0, 1);
	reset_check("a buffer wrapping the address space");

	put_desc(0, buf_pa, sizeof(*rq), VRING_DESC_F_NEXT, 1);
	put_desc(1, buf_pa + RESP_OFF, 16, VRING_DESC_F_WRITE, 0);
	kick(0, 1000);
	reset_check("the avail index 1000 ahead");

	/* the rings themselves in memory nobody plugged */
	check("rings in unplugged memory: queue not enabled",
	      bring_up(F_WANTED, unattached, unattached + AVAIL_OFF, unattached + USED_OFF) &
	      NEEDS_RESET, NEEDS_RESET);
	check("rings in unplugged memory: queue_enable reads 0",
	      r16(common_off + CC(queue_enable)), 0);
	check("rings in unplugged memory: device back after reset", bring_up_plain(),
	      S_ALL | VIRTIO_CONFIG_S_DRIVER_OK);
	check("plugged_size unchanged by the broken chains", config().plugged_size, plugged);
}

/*
 * Loads and stores where the guest has no memory.  Only the plugged part
 * must keep its data; elsewhere the values are reported (memplug-vmm:
 * all ones where no slot is in KVM, zeroes or the guest's own writes in
 * a spare slot, the guest's writes in an attached slot).
 */
static uint64_t memory_phase(uint64_t U)
{
	uint64_t n, ones, wrote = 0;
	uint64_t slot1 = 128 * MIB;

	n = touch(A, 64 * MIB, PAGE, &ones);
	check("plugged memory keeps what the guest writes (pages)", n, 64 * MIB / PAGE);
	wrote += 64 * MIB;
	/* unplugged blocks of attached slots: up to the usable end */
	n = touch(A + slot1, U - slot1, PAGE, &ones);
	say("@mb info unplugged attached [%#" PRIx64 ", +%" PRIu64 " MiB): %" PRIu64
	    " of %" PRIu64 " pages kept the write, %" PRIu64 " read all ones\n",
	    A + slot1, (U - slot1) / MIB, n, (U - slot1) / PAGE, ones);
	wrote += U - slot1;
	/* past the usable region: a spare slot (module mode) or none */
	n = touch(A + U, 128 * MIB, 64 * 1024, &ones);
	say("@mb info past the usable region [%#" PRIx64 ", +128 MiB), every 64 KiB: %" PRIu64
	    " of 2048 words kept the write, %" PRIu64 " read all ones\n", A + U, n, ones);
	wrote += 2048 * PAGE;
	/* the region's last page and the page after it */
	n = touch(A + R - PAGE, 2 * PAGE, 512, &ones);
	say("@mb info the region's last page and past it: %" PRIu64 " of 16 words kept, %"
	    PRIu64 " all ones\n", n, ones);
	check("plugged_size unchanged by the accesses", config().plugged_size, 64 * MIB);
	return wrote;
}

int main(void)
{
	struct virtio_mem_config c;
	uint64_t Q, U, wrote, unattached;
	uint8_t s;
	void *pages;

	alarm(600);
	take_device();
	pages = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE, -1, 0);
	if (pages == MAP_FAILED || mlock(pages, 2 * PAGE))
		die("DMA pages");
	ring = pages;
	buf = ring + PAGE;
	ring_pa = phys(ring);
	buf_pa = phys(buf);
	devmem = open("/dev/mem", O_RDWR | O_SYNC);
	if (devmem < 0)
		die("/dev/mem");

	s = bring_up(1ULL << VIRTIO_F_VERSION_1, ring_pa, ring_pa + AVAIL_OFF,
		     ring_pa + USED_OFF);
	check("features without UNPLUGGED_INACCESSIBLE: FEATURES_OK refused",
	      !!(s & VIRTIO_CONFIG_S_FEATURES_OK), 0);
	s = bring_up_plain();
	check("device up (DRIVER_OK)", s, S_ALL | VIRTIO_CONFIG_S_DRIVER_OK);
	c = config();
	A = c.addr;
	R = c.region_size;
	B = c.block_size;
	if (c.plugged_size || !B || R < 512 * MIB) {
		errno = EINVAL;
		die("want nothing plugged and a region of 512 MiB or more");
	}
	say("@mb ready addr=%#" PRIx64 " region=%" PRIu64 " block=%" PRIu64 " rings=%#" PRIx64
	    " buffers=%#" PRIx64 "\n", A, R / MIB, B / MIB, ring_pa, buf_pa);
	wait_line();

	c = config();
	Q = c.requested_size;
	U = c.usable_region_size;
	say("@mb info requested=%" PRIu64 " usable=%" PRIu64 " MiB\n", Q / MIB, U / MIB);
	if (Q < 128 * MIB || U <= Q || U + 128 * MIB > R) {
		errno = EINVAL;
		die("want 128 MiB <= requested < usable <= region - 128 MiB");
	}
	spec_requests(Q, U);
	wrote = memory_phase(U);
	say("@mb touched plugged_kb=%" PRIu64 " wrote_kb=%" PRIu64 "\n",
	    config().plugged_size / 1024, wrote / 1024);
	wait_line();

	/* the last slot: never attached (local) or at most a spare */
	unattached = A + R - 128 * MIB;
	bad_chains(unattached);

	check("UNPLUG_ALL: ACK", request(VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL),
	      VIRTIO_MEM_RESP_ACK);
	c = config();
	check("UNPLUG_ALL: nothing plugged", c.plugged_size, 0);
	check("STATE after UNPLUG_ALL: unplugged", state_of(A, R / B), VIRTIO_MEM_STATE_UNPLUGGED);
	/* and a normal plug still works, with memory that keeps its data */
	check("a normal PLUG afterwards: ACK", request(VIRTIO_MEM_REQ_PLUG, A, 1, NULL),
	      VIRTIO_MEM_RESP_ACK);
	{
		uint64_t ones;

		check("the plugged block keeps what the guest writes (pages)",
		      touch(A, B, PAGE, &ones), B / PAGE);
	}
	check("its UNPLUG: ACK", request(VIRTIO_MEM_REQ_UNPLUG, A, 1, NULL),
	      VIRTIO_MEM_RESP_ACK);
	check("nothing plugged at the end", config().plugged_size, 0);
	say("@mb done pass=%d fail=%d\n", passed, failed);
	return failed ? 1 : 0;
}
