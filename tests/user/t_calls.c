/*
 * The exokernel calls' happy paths, each test in its own child environment
 * (frames counted and the isolation checker run after each by the harness).
 */
#include "tests/user/rt/rt.h"

#define DATA_VA 0x0000020000000000ull

static int null_and_self(u64 arg)
{
	(void)arg;
	T_EQ(exo_null(), 0);
	T_EQ(exo_self(), rt_id);
	struct exo_env_info info;
	T_EQ(exo_env_info(rt_id, &info), 0);
	T_EQ(exo_parent(), info.parent);
	T_EQ(EXO_CALL1(EXO_SELF, EXO_SELF_NOTICE_TO), info.parent); /* not an orphan: the parent */
	T_EQ(info.notice_to, info.parent);
	T_EQ(EXO_CALL2(EXO_SELF, EXO_SELF_ORPHANS, 0), 0);        /* only the first adopts */
	T_EQ(EXO_CALL2(EXO_SELF, EXO_SELF_ORPHANS, rt_id), 0);
	T_EQ(EXO_CALL1(EXO_SELF, 4), -EXO_EINVAL);
	T_EQ(EXO_CALL0(EXO_NCALLS), -EXO_ENOSYS);
	T_EQ(EXO_CALL0(9999), -EXO_ENOSYS);
	return 0;
}

static int clock_and_console(u64 arg)
{
	(void)arg;
	i64 first = exo_clock(), second = exo_clock();
	T_CHECK(first > 0 && second >= first, "clock went %ld then %ld", first, second);
	static const char text[] = "utest:   (console output from a test)\n";
	T_EQ(exo_cons_write(text, sizeof(text) - 1), sizeof(text) - 1);
	char buf[8];
	T_CHECK(exo_cons_read(buf, sizeof(buf)) >= 0, "console read failed");
	return 0;
}

static int env_info(u64 arg)
{
	(void)arg;
	struct exo_env_info info;
	T_EQ(exo_env_info(rt_id, &info), 0);
	T_EQ(info.id, rt_id);
	T_EQ(info.root, rt_root);
	T_EQ(info.status, EXO_ENV_RUNNABLE);
	T_CHECK(info.used > 0 && info.used <= info.quota, "used %lu of %lu", info.used, info.quota);
	T_CHECK(info.asid != 0, "running with ASID 0");
	return 0;
}

/* Allocation gives distinct zeroed frames counted against the quota; free gives them back. */
static int frames_alloc_free(u64 arg)
{
	(void)arg;
	struct exo_env_info before, during;
	u64 frames[16];
	exo_env_info(rt_id, &before);
	T_EQ(exo_frame_alloc(rt_id, 16, frames), 16);
	exo_env_info(rt_id, &during);
	T_EQ(during.used, before.used + 16);
	struct aspace self;
	as_self(&self);
	for (int i = 0; i < 16; i++) {
		for (int j = 0; j < i; j++)
			T_CHECK(frames[i] != frames[j], "frame 0x%lx twice", frames[i]);
		T_EQ(as_map(&self, DATA_VA, frames[i], PAGE_RW), 0);
		const u64 *words = (const u64 *)DATA_VA;
		for (int w = 0; w < 512; w++)
			T_CHECK(words[w] == 0, "frame 0x%lx word %d not zero", frames[i], w);
		((u64 *)DATA_VA)[0] = 0xfeedface; /* dirty it: the next owner must not see this */
		T_EQ(as_unmap(&self, DATA_VA), 0);
	}
	T_EQ(exo_frame_free(frames, 16), 0);
	T_EQ(exo_frame_free(frames, 1), -EXO_EPERM); /* free now: not ours to free again */
	return 0;
}

/* The same frames come back zeroed to the next allocation (confidentiality). */
static int frames_reused_are_zeroed(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	for (int round = 0; round < 2; round++) {
		u64 frame;
		T_EQ(exo_frame_alloc(rt_id, 1, &frame), 1);
		T_EQ(as_map(&self, DATA_VA, frame, PAGE_RW), 0);
		T_EQ(((u64 *)DATA_VA)[7], 0);
		((u64 *)DATA_VA)[7] = 0x5ec2e7;
		T_EQ(as_unmap(&self, DATA_VA), 0);
		T_EQ(exo_frame_free(&frame, 1), 0);
	}
	return 0;
}

/* Map, write, read back; the window shows the entry we wrote. */
static int map_and_window(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	u64 frame = rt_map_fresh(DATA_VA);
	T_CHECK(frame, "no fresh frame at DATA_VA");
	*(volatile u64 *)DATA_VA = 0x1234;
	T_EQ(*(volatile u64 *)DATA_VA, 0x1234);
	T_EQ(as_lookup_self(DATA_VA), frame | PAGE_RW);
	/* The root through the window: its own window slot points at itself. */
	T_EQ(exo_window_l0()[EXO_PT_WINDOW_SLOT] & EXO_PTE_ADDR_MASK, rt_root);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(as_lookup_self(DATA_VA), 0);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

/* A page-table frame may be mapped read-only and reads as the table. */
static int table_mapped_read_only(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	i64 table = as_table(&self, 3, DATA_VA, true);
	T_CHECK(table > 0, "no table: %ld", table);
	u64 frame = rt_map_fresh(DATA_VA);
	T_CHECK(frame, "no fresh frame at DATA_VA");
	T_EQ(as_map(&self, DATA_VA + 4096, (u64)table, PAGE_RO), 0);
	const u64 *entries = (const u64 *)(DATA_VA + 4096);
	T_EQ(entries[exo_pt_index(3, DATA_VA)], frame | PAGE_RW);
	T_EQ(as_unmap(&self, DATA_VA + 4096), 0);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

/* A fault handler that maps the page and resumes: demand paging. */
static u64 demand_frame, faults_seen;
static int map_on_fault(struct exo_upcall *up)
{
	faults_seen++;
	if (up->kind != EXO_UPCALL_FAULT || (up->far & ~4095ull) != DATA_VA)
		return -1;
	struct aspace self;
	as_self(&self);
	return as_map(&self, DATA_VA, demand_frame, PAGE_RW);
}

static int fault_upcall_maps_page(u64 arg)
{
	(void)arg;
	T_EQ(exo_frame_alloc(rt_id, 1, &demand_frame), 1);
	rt_fault_hook = map_on_fault;
	volatile u64 *word = (u64 *)(DATA_VA + 64);
	*word = 77; /* faults, the handler maps, the store is retried */
	T_EQ(*word, 77);
	T_EQ(faults_seen, 1);
	struct aspace self;
	as_self(&self);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&demand_frame, 1), 0);
	return 0;
}

