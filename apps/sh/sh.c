/*
 * sh: a small interactive shell.  Reads a line, runs the programs it names
 * from the boot archive with their arguments (posix_spawn), joined by pipes
 * for `a | b | c`, waits, and says how a program ended when it did not end
 * well.  `NAME=VALUE prog` adds to prog's environment (`EXO_STRACE=1 cat
 * welcome.txt`).  Builtins: exit, cd.
 */
#include <errno.h>
#include <spawn.h>
#include <stdbool.h>
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
#define MAX_ENV 128

static bool is_assignment(const char *word) { return word[0] != '=' && strchr(word, '=') != NULL; }

/* Is `entry` (NAME=...) overridden by one of the first `count` assignments? */
static bool overridden(char **assigned, int count, const char *entry)
{
	size_t name = strcspn(entry, "=") + 1;
	for (int i = 0; i < count; i++)
		if (strncmp(assigned[i], entry, name) == 0)
			return true;
	return false;
}

/*
 * A stage's leading NAME=VALUE words, taken off its arguments, and then
 * our environment less the names they set: the program's environment.
 */
static char **stage_env(char ***argv, char **env)
{
	int assigned = 0, count = 0;
	while (**argv && is_assignment(**argv) && assigned < MAX_ENV / 2)
		env[assigned++] = *(*argv)++;
	count = assigned;
	for (char **entry = environ; *entry && count < MAX_ENV; entry++)
		if (!overridden(env, assigned, *entry))
			env[count++] = *entry;
	env[count] = NULL;
	return env;
}

/* Spawn one stage with its standard input and output from the pipes around it. */
static pid_t spawn_stage(char **argv, int in, int out)
{
	char *env_space[MAX_ENV + 1];
	char **env = stage_env(&argv, env_space);
	if (!argv[0]) {
		printf("sh: no program after the assignments\n");
		return -1;
	}
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
	int err = posix_spawn(&pid, argv[0], &actions, NULL, argv, env);
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
		char **name = stages[i];
		while (*name && is_assignment(*name))
			name++;
		report(*name, last_status);
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
