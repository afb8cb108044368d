/*
 * profmark on|off: opens or closes a profiling window of tools/prof/exoprof.c
 * (the hints #0x7e and #0x7f, no-ops without the plugin), so that a shell
 * script can profile what runs between two of its lines, in every process
 * and in the kernel: tools/profile.py --shell.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "on"))
		__asm__ volatile("hint #0x7e" ::: "memory");
	else if (argc == 2 && !strcmp(argv[1], "off"))
		__asm__ volatile("hint #0x7f" ::: "memory");
	else {
		fprintf(stderr, "usage: profmark on|off\n");
		return 2;
	}
	return 0;
}