/* A handler that changes registers: skip the faulting load and set x0 (via pc + 4). */
static int skip_and_set(struct exo_upcall *up)
{
	up->regs.pc += 4;
	up->regs.x[1] = 0xabc;
	return 0;
}

static int fault_upcall_changes_registers(u64 arg)
{
	(void)arg;
	rt_fault_hook = skip_and_set;
	u64 result;
	__asm__ volatile("mov x1, #5\n mov x2, #0\n ldr x2, [x2]\n mov %0, x1" : "=r"(result) : : "x1", "x2", "memory");
	T_EQ(result, 0xabc);
	return 0;
}

/* svc #0 goes to the system-call handler, with the arguments and number; x0 comes back. */
static int fake_linux(struct exo_upcall *up)
{
	if (up->kind != EXO_UPCALL_SYSCALL || up->regs.x[8] != 172)
		return -1;
	up->regs.x[0] = up->regs.x[1] + up->regs.x[2];
	return 0;
}

static int svc0_reflected(u64 arg)
{
	(void)arg;
	rt_syscall_hook = fake_linux;
	register u64 x0 __asm__("x0") = 0;
	register u64 x1 __asm__("x1") = 40;
	register u64 x2 __asm__("x2") = 2;
	register u64 x8 __asm__("x8") = 172;
	register u64 x19 __asm__("x19") = 0x1919;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x8), "r"(x19) : "memory");
	T_EQ(x0, 42);
	T_EQ(x19, 0x1919);
	return 0;
}

/* Upcalls nest: a fault handler may make a reflected system call (depth 2) and return. */
static u64 nested_answer, nested_depth;
static int fault_calls_linux(struct exo_upcall *up)
{
	register u64 x0 __asm__("x0") = 0;
	register u64 x1 __asm__("x1") = 20;
	register u64 x2 __asm__("x2") = 22;
	register u64 x8 __asm__("x8") = 172;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x8) : "memory");
	nested_answer = x0;
	nested_depth = up->depth;
	up->regs.pc += 4;
	return 0;
}

static u64 syscall_depth;
static int fake_linux_depth(struct exo_upcall *up)
{
	syscall_depth = up->depth;
	return fake_linux(up);
}

static int nested_upcalls(u64 arg)
{
	(void)arg;
	rt_fault_hook = fault_calls_linux;
	rt_syscall_hook = fake_linux_depth;
	__asm__ volatile("mov x9, #0x2000\n ldr x9, [x9]" ::: "x9", "memory");
	T_EQ(nested_answer, 42);
	T_EQ(nested_depth, 1);
	T_EQ(syscall_depth, 2);
	return 0;
}

/*
 * Light system calls (EXO_UPCALL_LIGHT).  The barest handler adds x1 and x2
 * into x0 and returns: everything else the program sees again must be what
 * it had, kept by the kernel (sp, pc, flags) or untouched (the rest).
 */
void bare_light_handler(void);
__asm__(".text\n.globl bare_light_handler\nbare_light_handler:\n"
        "	add x0, x1, x2\n	svc #2\n	brk #6\n");
_Static_assert(EXO_SVC_SYSRET == 2, "bare_light_handler says svc #2");

static i64 go_light(void (*entry)(void))
{
	return exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)entry, CHILD_UPCALL_TOP, EXO_UPCALL_LIGHT);
}

static int light_svc0_keeps_registers(u64 arg)
{
	(void)arg;
	static struct svc_frame frame;
	T_EQ(go_light(bare_light_handler), 0);
	for (u32 round = 0; round < 4; round++) {
		for (u32 i = 0; i < 31; i++)
			frame.x_in[i] = 0x0123456789abcdefull * (i + 1) + round;
		frame.x_in[1] = 40, frame.x_in[2] = 2 + round;
		frame.nzcv_in = (u64)(round * 5 % 16) << 28; /* flags the handler does not see */
		for (u32 i = 0; i < ARRAY_LEN(frame.q_in); i++)
			frame.q_in[i] = ~0ull / (i + 3) + round;
		rt_svc0_all(&frame);
		char why[96];
		T_EQ(frame.x_out[0], 42 + round);
		const char *changed = rt_svc_changed(&frame, why, sizeof(why));
		T_CHECK(!changed, "round %u: %s", round, changed);
	}
	return 0;
}

/* A C handler: where the call came from, a fault inside it, then the sum. */
static u64 origin_pc, origin_sp;
static i64 origin_bad;
static i64 light_sum(struct exo_upcall *up)
{
	struct exo_regs regs;
	if (exo_syscall_origin(&regs) < 0)
		return -1;
	origin_pc = regs.pc, origin_sp = regs.sp;
	origin_bad = exo_syscall_origin((struct exo_regs *)0x10); /* nothing mapped there */
	*(volatile u64 *)(DATA_VA + 8) = 5; /* a fault upcall nested in the light call */
	return (i64)(up->regs.x[1] + up->regs.x[2]);
}

static int light_syscall_origin_and_fault(u64 arg)
{
	(void)arg;
	T_EQ(exo_frame_alloc(rt_id, 1, &demand_frame), 1);
	rt_fault_hook = map_on_fault;
	rt_light_hook = light_sum;
	T_EQ(go_light(rt_light_entry), 0);
	register u64 x0 __asm__("x0") = 0;
	register u64 x1 __asm__("x1") = 40;
	register u64 x2 __asm__("x2") = 2;
	register u64 x8 __asm__("x8") = 172;
	u64 pc_after, sp_at;
	__asm__ volatile("mov %1, sp\n adr %2, 1f\n svc #0\n1:"
	                 : "+r"(x0), "=&r"(sp_at), "=&r"(pc_after)
	                 : "r"(x1), "r"(x2), "r"(x8)
	                 : "memory");
	T_EQ(x0, 42);
	T_EQ(origin_pc, pc_after);
	T_EQ(origin_sp, sp_at);
	T_EQ(origin_bad, -EXO_EFAULT);
	T_EQ(faults_seen, 1);
	T_EQ(*(volatile u64 *)(DATA_VA + 8), 5);
	struct exo_regs regs;
	T_EQ(exo_syscall_origin(&regs), -EXO_EINVAL); /* no light call in progress now */
	struct aspace self;
	as_self(&self);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&demand_frame, 1), 0);
	return 0;
}

