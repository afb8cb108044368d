/* The test runtime (rt.h): start-up, printing, upcall defaults, the harness. */
#include "tests/user/rt/rt.h"

u64 rt_id, rt_root, rt_archive, rt_archive_size;
const char *rt_cmdline = "";
int (*rt_fault_hook)(struct exo_upcall *up);
int (*rt_syscall_hook)(struct exo_upcall *up);
i64 (*rt_light_hook)(struct exo_upcall *up);
int (*rt_light_fault_hook)(u64 far, u64 esr);

/* Console output a line at a time: one call per line, not per byte. */
static char line[256];
static u32 line_len;

static void flush_line(void)
{
	if (line_len)
		exo_cons_write(line, line_len);
	line_len = 0;
}

static void rt_putc(char ch)
{
	line[line_len++] = ch;
	if (ch == '\n' || line_len == sizeof(line))
		flush_line();
}

void rt_main_entry(u64 id, u64 root, const char *cmdline, u64 archive, u64 archive_size);
void rt_main_entry(u64 id, u64 root, const char *cmdline, u64 archive, u64 archive_size)
{
	rt_id = id;
	rt_root = root;
	rt_cmdline = cmdline;
	rt_archive = archive;
	rt_archive_size = archive_size;
	console_putc = rt_putc;
	/* The kernel starts us without upcalls: an upcall stack and our handlers first. */
	u64 stack[2];
	struct aspace self;
	as_self(&self);
	if (exo_frame_alloc(rt_id, 2, stack) != 2 || as_map(&self, CHILD_UPCALL_TOP - 8192, stack[0], PAGE_RW) ||
	    as_map(&self, CHILD_UPCALL_TOP - 4096, stack[1], PAGE_RW) ||
	    exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP, 0) < 0)
		rt_printf("utest: cannot set up upcalls\n");
	int status = main();
	flush_line();
	exo_env_exit(status);
}

void rt_child_main(int (*fn)(u64), u64 arg, u64 root);
void rt_child_main(int (*fn)(u64), u64 arg, u64 root)
{
	rt_id = (u64)exo_self();
	rt_root = root;
	line_len = 0;
	rt_fault_hook = rt_syscall_hook = NULL;
	rt_light_hook = NULL;
	rt_light_fault_hook = NULL;
	int status = fn(arg);
	flush_line();
	exo_env_exit(status);
}

struct exo_upcall *rt_on_fault(struct exo_upcall *up);
struct exo_upcall *rt_on_fault(struct exo_upcall *up)
{
	if (rt_fault_hook && rt_fault_hook(up) == 0)
		return up;
	if (up->kind == EXO_UPCALL_ALERT)
		return up; /* unasked for: go on (tests that expect one set a hook) */
	rt_printf("utest:   env %lu: unhandled %s at 0x%lx, pc 0x%lx (esr 0x%lx)\n", rt_id,
	          up->kind == EXO_UPCALL_FAULT ? "fault" : "exception", up->far, up->regs.pc, up->esr);
	flush_line();
	exo_env_exit(100 + (i64)up->kind);
}

struct exo_upcall *rt_on_syscall(struct exo_upcall *up);
struct exo_upcall *rt_on_syscall(struct exo_upcall *up)
{
	if (rt_syscall_hook && rt_syscall_hook(up) == 0)
		return up;
	up->regs.x[0] = (u64)-38; /* ENOSYS, as Linux would say */
	return up;
}

void rt_on_light_fault(u64 far, u64 esr);
void rt_on_light_fault(u64 far, u64 esr)
{
	if (rt_light_fault_hook && rt_light_fault_hook(far, esr) == 0)
		return;
	rt_printf("utest:   env %lu: unhandled light fault at 0x%lx (esr 0x%lx)\n", rt_id, far, esr);
	flush_line();
	exo_env_exit(100 + EXO_UPCALL_FAULT);
}

i64 rt_on_light(struct exo_upcall *up);
i64 rt_on_light(struct exo_upcall *up)
{
	return rt_light_hook ? rt_light_hook(up) : -38; /* ENOSYS */
}

const char *rt_svc_changed(const struct svc_frame *frame, char *why, u32 size)
{
	for (u32 i = 1; i < 31; i++)
		if (frame->x_out[i] != frame->x_in[i]) {
			ksnprintf(why, size, "x%u changed from 0x%lx to 0x%lx", i, frame->x_in[i], frame->x_out[i]);
			return why;
		}
	if (frame->sp_after != frame->sp_before || frame->nzcv_out != frame->nzcv_in) {
		ksnprintf(why, size, "sp 0x%lx -> 0x%lx, nzcv 0x%lx -> 0x%lx", frame->sp_before,
		          frame->sp_after, frame->nzcv_in, frame->nzcv_out);
		return why;
	}
	for (u32 i = 0; i < ARRAY_LEN(frame->q_in); i++)
		if (frame->q_out[i] != frame->q_in[i]) {
			ksnprintf(why, size, "q%u changed (word %u: 0x%lx -> 0x%lx)", i / 2, i % 2, frame->q_in[i],
			          frame->q_out[i]);
			return why;
		}
	return NULL;
}

