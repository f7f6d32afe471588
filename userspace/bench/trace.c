// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: copies counted, not guessed.
 *
 * kprobe events with hist triggers keyed by (pid, iterator type, ...)
 * summing byte counts: the kernel itself adds up how many bytes each task
 * had copied and whether the other side was user memory (ITER_IOVEC /
 * ITER_UBUF) or kernel memory (kvec, bvec). No event reaches the ring
 * buffer: triggers run with the event soft-disabled.
 *
 * Where the probes sit. The copy routines themselves (_copy_to_iter,
 * _copy_from_iter, copy_page_{to,from}_iter, ...) live in lib/iov_iter.c,
 * which Debian's 6.1 kernel builds without ftrace entries, and a kprobe
 * event refuses a notrace function ("Could not probe notrace function")
 * unless the kernel has KPROBE_EVENTS_ON_NOTRACE. So the probes sit on
 * the traceable callers that hand those routines their byte counts, each
 * of which copies exactly the bytes of its iterator unless the iterator
 * says otherwise:
 *
 *   filemap_read, shmem_file_read_iter   page cache -> iter   (read)
 *   generic_perform_write                iter -> page cache   (write)
 *     an ITER_PIPE iterator here means splice: page references, no copy
 *   tcp_sendmsg_locked                   iter -> skb, unless MSG_ZEROCOPY
 *     (io_uring send_zc and zcdev set it too); a zero-copy send to a
 *     device without scatter-gather is copied there and reported copied
 *     by its completion
 *     For these four the entry probe sees the iterator (what kind of
 *     copy) and a return probe ($retval > 0) the bytes really moved: an
 *     io_uring attempt that returns -EAGAIN, or a short read, asked for
 *     more than it copied. Per task, the returned bytes are split over
 *     the kinds of copy in proportion to what the calls asked for (exact
 *     when a task only does one kind, as every method here does).
 *   skb_copy_datagram_iter               skb -> iter          (recv)
 *   skb_copy_ubufs                       a zero-copy skb copied after all
 *     (local delivery); bytes = skb->data_len, its paged part
 *
 * Struct offsets and ITER_* values come from BTF (btf.c). trace_init()
 * checks the whole arrangement once: 64 KiB written to and read from a
 * memfd and sent over loopback TCP must add up to exactly 256 KiB of user
 * copies by this thread, or counts are reported unavailable.
 *
 * raw_syscalls:sys_enter, keyed by pid, gives the kernel's own count of
 * the sender's system calls next to the harness's count.
 *
 * tracefs_mount() and tracefs_write() are the tracefs access of every
 * tracer here, events.c's too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zcbench.h"

#define GROUP		"zcbench"
#define HIST_SIZE	"size=4096"
#define CAL_BYTES	(64 << 10)
#define MSG_ZEROCOPY_FLAG 0x4000000

enum role {
	R_FILE,		/* copies unless the iterator is a pipe or discard */
	R_TCPSEND,	/* copies unless MSG_ZEROCOPY */
	R_RECV,		/* always copies */
	R_UBUFS,	/* zero-copy fallback */
};

struct probe {
	const char *ev;		/* event name in the zcbench group */
	const char *sym;
	enum role role;
	const char *ret_ev;	/* its return probe, or NULL */
	bool ok;		/* registered (both halves) */
};

static struct probe probes[] = {
	{ .ev = "fread", .sym = "filemap_read", .role = R_FILE, .ret_ev = "freadr" },
	{ .ev = "shread", .sym = "shmem_file_read_iter", .role = R_FILE, .ret_ev = "shreadr" },
	{ .ev = "fwrite", .sym = "generic_perform_write", .role = R_FILE, .ret_ev = "fwriter" },
	{ .ev = "tcpsend", .sym = "tcp_sendmsg_locked", .role = R_TCPSEND, .ret_ev = "tcpsendr" },
	{ .ev = "recv", .sym = "skb_copy_datagram_iter", .role = R_RECV },
	{ .ev = "ubufs", .sym = "skb_copy_ubufs", .role = R_UBUFS },
};
#define NPROBES ((int)(sizeof(probes) / sizeof(probes[0])))