/* EXO_UPCALL_RETURN from a light handler resumes its record instead, and ends the call. */
static u64 resume_at;
static i64 light_redirect(struct exo_upcall *up)
{
	struct exo_upcall record = *up;
	exo_syscall_origin(&record.regs);
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(record.regs.tp));
	record.regs.pc = resume_at;
	record.regs.x[0] = 7;
	return exo_upcall_return(&record); /* only on failure */
}

static int light_upcall_return_redirects(u64 arg)
{
	(void)arg;
	rt_light_hook = light_redirect;
	T_EQ(go_light(rt_light_entry), 0);
	register u64 x0 __asm__("x0") = 0;
	register u64 x8 __asm__("x8") = 172;
	__asm__ volatile("adr x9, 1f\n str x9, [%2]\n svc #0\n mov x0, #99\n1:"
	                 : "+r"(x0) : "r"(x8), "r"(&resume_at) : "x9", "memory");
	T_EQ(x0, 7);
	/* The light call ended: the next svc #0 is light again (nested, it would be killed). */
	rt_light_hook = light_sum;
	T_EQ(exo_frame_alloc(rt_id, 1, &demand_frame), 1);
	rt_fault_hook = map_on_fault;
	register u64 x1 __asm__("x1") = 1;
	register u64 x2 __asm__("x2") = 2;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x8) : "memory");
	T_EQ(x0, 3);
	struct aspace self;
	as_self(&self);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&demand_frame, 1), 0);
	return 0;
}

/*
 * Alerts (EXO_ENV_ALERT): an upcall once the environment is outside every
 * handler, with the bits in far and the sender in esr; a receive learns of
 * one at once.
 */
static volatile u64 alert_bits, alert_from, alert_depth, alerts_seen;
static int take_alert(struct exo_upcall *up)
{
	if (up->kind != EXO_UPCALL_ALERT)
		return -1;
	alert_bits = up->far, alert_from = up->esr, alert_depth = up->depth;
	alerts_seen++;
	return 0;
}

/* The child spins in plain code until its alert has come and gone. */
static int spin_until_alerted(u64 parent)
{
	rt_fault_hook = take_alert;
	exo_send(parent, 1);
	while (!alerts_seen)
		;
	return alert_bits == 0x50 && alert_from == parent && alert_depth == 1 ? 7 : 1;
}

static int alert_reaches_running_code(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(spin_until_alerted, rt_id, 256);
	struct exo_event event;
	T_CHECK(child > 0, "spawn");
	T_EQ(exo_recv(&event, 0, 0), 0); /* it is spinning */
	T_EQ(exo_env_alert((u64)child, 0x10), 0);
	T_EQ(exo_env_alert((u64)child, 0x40), 0); /* bits gather until delivered */
	T_EQ(rt_wait((u64)child), 7);
	return 0;
}

/* A receive is told (once) and returns; the upcall follows at once (depth 0). */
static int receive_then_alert(u64 parent)
{
	rt_fault_hook = take_alert;
	struct exo_event event = { 0, 0, 0 };
	exo_send(parent, 1);
	i64 got = exo_recv(&event, 0, 0);
	bool told = got == 0 && event.kind == EXO_EVENT_ALERT && event.env == parent && event.value == 3;
	return told && alerts_seen == 1 && alert_bits == 3 ? 8 : 1;
}

static int alert_ends_a_receive(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(receive_then_alert, rt_id, 256);
	struct exo_event event;
	T_CHECK(child > 0, "spawn");
	T_EQ(exo_recv(&event, 0, 0), 0);
	for (int i = 0; i < 3; i++)
		exo_yield(); /* let it block in its receive */
	T_EQ(exo_env_alert((u64)child, 3), 0);
	T_EQ(rt_wait((u64)child), 8);
	return 0;
}

/* Inside a light system call the alert waits: it comes after svc #EXO_SVC_SYSRET, never in the handler. */
static u64 seen_in_handler;
static i64 alert_self_in_handler(struct exo_upcall *up)
{
	(void)up;
	T_EQ(exo_env_alert(rt_id, 0x100), 0); /* to itself, at depth 1 */
	for (int i = 0; i < 5; i++)
		exo_yield();                   /* scheduled out and back: still not delivered */
	seen_in_handler = alerts_seen;
	return 5;
}

static int alert_waits_outside_handlers(u64 arg)
{
	(void)arg;
	rt_fault_hook = take_alert;
	rt_light_hook = alert_self_in_handler;
	T_EQ(go_light(rt_light_entry), 0);
	register u64 x0 __asm__("x0") = 0;
	register u64 x8 __asm__("x8") = 172;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory");
	T_EQ(x0, 5);
	T_EQ(seen_in_handler, 0);
	T_EQ(alerts_seen, 1); /* delivered once back in plain code */
	T_EQ(alert_bits, 0x100);
	T_EQ(alert_from, rt_id);
	return 0;
}

/* EXO_UPCALL_HOLD_ALERTS: an alert waits, pending, until the upcalls are set without it. */
static int alert_held_until_released(u64 arg)
{
	(void)arg;
	rt_fault_hook = take_alert;
	T_EQ(exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP,
	                         EXO_UPCALL_HOLD_ALERTS), 0);
	T_EQ(exo_env_alert(rt_id, 0x8), 0);
	for (int i = 0; i < 3; i++)
		exo_yield();
	T_EQ(alerts_seen, 0);
	struct exo_event event;
	T_EQ(exo_recv(&event, EXO_RECV_NOWAIT, 0), 0); /* a receive is still told */
	T_EQ(event.kind, EXO_EVENT_ALERT);
	T_EQ(exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP, 0), 0);
	exo_yield(); /* the next return through the scheduler delivers it */
	T_EQ(alerts_seen, 1);
	T_EQ(alert_bits, 0x8);
	return 0;
}


static int exit_with(u64 status) { return (int)status; }

