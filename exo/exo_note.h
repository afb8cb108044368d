/*
 * exo's ELF note, for assembly: a program that carries it is exo-native
 * (linked with libos, or the kernel's test runtime) and starts itself; the
 * kernel and execve start any other static executable through libos's
 * loader (exo/elf.h: ELF_NOTE_NAME, ELF_NOTE_LIBOS).
 */
#ifndef EXO_EXO_NOTE_H
#define EXO_EXO_NOTE_H

#define EXO_NATIVE_NOTE                                                                            \
	.pushsection .note.exo, "a", %note;                                                        \
	.p2align 2;                                                                                \
	.long 4; /* name size: "exo" and its NUL */                                                \
	.long 0; /* no descriptor */                                                               \
	.long 1; /* ELF_NOTE_LIBOS */                                                              \
	.asciz "exo";                                                                              \
	.popsection

#endif