static struct {
	bool tried, ok;
	char why[96];
	char dir[64];
	/* layout of the running kernel */
	long it_off, count_off, msg_iter, msg_flags, skb_data_len;
	long it_ubuf, it_iovec, it_pipe, it_discard;
	bool sys_ok;
	bool active;
	uint64_t snd_syscalls;		/* at trace_mark() */
} T;

int tracefs_write(const char *dir, const char *file, const char *text)
{
	char path[256];
	int fd, err = 0;
	size_t len = strlen(text);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_APPEND);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = -errno;
	close(fd);
	return err;
}

static int wr(const char *file, const char *text)
{
	return tracefs_write(T.dir, file, text);
}

/* The fetch arguments of a probe: what its hist trigger can key and sum. */
static void fetch_args(const struct probe *p, char *buf, size_t len)
{
	switch (p->role) {
	case R_FILE:	/* (iocb, iter, ...) */
		snprintf(buf, len, "bytes=+%ld($arg2):u64 it=+%ld($arg2):u8",
			 T.count_off, T.it_off);
		break;
	case R_TCPSEND:	/* (sk, msg, size) */
		snprintf(buf, len, "bytes=$arg3:u64 it=+%ld($arg2):u8 fl=+%ld($arg2):u32",
			 T.msg_iter + T.it_off, T.msg_flags);
		break;
	case R_RECV:	/* (skb, offset, to, size) */
		snprintf(buf, len, "bytes=$arg4:u32 it=+%ld($arg3):u8", T.it_off);
		break;
	case R_UBUFS:	/* (skb, gfp) */
		snprintf(buf, len, "bytes=+%ld($arg1):u32 it=+0($arg1):u8",
			 T.skb_data_len);
		break;
	}
}

static void trigger_spec(const struct probe *p, bool on, char *buf, size_t len)
{
	snprintf(buf, len, "%shist:keys=common_pid,it%s:vals=hitcount,bytes:" HIST_SIZE,
		 on ? "" : "!", p->role == R_TCPSEND ? ",fl" : "");
}

/* Only calls that moved something: errors (-EAGAIN) would add 2^64 - 11. */
#define RET_SPEC "hist:keys=common_pid:vals=hitcount,ret:" HIST_SIZE " if ret > 0"

static const char sys_on[] = "hist:keys=common_pid:vals=hitcount:" HIST_SIZE;
static const char sys_off[] = "!hist:keys=common_pid:vals=hitcount:" HIST_SIZE;
#define SYS_TRIGGER "events/raw_syscalls/sys_enter/trigger"

static void set_triggers(bool on)
{
	char spec[160], file[96];
	int i;

	/* sys_enter goes on last and off first: our own writes stay out. */
	if (T.sys_ok && !on)
		wr(SYS_TRIGGER, sys_off);
	for (i = 0; i < NPROBES; i++) {
		if (!probes[i].ok)
			continue;
		trigger_spec(&probes[i], on, spec, sizeof(spec));
		snprintf(file, sizeof(file), "events/" GROUP "/%s/trigger", probes[i].ev);
		wr(file, spec);
		if (!probes[i].ret_ev)
			continue;
		snprintf(spec, sizeof(spec), "%s" RET_SPEC, on ? "" : "!");
		snprintf(file, sizeof(file), "events/" GROUP "/%s/trigger", probes[i].ret_ev);
		wr(file, spec);
	}
	if (T.sys_ok && on)
		wr(SYS_TRIGGER, sys_on);
	T.active = on;
}

static void remove_events(void)
{
	char cmd[64];
	int i;

	for (i = 0; i < NPROBES; i++) {
		snprintf(cmd, sizeof(cmd), "-:" GROUP "/%s", probes[i].ev);
		wr("kprobe_events", cmd);
		if (probes[i].ret_ev) {
			snprintf(cmd, sizeof(cmd), "-:" GROUP "/%s", probes[i].ret_ev);
			wr("kprobe_events", cmd);
		}
		probes[i].ok = false;
	}
}

struct hist_ent {
	int pid;
	long it;
	unsigned long fl;
	uint64_t hits, bytes;
};

