/* spawn: posix_spawn, waitpid and execve from an ordinary musl program. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int run(char *const argv[])
{
	pid_t pid;
	int err = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
	if (err) {
		printf("spawn %s: %s\n", argv[0], strerror(err));
		return err;
	}
	int status;
	if (waitpid(pid, &status, 0) != pid) {
		printf("waitpid: %s\n", strerror(errno));
		return -1;
	}
	if (WIFEXITED(status))
		printf("spawn %s: exited with %d\n", argv[0], WEXITSTATUS(status));
	else
		printf("spawn %s: killed by signal %d\n", argv[0], WTERMSIG(status));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec") == 0) {
		printf("spawn: pid %d execs echo\n", getpid());
		fflush(stdout);
		char *args[] = { "echo", "after", "exec", NULL };
		execve("echo", args, environ);
		printf("execve: %s\n", strerror(errno));
		return 1;
	}
	char *echo[] = { "echo", "spawned", "child", NULL };
	char *missing[] = { "nonexistent", NULL };
	char *crash[] = { "crash", "null", NULL };
	run(echo);
	run(missing);
	run(crash);
	run(echo);
	printf("spawn: done\n");
	return 0;
}
