// SPDX-License-Identifier: GPL-2.0
/*
 * memcheck: the test guest's data check (guest/init's "pat" commands).
 *
 * A long-running process that keeps a buffer of anonymous memory in 2 MiB
 * chunks, each its own mapping so that it can be given back to the guest
 * (and so to an unplug) on its own.  Every 4 KiB page holds a pattern from
 * the chunk's id, the page's index and the chunk's generation; the whole
 * page is compared when verified.  Userspace cannot name hotplugged memory,
 * so the buffer is allocated after a plug: Linux gives user pages from the
 * highest zone first, and the plugged memory (above 4 GiB) is that zone.
 * /proc/self/pagemap (root: PFNs) says where each page lies, and
 * /proc/iomem which ranges are virtio-mem memory, so that a reply counts
 * the pages checked in hotplugged memory.  An unplug may migrate a page
 * elsewhere (its PFN changes); its data must follow.
 *
 * Commands, one per line on the FIFO given as argument; one reply line
 * "@pat CMD ..." each on stdout (the console).  Details of mismatches go
 * to lines starting "memcheck: " (at most a few per command).
 *   seed N         the chunk choices of shrink and rewrite come from N
 *   grow MIB       add MIB (whole chunks) while MemAvailable stays above
 *                  a reserve: the guest must not run out of memory
 *   shrink MIB     verify and free chunks (chosen at random) until the
 *                  buffer holds at most MIB
 *   rewrite PCT    verify, then refill PCT % of the chunks (generation+1)
 *   verify         verify every chunk
 *   stat           the buffer and the totals so far
 *   poke           self-test: corrupt one word of a chunk, verify that
 *                  chunk (it must show one bad page), restore the word;
 *                  the totals are left alone
 * Counters in replies: pages (checked), hot (of those, in virtio-mem
 * memory when read), moved (PFN changed since written), bad (mismatched
 * pages); totals since the start as tpages, thot, tbad.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE		4096UL
#define CHUNK		(2UL << 20)
#define CHUNK_PAGES	(CHUNK / PAGE)
#define WORDS		(PAGE / 8)
#define MAX_CHUNKS	4096		/* 8 GiB */
#define RESERVE_KB	(96 * 1024)	/* MemAvailable kept free by grow */
#define MAX_REPORTS	8		/* mismatch lines per command */
#define MAX_RANGES	256
#define PM_PFN		((1ULL << 55) - 1)
#define PM_PRESENT	(1ULL << 63)

struct chunk {
	uint64_t *mem;
	uint32_t id;
	uint32_t gen;
	uint64_t wpfn[CHUNK_PAGES];	/* where each page was written */
};

struct counts {
	uint64_t pages, hot, moved, bad;
};

static struct chunk *chunks[MAX_CHUNKS];
static unsigned int nr_chunks;
static uint32_t next_id;
static uint64_t rng = 1;
static int pagemap = -1;
static struct counts total;
static unsigned int reports;

static struct {
	uint64_t start, end;		/* physical, inclusive */
} ranges[MAX_RANGES];
static unsigned int nr_ranges;

static uint64_t rnd(void)
{
	/* xorshift64*: the same sequence in every guest for a seed */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The page's first word; word i is this plus i. */
static uint64_t pattern(const struct chunk *c, unsigned long page)
{
	return mix(((uint64_t)c->id << 32) ^ ((uint64_t)c->gen << 16) ^ page);
}

/* The virtio-mem memory now in the guest, from /proc/iomem. */
static void read_ranges(void)
{
	char line[256];
	FILE *f = fopen("/proc/iomem", "r");
	uint64_t s, e;

	nr_ranges = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && nr_ranges < MAX_RANGES) {
		if (!strstr(line, ": System RAM (virtio_mem)"))
			continue;
		if (sscanf(line, " %" SCNx64 "-%" SCNx64, &s, &e) != 2)
			continue;
		ranges[nr_ranges].start = s;
		ranges[nr_ranges].end = e;
		nr_ranges++;
	}
	fclose(f);
}

