/*
 * sh: a small interactive shell.  Reads a line (edited here in raw mode
 * when the input is the terminal: arrow keys move and recall history,
 * Ctrl-C drops the line, Ctrl-D on an empty line ends), splits it into
 * words ('single' and "double" quotes, backslash escapes), runs the
 * programs it names from the boot archive (fork and exec), joined by pipes
 * for `a | b | c`, each pipeline a job in its own process group in the
 * terminal's foreground: Ctrl-C interrupts it, Ctrl-Z stops it (`fg`
 * continues it).  Says how a program ended when it did not end well.
 * `NAME=VALUE prog` adds to prog's environment.  Builtins: exit, cd, fg.
 * Limits are said, never silently applied.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MAX_LINE 1024
#define MAX_WORDS 64
#define MAX_STAGES 8
#define MAX_ENV 128
#define HISTORY 32

extern char **environ;
static int last_status;
static bool interactive; /* the input is the terminal: line editing and job control */
static struct termios cooked_mode;

/* --- Words --- */

/*
 * Split line into words (copied to `space`, twice the line's size at
 * most): blanks separate, quotes and backslashes protect, an unquoted `|`
 * is a word of its own (is_pipe marks it).  The count, or -1 with a message.
 */
static int split(const char *line, char *space, char **words, bool *is_pipe)
{
	int count = 0;
	const char *in = line;
	char *out = space;
	while (*in) {
		while (*in == ' ' || *in == '\t' || *in == '\n')
			in++;
		if (!*in)
			break;
		if (count == MAX_WORDS) {
			printf("sh: too many words (at most %d)\n", MAX_WORDS);
			return -1;
		}
		is_pipe[count] = *in == '|';
		words[count++] = out;
		if (*in == '|') {
			in++, *out++ = '|', *out++ = '\0';
			continue;
		}
		char quote = 0;
		for (; *in && (quote || !strchr(" \t\n|", *in)); in++) {
			if (quote && *in == quote) {
				quote = 0;
			} else if (!quote && (*in == '\'' || *in == '"')) {
				quote = *in;
			} else if (*in == '\\' && quote != '\'' && in[1]) {
				*out++ = *++in;
			} else {
				*out++ = *in;
			}
		}
		if (quote) {
			printf("sh: no closing %c\n", quote);
			return -1;
		}
		*out++ = '\0';
	}
	words[count] = NULL;
	return count;
}

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

/* --- Jobs --- */

static void report(const char *name, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status))
		printf("sh: %s: exit %d\n", name, WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGINT)
		printf("\n"); /* Ctrl-C: the terminal echoed ^C; the prompt goes on a line of its own */
	else if (WIFSIGNALED(status))
		printf("sh: %s: killed by signal %d%s\n", name, WTERMSIG(status),
		       WTERMSIG(status) == SIGSEGV ? " (segmentation fault)" : "");
}

/* A stopped job, for fg: its group and the programs still to wait for. */
static struct {
	pid_t pgid;
	pid_t pids[MAX_STAGES];
	char names[MAX_STAGES][32];
	int count;
} stopped;

