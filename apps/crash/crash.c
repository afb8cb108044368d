/* crash: faults on purpose (null, readonly, stack, mprotect), to show how a program dies. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* Recurses until the stack runs into its guard page (the limit only stops a compiler's warning). */
static int depth(volatile char *previous, unsigned long limit)
{
	volatile char frame[1024];
	frame[0] = previous ? previous[0] + 1 : 0;
	if (limit == 0)
		return frame[0];
	return depth(frame, limit - 1) + frame[1];
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "null";
	printf("crash: %s\n", how);
	fflush(stdout);
	if (strcmp(how, "null") == 0)
		return *(volatile int *)0;
	if (strcmp(how, "readonly") == 0) {
		*(volatile char *)(void *)main = 0; /* program text is read-only */
		return 0;
	}
	if (strcmp(how, "stack") == 0)
		return depth(NULL, ~0ul);
	if (strcmp(how, "mprotect") == 0) {
		/* Only the middle page of three is made read-only: its neighbours stay writable. */
		char *area = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (area == MAP_FAILED || mprotect(area + 4096, 4096, PROT_READ) != 0)
			return 2;
		area[0] = area[2 * 4096] = 1;
		printf("crash: neighbours written\n");
		fflush(stdout);
		area[4096] = 1;
		return 0;
	}
	return 0;
}