/* EXO_ALARM: alerted by env 0 once the time has passed; one per environment, replaced or cancelled. */
static int alarm_alerts_after_its_time(u64 arg)
{
	(void)arg;
	rt_fault_hook = take_alert;
	alerts_seen = 0;
	T_EQ(exo_alarm(1000000, 0), -EXO_EINVAL); /* no bits */
	T_EQ(exo_alarm(20000000, 0x80), 0);
	i64 left = exo_alarm(0, 0); /* cancelled: what was left */
	T_CHECK(left > 0 && left <= 20000000, "left %ld", left);
	T_EQ(exo_alarm(0, 0), 0);
	u64 start = rt_counter();
	T_EQ(exo_alarm(10000000, 0x80), 0);
	struct exo_event event;
	T_EQ(exo_recv(&event, EXO_RECV_TAKE_ALERTS, 0), 0); /* nothing else can end this receive */
	u64 us = (rt_counter() - start) * 1000000 / rt_counter_freq();
	T_EQ(event.kind, EXO_EVENT_ALERT);
	T_EQ(event.env, 0);
	T_EQ(event.value, 0x80);
	T_CHECK(us >= 10000, "after %lu us", us);
	T_EQ(alerts_seen, 0);
	T_EQ(exo_alarm(0, 0), 0); /* it went off: nothing left */
	return 0;
}

/*
 * EXO_CONS_LISTEN: anything but 0 or 1 refused; listening and stopping
 * (nothing is typed in this run: no input event comes).
 */
static int cons_listen_arguments(u64 arg)
{
	(void)arg;
	T_EQ(exo_cons_listen(2), -EXO_EINVAL);
	T_EQ(exo_cons_listen(~0ull), -EXO_EINVAL);
	struct exo_why why;
	T_EQ(exo_why(&why), 0);
	T_EQ(why.rule, EXO_RULE_FLAGS);
	T_EQ(why.arg, 0);
	T_EQ(exo_cons_listen(1), 0); /* under QEMU virt the PL011's interrupt is in the device tree */
	struct exo_event event;
	T_EQ(exo_recv(&event, EXO_RECV_NOWAIT, 0), -EXO_EAGAIN);
	T_EQ(exo_cons_listen(0), 0);
	T_EQ(exo_cons_listen(0), 0); /* not listening: nothing to stop, no error */
	return 0;
}

/* EXO_RECV_TAKE_ALERTS: the receive takes the bits with the event, so no upcall follows. */
static int alert_taken_by_a_receive(u64 arg)
{
	(void)arg;
	rt_fault_hook = take_alert;
	alerts_seen = 0;
	T_EQ(exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP,
	                         EXO_UPCALL_HOLD_ALERTS), 0);
	T_EQ(exo_env_alert(rt_id, 0x30), 0);
	struct exo_event event;
	T_EQ(exo_recv(&event, EXO_RECV_NOWAIT | EXO_RECV_TAKE_ALERTS, 0), 0);
	T_EQ(event.kind, EXO_EVENT_ALERT);
	T_EQ(event.value, 0x30);
	T_EQ(event.env, rt_id);
	T_EQ(exo_recv(&event, EXO_RECV_NOWAIT | EXO_RECV_TAKE_ALERTS, 0), -EXO_EAGAIN); /* gone, not just told */
	T_EQ(exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP, 0), 0);
	exo_yield();
	T_EQ(alerts_seen, 0);
	T_EQ(exo_env_alert(rt_id, 0x2), 0); /* a later alert comes as usual */
	T_EQ(alerts_seen, 1);
	T_EQ(alert_bits, 0x2);
	return 0;
}

/* A child may not alert its parent, unless the parent opened its alerts to anyone. */
static int alert_parent(u64 parent)
{
	i64 err = exo_env_alert(parent, 0x4);
	return err == 0 ? 3 : err == -EXO_EPERM ? 4 : 1;
}

static int open_alerts_from_anyone(u64 arg)
{
	(void)arg;
	rt_fault_hook = take_alert;
	alerts_seen = 0;
	i64 child = rt_spawn(alert_parent, rt_id, 256);
	T_CHECK(child > 0, "spawn");
	T_EQ(rt_wait((u64)child), 4);
	T_EQ(exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP,
	                         EXO_UPCALL_OPEN_ALERTS), 0);
	child = rt_spawn(alert_parent, rt_id, 256);
	T_CHECK(child > 0, "spawn");
	T_EQ(rt_wait((u64)child), 3);
	exo_yield();
	T_EQ(alerts_seen, 1);
	T_EQ(alert_bits, 0x4);
	T_EQ(alert_from, (u64)child);
	T_EQ(exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP, 0), 0);
	return 0;
}

/*
 * EXO_ENV_SET_EXIT_ALERT (Linux's exit signal): the receiver of a child's
 * exit notice is alerted, by the child, once the notice can be taken.
 */
static int exit_alert_after_the_notice(u64 arg)
{
	(void)arg;
	rt_fault_hook = take_alert;
	alerts_seen = 0;
	/* Started only once the alert is set: a child run at once could end first (under load it did). */
	i64 child = rt_spawn_stopped(exit_with, 5, 256);
	T_CHECK(child > 0, "spawn");
	T_EQ(exo_env_set_exit_alert((u64)child, 1ull << 16), 0);
	T_EQ(exo_env_set_exit_alert(exo_parent(), 1), -EXO_EPERM);
	T_EQ(exo_env_set_exit_alert(rt_id, 1), -EXO_EPERM); /* not its own: that would alert its parent */
	T_EQ(exo_env_set_exit_alert(~0ull, 1), -EXO_ENOENT);
	T_EQ(exo_env_run((u64)child), 0);
	struct exo_event event;
	T_EQ(exo_recv(&event, EXO_RECV_TAKE_ALERTS, 0), 0);
	T_EQ(event.kind, EXO_EVENT_ALERT);
	T_EQ(event.env, (u64)child);
	T_EQ(event.value, 1ull << 16);
	T_EQ(exo_recv(&event, EXO_RECV_NOWAIT, 0), 0); /* the notice is there already */
	T_EQ(event.kind, EXO_EVENT_EXIT);
	T_EQ(event.env, (u64)child);
	T_EQ(event.value, 5);
	T_EQ(alerts_seen, 0);
	return 0;
}


static int child_lifecycle(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(exit_with, 7, 256);
	T_CHECK(child > 0, "spawn: %ld", child);
	T_EQ(rt_wait((u64)child), 7);
	struct exo_env_info info;
	T_EQ(exo_env_info((u64)child, &info), -EXO_ENOENT); /* reaped */
	return 0;
}

