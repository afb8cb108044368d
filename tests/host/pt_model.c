/*
 * The model-based harness (tests/host/pt_model.h).  The kernel is driven
 * only through the functions a call would use; the model keeps its own
 * shadow of everything it judges by (family tree, ended environments,
 * husks, frame owners, types, levels and shares) and reads the kernel's
 * records only to compare them with that shadow, or where the rules allow
 * more than one outcome, to learn which one the kernel chose and judge it
 * (an environment's end: finish_end; a husk dissolving: sync_husks).
 *
 * The model's rules (the kernel's rules, restated over the shadow):
 *   holds(U, O)    O is U or a descendant of U
 *   can_act(C, T)  holds(C, T), or C has a root, T has the same one and T
 *                  is a proper ancestor of C (a thread acting for it)
 *   A table of U may map frame F (owner O) with rights r when holds(U, O),
 *   or O is a proper ancestor of U that shared r on F; a page-table frame
 *   only read-only and not executable; it may link a next-level table when
 *   holds(U, O), or O is a proper ancestor of U that shared R on it and the
 *   link's rights are within the share.  A caller writing the entry must
 *   itself can_act on O, or O is its proper ancestor that shared the rights
 *   (R at least for a link).  Nothing new may refer to the frames of an
 *   environment whose release is under way (an end released in steps, or a
 *   husk dissolving).  EXO_COPY_SHARE shares, for the copy's caller, a frame
 *   of a live owner it acts on with that owner's descendants.
 *   Reach: walking a live environment's tables from its root, the principal
 *   starts as the root table's owner; a link to a table the principal holds
 *   keeps it, a link to a table of a proper ancestor V that shared R on it
 *   makes V the principal with rights capped by that share; anything else
 *   is a breach.  A page with effective rights r is allowed when the
 *   principal holds its owner, or the owner is a proper ancestor of the
 *   principal and its share covers r.
 *   Ends: a live child on the ending environment's root (a thread) takes its
 *   place under its parent, its frames and its other children; without one,
 *   the frames something outside refers to (directly, or under such a
 *   table) stay its own in a husk, which keeps its children, and the rest
 *   are freed; a husk goes when nothing outside refers to it any more.  The
 *   children of an ended environment (unless a thread heir takes them, or
 *   it ran on its parent's root) are orphans: their notices go to the first
 *   environment.  An ended environment waits as a zombie for its notice's
 *   receiver, unless the parent destroyed it, also when its release
 *   finishes later.  Nothing is kept that no live environment can
 *   ever reach again.
 */
#include "tests/host/pt_model.h"
#include "arch/fake/fake.h"
#include "arch/pte.h"
#include "exo/errno.h"
#include "exo/printk.h"
#include "exo/pt.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFRAMES 256    /* RAM of the fake machine (frame 0 is the "kernel") */
#define MAXENVS 32     /* shadow records: live, zombies, husks */
#define MAXLIVE 8      /* live environments at most */
#define MAXEXIST 24    /* existing (live or ended) at most before creation stops */
#define NGONE 16       /* ids of environments that are gone, remembered */
#define LOG 48         /* operations remembered for a failure report */
#define RWX (EXO_R | EXO_W | EXO_X)
#define ENTRIES EXO_PT_ENTRIES
#define WINDOW EXO_PT_WINDOW_SLOT
#define DESCS 48       /* descriptors a write may carry (beyond those: zeros) */

bool pt_model_trace;

/* --- the shadow --- */

enum stype { T_FREE, T_KERNEL, T_USER, T_PT, T_OTHER /* a kernel record owned by an env */ };
static const char *const type_names[] = { "free", "kernel", "user", "page-table", "record" };

struct sframe {
	u8 type, level, share;
	u32 owner;
};

struct senv {
	u32 id, parent;
	u64 root;
	bool ended;  /* ended: a zombie, or a husk, or both (or its release still runs) */
	bool zombie; /* its exit notice is still waiting for its parent */
	bool husk;
	bool ending; /* its end's release is still pending (ENV_ENDING) */
	bool reap;   /* ...and its parent destroyed it */
	bool approx; /* a husk whose kept frames were chosen while references could still go */
	u32 heir;    /* the thread that took its place, if any */
	bool adopted;         /* an orphan: its notice goes to the first environment */
	u32 space_parent;     /* it ended on its parent's root (a thread): that parent, whose its children become */
	i64 status;
};

static struct sframe fr[NFRAMES];
static struct senv sh[MAXENVS];
static u32 gone[NGONE], ngone;
static u32 first_id;
static u64 quota_total, boot_free;
static u32 new_record_owner; /* the one env whose record may appear this step */
static bool settled;          /* releases were drained this step: none may be pending */

/* --- run state --- */

static struct pt_source *src;
static const char *label;
static u64 step_no;
static struct pt_model_stats *st;
static jmp_buf bail;
static char oplog[LOG][240];
static u64 nlog;
static char cur[240];

/* The recount (valid after every check, so at the start of every step). */
static u32 rmaps[NFRAMES], rlinks[NFRAMES];
/* References into each (shadow slot's) environment's frames from outside it. */
static u32 ext[MAXENVS];
/* Environments whose state changed while this step was synced (outcomes that depend on them may have raced). */
static bool touched[MAXENVS];

static void sync_ends(void);

/* --- frames --- */

static u64 faddr(int i) { return FAKE_RAM_BASE + (u64)i * PAGE_SIZE; }
static int fidx(u64 addr)
{
	if (addr < FAKE_RAM_BASE || addr % PAGE_SIZE)
		return -1;
	u64 i = (addr - FAKE_RAM_BASE) / PAGE_SIZE;
	return i < NFRAMES ? (int)i : -1;
}
static struct frame *kf(int i) { return pt_frame(faddr(i)); }
static u64 *kentries(int i) { return pt_entries(kf(i)); }
/*
 * Frame i is a page table, whose contents a refused call must leave alone
 * (other frames, such as environment records, hold the kernel's own
 * bookkeeping, which a refused call may update).
 */
static bool table_at(int i) { return i >= 0 && kf(i)->type == FRAME_PAGETABLE; }

/*
 * Every valid entry of every table (window slots left out), as the
 * kernel's memory held them at the last scan_edges(): the checks walk
 * these instead of 512 slots a table.  Memory changes only in operations;
 * check_all scans after each.
 */
struct edge {
	int target; /* frame index, -1 outside RAM */
	u32 index;
	u64 entry;
};
static struct edge edges[NFRAMES * (ENTRIES - 1)];
static u32 edge_at[NFRAMES + 1];

static void scan_edges(void)
{
	u32 n = 0;
	for (int t = 0; t < NFRAMES; t++) {
		edge_at[t] = n;
		struct frame *k = kf(t);
		if (k->type != FRAME_PAGETABLE)
			continue;
		const u64 *e = kentries(t);
		for (u32 i = 0; i < ENTRIES; i++)
			if (e[i] && !(k->level == 0 && i == WINDOW))
				edges[n++] = (struct edge){ fidx(e[i] & FAKE_ADDR_MASK), i, e[i] };
	}
	edge_at[NFRAMES] = n;
}
#define FOR_EDGES(t, edge) for (const struct edge *edge = &edges[edge_at[t]]; edge < &edges[edge_at[(t) + 1]]; edge++)
static bool user_or_pt(int i) { return fr[i].type == T_USER || fr[i].type == T_PT; }

static u32 rnd(u32 bound) { return bound <= 1 ? 0 : src->draw(src, bound); }
static bool chance(u32 percent) { return rnd(100) < percent; }
static u64 rnd64(void) { return (u64)rnd(0xffffffffu) << 32 | rnd(0xffffffffu); }

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	vsnprintf(cur, sizeof(cur), fmt, args);
	va_end(args);
}

/* The operation's outcome goes into the log (and the trace). */
static void outcome(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void outcome(const char *fmt, ...)
{
	char tail[64];
	va_list args;
	va_start(args, fmt);
	vsnprintf(tail, sizeof(tail), fmt, args);
	va_end(args);
	snprintf(oplog[nlog % LOG], sizeof(oplog[0]), "%5llu %s -> %s", (unsigned long long)step_no, cur, tail);
	if (pt_model_trace)
		printf("  %s\n", oplog[nlog % LOG]);
	nlog++;
}

static void loud_putc(char ch) { putchar(ch); }

static noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list args;
	printf("pt_model %s: step %llu: MODEL AND KERNEL DISAGREE: ", label, (unsigned long long)step_no);
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	printf("\n  operation: %s\n  operations before it (step, operation, result):\n", cur);
	u64 from = nlog > 24 ? nlog - 24 : 0;
	for (u64 i = from; i < nlog; i++)
		printf("    %s\n", oplog[i % LOG]);
	printf("  the model's environments (id: parent, state, root):\n   ");
	for (int k = 0; k < MAXENVS; k++)
		if (sh[k].id)
			printf(" %u:%u,%s%s%s%s,%#llx", sh[k].id, sh[k].parent,
			       !sh[k].ended ? "live" : sh[k].ending ? "ending" : "ended", sh[k].zombie ? "+zombie" : "",
			       sh[k].husk ? "+husk" : "", sh[k].heir ? "+heir" : "", (unsigned long long)sh[k].root);
	printf("\n  references between environments (table[index] of env -> frame of env):\n");
	int shown = 0;
	for (int t = 0; t < NFRAMES && shown < 40; t++) {
		if (fr[t].type != T_PT)
			continue;
		const u64 *e = kentries(t);
		for (int i = 0; i < ENTRIES && shown < 40; i++) {
			int f = e[i] && !(fr[t].level == 0 && i == WINDOW) ? fidx(e[i] & FAKE_ADDR_MASK) : -1;
			if (f >= 0 && fr[f].owner != fr[t].owner && ++shown)
				printf("    %#llx[%d] (L%u, env %u) -> %#llx (%s, env %u)\n", (unsigned long long)faddr(t), i,
				       fr[t].level, fr[t].owner, (unsigned long long)faddr(f), type_names[fr[f].type], fr[f].owner);
		}
	}
	fflush(stdout);
	longjmp(bail, 1);
}

/* --- the family tree, from the shadow only --- */

static struct senv *S(u32 id)
{
	if (!id)
		return NULL;
	for (int k = 0; k < MAXENVS; k++)
		if (sh[k].id == id)
			return &sh[k];
	return NULL;
}
static int slot_of(u32 id) { return (int)(S(id) - sh); }

