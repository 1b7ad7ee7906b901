// SPDX-License-Identifier: GPL-2.0
/*
 * memplug_rmmod_test: rmmod memplug with a VM attached and slots applied,
 * then insmod it again (module/memplug.ko of the checkout).  Runs after
 * memplug_test, in the same test VM: it leaves the module loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/kvm_guest.h"
#include "memplug/memplug_nl.h"

#define SLOT_SIZE	(2ULL << 20)
#define NR		8
#define GPA_BASE	(4ULL << 30)
#define MODULE_PATH	"module/memplug.ko"

static int module_loaded(void)
{
	return access("/sys/module/memplug", F_OK) == 0;
}

TEST(rmmod_with_vm_attached_then_insmod)
{
	struct memplug_range r = {
		.slot_base = 10, .slot_count = NR,
		.gpa_base = GPA_BASE, .gpa_size = NR * SLOT_SIZE,
		.hva_size = NR * SLOT_SIZE,
	};
	struct memplug_slot s[NR];
	struct genl_conn c, c2;
	struct kvm_guest g;
	unsigned int i;
	uint64_t v;
	uint32_t id;
	void *mem;
	int fd;

	ASSERT_TRUE(module_loaded());
	mem = mmap(NULL, NR * SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	r.hva_base = (uintptr_t)mem;
	ASSERT_EQ(0, kvm_guest__create(&g));
	ASSERT_EQ(0, memplug_nl__open(&c));
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));
	for (i = 0; i < NR; i++) {
		s[i].id = 10 + i;
		s[i].flags = 0;
		s[i].gpa = GPA_BASE + i * SLOT_SIZE;
		s[i].size = SLOT_SIZE;
		s[i].hva = (uintptr_t)mem + i * SLOT_SIZE;
	}
	ASSERT_EQ(0, memplug_nl__apply(&c, id, s, NR, NULL));
	ASSERT_EQ(0, kvm_guest__write(&g, GPA_BASE + 64, 42));

	/* The owner's socket stays open: the module must let go by itself. */
	ASSERT_EQ(0, syscall(SYS_delete_module, "memplug", O_NONBLOCK)) {
		TH_LOG("rmmod: %s", strerror(errno));
	}
	EXPECT_FALSE(module_loaded());
	/* The slots went with it; the VM itself still runs. */
	for (i = 0; i < NR; i++)
		EXPECT_EQ(KVM_GUEST_NO_MEMORY,
			  kvm_guest__read(&g, s[i].gpa, &v));
	EXPECT_EQ(0, kvm_guest__read(&g, 0x4000, &v));
	/* And the VMM may add its own slot in that range now. */
	EXPECT_EQ(0, kvm_guest__set_slot(&g, 10, GPA_BASE, SLOT_SIZE, mem));
	ASSERT_EQ(0, kvm_guest__read(&g, GPA_BASE + 64, &v));
	EXPECT_EQ(42, v);
	EXPECT_EQ(0, kvm_guest__set_slot(&g, 10, GPA_BASE, 0, mem));
	genl_conn__close(&c);

	fd = open(MODULE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, syscall(SYS_finit_module, fd, "", 0)) {
		TH_LOG("insmod: %s", strerror(errno));
	}
	close(fd);
	ASSERT_TRUE(module_loaded());
	ASSERT_EQ(0, memplug_nl__open(&c2));
	ASSERT_EQ(0, memplug_nl__attach(&c2, g.vm_fd, &r, &id));
	ASSERT_EQ(0, memplug_nl__apply(&c2, id, s, 1, NULL));
	ASSERT_EQ(0, kvm_guest__read(&g, GPA_BASE + 64, &v));
	EXPECT_EQ(42, v);
	genl_conn__close(&c2);
	kvm_guest__destroy(&g);
	munmap(mem, NR * SLOT_SIZE);
}

static int reload(void)
{
	int fd, err = 0;

	if (syscall(SYS_delete_module, "memplug", O_NONBLOCK))
		return -errno;
	fd = open(MODULE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		err = -errno;
	close(fd);
	return err;
}

/*
 * A module upgrade with a KEEP_SLOTS attachment (memplugd's kind): the
 * guest keeps its memory over rmmod, and the reloaded module's ADOPT_ANY
 * attachment takes the slots back (ADOPT takes none: that module did not
 * put them there).
 */
TEST(rmmod_keeps_keep_slots_then_adopt)
{
	struct memplug_range r = {
		.slot_base = 10, .slot_count = NR,
		.gpa_base = GPA_BASE, .gpa_size = NR * SLOT_SIZE,
		.hva_size = NR * SLOT_SIZE,
		.flags = MEMPLUG_ATTACH_F_KEEP_SLOTS,
	};
	struct memplug_slot s[4];
	struct memplug_vm_info vi;
	struct genl_conn c;
	struct kvm_guest g;
	unsigned int i;
	uint64_t v;
	uint32_t id;
	void *mem;

	ASSERT_TRUE(module_loaded());
	mem = mmap(NULL, NR * SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	r.hva_base = (uintptr_t)mem;
	ASSERT_EQ(0, kvm_guest__create(&g));
	ASSERT_EQ(0, memplug_nl__open(&c));
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));
	for (i = 0; i < 4; i++) {
		s[i].id = 10 + i;
		s[i].flags = 0;
		s[i].gpa = GPA_BASE + i * SLOT_SIZE;
		s[i].size = SLOT_SIZE;
		s[i].hva = (uintptr_t)mem + i * SLOT_SIZE;
	}
	ASSERT_EQ(0, memplug_nl__apply(&c, id, s, 4, NULL));
	ASSERT_EQ(0, kvm_guest__write(&g, s[3].gpa + 8, 4242));
	genl_conn__close(&c);
	/* The owner closed: the slots stayed (KEEP_SLOTS).  Attach again. */
	ASSERT_EQ(0, memplug_nl__open(&c));
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));

	ASSERT_EQ(0, reload()) {
		TH_LOG("rmmod/insmod: %s", strerror(errno));
	}
	ASSERT_TRUE(module_loaded());
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, kvm_guest__read(&g, s[i].gpa, &v));
	ASSERT_EQ(0, kvm_guest__read(&g, s[3].gpa + 8, &v));
	EXPECT_EQ(4242, v);
	genl_conn__close(&c);

	ASSERT_EQ(0, memplug_nl__open(&c));
	/* The new module did not put them there: ADOPT takes none ... */
	r.flags = MEMPLUG_ATTACH_F_ADOPT;
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));
	ASSERT_EQ(0, memplug_nl__vm_get(&c, id, &vi));
	EXPECT_EQ(0, vi.held_slots);
	EXPECT_EQ(4, vi.nr_slots);
	memplug_nl__vm_info_free(&vi);
	ASSERT_EQ(0, memplug_nl__detach(&c, id));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, kvm_guest__read(&g, s[i].gpa, &v));
	/* ... ADOPT_ANY takes them all. */
	r.flags = MEMPLUG_ATTACH_F_ADOPT_ANY;
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));
	ASSERT_EQ(0, memplug_nl__vm_get(&c, id, &vi));
	EXPECT_EQ(4, vi.held_slots);
	memplug_nl__vm_info_free(&vi);
	/* Without KEEP_SLOTS now: detach removes them. */
	ASSERT_EQ(0, memplug_nl__detach(&c, id));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(KVM_GUEST_NO_MEMORY, kvm_guest__read(&g, s[i].gpa, &v));
	genl_conn__close(&c);
	kvm_guest__destroy(&g);
	munmap(mem, NR * SLOT_SIZE);
}

TEST_HARNESS_MAIN
