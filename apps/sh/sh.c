/*
 * sh: a small interactive shell.  Reads a line, runs the programs it names
 * from the boot archive with their arguments (posix_spawn), joined by pipes
 * for `a | b | c`, waits, and says how a program ended when it did not end
 * well.  Builtins: exit, cd.
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

#define MAX_STAGES 8

/* Spawn one stage with its standard input and output from the pipes around it. */
static pid_t spawn_stage(char **argv, int in, int out)
{
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	if (in != 0) {
		posix_spawn_file_actions_adddup2(&actions, in, 0);
		posix_spawn_file_actions_addclose(&actions, in);
	}
	if (out != 1) {
		posix_spawn_file_actions_adddup2(&actions, out, 1);
		posix_spawn_file_actions_addclose(&actions, out);
	}
	pid_t pid;
	int err = posix_spawn(&pid, argv[0], &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (err) {
		printf("sh: %s: %s\n", argv[0], err == ENOENT ? "not found" : strerror(err));
		last_status = 127 << 8;
		return -1;
	}
	return pid;
}

static void run(char **words)
{
	char **stages[MAX_STAGES];
	int count = 0;
	stages[count++] = words;
	for (char **word = words; *word && count < MAX_STAGES; word++)
		if (strcmp(*word, "|") == 0) {
			*word = NULL;
			stages[count++] = word + 1;
		}
	pid_t pids[MAX_STAGES];
	int in = 0;
	for (int i = 0; i < count; i++) {
		int pipe_fds[2] = { -1, 1 };
		if (i + 1 < count && pipe(pipe_fds) < 0) {
			printf("sh: pipe: %s\n", strerror(errno));
			break;
		}
		pids[i] = stages[i][0] ? spawn_stage(stages[i], in, pipe_fds[1]) : -1;
		if (in != 0)
			close(in);
		if (pipe_fds[1] != 1)
			close(pipe_fds[1]);
		in = pipe_fds[0];
	}
	if (in > 0)
		close(in);
	for (int i = 0; i < count; i++) {
		if (pids[i] < 0 || waitpid(pids[i], &last_status, 0) != pids[i])
			continue;
		report(stages[i][0], last_status);
	}
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