/* Is a a proper ancestor of e? */
static bool s_anc(u32 a, u32 e)
{
	const struct senv *x = S(e);
	for (int hops = 0; a && x && x->parent && hops <= MAXENVS; hops++) {
		if (x->parent == a)
			return true;
		x = S(x->parent);
	}
	return false;
}
static bool s_holds(u32 h, u32 t) { return h && S(h) && S(t) && (h == t || s_anc(h, t)); }
static u64 s_root(u32 id) { return S(id) ? S(id)->root : 0; }
static bool s_live(u32 id) { return S(id) && !S(id)->ended; }
static bool s_can_act(u32 a, u32 t)
{
	if (s_holds(a, t))
		return true;
	return S(a) && S(t) && s_root(a) && s_root(a) == s_root(t) && s_anc(t, a);
}

static u32 count_live(void)
{
	u32 n = 0;
	for (int k = 0; k < MAXENVS; k++)
		n += sh[k].id && !sh[k].ended;
	return n;
}
static u32 count_exist(void)
{
	u32 n = 0;
	for (int k = 0; k < MAXENVS; k++)
		n += sh[k].id != 0;
	return n;
}

static void forget_env(struct senv *x)
{
	gone[ngone++ % NGONE] = x->id;
	*x = (struct senv){ 0 };
}

/*
 * Releases under way: an end still pending (ENV_ENDING) takes no new
 * references into its frames; nor does a husk nothing outside refers to
 * any more (it is dissolving: check_all collects husks first, so none is
 * merely queued at the start of a step).  The frames of both may go at any
 * step.
 */
static bool s_ending(u32 id) { return S(id) && S(id)->ending; }
static bool s_dissolving(u32 id) { return S(id) && S(id)->husk && ext[S(id) - sh] == 0; }
static bool s_releasing(u32 id) { return s_ending(id) || s_dissolving(id); }

enum verdict { REFUSE, ACCEPT };
static const char *const verdict_names[] = { "refuse", "accept" };

/* --- the model's rules --- */

static u32 most_of(int i) { return fr[i].type == T_PT ? EXO_R | EXO_X : fr[i].type == T_USER ? RWX : 0; }

/* Rights a table of u may map frame i with. */
static u32 m_rights(u32 u, int i)
{
	u32 most = most_of(i);
	if (!most)
		return 0;
	if (s_holds(u, fr[i].owner))
		return most;
	return s_anc(fr[i].owner, u) ? fr[i].share & most : 0;
}

/* May a table of u link table i with rights r? */
static bool m_link(u32 u, int i, u32 r)
{
	if (fr[i].type != T_PT)
		return false;
	if (s_holds(u, fr[i].owner))
		return true;
	return s_anc(fr[i].owner, u) && (fr[i].share & EXO_R) && !(r & ~fr[i].share);
}

/* May caller c itself write an entry to frame i (a link or a page) with rights r? */
static bool m_reach(u32 c, int i, bool link, u32 r)
{
	if (s_can_act(c, fr[i].owner))
		return true;
	if (!s_anc(fr[i].owner, c))
		return false;
	if (link && !(fr[i].share & EXO_R))
		return false;
	return !(r & ~fr[i].share);
}

/* The fake descriptor format (arch/fake/include/arch/pte.h), decoded independently. */
enum dkind { D_NONE, D_PAGE, D_TABLE, D_BAD };
struct dinfo {
	enum dkind kind;
	u32 rights;
	u64 addr;
};

static struct dinfo m_decode(unsigned level, u64 d)
{
	struct dinfo out = { D_NONE, 0, 0 };
	if (d == 0)
		return out;
	bool table = level < 3;
	u64 allowed = FAKE_VALID | 3ull << FAKE_LEVEL_SHIFT | FAKE_RO | FAKE_NOX | FAKE_ADDR_MASK |
	              (table ? FAKE_TABLE | FAKE_NOACCESS : 0);
	if (!(d & FAKE_VALID) || (d & ~allowed) || ((d >> FAKE_LEVEL_SHIFT) & 3) != level ||
	    ((d & FAKE_TABLE) != 0) != table) {
		out.kind = D_BAD;
		return out;
	}
	out.kind = table ? D_TABLE : D_PAGE;
	out.rights = d & FAKE_NOACCESS ? 0 : EXO_R | (d & FAKE_RO ? 0 : EXO_W) | (d & FAKE_NOX ? 0 : EXO_X);
	out.addr = d & FAKE_ADDR_MASK;
	return out;
}

/* Is this entry legal in a level-`level` table of u?  NULL if so, else why not. */
static const char *m_entry(u32 u, unsigned level, struct dinfo di)
{
	if (di.kind == D_NONE)
		return NULL;
	if (di.kind == D_BAD)
		return "malformed";
	int t = fidx(di.addr);
	if (t < 0)
		return "outside RAM";
	if (di.kind == D_PAGE) {
		if (!user_or_pt(t))
			return "a page of a frame that is neither user nor page table";
		if (fr[t].type == T_PT && (di.rights & ~EXO_R))
			return "a page table mapped writable or executable";
		if (di.rights & ~m_rights(u, t))
			return "rights the table's owner does not hold";
		return NULL;
	}
	if (fr[t].type != T_PT || fr[t].level != level + 1)
		return "a link to something that is not a next-level table";
	return m_link(u, t, di.rights) ? NULL : "a link the table's owner may not make";
}

static bool m_range(unsigned level, u64 index, u64 count)
{
	if (index >= ENTRIES || count > ENTRIES - index)
		return false;
	return !(level == 0 && count && index + count > WINDOW);
}

/* May c change table t (and install it as a root): a live owner c acts on. */
static bool m_table_ok(u32 c, int t) { return t >= 0 && fr[t].type == T_PT && s_live(fr[t].owner) && s_can_act(c, fr[t].owner); }

static enum verdict predict_write(u32 c, u64 table, u64 index, u64 count, const u64 *descs)
{
	int t = fidx(table);
	if (!m_table_ok(c, t) || !m_range(fr[t].level, index, count))
		return REFUSE;
	for (u64 i = 0; i < count; i++) {
		struct dinfo di = m_decode(fr[t].level, descs[i]);
		if (m_entry(fr[t].owner, fr[t].level, di))
			return REFUSE;
		if (di.kind == D_NONE)
			continue;
		int f = fidx(di.addr);
		if (s_releasing(fr[f].owner) || !m_reach(c, f, di.kind == D_TABLE, di.rights))
			return REFUSE;
	}
	return ACCEPT;
}

static enum verdict predict_copy(u32 c, u64 sa, u64 si, u64 da, u64 di, u64 count, u64 set, u64 flags,
                                 u64 *out, u8 *share_add)
{
	int s = fidx(sa), d = fidx(da);
	if (!m_table_ok(c, d))
		return REFUSE;
	/* Not the caller's to act on: a proper ancestor's table shared with R may still be copied from. */
	bool from_shared = false;
	if (!m_table_ok(c, s)) {
		if (s < 0 || fr[s].type != T_PT || !S(fr[s].owner) || s_releasing(fr[s].owner) ||
		    !(fr[s].share & EXO_R) || !s_anc(fr[s].owner, fr[d].owner) || (flags & EXO_COPY_BOTH))
			return REFUSE;
		from_shared = true;
	}
	unsigned level = fr[s].level;
	u64 settable = level == 3 ? FAKE_RO | FAKE_NOX : FAKE_RO | FAKE_NOX | FAKE_NOACCESS;
	if (fr[d].level != level || (flags & ~(u64)(EXO_COPY_BOTH | EXO_COPY_SHARE)) || (set & ~settable))
		return REFUSE;
	if (!m_range(level, si, count) || !m_range(level, di, count))
		return REFUSE;
	if (s == d && si < di + count && di < si + count)
		return REFUSE;
	const u64 *from = kentries(s), *to = kentries(d);
	for (u64 i = 0; i < count; i++)
		if (to[di + i])
			return REFUSE;
	u32 dst_owner = fr[d].owner;
	for (u64 i = 0; i < count; i++) {
		u64 e = from[si + i];
		out[i] = e ? e | set : 0;
		share_add[i] = 0;
		struct dinfo x = m_decode(level, out[i]);
		if (x.kind == D_NONE)
			continue;
		int t = fidx(x.addr);
		/* A releasing environment's frames take no new references, shared or not. */
		if (t >= 0 && user_or_pt(t) && s_releasing(fr[t].owner))
			return REFUSE;
		const char *why = m_entry(dst_owner, level, x);
		bool own_shared = from_shared && t >= 0 && user_or_pt(t) && fr[t].owner == fr[s].owner;
		/* Legal for the destination's owner: the caller must still reach it itself, as for a write. */
		if (!why && c != dst_owner && !own_shared && !m_reach(c, t, x.kind == D_TABLE, x.rights))
			return REFUSE;
		if (!why)
			continue;
		/* The shared table's own frames: within what the table was shared with, which they then get. */
		if (own_shared && x.kind != D_BAD &&
		    !(x.kind == D_TABLE && (fr[t].type != T_PT || fr[t].level != level + 1))) {
			u32 shareable = fr[t].type != T_PT ? RWX : x.kind == D_PAGE ? 0 : EXO_R | EXO_X; /* as a page: nothing */
			if (x.rights & ~(fr[s].share & shareable))
				return REFUSE;
			share_add[i] = (u8)(x.rights | (x.kind == D_TABLE ? EXO_R : 0));
			continue;
		}
		/* Not legal for the destination's owner: only a share can make it so. */
		if (x.kind == D_BAD || !(flags & EXO_COPY_SHARE))
			return REFUSE;
		if (t < 0 || !user_or_pt(t) || (x.kind == D_TABLE && (fr[t].type != T_PT || fr[t].level != level + 1)))
			return REFUSE;
		u32 owner = fr[t].owner;
		if (!s_live(owner) || !s_can_act(c, owner) || !s_anc(owner, dst_owner))
			return REFUSE; /* sharing is acting on the owner's frame: a live owner only */
		u32 shareable = fr[t].type != T_PT ? RWX : x.kind == D_PAGE ? 0 : EXO_R | EXO_X; /* as a page: nothing */
		if (x.rights & ~shareable)
			return REFUSE;
		share_add[i] = (u8)(x.rights | (x.kind == D_TABLE ? EXO_R : 0));
	}
	return ACCEPT;
}

static bool predict_root(u32 c, u64 root)
{
	if (root == 0)
		return true;
	int t = fidx(root);
	return m_table_ok(c, t) && fr[t].level == 0;
}

/* --- references: who refers to what --- */