static int is_hot(uint64_t pfn)
{
	uint64_t pa = pfn * PAGE;
	unsigned int i;

	for (i = 0; i < nr_ranges; i++)
		if (pa >= ranges[i].start && pa <= ranges[i].end)
			return 1;
	return 0;
}

/* PFNs of a chunk's pages (0: not present or not readable). */
static void read_pfns(const struct chunk *c, uint64_t *pfn)
{
	off_t off = (uintptr_t)c->mem / PAGE * 8;
	unsigned long i;

	if (pagemap < 0 ||
	    pread(pagemap, pfn, CHUNK_PAGES * 8, off) != CHUNK_PAGES * 8) {
		memset(pfn, 0, CHUNK_PAGES * 8);
		return;
	}
	for (i = 0; i < CHUNK_PAGES; i++)
		pfn[i] = pfn[i] & PM_PRESENT ? pfn[i] & PM_PFN : 0;
}

static void fill(struct chunk *c)
{
	unsigned long p, w;

	for (p = 0; p < CHUNK_PAGES; p++) {
		uint64_t *page = c->mem + p * WORDS;
		uint64_t v = pattern(c, p);

		for (w = 0; w < WORDS; w++)
			page[w] = v + w;
	}
	read_pfns(c, c->wpfn);
}

static void verify(const struct chunk *c, struct counts *n)
{
	uint64_t pfn[CHUNK_PAGES];
	unsigned long p, w;

	read_pfns(c, pfn);
	for (p = 0; p < CHUNK_PAGES; p++) {
		const uint64_t *page = c->mem + p * WORDS;
		uint64_t v = pattern(c, p), diff = 0;
		unsigned long nbad = 0, first = 0;

		/* no branch per word: the loop vectorises (TCG is slow) */
		for (w = 0; w < WORDS; w++)
			diff |= page[w] ^ (v + w);
		n->pages++;
		n->hot += is_hot(pfn[p]);
		n->moved += pfn[p] != c->wpfn[p];
		if (!diff)
			continue;
		for (w = 0; w < WORDS; w++) {
			if (page[w] != v + w && !nbad++)
				first = w;
		}
		n->bad++;
		if (reports++ < MAX_REPORTS)
			printf("memcheck: bad page: chunk %u gen %u page %lu va %p pfn 0x%" PRIx64
			       " (written at pfn 0x%" PRIx64 ", %s): %lu of %lu words wrong, word %lu is 0x%016"
			       PRIx64 ", not 0x%016" PRIx64 "\n",
			       c->id, c->gen, p, (void *)page, pfn[p], c->wpfn[p],
			       is_hot(pfn[p]) ? "virtio-mem" : "boot RAM", nbad, WORDS,
			       first, page[first], v + first);
	}
}

static long mem_available_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void add_counts(const struct counts *n)
{
	total.pages += n->pages;
	total.hot += n->hot;
	total.moved += n->moved;
	total.bad += n->bad;
}

static void reply(const char *cmd, const struct counts *n)
{
	uint64_t hot_now = 0;
	unsigned int i;
	unsigned long p;

	for (i = 0; i < nr_chunks; i++) {
		uint64_t pfn[CHUNK_PAGES];

		read_pfns(chunks[i], pfn);
		for (p = 0; p < CHUNK_PAGES; p++)
			hot_now += is_hot(pfn[p]);
	}
	printf("@pat %s mib=%lu hotmib=%" PRIu64 " pages=%" PRIu64 " hot=%" PRIu64
	       " moved=%" PRIu64 " bad=%" PRIu64 " tpages=%" PRIu64 " thot=%" PRIu64
	       " tbad=%" PRIu64 "\n", cmd, nr_chunks * (CHUNK >> 20),
	       hot_now * PAGE >> 20, n->pages, n->hot, n->moved, n->bad,
	       total.pages, total.hot, total.bad);
}

