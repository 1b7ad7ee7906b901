// SPDX-License-Identifier: GPL-2.0
/*
 * memplug_hold: a helper for the shell tests.  Creates a KVM VM, attaches
 * it (slot ids 100..107, 16 MiB at 4 GiB), applies two 2 MiB slots, prints
 * "vm <id>" and holds everything until its stdin reaches EOF.
 */
#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/kvm_guest.h"
#include "memplug/memplug_nl.h"

int main(void)
{
	struct memplug_slot s[2] = {
		{ .id = 100, .gpa = 4ULL << 30, .size = 2 << 20 },
		{ .id = 101, .gpa = (4ULL << 30) + (2 << 20), .size = 2 << 20 },
	};
	struct memplug_range r = {
		.slot_base = 100, .slot_count = 8,
		.gpa_base = 4ULL << 30, .gpa_size = 16 << 20,
		.hva_size = 16 << 20,
	};
	struct genl_conn c;
	struct kvm_guest g;
	uint32_t id;
	char buf[64];
	void *mem;
	int err;

	mem = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED || kvm_guest__create(&g)) {
		perror("memplug_hold: VM");
		return 1;
	}
	err = memplug_nl__open(&c);
	if (!err) {
		r.hva_base = (uintptr_t)mem;
		s[0].hva = (uintptr_t)mem;
		s[1].hva = (uintptr_t)mem + (2 << 20);
		err = memplug_nl__attach(&c, g.vm_fd, &r, &id);
	}
	if (!err)
		err = memplug_nl__apply(&c, id, s, 2, NULL);
	if (err) {
		genl_conn__perror(&c, err);
		return 1;
	}
	printf("vm %u\n", id);
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	genl_conn__close(&c);
	kvm_guest__destroy(&g);
	return 0;
}
