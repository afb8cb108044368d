/*
 * Building the first environment.  Its address space at entry:
 *   ELF segments where the ELF says (below BOOT_ARCHIVE_VA);
 *   the boot archive (initrd), read-only, at BOOT_ARCHIVE_VA;
 *   BOOT_STACK_PAGES of stack below BOOT_STACK_TOP, the command line at its top.
 * Registers: x0 its id, x1 its root table, x2 the command line, x3/x4 the
 * archive's address and size, sp just below the command line.
 */
#ifndef EXO_BOOT_ENV_H
#define EXO_BOOT_ENV_H

#include "exo/bootinfo.h"

#define BOOT_ARCHIVE_VA 0x0000100000000000ull
#define BOOT_STACK_TOP 0x0000800000000000ull
/* libos's loader: what starts an init= program without exo's ELF note (exo/elf.h). */
#define BOOT_LOADER_NAME "lib/exo/loader"
#define BOOT_STACK_PAGES 16

void boot_first_env(const struct boot_info *boot, const char *name);

#endif
