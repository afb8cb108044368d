/*
 * sh: a small interactive shell.  Reads a line, runs the program it names
 * from the boot archive with its arguments (posix_spawn), waits, and says
 * how a program ended when it did not end well.  Builtins: exit, cd.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORDS 32

extern char **environ;
static int last_status;

static int split(char *line, char **words)
{
	int count = 0;
	for (char *word = strtok(line, " \t\n"); word && count < MAX_WORDS; word = strtok(NULL, " \t\n"))
		words[count++] = word;
	words[count] = NULL;
	return count;
}

static void report(const char *name, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status))
		printf("sh: %s: exit %d\n", name, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("sh: %s: killed by signal %d%s\n", name, WTERMSIG(status),
		       WTERMSIG(status) == 11 ? " (segmentation fault)" : "");
}

static void run(char **words)
{
	pid_t pid;
	int err = posix_spawn(&pid, words[0], NULL, NULL, words, environ);
	if (err) {
		printf("sh: %s: %s\n", words[0], err == ENOENT ? "not found" : strerror(err));
		last_status = 127 << 8;
		return;
	}
	if (waitpid(pid, &last_status, 0) != pid) {
		printf("sh: waitpid: %s\n", strerror(errno));
		return;
	}
	report(words[0], last_status);
}

int main(void)
{
	char line[256];
	char *words[MAX_WORDS + 1];
	for (;;) {
		printf("exo$ ");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin)) {
			printf("\n");
			break;
		}
		if (split(line, words) == 0)
			continue;
		if (strcmp(words[0], "exit") == 0)
			return words[1] ? atoi(words[1]) : WEXITSTATUS(last_status);
		if (strcmp(words[0], "cd") == 0) {
			if (chdir(words[1] ? words[1] : "/") < 0)
				printf("sh: cd: %s\n", strerror(errno));
			continue;
		}
		run(words);
	}
	return 0;
}