#define MAX_ENT 4096
static struct hist_ent ents[MAX_ENT];

static long field(const char *line, const char *name, int base)
{
	const char *p = strstr(line, name);

	return p ? strtol(p + strlen(name), NULL, base) : 0;
}

/* Parses the hist file of @event_dir; returns the number of entries. */
static int read_hist(const char *event_dir)
{
	char path[200], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/events/%s/hist", T.dir, event_dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (n < MAX_ENT && fgets(line, sizeof(line), f)) {
		struct hist_ent *e = &ents[n];
		const char *p;

		if (line[0] != '{' || !(p = strstr(line, "common_pid:")))
			continue;
		p += strlen("common_pid:");
		while (*p == ' ')
			p++;
		/* Some kernels print "comm [pid]" for pids. */
		if ((*p < '0' || *p > '9') && (p = strchr(p, '[')))
			p++;
		e->pid = p ? (int)strtol(p, NULL, 10) : -1;
		e->it = field(line, " it:", 10);
		e->fl = (unsigned long)field(line, " fl:", 10);
		e->hits = (uint64_t)field(line, "hitcount:", 10);
		p = strstr(line, "bytes:");
		if (!p)
			p = strstr(line, " ret:");
		e->bytes = p ? strtoull(strchr(p, ':') + 1, NULL, 10) : 0;
		n++;
	}
	fclose(f);
	return n;
}

static bool user_backed(long it)
{
	return it == T.it_ubuf || it == T.it_iovec;
}

/* Did this hist entry copy its bytes? */
static bool copies(const struct probe *p, const struct hist_ent *e)
{
	switch (p->role) {
	case R_FILE:
		return e->it != T.it_pipe && e->it != T.it_discard;
	case R_TCPSEND:
		return !(e->fl & MSG_ZEROCOPY_FLAG);
	default:
		return true;
	}
}

/* Bytes one task copied in one probe, by kind. */
struct task_copies {
	int pid;
	uint64_t user, kern;
};

#define MAX_TASKS 256
static struct task_copies tasks[MAX_TASKS];
static struct hist_ent rets[MAX_ENT];

/*
 * What probe @i saw, per task: the entry hist says what each call asked
 * for and of which kind; the return hist, where there is one, how many
 * bytes the calls really moved. Returns the number of tasks.
 */
static int probe_copies(const struct probe *p)
{
	struct { uint64_t user, kern, none; } req[MAX_TASKS];
	char ev[64];
	int n, nr = 0, nt = 0, k, t;

	snprintf(ev, sizeof(ev), GROUP "/%s", p->ev);
	n = read_hist(ev);
	memset(req, 0, sizeof(req));
	for (k = 0; k < n; k++) {
		struct hist_ent *e = &ents[k];

		for (t = 0; t < nt && tasks[t].pid != e->pid; t++)
			;
		if (t == nt) {
			if (nt == MAX_TASKS)
				continue;
			tasks[nt++] = (struct task_copies){ .pid = e->pid };
		}
		if (!copies(p, e))
			req[t].none += e->bytes;
		else if (p->role != R_UBUFS && user_backed(e->it))
			req[t].user += e->bytes;
		else
			req[t].kern += e->bytes;
	}
	if (p->ret_ev) {
		snprintf(ev, sizeof(ev), GROUP "/%s", p->ret_ev);
		/* read_hist() fills ents[]: keep the returns apart. */
		n = read_hist(ev);
		memcpy(rets, ents, n * sizeof(*ents));
		nr = n;
	}
	for (t = 0; t < nt; t++) {
		uint64_t asked = req[t].user + req[t].kern + req[t].none, moved = 0;

		if (!p->ret_ev) {
			tasks[t].user = req[t].user;
			tasks[t].kern = req[t].kern;
			continue;
		}
		for (k = 0; k < nr; k++)
			if (rets[k].pid == tasks[t].pid)
				moved += rets[k].bytes;
		if (moved > asked)
			moved = asked;
		tasks[t].user = asked ? (uint64_t)((double)moved * req[t].user / asked + 0.5) : 0;
		tasks[t].kern = asked ? (uint64_t)((double)moved * req[t].kern / asked + 0.5) : 0;
	}
	return nt;
}