static void cmd_grow(unsigned long mib)
{
	struct counts n = { 0 };
	unsigned long want = mib / (CHUNK >> 20), grown = 0;
	const char *why = "";
	struct chunk *c;

	while (want-- > 0) {
		if (nr_chunks == MAX_CHUNKS) {
			why = "full";
			break;
		}
		if (mem_available_kb() < RESERVE_KB + (long)(CHUNK >> 10)) {
			why = "low";
			break;
		}
		c = malloc(sizeof(*c));
		if (!c) {
			why = "nomem";
			break;
		}
		c->mem = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c->mem == MAP_FAILED) {
			free(c);
			why = "nomem";
			break;
		}
		/* 4 KiB pages: an unplug migrates them one by one */
		madvise(c->mem, CHUNK, MADV_NOHUGEPAGE);
		c->id = next_id++;
		c->gen = 0;
		fill(c);
		chunks[nr_chunks++] = c;
		grown++;
	}
	if (*why)
		printf("memcheck: grow stopped after %lu MiB: %s\n",
		       grown * (CHUNK >> 20), why);
	reply("grow", &n);
}

static void free_chunk(unsigned int i)
{
	munmap(chunks[i]->mem, CHUNK);
	free(chunks[i]);
	chunks[i] = chunks[--nr_chunks];
}

static void cmd_shrink(unsigned long mib)
{
	struct counts n = { 0 };
	unsigned int i;

	while (nr_chunks * (CHUNK >> 20) > mib) {
		i = rnd() % nr_chunks;
		verify(chunks[i], &n);
		free_chunk(i);
	}
	add_counts(&n);
	reply("shrink", &n);
}

static void cmd_verify(void)
{
	struct counts n = { 0 };
	unsigned int i;

	for (i = 0; i < nr_chunks; i++)
		verify(chunks[i], &n);
	add_counts(&n);
	reply("verify", &n);
}

static void cmd_rewrite(unsigned long pct)
{
	struct counts n = { 0 };
	unsigned int i;

	for (i = 0; i < nr_chunks; i++) {
		verify(chunks[i], &n);
		if (rnd() % 100 < pct) {
			chunks[i]->gen++;
			fill(chunks[i]);
		}
	}
	add_counts(&n);
	reply("rewrite", &n);
}

static void cmd_poke(void)
{
	struct counts n = { 0 };
	struct chunk *c;
	uint64_t *w, bit;

	if (!nr_chunks) {
		printf("@pat poke error no chunks\n");
		return;
	}
	c = chunks[rnd() % nr_chunks];
	w = c->mem + (rnd() % (CHUNK / 8));
	bit = 1ULL << (rnd() % 64);
	*w ^= bit;
	verify(c, &n);
	*w ^= bit;
	printf("@pat poke detected=%" PRIu64 "\n", n.bad);
}

int main(int argc, char **argv)
{
	char line[128], cmd[32];
	unsigned long arg;
	FILE *in;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: memcheck FIFO\n");
		return 2;
	}
	/* read-write: the FIFO never reaches EOF between writers */
	fd = open(argv[1], O_RDWR);
	in = fd < 0 ? NULL : fdopen(fd, "r");
	if (!in) {
		printf("@pat error %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	printf("@pat start pagemap=%s\n", pagemap < 0 ? strerror(errno) : "ok");
	while (fgets(line, sizeof(line), in)) {
		arg = 0;
		if (sscanf(line, "%31s %lu", cmd, &arg) < 1)
			continue;
		reports = 0;
		read_ranges();
		if (!strcmp(cmd, "seed")) {
			rng = arg ? arg : 1;
			printf("@pat seed %lu\n", arg);
		} else if (!strcmp(cmd, "grow")) {
			cmd_grow(arg);
		} else if (!strcmp(cmd, "shrink")) {
			cmd_shrink(arg);
		} else if (!strcmp(cmd, "rewrite")) {
			cmd_rewrite(arg);
		} else if (!strcmp(cmd, "verify")) {
			cmd_verify();
		} else if (!strcmp(cmd, "poke")) {
			cmd_poke();
		} else if (!strcmp(cmd, "stat")) {
			struct counts n = { 0 };

			reply("stat", &n);
		} else {
			printf("@pat error unknown command '%s'\n", cmd);
		}
	}
	return 0;
}