/*
 * Mark owner's frames that must live on when it ends (or while it is a
 * husk): those referred to from outside it (tables of others, roots of
 * others), and what the entries of its marked tables refer to of its own.
 */
static void closure(u32 owner, bool *mark)
{
	int work[NFRAMES], n = 0;
	memset(mark, 0, NFRAMES * sizeof(*mark));
	for (int t = 0; t < NFRAMES; t++) {
		if (fr[t].type != T_PT || fr[t].owner == owner)
			continue;
		FOR_EDGES(t, edge) {
			int f = edge->target;
			if (f >= 0 && user_or_pt(f) && fr[f].owner == owner && !mark[f])
				mark[f] = true, work[n++] = f;
		}
	}
	for (int k = 0; k < MAXENVS; k++) {
		int f = sh[k].id && sh[k].id != owner && sh[k].root ? fidx(sh[k].root) : -1;
		if (f >= 0 && fr[f].owner == owner && !mark[f])
			mark[f] = true, work[n++] = f;
	}
	while (n) {
		int t = work[--n];
		if (fr[t].type != T_PT)
			continue;
		FOR_EDGES(t, edge) {
			int f = edge->target;
			if (f >= 0 && user_or_pt(f) && fr[f].owner == owner && !mark[f])
				mark[f] = true, work[n++] = f;
		}
	}
}

/* --- checks after every step --- */

/* References into each environment's frames from outside it (tables of others, roots of others). */
static void count_ext(void)
{
	memset(ext, 0, sizeof(ext));
	for (int t = 0; t < NFRAMES; t++) {
		if (fr[t].type != T_PT)
			continue;
		FOR_EDGES(t, edge) {
			int f = edge->target;
			if (f >= 0 && user_or_pt(f) && fr[f].owner != fr[t].owner && S(fr[f].owner))
				ext[slot_of(fr[f].owner)]++;
		}
	}
	for (int k = 0; k < MAXENVS; k++) {
		int f = sh[k].id && sh[k].root ? fidx(sh[k].root) : -1;
		if (f >= 0 && user_or_pt(f) && fr[f].owner != sh[k].id && S(fr[f].owner))
			ext[slot_of(fr[f].owner)]++;
	}
}

static void check_kernel_checker(void)
{
	struct exo_check check;
	u64 problems = pt_check_all(&check);
	if (problems) {
		console_putc = loud_putc; /* let the checker say what it found */
		pt_check_all(&check);
		console_putc = NULL;
		fail("the isolation checker (pt_check_all) reports %llu problems", (unsigned long long)problems);
	}
}

/* The kernel's frame records against the shadow. */
static void sync_frames(void)
{
	for (int i = 0; i < NFRAMES; i++) {
		struct frame *k = kf(i);
		struct sframe *s = &fr[i];
		switch (k->type) {
		case FRAME_FREE:
			if ((s->type == T_OTHER && !S(s->owner)) || (user_or_pt(i) && s_releasing(s->owner)))
				*s = (struct sframe){ T_FREE, 0, 0, 0 }; /* a record that went, or a release under way */
			if (s->type != T_FREE)
				fail("frame %#llx is free, the model has it %s of env %u", (unsigned long long)faddr(i),
				     type_names[s->type], s->owner);
			break;
		case FRAME_KERNEL:
			if (s->type != T_KERNEL)
				fail("frame %#llx is the kernel's, the model has it %s", (unsigned long long)faddr(i),
				     type_names[s->type]);
			break;
		case FRAME_USER:
		case FRAME_PAGETABLE:
			if (user_or_pt(i) && s_ending(s->owner) && S(s->owner)->heir && k->owner == S(s->owner)->heir)
				s->owner = k->owner; /* a pending end hands what lives on to its heir */
			if (!S(s->owner))
				fail("frame %#llx is %s of env %u, which the model has seen go", (unsigned long long)faddr(i),
				     frame_type_name(k->type), k->owner);
			if (s->type != (k->type == FRAME_USER ? T_USER : T_PT) || k->owner != s->owner ||
			    k->share != s->share || (s->type == T_PT && k->level != s->level))
				fail("frame %#llx is %s (level %u) of env %u shared %u; the model has %s (level %u) of env %u shared %u",
				     (unsigned long long)faddr(i), frame_type_name(k->type), k->level, k->owner, k->share,
				     type_names[s->type], s->level, s->owner, s->share);
			break;
		default: /* a kernel record of an environment (FRAME_ENV) */
			if (s->type == T_FREE && k->owner == new_record_owner && S(k->owner))
				*s = (struct sframe){ T_OTHER, 0, 0, k->owner };
			if (s->type != T_OTHER || s->owner != k->owner || !S(k->owner))
				fail("frame %#llx is a %s record of env %u, the model has it %s of env %u%s",
				     (unsigned long long)faddr(i), frame_type_name(k->type), k->owner, type_names[s->type],
				     s->owner, S(k->owner) ? "" : " (an environment that is gone)");
		}
	}
	new_record_owner = 0;
}

/* The kernel's environment records against the shadow; used and quota add up. */
static void sync_envs(void)
{
	u64 quota_sum = 0, adopted = 0;
	for (int k = 0; k < MAXENVS; k++)
		adopted += sh[k].id && sh[k].adopted;
	if (orphan_count() != adopted)
		fail("the kernel counts %llu orphans, the model %llu", (unsigned long long)orphan_count(),
		     (unsigned long long)adopted);
	for (int k = 0; k < MAXENVS; k++) {
		struct senv *x = &sh[k];
		if (!x->id)
			continue;
		struct env *e = env_lookup(x->id);
		if (!e)
			fail("env %u is gone; the model has it %s", x->id, x->ended ? (x->husk ? "a husk" : "a zombie") : "live");
		if (e->parent != x->parent)
			fail("env %u has parent %u, the model %u", x->id, e->parent, x->parent);
		if (e->root != x->root)
			fail("env %u has root %#llx, the model %#llx", x->id, (unsigned long long)e->root,
			     (unsigned long long)x->root);
		if (e->husk != x->husk)
			fail("env %u is %sa husk; the model says %s", x->id, e->husk ? "" : "not ", x->husk ? "yes" : "no");
		if (e->adopted != x->adopted)
			fail("env %u is %san orphan; the model says %s", x->id, e->adopted ? "" : "not ",
			     x->adopted ? "yes" : "no");
		bool ok = !x->ended ? !env_ended(e) && e->status != EXO_ENV_FREE
		          : x->ending ? e->status == ENV_ENDING
		          : x->zombie ? e->status == EXO_ENV_ZOMBIE : e->status == ENV_HUSK;
		if (!ok)
			fail("env %u has status %u; the model has it %s", x->id, e->status,
			     !x->ended ? "live" : x->ending ? "ending (its release pending)"
			     : x->zombie ? "a zombie" : "a received husk");
		u64 owned = 0;
		for (int i = 0; i < NFRAMES; i++)
			owned += fr[i].type >= T_USER && fr[i].owner == x->id;
		if (e->used != owned)
			fail("env %u counts %llu frames (used), owns %llu", x->id, (unsigned long long)e->used,
			     (unsigned long long)owned);
		if (e->quota > quota_total)
			fail("env %u has quota %llu, more than there is (%llu)", x->id, (unsigned long long)e->quota,
			     (unsigned long long)quota_total);
		quota_sum += e->quota;
		if (x->parent && !S(x->parent))
			fail("env %u's parent %u is unknown to the model", x->id, x->parent);
	}
	if (first_id && quota_sum != quota_total)
		fail("quotas add up to %llu, not %llu", (unsigned long long)quota_sum, (unsigned long long)quota_total);
	for (u32 g = 0; g < NGONE && g < ngone; g++)
		if (env_lookup(gone[g]))
			fail("env %u should be gone, the kernel still finds it", gone[g]);
}

/*
 * Recount every reference from the tables (every entry legal for its
 * table's owner under the model, nothing free or foreign referenced, window
 * slots intact) and the roots, and compare with the kernel's counts.
 */
static void recount(void)
{
	memset(rmaps, 0, sizeof(rmaps));
	memset(rlinks, 0, sizeof(rlinks));
	u32 tables = 0;
	for (int t = 0; t < NFRAMES; t++) {
		if (fr[t].type != T_PT)
			continue;
		tables++;
		unsigned level = fr[t].level;
		u64 window = kentries(t)[WINDOW];
		if (level == 0 && window != (fake_table(0, faddr(t), EXO_R) | FAKE_WINDOW))
			fail("root %#llx: window slot holds %#llx", (unsigned long long)faddr(t), (unsigned long long)window);
		FOR_EDGES(t, edge) {
			struct dinfo di = m_decode(level, edge->entry);
			const char *why = m_entry(fr[t].owner, level, di);
			if (why)
				fail("table %#llx[%u] (level %u, env %u%s) holds %#llx: %s", (unsigned long long)faddr(t),
				     edge->index, level, fr[t].owner, s_live(fr[t].owner) ? "" : ", ended",
				     (unsigned long long)edge->entry, why);
			int f = fidx(di.addr);
			if (level == 3)
				rmaps[f]++;
			else
				rlinks[f]++;
		}
	}
	for (int k = 0; k < MAXENVS; k++) {
		if (!sh[k].id || !sh[k].root)
			continue;
		int f = fidx(sh[k].root);
		if (sh[k].ended || f < 0 || fr[f].type != T_PT || fr[f].level != 0)
			fail("env %u runs on %#llx, not a level-0 table (or it has ended)", sh[k].id,
			     (unsigned long long)sh[k].root);
		rlinks[f]++;
	}
	for (int i = 0; i < NFRAMES; i++) {
		struct frame *k = kf(i);
		if (k->maps != rmaps[i] || k->links != rlinks[i])
			fail("frame %#llx: the kernel counts %u maps and %u links, the model %u and %u",
			     (unsigned long long)faddr(i), k->maps, k->links, rmaps[i], rlinks[i]);
	}
	if (tables > st->max_tables)
		st->max_tables = tables;
}

/*
 * What ended environments keep.  A zombie (not a husk) keeps nothing; a
 * husk keeps something, and something outside refers to it (else it is
 * dissolving).  Which frames a husk keeps is judged when it is made
 * (finish_end); afterwards it keeps them all while any outside reference
 * remains, so a husk is alive as a whole: reached from what live
 * environments own or run on, through the tables of whatever is alive.  A
 * husk not reached so is kept only by other husks in a cycle: a leak that
 * lasts until the first environment ends.  Releases under way are let be;
 * after env_release_drain (settled) none may be.
 */