/* User copies by @tid over all probes since the triggers went on. */
static uint64_t user_copies_of(int tid)
{
	uint64_t sum = 0;
	int i, t, nt;

	for (i = 0; i < NPROBES; i++) {
		if (!probes[i].ok || probes[i].role == R_UBUFS)
			continue;
		nt = probe_copies(&probes[i]);
		for (t = 0; t < nt; t++)
			if (tasks[t].pid == tid)
				sum += tasks[t].user;
	}
	return sum;
}

/* 64 KiB into and out of a memfd, and over loopback TCP: 256 KiB of copies. */
static bool calibrate(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int tid = (int)syscall(SYS_gettid), mfd, l = -1, c = -1, s = -1;
	char *buf = zb_alloc(CAL_BYTES);
	uint64_t got = 0;
	ssize_t n;
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(buf, 0x5a, CAL_BYTES);
	mfd = memfd_create("zcbench-cal", MFD_CLOEXEC);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok = mfd >= 0 && l >= 0 && !bind(l, (struct sockaddr *)&a, sizeof(a)) &&
	     !listen(l, 1) && !getsockname(l, (struct sockaddr *)&a, &alen) &&
	     (c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
	     !connect(c, (struct sockaddr *)&a, sizeof(a)) &&
	     (s = accept4(l, NULL, NULL, SOCK_CLOEXEC)) >= 0;
	if (ok) {
		set_triggers(true);
		ok = pwrite(mfd, buf, CAL_BYTES, 0) == CAL_BYTES &&
		     pread(mfd, buf, CAL_BYTES, 0) == CAL_BYTES &&
		     send(c, buf, CAL_BYTES, 0) == CAL_BYTES;
		while (ok && got < CAL_BYTES) {
			n = recv(s, buf, CAL_BYTES - got, 0);
			ok = n > 0;
			got += n > 0 ? n : 0;
		}
		got = user_copies_of(tid);
		set_triggers(false);
	}
	if (mfd >= 0)
		close(mfd);
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	zb_free(buf, CAL_BYTES);
	if (!ok) {
		snprintf(T.why, sizeof(T.why), "calibration I/O failed: %s", strerror(errno));
		return false;
	}
	if (got != 4 * CAL_BYTES) {
		snprintf(T.why, sizeof(T.why),
			 "calibration counted %llu of %d copied bytes: probes do not add up here",
			 (unsigned long long)got, 4 * CAL_BYTES);
		return false;
	}
	return true;
}

const char *tracefs_mount(const char *entry)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[96];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], entry);
		if (!access(path, W_OK))
			return dirs[i];
	}
	return NULL;
}

static bool find_tracefs(void)
{
	const char *dir = tracefs_mount("kprobe_events");

	if (dir)
		snprintf(T.dir, sizeof(T.dir), "%s", dir);
	return dir != NULL;
}

/* An ITER_* value, or -1 if this kernel has no such iterator type. */
static long iter_value(const char *name)
{
	long v = btf_enum_value(name);

	return v < 0 ? -1 : v;
}

static bool read_layout(void)
{
	T.it_off = btf_member_offset("iov_iter", "iter_type");
	T.count_off = btf_member_offset("iov_iter", "count");
	T.msg_iter = btf_member_offset("msghdr", "msg_iter");
	T.msg_flags = btf_member_offset("msghdr", "msg_flags");
	T.skb_data_len = btf_member_offset("sk_buff", "data_len");
	T.it_ubuf = iter_value("ITER_UBUF");
	T.it_iovec = iter_value("ITER_IOVEC");
	T.it_pipe = iter_value("ITER_PIPE");
	T.it_discard = iter_value("ITER_DISCARD");
	return T.it_off >= 0 && T.count_off >= 0 && T.msg_iter >= 0 &&
	       T.msg_flags >= 0 && T.skb_data_len >= 0 && T.it_iovec >= 0;
}

