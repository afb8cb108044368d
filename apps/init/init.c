/*
 * init: the first program.  Runs the program named by its arguments (or
 * the shell), reaps orphans meanwhile, says how it ended, and ends with
 * its status.
 */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
	char *shell[] = { "sh", NULL };
	char **command = argc > 1 ? argv + 1 : shell;
	pid_t pid;
	int err = posix_spawn(&pid, command[0], NULL, NULL, command, environ);
	if (err) {
		printf("init: cannot run %s: %s\n", command[0], strerror(err));
		return 1;
	}
	/* Orphans are ours to reap too (their exit notices come to init): until the command ends. */
	int status;
	for (pid_t ended; (ended = wait(&status)) != pid;)
		if (ended < 0)
			return 1;
	if (WIFEXITED(status))
		printf("init: %s exited with status %d\n", command[0], WEXITSTATUS(status));
	else
		printf("init: %s killed by signal %d\n", command[0], WTERMSIG(status));
	/* Its status is ours, as a shell's is its last command's: 128 + the signal for a kill. */
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