static void check_ended(bool settled)
{
	static bool reach[NFRAMES], husk_alive[MAXENVS];
	for (int k = 0; k < MAXENVS; k++) {
		struct senv *x = &sh[k];
		if (!x->id || !x->ended)
			continue;
		if (settled && (x->ending || s_dissolving(x->id)))
			fail("pending releases were drained, but env %u is still %s", x->id,
			     x->ending ? "ending" : "a husk nothing refers to");
		if (x->ending || x->husk)
			continue;
		for (int i = 0; i < NFRAMES; i++)
			if (user_or_pt(i) && fr[i].owner == x->id)
				fail("ended env %u is not a husk, but owns %s frame %#llx", x->id, type_names[fr[i].type],
				     (unsigned long long)faddr(i));
	}
	int work[NFRAMES], n = 0;
	memset(reach, 0, sizeof(reach));
	memset(husk_alive, 0, sizeof(husk_alive));
	/* Live environments' frames and roots; and releases under way, which will drop what they refer to. */
	for (int i = 0; i < NFRAMES; i++)
		if (user_or_pt(i) && (s_live(fr[i].owner) || s_releasing(fr[i].owner)))
			reach[i] = true, work[n++] = i;
	for (int k = 0; k < MAXENVS; k++) {
		int f = sh[k].id && sh[k].root ? fidx(sh[k].root) : -1;
		if (f >= 0 && !reach[f])
			reach[f] = true, work[n++] = f;
	}
	while (n) {
		int t = work[--n];
		struct senv *o = S(fr[t].owner);
		if (o && o->husk && !husk_alive[o - sh]) { /* a husk lives as a whole */
			husk_alive[o - sh] = true;
			for (int i = 0; i < NFRAMES; i++)
				if (user_or_pt(i) && fr[i].owner == o->id && !reach[i])
					reach[i] = true, work[n++] = i;
		}
		if (fr[t].type != T_PT)
			continue;
		FOR_EDGES(t, edge) {
			int f = edge->target;
			if (f >= 0 && user_or_pt(f) && !reach[f])
				reach[f] = true, work[n++] = f;
		}
	}
	for (int k = 0; k < MAXENVS; k++)
		if (sh[k].id && sh[k].husk && !husk_alive[k] && !s_dissolving(sh[k].id))
			fail("husk %u is kept only by other husks (no live environment reaches any of its frames): "
			     "leaked until the first environment ends", sh[k].id);
}

/* --- the walk: what each live address space reaches --- */

static u32 memo[NFRAMES][MAXENVS][8];
static u32 memo_gen;

static void walk(u32 who, int t, unsigned level, u32 principal, u32 cap)
{
	u32 *seen = &memo[t][slot_of(principal)][cap];
	if (*seen == memo_gen)
		return;
	*seen = memo_gen;
	FOR_EDGES(t, edge) {
		u32 i = edge->index;
		struct dinfo di = m_decode(level, edge->entry);
		int f = fidx(di.addr);
		if (di.kind == D_BAD || f < 0)
			fail("env %u's tables hold %#llx at %#llx[%u]", who, (unsigned long long)edge->entry,
			     (unsigned long long)faddr(t), i);
		u32 r = cap & di.rights, owner = fr[f].owner;
		if (level < 3) {
			if (fr[f].type != T_PT || fr[f].level != level + 1)
				fail("env %u's table %#llx[%u] links %#llx, not a level-%u table", who,
				     (unsigned long long)faddr(t), i, (unsigned long long)faddr(f), level + 1);
			if (s_holds(principal, owner))
				walk(who, f, level + 1, principal, r);
			else if (s_anc(owner, principal) && (fr[f].share & EXO_R))
				st->shared_links++, walk(who, f, level + 1, owner, r & fr[f].share);
			else
				fail("env %u reaches table %#llx of env %u (through %#llx[%u]) in the address space of env %u: "
				     "not held, not shared by an ancestor (share %u)",
				     who, (unsigned long long)faddr(f), owner, (unsigned long long)faddr(t), i, principal,
				     fr[f].share);
			continue;
		}
		st->pages_checked++;
		if (!user_or_pt(f) || (fr[f].type == T_PT && (di.rights & ~EXO_R)))
			fail("env %u reaches %s frame %#llx with rights %u", who, type_names[fr[f].type],
			     (unsigned long long)faddr(f), di.rights);
		if (!r || s_holds(principal, owner))
			continue;
		st->shared_pages++;
		if (!s_anc(owner, principal) || (r & ~fr[f].share))
			fail("env %u reaches frame %#llx of env %u with rights %u (through %#llx[%u]), principal %u: "
			     "%s", who, (unsigned long long)faddr(f), owner, r, (unsigned long long)faddr(t), i, principal,
			     s_anc(owner, principal) ? "beyond what the owner shared" : "neither held nor an ancestor's");
	}
}

static void walk_all(void)
{
	memo_gen++;
	for (int k = 0; k < MAXENVS; k++) {
		if (!sh[k].id || sh[k].ended || !sh[k].root)
			continue;
		int t = fidx(sh[k].root);
		walk(sh[k].id, t, 0, fr[t].owner, RWX);
	}
}

/*
 * Husks that dissolved during the step: their frames are free, their
 * children move to their parent, their record goes unless their exit
 * notice still waits (then they stay zombies).
 */
static void sync_husks(void)
{
	for (bool again = true; again;) {
		again = false;
		for (int k = 0; k < MAXENVS; k++) {
			struct senv *x = &sh[k];
			if (!x->id || !x->husk)
				continue;
			struct env *e = env_lookup(x->id);
			if (e && e->husk)
				continue;
			for (int i = 0; i < NFRAMES; i++) {
				if (!user_or_pt(i) || fr[i].owner != x->id)
					continue;
				if (kf(i)->type != FRAME_FREE)
					fail("husk %u dissolved, but its frame %#llx is not free", x->id,
					     (unsigned long long)faddr(i));
				fr[i] = (struct sframe){ T_FREE, 0, 0, 0 };
			}
			for (int c = 0; c < MAXENVS; c++)
				if (sh[c].id && sh[c].parent == x->id)
					sh[c].parent = x->parent;
			x->husk = false;
			x->approx = false;
			touched[k] = true;
			st->husks_dissolved++;
			again = true;
			if (!x->zombie)
				forget_env(x);
		}
	}
}

/*
 * The kernel answers "how do a and b stand" from views it keeps across
 * calls (exo/relation.c); every change of the tree must drop what they
 * remember.  Ask about every pair of records, in an order that varies from
 * step to step so that views made in one step answer in the next, and
 * compare with a plain walk of the model's own tree.
 */
static void check_relations(void)
{
	u32 ids[MAXENVS], n = 0;
	for (int k = 0; k < MAXENVS; k++)
		if (sh[k].id)
			ids[n++] = sh[k].id;
	u32 shift = n ? rnd(n) : 0;
	for (u32 i = 0; i < n; i++)
		for (u32 j = 0; j < n; j++) {
			u32 a = ids[(i + shift) % n], b = ids[(i + j + shift) % n];
			enum env_relation want = a == b ? REL_SELF : s_anc(a, b) ? REL_DESCENDANT
			                         : s_anc(b, a) ? REL_ANCESTOR : REL_NONE;
			enum env_relation got = env_relation(env_lookup(a), env_lookup(b));
			if (got != want)
				fail("env_relation(%u, %u) is %d, the model's tree says %d", a, b, got, want);
			st->relations_checked++;
		}
}

static void check_all(bool settled)
{
	/*
	 * What the kernel's next call would do first: collect husks a release
	 * step left unreferenced (env_destroy returns without collecting when
	 * its release stays pending; the kernel's own checks run after a
	 * collection, or after env_release_drain).
	 */
	husk_collect();
	scan_edges();
	memset(touched, 0, sizeof(touched));
	count_ext();
	sync_ends();
	sync_husks();
	check_kernel_checker();
	sync_frames();
	sync_envs();
	check_relations();
	recount();
	count_ext(); /* fresh for the next step's predictions */
	check_ended(settled);
	walk_all();
	u32 live = count_live();
	if (live > st->max_live)
		st->max_live = live;
}

/* --- choosing what to act with and on --- */

static u32 pick_env(bool (*want)(const struct senv *, u32), u32 arg)
{
	u32 ids[MAXENVS], n = 0;
	for (int k = 0; k < MAXENVS; k++)
		if (sh[k].id && want(&sh[k], arg))
			ids[n++] = sh[k].id;
	return n ? ids[rnd(n)] : 0;
}
static bool is_live(const struct senv *x, u32 arg) { (void)arg; return !x->ended; }
static bool is_any(const struct senv *x, u32 arg) { (void)x, (void)arg; return true; }
static bool acted_on_by(const struct senv *x, u32 c) { return !x->ended && s_can_act(c, x->id); }
static bool descendant_of(const struct senv *x, u32 c) { return !x->ended && s_anc(c, x->id); }
static bool has_root(const struct senv *x, u32 arg) { (void)arg; return !x->ended && x->root; }
static bool not_first_live(const struct senv *x, u32 arg) { (void)arg; return !x->ended && x->id != first_id; }
/* Who receives z's exit notice: its parent, or the first environment for an orphan. */
static u32 notice_receiver(const struct senv *z) { return z->adopted ? first_id : z->parent; }

/* Has x an exit notice to receive (arg: the orphans' count too)? */
static bool has_zombie_child(const struct senv *x, u32 orphans)
{
	if (x->ended)
		return false;
	for (int k = 0; k < MAXENVS; k++)
		if (sh[k].id && notice_receiver(&sh[k]) == x->id && sh[k].zombie && (orphans || !sh[k].adopted))
			return true;
	return false;
}

static u32 pick_live(void) { return pick_env(is_live, 0); }

/* An id for a call naming an environment: mostly ones c may act on; also ended, gone and made-up ones. */
static u32 pick_target(u32 c)
{
	u32 k = rnd(100), id = 0;
	if (k < 55)
		id = pick_env(acted_on_by, c);
	else if (k < 85)
		id = pick_env(is_any, 0);
	else if (k < 93 && ngone)
		id = gone[rnd(ngone < NGONE ? ngone : NGONE)];
	else
		id = rnd(3) == 0 ? 0 : rnd(3) == 0 ? 0xffffffffu : rnd(5000);
	return id;
}