const char *rt_arg(const char *key, char *buf, u32 size)
{
	u32 key_len = (u32)strlen(key);
	for (const char *at = rt_cmdline; *at;) {
		while (*at == ' ')
			at++;
		const char *end = at;
		while (*end && *end != ' ')
			end++;
		if ((u32)(end - at) > key_len && memcmp(at, key, key_len) == 0 && at[key_len] == '=') {
			u32 len = MIN((u32)(end - at - key_len - 1), size - 1);
			memcpy(buf, at + key_len + 1, len);
			buf[len] = 0;
			return buf;
		}
		at = end;
	}
	return NULL;
}

u64 rt_free_frames(u64 *problems)
{
	struct exo_check check = { 0 };
	/* A large environment's frames come back in steps: let them (the scheduler runs them as we yield). */
	for (;;) {
		i64 err = exo_debug_check(&check);
		if (err == -EXO_EPERM) {
			rt_printf("utest:   EXO_DEBUG_CHECK is closed: boot with check=call\n");
			if (problems)
				*problems = 1;
			return 0;
		}
		if (!check.releases)
			break;
		exo_yield();
	}
	if (problems)
		*problems = check.problems;
	return check.free_frames;
}

/* Exit notices that arrived while waiting for another child. */
static struct exit_notice {
	u64 env, status;
} exited[32];
static u32 nexited;

i64 rt_wait(u64 child)
{
	for (u32 i = 0; i < nexited; i++)
		if (exited[i].env == child) {
			i64 status = (i64)exited[i].status;
			exited[i] = exited[--nexited];
			return status;
		}
	struct exo_event event;
	for (;;) {
		i64 err = exo_recv(&event, 0, 0);
		if (err < 0)
			return err;
		if (event.kind != EXO_EVENT_EXIT)
			continue;
		if (event.env == child)
			return (i64)event.value;
		if (nexited < ARRAY_LEN(exited))
			exited[nexited++] = (struct exit_notice){ event.env, event.value };
	}
}

/*
 * Orphans the test left (their parent ended before them) that have ended
 * since: their notices come to us, the first environment, and taking them
 * frees their records before the frames are counted.
 */
static void take_orphan_notices(void)
{
	struct exo_event event;
	while (EXO_CALL2(EXO_SELF, EXO_SELF_ORPHANS, 0) > 0 && exo_recv(&event, EXO_RECV_NOWAIT, 0) == 0)
		if (event.kind == EXO_EVENT_EXIT && nexited < ARRAY_LEN(exited))
			exited[nexited++] = (struct exit_notice){ event.env, event.value };
}

static bool selected(const char *name, const char *only)
{
	if (!only)
		return true;
	for (const char *at = name; *at; at++)
		if (memcmp(at, only, strlen(only)) == 0)
			return true;
	return false;
}

static int trivial(u64 arg) { return (int)arg; }

#define TEST_QUOTA 8192

static int run_one(const struct rt_test *test)
{
	u64 problems;
	u64 before = rt_free_frames(NULL);
	u64 start = rt_counter();
	i64 child = rt_spawn(test->run, test->arg, TEST_QUOTA);
	i64 status = child < 0 ? child : rt_wait((u64)child);
	take_orphan_notices();
	u64 ms = (rt_counter() - start) * 1000 / rt_counter_freq();
	u64 after = rt_free_frames(&problems);
	if (status == 0 && after == before && problems == 0) {
		rt_printf("utest: PASS %s (%lu ms)\n", test->name, ms);
		return 0;
	}
	rt_printf("utest: FAIL %s: status %ld, free frames %lu before and %lu after, %lu isolation problems\n",
	          test->name, status, before, after, problems);
	return 1;
}

int rt_run_tests(const struct rt_test *tests, u32 count)
{
	char only[48];
	const char *filter = rt_arg("only", only, sizeof(only));
	/* A first spawn makes the scratch tables every later spawn reuses. */
	i64 warm = rt_spawn(trivial, 0, TEST_QUOTA);
	if (warm < 0 || rt_wait((u64)warm) != 0) {
		rt_printf("utest: FAIL spawn: cannot start a child (%ld)\n", warm);
		return 1;
	}
	u32 passed = 0, failed = 0;
	for (u32 i = 0; i < count; i++) {
		if (!selected(tests[i].name, filter))
			continue;
		if (run_one(&tests[i]) == 0)
			passed++;
		else
			failed++;
	}
	rt_printf("utest: %u passed, %u failed\n", passed, failed);
	return failed != 0;
}

void as_self(struct aspace *as) { as_self_of(as, rt_id, rt_root); }

u64 rt_map_fresh(u64 va)
{
	struct aspace self;
	as_self(&self);
	return as_map_fresh(&self, va);
}
