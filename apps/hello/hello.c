/* An ordinary C program: stdio with floating point, and the heap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	printf("hello from %s on exo (%d argument%s)\n", argv[0], argc - 1, argc == 2 ? "" : "s");
	for (int i = 1; i < argc; i++)
		printf("  argv[%d] = \"%s\"\n", i, argv[i]);
	double sum = 0;
	for (int i = 1; i <= 10; i++)
		sum += 1.0 / i;
	printf("the 10th harmonic number is %.6f\n", sum);
	size_t total = 0;
	for (int round = 0; round < 100; round++) {
		size_t size = (size_t)(round + 1) * 1000;
		char *block = malloc(size);
		if (!block) {
			printf("malloc(%zu) failed\n", size);
			return 1;
		}
		memset(block, round, size);
		total += size;
		free(block);
	}
	char *big = malloc(4 << 20);
	if (!big)
		return 2;
	big[(4 << 20) - 1] = 1;
	free(big);
	printf("malloc/free of %zu bytes and one 4 MiB block: ok\n", total);
	return 0;
}