static int pick_frame(bool (*want)(int, u32), u32 arg)
{
	int ids[NFRAMES], n = 0;
	for (int i = 0; i < NFRAMES; i++)
		if (want(i, arg))
			ids[n++] = i;
	return n ? ids[rnd((u32)n)] : -1;
}
static bool f_any_owned(int i, u32 arg) { (void)arg; return user_or_pt(i); }
static bool f_held_by(int i, u32 u) { return user_or_pt(i) && s_holds(u, fr[i].owner); }
static bool f_of_ancestor(int i, u32 u) { return user_or_pt(i) && s_anc(fr[i].owner, u); }
static bool f_acted_on(int i, u32 c) { return user_or_pt(i) && s_live(fr[i].owner) && s_can_act(c, fr[i].owner); }
static bool f_freeable(int i, u32 c) { return f_acted_on(i, c) && !rmaps[i] && !rlinks[i]; }
static bool f_table(int i, u32 level) { return fr[i].type == T_PT && (level > 3 || fr[i].level == level); }
static bool f_table_acted_on(int i, u32 c) { return fr[i].type == T_PT && f_acted_on(i, c); }
static bool f_root_acted_on(int i, u32 c) { return f_table_acted_on(i, c) && fr[i].level == 0; }
static bool f_table_held(int i, u32 packed)
{
	/* packed: level << 24 | env slot */
	u32 level = packed >> 24, u = sh[packed & 0xffffff].id;
	return fr[i].type == T_PT && fr[i].level == level && (s_holds(u, fr[i].owner) || s_anc(fr[i].owner, u));
}

/* A frame address, biased towards what makes sense for u's table (or c's call). */
static u64 pick_addr(u32 u, u32 c)
{
	u32 k = rnd(100);
	int f = -1;
	if (k < 40)
		f = pick_frame(f_held_by, u);
	else if (k < 60)
		f = pick_frame(f_of_ancestor, u);
	else if (k < 72)
		f = pick_frame(f_acted_on, c);
	else if (k < 90)
		f = pick_frame(f_any_owned, 0);
	else if (k < 97)
		f = (int)rnd(NFRAMES);
	else
		return rnd(2) ? FAKE_RAM_BASE - PAGE_SIZE : faddr(NFRAMES + (int)rnd(3));
	return faddr(f >= 0 ? f : (int)rnd(NFRAMES));
}

static bool f_table_writable(int i, u32 c) { return m_table_ok(c, i); }

/* Tables under some live environment's root (what a write there changes is reachable at once). */
static bool in_use[NFRAMES];
static void mark_in_use(void)
{
	int work[NFRAMES], n = 0;
	memset(in_use, 0, sizeof(in_use));
	for (int k = 0; k < MAXENVS; k++) {
		int f = sh[k].id && !sh[k].ended && sh[k].root ? fidx(sh[k].root) : -1;
		if (f >= 0 && !in_use[f])
			in_use[f] = true, work[n++] = f;
	}
	while (n) {
		int t = work[--n];
		if (fr[t].level == 3)
			continue;
		FOR_EDGES(t, edge) {
			int f = edge->target;
			if (f >= 0 && fr[f].type == T_PT && !in_use[f])
				in_use[f] = true, work[n++] = f;
		}
	}
}
static bool f_table_in_use(int i, u32 c) { return in_use[i] && m_table_ok(c, i); }

static u64 pick_table_addr(u32 c, int level)
{
	u32 k = rnd(100);
	int f = -1;
	if (k < 30) {
		mark_in_use();
		f = pick_frame(f_table_in_use, c);
	}
	if (k < 75 && f < 0)
		f = pick_frame(f_table_writable, c);
	if (f >= 0 && level >= 0 && fr[f].level != (u32)level && chance(70)) {
		int g = pick_frame(f_table, (u32)level);
		f = g >= 0 && f_table_acted_on(g, c) ? g : f;
	}
	if (f < 0 && k < 90)
		f = pick_frame(f_table, level >= 0 ? (u32)level : 4);
	if (f < 0 && k < 97)
		f = (int)rnd(NFRAMES);
	if (f < 0)
		return rnd(2) ? faddr((int)rnd(NFRAMES)) + 8 : faddr(NFRAMES);
	return faddr(f);
}

static u64 pick_index(unsigned level)
{
	u32 k = rnd(100);
	(void)level;
	if (k < 85)
		return rnd(6);
	if (k < 96)
		return 506 + rnd(6);
	return rnd(2) ? 512 : rnd(0xffffffffu);
}

static u32 pick_rights(void) { return EXO_R | (chance(45) ? EXO_W : 0) | (chance(35) ? EXO_X : 0); }

/* A descriptor made wrong in one of the ways the format forbids (or pointing outside RAM). */
static u64 corrupt(u64 d, unsigned level)
{
	switch (rnd(10)) {
	case 0: return d | 1ull << 7;
	case 1: return d | FAKE_WINDOW;
	case 2: return d | 1ull << 63;
	case 3: return d & ~FAKE_VALID;
	case 4: return fake_table((level + 1 + rnd(3)) & 3, d & FAKE_ADDR_MASK, pick_rights());
	case 5: return fake_page(d & FAKE_ADDR_MASK, pick_rights());
	case 6: return d | FAKE_NOACCESS;
	case 7: return (d & ~FAKE_ADDR_MASK) | faddr(NFRAMES + (int)rnd(4));
	case 8: return (d & ~FAKE_ADDR_MASK) | (FAKE_RAM_BASE - PAGE_SIZE);
	default: return rnd64();
	}
}

/*
 * A descriptor the model lets c write into a level-`level` table of u (0 if
 * there is none to make): a page of a frame u may map and c reaches, with
 * rights within both; a link to a next-level table u may link and c
 * reaches.  Used so that legal sequences get deep, not to decide anything.
 */
static u64 legal_desc(u32 c, u32 u, unsigned level)
{
	int ids[NFRAMES], n = 0;
	for (int f = 0; f < NFRAMES; f++) {
		if (!user_or_pt(f) || s_releasing(fr[f].owner))
			continue;
		if (level == 3 ? (m_rights(u, f) & EXO_R) && m_reach(c, f, false, EXO_R)
		               : fr[f].type == T_PT && fr[f].level == level + 1 && m_link(u, f, EXO_R) &&
		                     m_reach(c, f, true, EXO_R))
			ids[n++] = f;
	}
	if (!n)
		return 0;
	int f = ids[rnd((u32)n)];
	for (u32 tries = 0; level < 3 && edge_at[f] == edge_at[f + 1] && tries < 3; tries++)
		f = ids[rnd((u32)n)]; /* rather a table with entries: deeper trees */
	for (u32 tries = 0; chance(50) && !s_anc(fr[f].owner, u) && tries < 8; tries++)
		f = ids[rnd((u32)n)]; /* now and then rather what an ancestor shared */
	/* rights within what both u and c may have */
	u32 allowed = RWX;
	if (!s_holds(u, fr[f].owner))
		allowed &= fr[f].share;
	if (!s_can_act(c, fr[f].owner))
		allowed &= fr[f].share;
	if (level == 3)
		allowed &= fr[f].type == T_PT ? EXO_R : m_rights(u, f);
	u32 r = EXO_R | (rnd(RWX + 1) & allowed);
	if (level == 3)
		return fake_page(faddr(f), r);
	u64 d = fake_table(level, faddr(f), r);
	return chance(5) ? d | FAKE_NOACCESS : d;
}

/* A descriptor for a level-`level` table of u written by c. */
static u64 make_desc(u32 c, u32 u, unsigned level)
{
	u32 k = rnd(100);
	if (k < 12)
		return 0;
	u64 d;
	if (level == 3) {
		u64 a = pick_addr(u, c);
		int f = fidx(a);
		u32 r = f >= 0 && fr[f].type == T_PT && chance(75) ? EXO_R : pick_rights();
		d = fake_page(a, r);
	} else {
		int f = -1;
		int slot = S(u) ? slot_of(u) : -1;
		if (slot >= 0 && chance(70))
			f = pick_frame(f_table_held, (level + 1) << 24 | (u32)slot);
		if (f < 0 && chance(60))
			f = pick_frame(f_table, level + 1);
		u64 a = f >= 0 ? faddr(f) : pick_addr(u, c);
		d = fake_table(level, a, pick_rights());
		if (chance(8))
			d |= FAKE_NOACCESS;
	}
	return k >= 90 ? corrupt(d, level) : d;
}

/* --- operations --- */

static void accepted(void) { st->accepted++; }
static void refused(void) { st->refused++; }

/* env_target as every call naming an environment does it, compared with the model. */
static int target(u32 c, u32 id, struct env **out)
{
	int err = env_target(env_lookup(c), id, out);
	bool want = s_live(id) && s_can_act(c, id);
	if ((err == 0) != want)
		fail("env_target(%u, %u) = %d, the model says %s", c, id, err, want ? "allowed" : "refused");
	return err;
}

static void op_create(bool thread);
static int do_pt_alloc(u32 c, u32 id, u64 level);

static void op_set_root_as(u32 c, u32 id, u64 root)
{
	note("set_root by %u: env %u root %#llx", c, id, (unsigned long long)root);
	struct env *env;
	int err = target(c, id, &env);
	if (err) {
		outcome("%d (env_target)", err);
		return refused();
	}
	bool want = predict_root(c, root);
	err = pt_check_root(env_lookup(c), root);
	if ((err == 0) != want)
		fail("pt_check_root = %d, the model says %s", err, want ? "accept" : "refuse");
	outcome("%d", err);
	if (err)
		return refused();
	pt_set_root(env, root);
	husk_collect();
	S(id)->root = root;
	accepted();
}

static void op_set_root(void)
{
	u32 c = pick_live(), id = chance(45) ? c : pick_target(c);
	u32 k = rnd(100);
	u64 root;
	if (k < 15) {
		root = 0;
	} else if (k < 80) {
		int f = pick_frame(f_root_acted_on, c);
		if (f < 0 || chance(20)) { /* a fresh address space */
			f = do_pt_alloc(c, c, 0);
			check_all(false); /* between the calls of one step too: the shadow follows each */
		}
		root = f >= 0 ? faddr(f) : 0;
	} else {
		root = pick_table_addr(c, (int)rnd(4));
	}
	op_set_root_as(c, id, root);
}