/* The job-control signals the shell ignores, back to their defaults for a program. */
static void default_job_signals(void)
{
	for (int sig = SIGINT; sig <= SIGTTOU; sig++)
		if (sig == SIGINT || sig == SIGQUIT || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
			signal(sig, SIG_DFL);
}

/*
 * One stage, forked: in group pgid (0: a new one, its own), the terminal's
 * foreground if it leads the job (taken by the child itself, before it
 * runs anything that could read: SIGTTOU is still ignored then), its input
 * and output from the pipes around it, then the program.
 */
static pid_t spawn_stage(char **argv, int in, int out, pid_t pgid, int close_fd)
{
	char *env_space[MAX_ENV + 1];
	char **env = stage_env(&argv, env_space);
	if (!argv[0]) {
		printf("sh: no program after the assignments\n");
		return -1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		printf("sh: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (interactive) {
			setpgid(0, pgid);
			if (pgid == 0)
				tcsetpgrp(0, getpid());
			default_job_signals();
		}
		if (close_fd >= 0)
			close(close_fd); /* the next stage's end of our output pipe */
		if (in != 0)
			dup2(in, 0), close(in);
		if (out != 1)
			dup2(out, 1), close(out);
		execve(argv[0], argv, env);
		printf("sh: %s: %s\n", argv[0], errno == ENOENT ? "not found" : strerror(errno));
		fflush(stdout);
		_exit(127);
	}
	if (interactive)
		setpgid(pid, pgid ? pgid : pid); /* ours too, as every shell does: whichever runs first */
	return pid;
}

/* The stopped job, if one is kept, ended (the shell keeps one: a newer stop takes its place), said so. */
static void drop_stopped(void)
{
	if (!stopped.count)
		return;
	printf("sh: %s: killed (a newer job stopped; sh keeps one stopped job)\n", stopped.names[0]);
	kill(-stopped.pgid, SIGKILL);
	kill(-stopped.pgid, SIGCONT);
	for (int i = 0; i < stopped.count; i++)
		waitpid(stopped.pids[i], NULL, 0);
	stopped.count = 0;
}

/* Wait for a job in the foreground; a stop keeps it for fg. */
static void wait_job(pid_t pgid, pid_t *pids, char names[][32], int count)
{
	if (interactive && pgid > 0)
		tcsetpgrp(0, pgid); /* (its leader has taken it already, unless it ended first) */
	for (int i = 0; i < count; i++) {
		if (pids[i] < 0 || waitpid(pids[i], &last_status, WUNTRACED) != pids[i])
			continue;
		if (WIFSTOPPED(last_status)) {
			drop_stopped(); /* one stopped job at a time */
			stopped.pgid = pgid, stopped.count = 0;
			for (int j = i; j < count; j++) {
				stopped.pids[stopped.count] = pids[j];
				memcpy(stopped.names[stopped.count++], names[j], 32);
			}
			printf("\nsh: stopped: %s (fg continues it)\n", names[i]);
			break;
		}
		report(names[i], last_status);
	}
	if (interactive) {
		tcsetpgrp(0, getpgrp()); /* the terminal back (SIGTTOU is ignored here) */
		tcsetattr(0, TCSADRAIN, &cooked_mode);
	}
}

static void fg(void)
{
	if (!stopped.count) {
		printf("sh: fg: no stopped job\n");
		return;
	}
	pid_t pids[MAX_STAGES];
	char names[MAX_STAGES][32];
	int count = stopped.count;
	memcpy(pids, stopped.pids, sizeof(pids));
	memcpy(names, stopped.names, sizeof(names));
	stopped.count = 0;
	printf("%s\n", names[0]);
	tcsetpgrp(0, stopped.pgid);
	kill(-stopped.pgid, SIGCONT);
	wait_job(stopped.pgid, pids, names, count);
}

static void run(char **words, const bool *is_pipe, int nwords)
{
	char **stages[MAX_STAGES];
	int count = 0;
	stages[count++] = words;
	for (int i = 0; i < nwords; i++) {
		if (!is_pipe[i])
			continue;
		if (count == MAX_STAGES) {
			printf("sh: too many pipeline stages (at most %d)\n", MAX_STAGES);
			return;
		}
		words[i] = NULL;
		stages[count++] = &words[i + 1];
	}
	pid_t pids[MAX_STAGES], pgid = 0;
	char names[MAX_STAGES][32];
	int in = 0;
	for (int i = 0; i < count; i++) {
		int pipe_fds[2] = { -1, 1 };
		if (i + 1 < count && pipe(pipe_fds) < 0) {
			printf("sh: pipe: %s\n", strerror(errno));
			count = i;
			break;
		}
		char **name = stages[i];
		while (*name && is_assignment(*name))
			name++;
		snprintf(names[i], sizeof(names[i]), "%s", *name ? *name : "");
		pids[i] = stages[i][0] ? spawn_stage(stages[i], in, pipe_fds[1], pgid, pipe_fds[0]) : -1;
		if (pgid == 0 && pids[i] > 0)
			pgid = pids[i]; /* the first stage leads the job's group */
		if (in != 0)
			close(in);
		if (pipe_fds[1] != 1)
			close(pipe_fds[1]);
		in = pipe_fds[0];
	}
	if (in > 0)
		close(in);
	wait_job(pgid, pids, names, count);
}

/* --- Reading a line --- */

static char history[HISTORY][MAX_LINE];
static int history_count;

static void remember(const char *line)
{
	if (!line[0] || (history_count && strcmp(history[(history_count - 1) % HISTORY], line) == 0))
		return;
	snprintf(history[history_count++ % HISTORY], MAX_LINE, "%s", line);
}

/* The line again from the prompt on, the cursor at pos. */
static void redraw(const char *prompt, const char *line, int len, int pos)
{
	printf("\r%s%.*s\x1b[K", prompt, len, line);
	if (len > pos)
		printf("\x1b[%dD", len - pos);
	fflush(stdout);
}

/* An escape sequence's final byte (ESC [ params X: an arrow is A-D), or 0; the whole sequence is read. */
static int arrow(void)
{
	char ch;
	if (read(0, &ch, 1) != 1 || ch != '[')
		return 0;
	while (read(0, &ch, 1) == 1)
		if (ch >= 0x40 && ch <= 0x7e)
			return ch; /* parameters (digits, ';') are passed over */
	return 0;
}

/* Edit a line in raw mode; false at the end of input.  Ctrl-C drops what was typed. */
static bool edit_line(const char *prompt, char *line)
{
	struct termios raw = cooked_mode;
	raw.c_lflag &= ~(ICANON | ECHO | ISIG);
	raw.c_iflag &= ~ICRNL;
	tcsetattr(0, TCSADRAIN, &raw);
	int len = 0, pos = 0, recall = history_count;
	bool too_long = false, more = true;
	printf("%s", prompt);
	fflush(stdout);
	for (;;) {
		char ch;
		if (read(0, &ch, 1) != 1 || (ch == 4 && len == 0)) {
			more = false;
			break;
		}
		if (ch == '\r' || ch == '\n')
			break;
		if (ch == 3) { /* Ctrl-C: a fresh line */
			printf("^C\n%s", prompt);
			fflush(stdout);
			len = pos = 0, too_long = false;
			continue;
		} else if ((ch == 127 || ch == 8) && pos > 0) {
			bool at_end = pos == len;
			memmove(line + pos - 1, line + pos, (size_t)(len - pos));
			len--, pos--;
			if (at_end) { /* the common case, drawn as a terminal would */
				printf("\b \b");
				fflush(stdout);
				continue;
			}
		} else if (ch == 27) {
			int key = arrow();
			if (key == 'D' && pos > 0)
				pos--;
			else if (key == 'C' && pos < len)
				pos++;
			else if ((key == 'A' && recall > 0 && recall > history_count - HISTORY) ||
			         (key == 'B' && recall < history_count)) {
				recall += key == 'A' ? -1 : 1;
				const char *from = recall < history_count ? history[recall % HISTORY] : "";
				len = pos = (int)strlen(from);
				memcpy(line, from, (size_t)len);
			}
		} else if ((unsigned char)ch >= ' ' && ch != 127) {
			if (len == MAX_LINE - 1) {
				too_long = true;
				continue;
			}
			bool at_end = pos == len;
			memmove(line + pos + 1, line + pos, (size_t)(len - pos));
			line[pos++] = ch, len++;
			if (at_end) {
				putchar(ch);
				fflush(stdout);
				continue;
			}
		}
		redraw(prompt, line, len, pos);
	}
	printf("\n");
	line[len] = '\0';
	tcsetattr(0, TCSADRAIN, &cooked_mode);
	if (too_long) {
		printf("sh: line too long (at most %d characters): not run\n", MAX_LINE - 1);
		line[0] = '\0';
	}
	return more || len;
}

/* A line from a file or pipe (no editing): false at the end; an over-long one is refused whole. */
static bool plain_line(const char *prompt, char *line)
{
	printf("%s", prompt);
	fflush(stdout);
	if (!fgets(line, MAX_LINE, stdin))
		return false;
	if (!strchr(line, '\n') && !feof(stdin)) {
		printf("sh: line too long (at most %d characters): not run\n", MAX_LINE - 2);
		for (int ch; (ch = getchar()) != EOF && ch != '\n';)
			;
		line[0] = '\0';
	}
	return true;
}

/* Job control: our own group in the terminal's foreground; the signals for jobs ignored here. */
static void take_terminal(void)
{
	interactive = tcgetattr(0, &cooked_mode) == 0;
	if (!interactive)
		return;
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	setpgid(0, 0);
	tcsetpgrp(0, getpgrp());
}

int main(void)
{
	static char line[MAX_LINE], space[2 * MAX_LINE];
	char *words[MAX_WORDS + 1];
	bool is_pipe[MAX_WORDS + 1];
	take_terminal();
	for (;;) {
		if (!(interactive ? edit_line("exo$ ", line) : plain_line("exo$ ", line))) {
			printf("\n");
			break;
		}
		if (interactive)
			remember(line);
		int count = split(line, space, words, is_pipe);
		if (count <= 0)
			continue;
		if (strcmp(words[0], "exit") == 0)
			return words[1] ? atoi(words[1]) : WEXITSTATUS(last_status);
		if (strcmp(words[0], "cd") == 0) {
			if (chdir(words[1] ? words[1] : "/") < 0)
				printf("sh: cd: %s\n", strerror(errno));
			continue;
		}
		if (strcmp(words[0], "fg") == 0) {
			fg();
			continue;
		}
		run(words, is_pipe, count);
	}
	return 0;
}