static int reply_to_parent(u64 parent)
{
	struct exo_event event;
	if (exo_send(parent, 100) < 0 || exo_recv(&event, 0, 0) < 0)
		return 1;
	return event.kind == EXO_EVENT_MESSAGE && event.env == parent && event.value == 200 ? 0 : 2;
}

static int messages(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(reply_to_parent, rt_id, 256);
	T_CHECK(child > 0, "spawn: %ld", child);
	struct exo_event event;
	T_EQ(exo_recv(&event, 0, 0), 0);
	T_EQ(event.kind, EXO_EVENT_MESSAGE);
	T_EQ(event.env, child);
	T_EQ(event.value, 100);
	T_EQ(exo_send((u64)child, 200), 0);
	T_EQ(rt_wait((u64)child), 0);
	T_EQ(exo_recv(&event, EXO_RECV_NOWAIT, 0), -EXO_EAGAIN);
	return 0;
}

/* Nothing to receive and nobody runnable: the kernel idles until the deadline. */
static int recv_timeout_idles(u64 arg)
{
	(void)arg;
	struct exo_event event;
	u64 start = rt_counter();
	T_EQ(exo_recv(&event, 0, 30000000), -EXO_EAGAIN);
	u64 us = (rt_counter() - start) * 1000000 / rt_counter_freq();
	T_CHECK(us >= 30000, "woke after %lu us", us);
	return 0;
}

static int spin_forever(u64 arg)
{
	(void)arg;
	for (;;)
		__asm__ volatile("" ::: "memory");
}

/* A child that never yields does not keep its parent from running. */
static int preempts_spinner(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(spin_forever, 0, 256);
	T_CHECK(child > 0, "spawn: %ld", child);
	struct exo_event event;
	T_EQ(exo_recv(&event, 0, 50000000), -EXO_EAGAIN); /* runs again only if the spinner is preempted */
	T_EQ(exo_env_destroy((u64)child), 0);
	return 0;
}

/* Two environments fill the FP/SIMD registers and the thread pointer with their own pattern and check them for 100 ms. */
static int fp_checker(u64 seed)
{
	u64 deadline = rt_counter() + rt_counter_freq() / 10, mismatches = 0;
	__asm__ volatile("dup v0.2d, %0\n dup v31.2d, %0\n dup v15.2d, %0\n msr fpcr, %1\n msr tpidr_el0, %0"
	                 ::"r"(seed), "r"((seed & 1) << 22));
	while (rt_counter() < deadline) {
		u64 lo0, hi31, mid15, fpcr, tp;
		__asm__ volatile("mov %0, v0.d[0]\n mov %1, v31.d[1]\n mov %2, v15.d[1]\n mrs %3, fpcr\n"
		                 "mrs %4, tpidr_el0"
		                 : "=r"(lo0), "=r"(hi31), "=r"(mid15), "=r"(fpcr), "=r"(tp));
		mismatches += lo0 != seed || hi31 != seed || mid15 != seed || fpcr != (seed & 1) << 22 ||
		              tp != seed;
	}
	return mismatches != 0;
}

static int fp_survives_preemption(u64 arg)
{
	(void)arg;
	i64 first = rt_spawn(fp_checker, 0x1111111111111111ull, 256);
	i64 second = rt_spawn(fp_checker, 0x2222222222222223ull, 256);
	T_CHECK(first > 0 && second > 0, "spawn %ld %ld", first, second);
	T_EQ(rt_wait((u64)first), 0);
	T_EQ(rt_wait((u64)second), 0);
	return 0;
}

/* Threads: a second environment in this address space sees and changes our memory. */
static volatile u64 shared_word;
static int bump_shared(u64 by)
{
	shared_word += by;
	return 0;
}

static int threads_share_memory(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	u64 stack;
	T_EQ(exo_frame_alloc(rt_id, 1, &stack), 1);
	T_EQ(as_map(&self, DATA_VA, stack, PAGE_RW), 0);
	shared_word = 1;
	i64 thread = rt_spawn_thread(bump_shared, 41, DATA_VA + 4096);
	T_CHECK(thread > 0, "thread: %ld", thread);
	T_EQ(rt_wait((u64)thread), 0);
	T_EQ(shared_word, 42);
	struct exo_env_info info;
	(void)info;
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&stack, 1), 0);
	return 0;
}

/*
 * Waiting on a word (EXO_RECV_WORD) and EXO_WAKE: a thread waits until the
 * word moves; a word already changed ends the wait at once.
 */
static volatile u32 wait_word;
static volatile u64 woken_kind, woken_by;
static int wait_on_word(u64 arg)
{
	struct exo_event event = { 0, 0, 0 };
	i64 got = exo_recv_word(&event, 0, 0, &wait_word, (u32)arg);
	woken_kind = event.kind, woken_by = event.env;
	return got == 0 ? 0 : 1;
}

static int word_wait_and_wake(u64 arg)
{
	(void)arg;
	struct exo_event event;
	T_EQ(exo_wake(&wait_word, 8), 0); /* nobody waits */
	wait_word = 5;
	T_EQ(exo_recv_word(&event, 0, 0, &wait_word, 4), 0); /* not 4: at once, with the value */
	T_EQ(event.kind, EXO_EVENT_WORD);
	T_EQ(event.value, 5);
	T_EQ(exo_recv_word(&event, EXO_RECV_NOWAIT, 0, &wait_word, 5), -EXO_EAGAIN);
	T_EQ(exo_recv_word(&event, 0, 0, (const volatile u32 *)((u64)&wait_word + 1), 5), -EXO_EINVAL);
	T_EQ(exo_recv_word(&event, 0, 0, (const volatile u32 *)0x10, 5), -EXO_EFAULT);
	T_EQ(exo_wake((const volatile u32 *)0x10, 1), -EXO_EFAULT);
	struct aspace self;
	as_self(&self);
	u64 stack;
	T_EQ(exo_frame_alloc(rt_id, 1, &stack), 1);
	T_EQ(as_map(&self, DATA_VA, stack, PAGE_RW), 0);
	i64 thread = rt_spawn_thread(wait_on_word, 5, DATA_VA + 4096);
	T_CHECK(thread > 0, "thread: %ld", thread);
	i64 woken = 0;
	for (int i = 0; i < 50 && woken == 0; i++) {
		exo_yield(); /* until it waits */
		woken = exo_wake(&wait_word, 8);
	}
	T_EQ(woken, 1);
	T_EQ(rt_wait((u64)thread), 0);
	T_EQ(woken_kind, EXO_EVENT_WORD);
	T_EQ(woken_by, rt_id);
	/* A waiter that is destroyed waits for nothing any more: a wake does not count it. */
	thread = rt_spawn_thread(wait_on_word, 5, DATA_VA + 4096);
	T_CHECK(thread > 0, "thread: %ld", thread);
	for (int i = 0; i < 5; i++)
		exo_yield(); /* it blocks on the word */
	T_EQ(exo_env_destroy((u64)thread), 0);
	T_EQ(exo_wake(&wait_word, 8), 0);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&stack, 1), 0);
	return 0;
}