static void op_create(bool thread)
{
	u32 c = thread ? pick_env(has_root, 0) : pick_live();
	if (!c || count_live() >= MAXLIVE || count_exist() >= MAXEXIST)
		return;
	u64 quota = chance(20) ? rnd(300) : 4 + rnd(40);
	note("env_create by %u, quota %llu%s", c, (unsigned long long)quota, thread ? " (a thread)" : "");
	struct env *env = NULL;
	int err = env_create(env_lookup(c), quota, &env);
	if (err) {
		outcome("%d", err);
		return refused();
	}
	u32 id = env->id;
	outcome("env %u", id);
	for (u32 g = 0; g < NGONE && g < ngone; g++)
		if (gone[g] == id)
			fail("env_create gave id %u, which an ended environment had", id);
	if (S(id) || env->parent != c || env->root || env->husk || env_ended(env))
		fail("env_create gave env %u: parent %u, root %#llx, status %u", id, env->parent,
		     (unsigned long long)env->root, env->status);
	struct senv *x = S(0);
	for (int k = 0; k < MAXENVS && !x; k++)
		if (!sh[k].id)
			x = &sh[k];
	*x = (struct senv){ .id = id, .parent = c };
	new_record_owner = id;
	accepted();
	if (!thread)
		return;
	check_all(false); /* between the calls of one step too: the shadow follows each */
	op_set_root_as(c, id, S(c)->root);
}

static void op_frame_alloc(void)
{
	u32 c = pick_live(), id = chance(40) ? c : pick_target(c);
	u64 count = chance(95) ? 1 + rnd(3) : rnd(2) ? 0 : 513;
	note("frames_alloc by %u for env %u, %llu frames", c, id, (unsigned long long)count);
	struct env *env;
	int err = target(c, id, &env);
	if (err) {
		outcome("%d (env_target)", err);
		return refused();
	}
	u64 used = env->used, free_frames = 0;
	for (int i = 0; i < NFRAMES; i++)
		free_frames += fr[i].type == T_FREE;
	bool want = count >= 1 && count <= 512 && count <= (env->quota > used ? env->quota - used : 0) &&
	            count <= free_frames;
	paddr_t out[4];
	err = frames_alloc(env, count, out);
	outcome("%d", err);
	if ((err == 0) != want)
		fail("frames_alloc = %d, the model says %s (quota %llu, used %llu, %llu free)", err,
		     want ? "accept" : "refuse", (unsigned long long)env->quota, (unsigned long long)used,
		     (unsigned long long)free_frames);
	if (err)
		return refused();
	for (u64 n = 0; n < count; n++) {
		int f = fidx(out[n].val);
		if (f < 0 || fr[f].type != T_FREE)
			fail("frames_alloc gave %#llx, which was not free", (unsigned long long)out[n].val);
		fr[f] = (struct sframe){ T_USER, 0, 0, id };
		for (int i = 0; i < ENTRIES; i++)
			if (kentries(f)[i])
				fail("frames_alloc gave %#llx with old contents", (unsigned long long)out[n].val);
	}
	accepted();
}

/* pt_alloc as call_pt_alloc does it (env_target first): the new table's frame, or -1. */
static int do_pt_alloc(u32 c, u32 id, u64 level)
{
	note("pt_alloc by %u for env %u, level %llu", c, id, (unsigned long long)level);
	struct env *env;
	int err = target(c, id, &env);
	if (err) {
		outcome("%d (env_target)", err);
		refused();
		return -1;
	}
	u64 free_frames = 0;
	for (int i = 0; i < NFRAMES; i++)
		free_frames += fr[i].type == T_FREE;
	bool want = level < 4 && env->quota > env->used && free_frames > 0;
	paddr_t out;
	err = pt_alloc(env, level, &out);
	outcome("%d", err);
	if ((err == 0) != want)
		fail("pt_alloc = %d, the model says %s (quota %llu, used %llu)", err, want ? "accept" : "refuse",
		     (unsigned long long)env->quota, (unsigned long long)env->used);
	if (err) {
		refused();
		return -1;
	}
	int f = fidx(out.val);
	if (f < 0 || fr[f].type != T_FREE)
		fail("pt_alloc gave %#llx, which was not free", (unsigned long long)out.val);
	fr[f] = (struct sframe){ T_PT, (u8)level, 0, id };
	for (int i = 0; i < ENTRIES; i++)
		if (kentries(f)[i] && !(level == 0 && i == WINDOW))
			fail("pt_alloc gave %#llx with entry %d set", (unsigned long long)out.val, i);
	accepted();
	return f;
}

static void op_pt_alloc(void)
{
	u32 c = pick_live(), id = chance(45) ? c : pick_target(c);
	do_pt_alloc(c, id, chance(92) ? rnd(4) : rnd(2) ? 4 : 1ull << 40);
}

static void op_frame_free(void)
{
	u32 c = pick_live(), count = chance(95) ? 1 + rnd(3) : 0;
	u64 addrs[4];
	for (u32 n = 0; n < count; n++) {
		u32 k = rnd(100);
		int f = k < 60 ? pick_frame(f_freeable, c) : k < 85 ? pick_frame(f_any_owned, 0) : -1;
		addrs[n] = f >= 0 ? faddr(f) : k < 95 ? faddr((int)rnd(NFRAMES)) : faddr(NFRAMES) + 0;
		if (n && chance(8))
			addrs[n] = addrs[n - 1];
	}
	note("frames_free by %u: %u frames %#llx %#llx %#llx", c, count, (unsigned long long)(count > 0 ? addrs[0] : 0),
	     (unsigned long long)(count > 1 ? addrs[1] : 0), (unsigned long long)(count > 2 ? addrs[2] : 0));
	bool want = count >= 1;
	for (u32 n = 0; n < count && want; n++) {
		int f = fidx(addrs[n]);
		want = f >= 0 && f_acted_on(f, c) && !rmaps[f] && !rlinks[f];
		for (u32 m = 0; m < n; m++)
			want = want && addrs[m] != addrs[n];
	}
	int err = frames_free(env_lookup(c), addrs, count);
	outcome("%d", err);
	if ((err == 0) != want)
		fail("frames_free = %d, the model says %s", err, want ? "accept" : "refuse");
	if (err)
		return refused();
	for (u32 n = 0; n < count; n++)
		fr[fidx(addrs[n])] = (struct sframe){ T_FREE, 0, 0, 0 };
	accepted();
}

/* frame_share, predicted and checked. */
static int do_share(u32 c, u64 addr, u64 rights)
{
	note("frame_share by %u: %#llx rights %llu", c, (unsigned long long)addr, (unsigned long long)rights);
	int f = fidx(addr);
	bool want = f >= 0 && f_acted_on(f, c) && !(rights & ~(u64)most_of(f));
	int err = frame_share(env_lookup(c), addr, rights);
	outcome("%d", err);
	if ((err == 0) != want)
		fail("frame_share = %d, the model says %s", err, want ? "accept" : "refuse");
	if (err) {
		refused();
		return err;
	}
	fr[f].share |= (u8)rights;
	accepted();
	return 0;
}

static void op_share(void)
{
	u32 c = pick_live();
	int f = chance(65) ? pick_frame(f_acted_on, c) : -1;
	u64 addr = f >= 0 ? faddr(f) : pick_addr(c, c);
	u32 k = rnd(100);
	do_share(c, addr, k < 80 ? 1 + rnd(7) : k < 88 ? 0 : k < 95 ? 8 : 1ull << 33 | EXO_R);
}

static int do_write(u32 c, u64 table, u64 index, u64 count, const u64 *descs);

/*
 * An ancestor shares one of its tables (or frames) and a descendant links
 * (or maps) it from a table of its own: address spaces that reach across
 * generations, where the walk's principal changes.
 */
static bool has_live_ancestor(const struct senv *x, u32 arg)
{
	(void)arg;
	return !x->ended && S(x->parent) && s_live(x->parent);
}
static bool f_owned_by(int i, u32 id) { return user_or_pt(i) && fr[i].owner == id; }
/*
 * From a live environment's root down to level 3, following links it may
 * change (or making the missing tables and links), then a page there: what
 * it maps is reachable at once, so the walk judges it.
 */
static void op_build_down(void)
{
	u32 e = pick_env(has_root, 0);
	if (!e)
		return;
	int t = fidx(S(e)->root);
	u32 c = chance(70) ? e : fr[t].owner; /* the environment itself, or the root's owner */
	if (!s_live(c))
		return;
	for (unsigned level = 0; level < 3; level++) {
		if (!m_table_ok(c, t))
			return;
		int next = -1;
		FOR_EDGES(t, edge)
			if (edge->index < 6 && edge->target >= 0 && fr[edge->target].type == T_PT && chance(70))
				next = edge->target;
		if (next < 0) {
			next = do_pt_alloc(c, fr[t].owner, level + 1);
			if (next < 0)
				return;
			u64 desc[4] = { fake_table(level, faddr(next), pick_rights()) };
			if (do_write(c, faddr(t), rnd(6), 1, desc))
				return;
			check_all(false); /* between the calls of one step too: the shadow follows each */
		}
		t = next;
	}
	if (!m_table_ok(c, t) || fr[t].level != 3)
		return;
	u64 desc[4] = { legal_desc(c, fr[t].owner, 3) };
	do_write(c, faddr(t), rnd(6), 1, desc);
}

static void op_share_down(void)
{
	u32 d = pick_env(has_live_ancestor, 0);
	if (!d)
		return;
	u32 a = S(d)->parent;
	while (S(a)->parent && s_live(S(a)->parent) && chance(30))
		a = S(a)->parent;
	int f = pick_frame(f_owned_by, a);
	if (f < 0)
		return;
	u32 rights = fr[f].type == T_PT ? EXO_R | (chance(50) ? EXO_X : 0) : pick_rights();
	if (do_share(a, faddr(f), rights))
		return;
	check_all(false);
	/* a table of d's one level up (or any level-3 table of d's for a frame or a table mapped as a page) */
	bool link = fr[f].type == T_PT && fr[f].level > 0 && chance(70);
	int t = -1;
	mark_in_use(); /* rather a table under a root, so that the walk sees the result */
	for (int pass = 0; pass < 2 && t < 0; pass++)
		for (int i = 0, n = 0; i < NFRAMES; i++)
			if (fr[i].type == T_PT && fr[i].owner == d && fr[i].level == (link ? fr[f].level - 1u : 3u) &&
			    (pass || in_use[i]) && rnd((u32)++n) == 0)
				t = i;
	if (t < 0)
		return;
	u64 desc[4] = { link ? fake_table(fr[t].level, faddr(f), rights & (EXO_R | EXO_X))
	                     : fake_page(faddr(f), fr[f].type == T_PT ? EXO_R : rights) };
	do_write(d, faddr(t), rnd(6), 1, desc);
}

