/* The fake machine (arch/fake/fake.c): what host tests set up and look at. */
#ifndef ARCH_FAKE_FAKE_H
#define ARCH_FAKE_FAKE_H

#include "exo/env.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/memmap.h"
#include "exo/tlb.h"

#define FAKE_RAM_BASE 0x40000000ull

struct fake_machine {
	u8 *ram;
	struct frame *records;
	u64 counter;   /* the generic timer: moves only when told */
	u64 tlb_ops;   /* invalidations issued */
	u64 root;      /* TTBR0 as last set */
	u16 asid;
	u64 exits;
	bool quiet;    /* no kernel messages on stdout */
	void (*on_exit)(enum exit_status status); /* machine_exit: must not return to the kernel */
};
extern struct fake_machine fake;

/* A fresh machine with this many frames of RAM (frame 0 reserved), no environments. */
void fake_boot(u64 frames);

#endif