/*
 * EXO_RECV_WORDS: a thread waits on three words, two here and one in a
 * page of its own; a wake of any one ends the wait, and leaves no wait
 * behind on the others; freeing the page that holds one ends it too.
 */
#define WORDS_PAGE (DATA_VA + 2 * 4096)
static volatile u32 words_here[2];
static volatile u64 words_woken_kind, words_woken_by;
static int wait_on_words(u64 arg)
{
	(void)arg;
	struct exo_word_wait list[3] = { { (u64)&words_here[0], 5 }, { (u64)&words_here[1], 7 }, { WORDS_PAGE, 9 } };
	struct exo_event event = { 0, 0, 0 };
	i64 got = exo_recv_words(&event, 0, 0, list, 3);
	words_woken_kind = event.kind, words_woken_by = event.env;
	return got == 0 ? 0 : 1;
}

static i64 wake_until_woken(const volatile u32 *word)
{
	i64 woken = 0;
	for (int i = 0; i < 50 && woken == 0; i++) {
		exo_yield(); /* until it waits */
		woken = exo_wake(word, 8);
	}
	return woken;
}

static int words_wait_and_wake(u64 arg)
{
	(void)arg;
	struct exo_event event;
	words_here[0] = 5, words_here[1] = 8;
	struct exo_word_wait list[EXO_RECV_WORDS_MAX + 1] = { { (u64)&words_here[0], 5 }, { (u64)&words_here[1], 7 } };
	T_EQ(exo_recv_words(&event, 0, 0, list, 2), 0); /* the second is not 7: at once, with its value */
	T_EQ(event.kind, EXO_EVENT_WORD);
	T_EQ(event.value, 8);
	words_here[1] = 7;
	T_EQ(exo_recv_words(&event, EXO_RECV_NOWAIT, 0, list, 2), -EXO_EAGAIN);
	T_EQ(exo_recv_words(&event, 0, 0, list, 0), -EXO_EINVAL);
	T_EQ(exo_recv_words(&event, 0, 0, list, EXO_RECV_WORDS_MAX + 1), -EXO_EINVAL);
	T_EQ(exo_recv_words(&event, EXO_RECV_WORD, 0, list, 2), -EXO_EINVAL); /* one word and a list */
	T_EQ(exo_recv_words(&event, 0, 0, (const struct exo_word_wait *)0x10, 2), -EXO_EFAULT);
	list[1].word |= 1;
	T_EQ(exo_recv_words(&event, 0, 0, list, 2), -EXO_EINVAL); /* a word not aligned */
	list[1].word = 0x10;
	T_EQ(exo_recv_words(&event, 0, 0, list, 2), -EXO_EFAULT); /* one not readable */
	struct aspace self;
	as_self(&self);
	u64 frames[2];
	T_EQ(exo_frame_alloc(rt_id, 2, frames), 2);
	T_EQ(as_map(&self, DATA_VA, frames[0], PAGE_RW), 0);
	T_EQ(as_map(&self, WORDS_PAGE, frames[1], PAGE_RW), 0);
	*(volatile u32 *)WORDS_PAGE = 9;
	/* Woken by the third word: the other two hold no wait of it any more. */
	i64 thread = rt_spawn_thread(wait_on_words, 0, DATA_VA + 4096);
	T_CHECK(thread > 0, "thread: %ld", thread);
	T_EQ(wake_until_woken((const volatile u32 *)WORDS_PAGE), 1);
	T_EQ(rt_wait((u64)thread), 0);
	T_EQ(words_woken_kind, EXO_EVENT_WORD);
	T_EQ(words_woken_by, rt_id);
	T_EQ(exo_wake(&words_here[0], 8), 0);
	T_EQ(exo_wake(&words_here[1], 8), 0);
	/* Woken by the first: the same. */
	thread = rt_spawn_thread(wait_on_words, 0, DATA_VA + 4096);
	T_CHECK(thread > 0, "thread: %ld", thread);
	T_EQ(wake_until_woken(&words_here[0]), 1);
	T_EQ(rt_wait((u64)thread), 0);
	T_EQ(exo_wake((const volatile u32 *)WORDS_PAGE, 8), 0);
	/* The page holding the third freed under it: the wait ends (from nobody), and nothing is left. */
	thread = rt_spawn_thread(wait_on_words, 0, DATA_VA + 4096);
	T_CHECK(thread > 0, "thread: %ld", thread);
	for (int i = 0; i < 5; i++)
		exo_yield(); /* it blocks on the words */
	T_EQ(as_unmap(&self, WORDS_PAGE), 0);
	T_EQ(exo_frame_free(&frames[1], 1), 0);
	T_EQ(rt_wait((u64)thread), 0);
	T_EQ(words_woken_kind, EXO_EVENT_WORD);
	T_EQ(words_woken_by, 0);
	T_EQ(exo_wake(&words_here[0], 8), 0);
	T_EQ(exo_wake(&words_here[1], 8), 0);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&frames[0], 1), 0);
	return 0;
}

/* A wake of one waiter takes the one that has waited longest. */
static volatile u32 order_word, woke_first;
static int wait_in_order(u64 id)
{
	struct exo_event event;
	i64 got = exo_recv_word(&event, 0, 0, &order_word, 0);
	if (!woke_first)
		woke_first = (u32)id;
	return got == 0 ? 0 : 1;
}