/* pt_write, predicted and checked: the table holds exactly what was written, or nothing changed. */
static int do_write(u32 c, u64 table, u64 index, u64 count, const u64 *descs)
{
	int t = fidx(table);
	note("pt_write by %u: table %#llx (level %u, env %u) [%llu] x%llu: %#llx %#llx %#llx %#llx", c,
	     (unsigned long long)table, t >= 0 ? fr[t].level : 0, t >= 0 ? fr[t].owner : 0,
	     (unsigned long long)index, (unsigned long long)count, (unsigned long long)descs[0],
	     (unsigned long long)descs[1], (unsigned long long)descs[2], (unsigned long long)descs[3]);
	static u64 before[ENTRIES];
	bool t_table = table_at(t);
	if (t_table)
		memcpy(before, kentries(t), sizeof(before));
	enum verdict want = predict_write(c, table, index, count, descs);
	int err = pt_write(env_lookup(c), table, index, count, descs);
	outcome("%d", err);
	if ((err == 0) != (want == ACCEPT))
		fail("pt_write = %d, the model says %s", err, verdict_names[want]);
	if (err) {
		st->writes_refused++;
		if (t_table && memcmp(before, kentries(t), sizeof(before)))
			fail("pt_write refused, but the table changed");
		refused();
		return err;
	}
	st->writes_accepted++;
	for (u64 i = 0; i < count; i++)
		before[index + i] = descs[i];
	if (memcmp(before, kentries(t), sizeof(before)))
		fail("pt_write accepted, but the table does not hold what was written (and only that)");
	accepted();
	return 0;
}

/*
 * Many small tables for one environment, each with an entry: its end then
 * costs more than one step of release work (RELEASE_BUDGET), so it stays
 * pending (ENV_ENDING) and the steps after it run beside it.
 */
static void op_bulk(void)
{
	u32 c = pick_live(), id = pick_env(acted_on_by, c), tables = 0;
	for (int i = 0; i < NFRAMES; i++)
		tables += fr[i].type == T_PT;
	if (!id || tables > 64) /* the kernel's checker scans every table: keep the machine small */
		return;
	for (u32 n = 16 + rnd(12); n; n--) {
		int f = do_pt_alloc(c, id, 3);
		if (f < 0)
			return;
		u64 desc[4] = { legal_desc(c, id, 3) };
		do_write(c, faddr(f), rnd(8), 1, desc);
		check_all(false);
	}
}

static void op_write(void)
{
	u32 c = pick_live();
	u64 table = pick_table_addr(c, -1);
	int t = fidx(table);
	unsigned level = t >= 0 && fr[t].type == T_PT ? fr[t].level : rnd(4);
	u32 u = t >= 0 && user_or_pt(t) ? fr[t].owner : c;
	u64 index = pick_index(level);
	u32 k = rnd(100);
	u64 count = k < 85 ? 1 + rnd(4) : k < 90 ? 0 : k < 97 ? 5 + rnd(DESCS - 5) : ENTRIES + 1 - rnd(3);
	static u64 descs[ENTRIES + 1];
	memset(descs, 0, sizeof(descs));
	/* Mostly what the model allows (with now and then one wrong entry), else anything. */
	bool legal = t >= 0 && fr[t].type == T_PT && chance(70);
	if (legal && count > 3)
		count = 1 + rnd(3);
	for (u64 i = 0; i < count && i < DESCS; i++)
		descs[i] = legal && !chance(6) ? (chance(10) ? 0 : legal_desc(c, u, level)) : make_desc(c, u, level);
	do_write(c, table, index, count, descs);
}

static bool f_table_with_entries(int i, u32 c)
{
	if (!f_table_acted_on(i, c))
		return false;
	for (int k = 0; k < 6; k++)
		if (kentries(i)[k])
			return true;
	return false;
}

static void op_copy(void)
{
	u32 c = pick_live();
	int s = chance(70) ? pick_frame(f_table_with_entries, c) : -1;
	u64 sa = s >= 0 ? faddr(s) : pick_table_addr(c, -1);
	s = fidx(sa);
	int level = s >= 0 && fr[s].type == T_PT ? fr[s].level : -1;
	u64 da = pick_table_addr(c, level);
	int d = fidx(da);
	u64 si = pick_index(0), di = pick_index(0);
	if (chance(70) && d >= 0 && fr[d].type == T_PT) /* an empty slot, so that it can succeed */
		for (u32 tries = 0; tries < 6 && kentries(d)[di % ENTRIES]; tries++)
			di = rnd(6);
	if (s >= 0 && fr[s].type == T_PT && chance(60))
		for (u32 tries = 0; tries < 6 && !kentries(s)[si % ENTRIES]; tries++)
			si = rnd(6);
	u64 count = chance(90) ? 1 + rnd(3) : rnd(2) ? 0 : 600;
	u64 set = (chance(25) ? FAKE_RO : 0) | (chance(20) ? FAKE_NOX : 0) | (chance(8) ? FAKE_NOACCESS : 0) |
	          (chance(4) ? 1ull << rnd(64) : 0);
	u64 flags = (chance(30) ? EXO_COPY_BOTH : 0) | (chance(45) ? EXO_COPY_SHARE : 0) | (chance(3) ? 4 : 0);
	note("pt_copy by %u: %#llx[%llu] -> %#llx[%llu] x%llu set %#llx flags %llu", c, (unsigned long long)sa,
	     (unsigned long long)si, (unsigned long long)da, (unsigned long long)di, (unsigned long long)count,
	     (unsigned long long)set, (unsigned long long)flags);
	static u64 before_s[ENTRIES], before_d[ENTRIES];
	bool s_table = table_at(s), d_table = table_at(d);
	if (s_table)
		memcpy(before_s, kentries(s), sizeof(before_s));
	if (d_table)
		memcpy(before_d, kentries(d), sizeof(before_d));
	u64 copied[4] = { 0 };
	u8 share_add[4] = { 0 };
	enum verdict want = count <= 4 ? predict_copy(c, sa, si, da, di, count, set, flags, copied, share_add)
	                               : REFUSE; /* 600 entries never fit */
	int err = pt_copy(env_lookup(c), sa, si, da, di, count, set, flags);
	outcome("%d", err);
	if ((err == 0) != (want == ACCEPT))
		fail("pt_copy = %d, the model says %s", err, verdict_names[want]);
	if (err) {
		st->copies_refused++;
		if ((s_table && memcmp(before_s, kentries(s), sizeof(before_s))) ||
		    (d_table && memcmp(before_d, kentries(d), sizeof(before_d))))
			fail("pt_copy refused, but a table changed");
		return refused();
	}
	st->copies_accepted++;
	u64 *want_s = before_s, *want_d = s == d ? before_s : before_d;
	for (u64 i = 0; i < count; i++) {
		if (!copied[i])
			continue;
		int f = fidx(copied[i] & FAKE_ADDR_MASK);
		fr[f].share |= share_add[i];
		if (flags & EXO_COPY_BOTH)
			want_s[si + i] = copied[i];
		want_d[di + i] = copied[i];
	}
	if (memcmp(want_s, kentries(s), sizeof(before_s)) || memcmp(want_d, kentries(d), sizeof(before_d)))
		fail("pt_copy accepted, but the tables do not hold what was copied (and only that)");
	accepted();
}

/*
 * An environment ends (not the first).  Before the kernel acts, the model
 * notes its candidates for heir (live children on its root) and which of
 * its frames something outside refers to, directly or under such a frame
 * (survivors).  The kernel's heir shows at once (it takes the ended
 * environment's place under its parent); the rest of the end may be
 * pending (ENV_ENDING): finish_end() judges it when it is done.
 */
static bool survivors[MAXENVS][NFRAMES];
static u32 seq_of[MAXENVS], end_seq;

static void env_end(u32 id, i64 status, bool reap)
{
	struct senv *x = S(id);
	u32 parent = x->parent;
	u32 candidates[MAXENVS], ncand = 0;
	for (int k = 0; k < MAXENVS; k++)
		if (sh[k].id && sh[k].parent == id && !sh[k].ended && x->root && sh[k].root == x->root)
			candidates[ncand++] = sh[k].id;
	bool *survives = survivors[x - sh];
	u64 root = x->root;
	x->root = 0; /* its root goes first: it keeps nothing alive */
	closure(id, survives);
	x->root = root;
	bool parent_husk = S(parent) && S(parent)->husk;
	u32 space_parent = root && S(parent) && S(parent)->root == root ? parent : 0;
	env_destroy(env_lookup(id), status, reap);
	st->env_ends++;

	u32 heir = 0;
	for (u32 n = 0; n < ncand; n++) {
		struct env *e = env_lookup(candidates[n]);
		if (e && e->parent == parent) {
			if (heir)
				fail("env %u ended: two threads (%u and %u) took its place", id, heir, candidates[n]);
			heir = candidates[n];
		}
	}
	if (ncand && !heir)
		fail("env %u ended with live threads on its root, but none took its place", id);
	if (heir) {
		S(heir)->parent = parent;
		S(heir)->adopted = x->adopted; /* in its place: an orphan's heir is one */
		st->heirs++;
	}
	struct env *e = env_lookup(id);
	x->ended = true;
	x->ending = true; /* until finish_end has judged the outcome */
	x->root = 0;
	x->heir = heir;
	x->reap = reap || (!x->adopted && parent_husk); /* an ended parent receives nothing */
	x->space_parent = space_parent;
	x->status = status;
	x->approx = e && e->status == ENV_ENDING; /* pending: kept frames chosen while references go */
	x->zombie = false;
	x->husk = false;
	seq_of[x - sh] = ++end_seq; /* the kernel finishes pending ends oldest first */
	if (x->approx)
		st->pending_ends++;
}


/*
 * A finished end, judged: every frame it owned is free, or its heir's, or
 * still its own in a husk; what is kept is among its survivors (exactly
 * them, if the end ran in one go); its children stay (a husk) or move to
 * its heir or parent, orphans unless an heir takes them or it ran on its
 * parent's root, zombies still waiting; it waits as a zombie unless its
 * parent destroyed it or the receiver of its notice has ended.
 */
