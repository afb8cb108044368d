/*
 * spin: computes until a signal ends it, reading nothing: the foreground
 * job the shell session test interrupts (Ctrl-C) and stops (Ctrl-Z), whose
 * keys only the waiting shell's listening can catch.
 */
#include <stdio.h>

int main(void)
{
	printf("spin: spinning\n");
	fflush(stdout);
	for (volatile unsigned long turns = 0;; turns++)
		;
}