static int word_wake_takes_the_oldest(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	u64 stacks[2];
	T_EQ(exo_frame_alloc(rt_id, 2, stacks), 2);
	T_EQ(as_map(&self, DATA_VA, stacks[0], PAGE_RW), 0);
	T_EQ(as_map(&self, DATA_VA + 2 * 4096, stacks[1], PAGE_RW), 0);
	order_word = 0, woke_first = 0;
	i64 older = rt_spawn_thread(wait_in_order, 1, DATA_VA + 4096);
	T_CHECK(older > 0, "thread: %ld", older);
	for (int i = 0; i < 5; i++)
		exo_yield(); /* it blocks on the word */
	i64 newer = rt_spawn_thread(wait_in_order, 2, DATA_VA + 3 * 4096);
	T_CHECK(newer > 0, "thread: %ld", newer);
	for (int i = 0; i < 5; i++)
		exo_yield(); /* it blocks too, after */
	T_EQ(exo_wake(&order_word, 1), 1);
	T_EQ(rt_wait((u64)older), 0);
	T_EQ(woke_first, 1);
	T_EQ(exo_wake(&order_word, 1), 1);
	T_EQ(rt_wait((u64)newer), 0);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(as_unmap(&self, DATA_VA + 2 * 4096), 0);
	T_EQ(exo_frame_free(stacks, 2), 0);
	return 0;
}

/* Remapping a page, or taking write away, is seen at once (TLB maintenance). */
static int write_fault_count;
static int count_write_faults(struct exo_upcall *up)
{
	write_fault_count++;
	up->regs.pc += 4;
	return 0;
}

static int tlb_sees_changes(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	u64 frames[2];
	T_EQ(exo_frame_alloc(rt_id, 2, frames), 2);
	T_EQ(as_map(&self, DATA_VA, frames[0], PAGE_RW), 0);
	*(volatile u64 *)DATA_VA = 0xaaaa;
	T_EQ(as_map(&self, DATA_VA, frames[1], PAGE_RW), 0); /* valid -> valid */
	T_EQ(*(volatile u64 *)DATA_VA, 0);
	*(volatile u64 *)DATA_VA = 0xbbbb;
	T_EQ(as_map(&self, DATA_VA, frames[0], PAGE_RW), 0);
	T_EQ(*(volatile u64 *)DATA_VA, 0xaaaa);
	T_EQ(as_map(&self, DATA_VA, frames[0], PAGE_RO), 0); /* write taken away */
	rt_fault_hook = count_write_faults;
	*(volatile u64 *)DATA_VA = 0xcccc;
	T_EQ(write_fault_count, 1);
	T_EQ(*(volatile u64 *)DATA_VA, 0xaaaa);
	struct exo_check check;
	exo_debug_check(&check);
	T_CHECK(check.tlb_by_va > 0, "no invalidation by address was used");
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(frames, 2), 0);
	return 0;
}