bool trace_init(char *why, size_t wlen)
{
	char cmd[256], args[160], path[128];
	int i, missing = 0;

	if (T.tried)
		goto out;
	T.tried = true;
	if (!find_tracefs()) {
		snprintf(T.why, sizeof(T.why),
			 "no writable tracefs kprobe_events (not root, or tracefs not mounted)");
		goto out;
	}
	if (!read_layout()) {
		snprintf(T.why, sizeof(T.why),
			 "no BTF layout of iov_iter/msghdr/sk_buff (/sys/kernel/btf/vmlinux)");
		goto out;
	}
	remove_events();	/* leftovers of a run that was killed */
	for (i = 0; i < NPROBES; i++) {
		struct probe *p = &probes[i];

		fetch_args(p, args, sizeof(args));
		snprintf(cmd, sizeof(cmd), "p:" GROUP "/%s %s %s", p->ev, p->sym, args);
		p->ok = !wr("kprobe_events", cmd);
		if (p->ok && p->ret_ev) {
			/* Enough instances for every CPU's tasks in one call at once. */
			snprintf(cmd, sizeof(cmd), "r64:" GROUP "/%s %s ret=$retval:s64",
				 p->ret_ev, p->sym);
			p->ok = !wr("kprobe_events", cmd);
		}
		missing += !p->ok;
	}
	snprintf(path, sizeof(path), "%s/" SYS_TRIGGER, T.dir);
	T.sys_ok = !access(path, W_OK);
	if (!calibrate()) {
		remove_events();
		goto out;
	}
	T.ok = true;
	T.why[0] = '\0';
	/* A kernel without one of them: say which, the rest still count. */
	for (i = 0; missing && i < NPROBES; i++)
		if (!probes[i].ok) {
			size_t l = strlen(T.why);

			snprintf(T.why + l, sizeof(T.why) - l, "%s%s",
				 l ? "," : "not probed: ", probes[i].sym);
		}
out:
	snprintf(why, wlen, "%s", T.why);
	return T.ok;
}

void trace_start(void)
{
	T.snd_syscalls = 0;
	if (T.ok)
		set_triggers(true);
}

/*
 * The sender's system calls up to now: called right after the transfer,
 * before the harness's own bookkeeping calls, which would otherwise count.
 * The open of the hist file itself is the only extra one.
 */
void trace_mark(int snd)
{
	int k, n;

	if (!T.ok || !T.active || !T.sys_ok)
		return;
	n = read_hist("raw_syscalls/sys_enter");
	for (k = 0; k < n; k++)
		if (ents[k].pid == snd)
			T.snd_syscalls += ents[k].hits;
}

/* Is @tid a thread of this process (io_uring's io-wq workers are)? */
static bool our_thread(int tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d", tid);
	return !access(path, F_OK);
}

void trace_stop(int snd, const int *rcv, int nrcv, struct trace_counts *tc)
{
	int i, k, j, n;

	memset(tc, 0, sizeof(*tc));
	snprintf(tc->why, sizeof(tc->why), "%s", T.why);
	if (!T.ok || !T.active)
		return;
	for (i = 0; i < NPROBES; i++) {
		struct probe *p = &probes[i];

		if (!p->ok)
			continue;
		n = probe_copies(p);
		for (k = 0; k < n; k++) {
			struct task_copies *t = &tasks[k];
			bool is_rcv = false;

			if (p->role == R_UBUFS) {
				tc->ubufs += t->user + t->kern;
				continue;
			}
			for (j = 0; j < nrcv; j++)
				is_rcv |= t->pid == rcv[j];
			if (is_rcv) {
				tc->rcv_user += t->user;
				tc->rcv_kern += t->kern;
			} else if (t->pid == snd || our_thread(t->pid)) {
				tc->snd_user += t->user;
				tc->snd_kern += t->kern;
			} else {
				tc->other += t->user + t->kern;
			}
		}
	}
	tc->snd_syscalls = T.snd_syscalls;
	set_triggers(false);
	tc->avail = true;
	tc->ubufs_bytes = true;
}

void trace_cleanup(void)
{
	if (!T.ok)
		return;
	if (T.active)
		set_triggers(false);
	remove_events();
	T.ok = false;
}