static void finish_end(struct senv *x)
{
	u32 id = x->id, parent = x->parent, heir = x->heir;
	const bool *survives = survivors[x - sh];
	bool exact = !x->approx;
	struct env *e = env_lookup(id);
	bool husk = e && e->husk, dissolving = husk && ext[x - sh] == 0;
	for (int i = 0; i < NFRAMES; i++) {
		if (!user_or_pt(i) || fr[i].owner != id)
			continue;
		struct frame *k = kf(i);
		const char *wrong = NULL;
		if (k->type == FRAME_FREE) {
			if (exact && survives[i] && (heir || (husk && !dissolving)))
				wrong = "free, though something outside refers to it";
			fr[i] = (struct sframe){ T_FREE, 0, 0, 0 };
		} else if (heir && k->owner == heir && S(heir)) {
			fr[i].owner = heir; /* a thread heir may take any of them (it takes them all) */
		} else if (k->owner == id && husk) {
			if (!survives[i])
				wrong = "kept in the husk, though nothing outside referred to it";
		} else {
			wrong = "neither free, nor the heir's, nor kept in a husk";
		}
		if (wrong)
			fail("env %u ended%s: its %s frame %#llx is %s (now %s of env %u; heir %u, husk %s)", id,
			     exact ? "" : " (released in steps)", type_names[fr[i].type], (unsigned long long)faddr(i),
			     wrong, frame_type_name(k->type), k->owner, heir, husk ? "yes" : "no");
	}
	if (husk && heir)
		fail("env %u ended with heir %u, but is a husk", id, heir);
	for (int k = 0; k < MAXENVS; k++) {
		struct senv *z = &sh[k];
		if (!z->id || z->parent != id || z->id == heir)
			continue;
		if (z->zombie) {
			struct env *ze = env_lookup(z->id);
			if (!ze || ze->status != EXO_ENV_ZOMBIE)
				fail("env %u ended (%s): its zombie child %u no longer waits", id, husk ? "a husk" : "not a husk",
				     z->id);
		}
		/* A thread's children are its process's, if it still lives (it may have ended meanwhile). */
		bool to_process = x->space_parent == parent && S(parent) && !S(parent)->ended;
		if (husk || (!heir && !to_process))
			z->adopted = true;
		if (!husk)
			z->parent = heir && S(heir) ? heir : parent;
	}
	struct senv *p = S(parent), *receiver = x->adopted ? S(first_id) : p;
	bool zombie = !x->reap && !(receiver && receiver->husk);
	bool kernel_zombie = e && e->status == EXO_ENV_ZOMBIE;
	struct env *pe = p ? env_lookup(p->id) : NULL;
	if (zombie && !kernel_zombie && p && p->ending && !(pe && pe->status == ENV_ENDING)) {
		/*
		 * Its parent's end finished after it in the same step: it was a
		 * zombie, which the parent (a husk) has settled since.  The
		 * parent's finish_end judges that.
		 */
		kernel_zombie = true;
	}
	if (zombie != kernel_zombie && !(p && touched[p - sh]))
		fail("env %u ended; its parent %u %s; it %s, the model says it %s", id, parent,
		     p && p->husk ? "is a husk (ended)" : p && p->ended ? "has ended" : "is live",
		     kernel_zombie ? "waits as a zombie" : e ? "does not wait" : "is gone",
		     zombie ? "waits for its parent" : "does not wait (nobody will receive its notice)");
	x->ending = false;
	x->zombie = kernel_zombie;
	if (!x->zombie)
		x->adopted = false; /* its notice never comes: nobody's orphan any more */
	x->husk = husk;
	x->approx = husk && !exact;
	touched[x - sh] = true;
	st->husks += husk;
	if (!x->zombie && !x->husk) {
		if (e && e->status != EXO_ENV_FREE)
			fail("env %u ended, is neither a zombie nor a husk, but is still there (status %u)", id, e->status);
		forget_env(x);
	}
}

/* Ends that finished during the step, oldest first (the order the kernel finishes them). */
static void sync_ends(void)
{
	for (;;) {
		struct senv *oldest = NULL;
		for (int k = 0; k < MAXENVS; k++) {
			struct senv *x = &sh[k];
			if (!x->id || !x->ending)
				continue;
			struct env *e = env_lookup(x->id);
			if (e && e->status == ENV_ENDING)
				continue;
			if (!oldest || seq_of[k] < seq_of[oldest - sh])
				oldest = x;
		}
		if (!oldest)
			return;
		finish_end(oldest);
	}
}

static void op_destroy(void)
{
	u32 c = pick_live(), k = rnd(100), id;
	if (k < 40)
		id = pick_env(descendant_of, c);
	else if (k < 55)
		id = c;
	else
		id = pick_target(c);
	if (!id || id == first_id) /* the first environment ends on its own (op_end_all) */
		id = chance(50) ? gone[rnd(ngone < NGONE ? ngone : NGONE)] : 424242;
	note("env_destroy by %u of env %u", c, id);
	struct env *env;
	int err = target(c, id, &env);
	outcome("%d", err);
	if (err)
		return refused();
	/* Who would receive its notice has its answer: no notice (call_env_destroy). */
	env_end(id, -1, notice_receiver(S(id)) == c);
	accepted();
}

static void op_exit(void)
{
	u32 id = pick_env(not_first_live, 0);
	if (!id)
		return;
	i64 status = (i64)rnd(256);
	note("env %u exits with %lld", id, (long long)status);
	outcome("ended");
	env_end(id, status, false);
	accepted();
}

static void op_recv(void)
{
	u32 id = chance(75) ? pick_env(has_zombie_child, 1) : 0;
	if (!id)
		id = pick_live();
	bool orphans = chance(80); /* else EXO_RECV_SKIP_ORPHANS: the orphans' stay queued */
	bool want = has_zombie_child(S(id), orphans);
	note("env %u receives%s", id, orphans ? "" : " (orphans skipped)");
	struct exo_event event;
	int err = env_take_event(env_lookup(id), &event, orphans, false);
	outcome("%d (env %llu)", err, err ? 0ull : (unsigned long long)event.env);
	if ((err == 0) != want)
		fail("env_take_event = %d, the model says %s", err, want ? "an exit notice" : "nothing");
	if (err)
		return refused();
	struct senv *z = S((u32)event.env);
	if (!z || event.kind != (z->adopted ? EXO_EVENT_ORPHAN_EXIT : EXO_EVENT_EXIT) || notice_receiver(z) != id ||
	    !z->zombie || (i64)event.value != z->status || (z->adopted && !orphans))
		fail("env %u received event %llu from env %llu (value %lld), not an exit of a zombie it receives", id,
		     (unsigned long long)event.kind, (unsigned long long)event.env, (long long)event.value);
	z->zombie = false;
	z->adopted = false;
	if (!z->husk)
		forget_env(z);
	accepted();
}

static void begin_family(void)
{
	memset(sh, 0, sizeof(sh));
	struct env *first = NULL;
	note("env_create of the first environment, quota %llu", (unsigned long long)boot_free);
	if (env_create(NULL, boot_free, &first) != 0)
		fail("the first environment could not be created");
	outcome("env %u", first->id);
	first_id = first->id;
	sh[0] = (struct senv){ .id = first_id };
	new_record_owner = first_id;
	quota_total = first->quota;
	check_all(true);
}

/* The first environment ends: everything goes, every frame comes back. */
static void end_all(void)
{
	note("the first environment (%u) exits", first_id);
	env_destroy(env_lookup(first_id), 0, false);
	env_release_drain();
	outcome("ended");
	st->first_ends++;
	for (int k = 0; k < MAXENVS; k++)
		if (sh[k].id) {
			if (env_lookup(sh[k].id))
				fail("the first environment ended, but env %u is still there", sh[k].id);
			forget_env(&sh[k]);
		}
	first_id = 0;
	for (int i = 0; i < NFRAMES; i++)
		if (fr[i].type != T_KERNEL)
			fr[i] = (struct sframe){ T_FREE, 0, 0, 0 };
	u64 free_now = frame_count(&kernel_frames, FRAME_FREE);
	if (free_now != boot_free)
		fail("every environment has ended, but %llu frames are free, not %llu", (unsigned long long)free_now,
		     (unsigned long long)boot_free);
	check_all(true);
}

/* Time passes: every release pending finishes (the scheduler would do it between runs). */
static void op_drain(void)
{
	note("env_release_drain");
	env_release_drain();
	outcome("done");
	settled = true;
}

static void one_step(void)
{
	u32 live = count_live(), k = rnd(1000);
	if (live < 3 && k < 300)
		return op_create(false);
	if (k < 50)
		return op_create(false);
	if (k < 90)
		return op_create(true);
	if (k < 150)
		return op_set_root();
	if (k < 220)
		return op_frame_alloc();
	if (k < 312)
		return op_pt_alloc();
	if (k < 320)
		return op_bulk();
	if (k < 370)
		return op_frame_free();
	if (k < 405)
		return op_share();
	if (k < 418)
		return op_share_down();
	if (k < 430)
		return op_build_down();
	if (k < 720)
		return op_write();
	if (k < 840)
		return op_copy();
	if (k < 880)
		return op_destroy();
	if (k < 905)
		return op_exit();
	if (k < 972)
		return op_recv();
	if (k < 999)
		return op_drain();
	end_all();
	begin_family();
}

int pt_model_run(struct pt_source *source, uint32_t max_steps, const char *name, struct pt_model_stats *stats)
{
	src = source;
	label = name;
	st = stats;
	memset(st, 0, sizeof(*st));
	nlog = 0;
	ngone = 0;
	memset(gone, 0, sizeof(gone)); /* ids start again at 1 on a fresh machine */
	step_no = 0;
	cur[0] = 0;
	if (setjmp(bail)) {
		/* fake_boot does not reset release.c's list of pending releases: leave none behind. */
		env_release_drain();
		return 1;
	}
	fake.quiet = true;
	fake_boot(NFRAMES);
	fake.quiet = true; /* fake_boot clears the machine, quiet included */
	console_putc = NULL;
	memset(fr, 0, sizeof(fr));
	memset(rmaps, 0, sizeof(rmaps));
	memset(rlinks, 0, sizeof(rlinks));
	for (int i = 0; i < NFRAMES; i++) {
		struct frame *k = kf(i);
		if (k->type != FRAME_FREE && k->type != FRAME_KERNEL)
			fail("frame %#llx is %s after boot", (unsigned long long)faddr(i), frame_type_name(k->type));
		fr[i].type = k->type == FRAME_KERNEL ? T_KERNEL : T_FREE;
	}
	boot_free = frame_count(&kernel_frames, FRAME_FREE);
	begin_family();
	for (step_no = 1; step_no <= max_steps && !src->exhausted; step_no++) {
		settled = false;
		one_step();
		st->steps++;
		check_all(settled);
	}
	end_all();
	return 0;
}