/* Unlinking a whole table is invalidated by ASID: the page under it faults at once. */
static int tlb_unlinked_table_by_asid(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	u64 frame = rt_map_fresh(DATA_VA);
	T_CHECK(frame, "no fresh frame at DATA_VA");
	*(volatile u64 *)DATA_VA = 0xdd;
	i64 l2 = as_table(&self, 2, DATA_VA, false), l3 = as_table(&self, 3, DATA_VA, false);
	struct exo_check before, after;
	exo_debug_check(&before);
	u64 zero = 0;
	T_EQ(exo_pt_write((u64)l2, exo_pt_index(2, DATA_VA), 1, &zero), 0);
	exo_debug_check(&after);
	T_CHECK(after.tlb_by_asid > before.tlb_by_asid, "no invalidation by ASID (%lu -> %lu)",
	        before.tlb_by_asid, after.tlb_by_asid);
	T_EQ(after.tlb_all, before.tlb_all);
	rt_fault_hook = count_write_faults;
	*(volatile u64 *)DATA_VA = 1; /* no table there any more */
	T_EQ(write_fault_count, 1);
	u64 l3_table = (u64)l3;
	T_EQ(exo_frame_free(&l3_table, 1), 0); /* its page's reference goes with it */
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

/* Copy-on-write style: copy a table's entries taking write away in both. */
static int copy_takes_write_away(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	u64 frame = rt_map_fresh(DATA_VA);
	T_CHECK(frame, "no fresh frame at DATA_VA");
	*(volatile u64 *)DATA_VA = 0x600d;
	i64 src = as_table(&self, 3, DATA_VA, false);
	i64 dst = as_table(&self, 3, DATA_VA + (2ull << 20), true);
	T_CHECK(src > 0 && dst > 0, "tables %ld %ld", src, dst);
	T_EQ(exo_pt_copy((u64)src, 0, (u64)dst, 0, 512, EXO_PTE_RO | EXO_PTE_SW0, EXO_COPY_BOTH), 0);
	T_EQ(as_lookup_self(DATA_VA), frame | PAGE_RO | EXO_PTE_SW0);
	T_EQ(as_lookup_self(DATA_VA + (2ull << 20)), frame | PAGE_RO | EXO_PTE_SW0);
	T_EQ(*(volatile u64 *)(DATA_VA + (2ull << 20)), 0x600d);
	rt_fault_hook = count_write_faults;
	*(volatile u64 *)DATA_VA = 1; /* the original is read-only now too */
	T_EQ(write_fault_count, 1);
	T_EQ(exo_pt_copy((u64)src, 0, (u64)dst, 0, 1, 0, 0), -EXO_EEXIST);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(as_unmap(&self, DATA_VA + (2ull << 20)), 0);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

/* Shared-table fork: a child links our last-level table read-only and reads our data. */
static int child_faults;
static int count_child_faults(struct exo_upcall *up)
{
	child_faults++;
	up->regs.pc += 4;
	return 0;
}

static int link_shared_table(u64 table)
{
	struct aspace self;
	as_self(&self);
	i64 l2 = as_table(&self, 2, DATA_VA, true);
	if (l2 < 0)
		return 10;
	u64 link = table | EXO_PTE_TABLE | EXO_PTE_APT_RO;
	if (exo_pt_write((u64)l2, exo_pt_index(2, DATA_VA), 1, &link) < 0)
		return 11;
	if (*(volatile u64 *)DATA_VA != 0x5a5a)
		return 12;
	rt_fault_hook = count_child_faults;
	*(volatile u64 *)DATA_VA = 1; /* read-only through the link */
	if (child_faults != 1 || *(volatile u64 *)DATA_VA != 0x5a5a)
		return 13;
	u64 zero = 0;
	return exo_pt_write((u64)l2, exo_pt_index(2, DATA_VA), 1, &zero) < 0 ? 14 : 0;
}

static int shared_table_read_only(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	u64 frame = rt_map_fresh(DATA_VA);
	T_CHECK(frame, "no fresh frame at DATA_VA");
	*(volatile u64 *)DATA_VA = 0x5a5a;
	i64 table = as_table(&self, 3, DATA_VA, false);
	T_EQ(exo_frame_share((u64)table, EXO_R | EXO_X), 0);
	i64 child = rt_spawn(link_shared_table, (u64)table, 256);
	T_CHECK(child > 0, "spawn %ld", child);
	T_EQ(rt_wait((u64)child), 0);
	T_EQ(*(volatile u64 *)DATA_VA, 0x5a5a);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

/* Many address spaces on few ASIDs (boot with asid_bits=2): each still sees only its own page. */
static int own_value(u64 value)
{
	for (int round = 0; round < 20; round++) {
		if (*(volatile u64 *)DATA_VA != value)
			return 1;
		exo_yield();
	}
	return 0;
}

static int private_value(u64 value)
{
	struct aspace self;
	as_self(&self);
	u64 frame;
	if (exo_frame_alloc(rt_id, 1, &frame) < 0 || as_map(&self, DATA_VA, frame, PAGE_RW) < 0)
		return 20;
	*(volatile u64 *)DATA_VA = value;
	return own_value(value);
}

static int asids_reused_safely(u64 arg)
{
	(void)arg;
	enum { SPACES = 8 };
	i64 children[SPACES];
	struct exo_check before, after;
	exo_debug_check(&before);
	for (u64 i = 0; i < SPACES; i++) {
		children[i] = rt_spawn(private_value, 0x1000 + i, 128);
		T_CHECK(children[i] > 0, "spawn %ld", children[i]);
	}
	for (u64 i = 0; i < SPACES; i++)
		T_EQ(rt_wait((u64)children[i]), 0);
	exo_debug_check(&after);
	rt_printf("utest:   ASID generations %lu -> %lu\n", before.asid_generation, after.asid_generation);
	return 0;
}

static const struct rt_test tests[] = {
	{ "calls/null_and_self", null_and_self, 0 },
	{ "calls/clock_and_console", clock_and_console, 0 },
	{ "calls/env_info", env_info, 0 },
	{ "calls/frames_alloc_free", frames_alloc_free, 0 },
	{ "calls/frames_reused_are_zeroed", frames_reused_are_zeroed, 0 },
	{ "calls/map_and_window", map_and_window, 0 },
	{ "calls/table_mapped_read_only", table_mapped_read_only, 0 },
	{ "calls/fault_upcall_maps_page", fault_upcall_maps_page, 0 },
	{ "calls/fault_upcall_changes_registers", fault_upcall_changes_registers, 0 },
	{ "calls/svc0_reflected", svc0_reflected, 0 },
	{ "calls/nested_upcalls", nested_upcalls, 0 },
	{ "calls/light_svc0_keeps_registers", light_svc0_keeps_registers, 0 },
	{ "calls/light_syscall_origin_and_fault", light_syscall_origin_and_fault, 0 },
	{ "calls/light_upcall_return_redirects", light_upcall_return_redirects, 0 },
	{ "calls/word_wait_and_wake", word_wait_and_wake, 0 },
	{ "calls/words_wait_and_wake", words_wait_and_wake, 0 },
	{ "calls/word_wake_takes_the_oldest", word_wake_takes_the_oldest, 0 },
	{ "calls/alert_reaches_running_code", alert_reaches_running_code, 0 },
	{ "calls/alert_ends_a_receive", alert_ends_a_receive, 0 },
	{ "calls/alert_waits_outside_handlers", alert_waits_outside_handlers, 0 },
	{ "calls/alert_taken_by_a_receive", alert_taken_by_a_receive, 0 },
	{ "calls/open_alerts_from_anyone", open_alerts_from_anyone, 0 },
	{ "calls/exit_alert_after_the_notice", exit_alert_after_the_notice, 0 },
	{ "calls/alarm_alerts_after_its_time", alarm_alerts_after_its_time, 0 },
	{ "calls/cons_listen_arguments", cons_listen_arguments, 0 },
	{ "calls/alert_held_until_released", alert_held_until_released, 0 },
	{ "calls/child_lifecycle", child_lifecycle, 0 },
	{ "calls/messages", messages, 0 },
	{ "calls/recv_timeout_idles", recv_timeout_idles, 0 },
	{ "calls/preempts_spinner", preempts_spinner, 0 },
	{ "calls/fp_survives_preemption", fp_survives_preemption, 0 },
	{ "calls/threads_share_memory", threads_share_memory, 0 },
	{ "calls/tlb_sees_changes", tlb_sees_changes, 0 },
	{ "calls/tlb_unlinked_table_by_asid", tlb_unlinked_table_by_asid, 0 },
	{ "calls/copy_takes_write_away", copy_takes_write_away, 0 },
	{ "calls/shared_table_read_only", shared_table_read_only, 0 },
	{ "calls/asids_reused_safely", asids_reused_safely, 0 },
};

/*
 * orphans=1: leave a grandchild behind in a slot below its parent's and
 * end; the kernel must end everything and get every frame back.
 */
#define ORPHAN_STACK_VA 0x0000040000000000ull
static int make_grandchild(u64 parent)
{
	struct exo_event event;
	exo_recv(&event, 0, 0);
	exo_send(parent, (u64)exo_env_create(0));
	exo_recv(&event, 0, 0);
	return 0;
}

static int leave_orphans(void)
{
	struct aspace self;
	as_self(&self);
	u64 stack;
	if (exo_frame_alloc(rt_id, 1, &stack) != 1 || as_map(&self, ORPHAN_STACK_VA, stack, PAGE_RW))
		return 1;
	i64 placeholder = exo_env_create(0);
	i64 thread = rt_spawn_thread(make_grandchild, rt_id, ORPHAN_STACK_VA + 4096);
	exo_env_destroy((u64)placeholder); /* frees a slot below the thread's */
	exo_send((u64)thread, 1);
	struct exo_event event;
	exo_recv(&event, 0, 0);
	rt_printf("utest: left grandchild %lu of thread %ld behind\n", event.value, thread);
	return 0;
}

int main(void)
{
	char flag[4];
	if (rt_arg("orphans", flag, sizeof(flag)))
		return leave_orphans();
	return rt_run_tests(tests, ARRAY_LEN(tests));
}
