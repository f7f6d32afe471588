// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev's trace events (module/zcdev_trace.h), read the way an
 * administrator would with tracefs:
 *
 *  - every refusal a user can trigger emits one zcdev_refuse event with
 *    the operation, the errno, the rule broken and the offending value,
 *    from the refused process, and writes nothing to the kernel log;
 *  - buffers, DMA transfers and sends leave their lifecycle events:
 *    zcdev_buf_create/destroy, zcdev_dma_submit/end,
 *    zcdev_send/send_complete, with the fields the header promises.
 *
 * The program records into a tracefs instance of its own
 * (instances/zcdev-test-<pid>), made before the first test and removed
 * after the last, so neither the global buffer nor other programs see its
 * events; each test clears it first. It is made with record-cmd off and
 * its events stay enabled throughout: recording command names hooks the
 * scheduler's tracepoints, and under TCG patching the scheduler's code
 * while the other vCPU runs it has hung the VM (smp_call_function waiting
 * on a CPU looping on the text_poke int3). The pid identifies the task.
 */
#include <sys/stat.h>

#include "dma_test.h"
#include "send_common.h"

#define TRACEFS		"/sys/kernel/tracing"
#define TRACE_MAX	(1 << 20)	/* bytes of trace output read */
#define EVENTS_MAX	256
#define SEED		0x7ace

/* ---- a tracefs instance ---- */

struct tr_instance {
	char dir[128];
	bool made;
};

/* An event as the instance's trace file prints it. */
struct tr_event {
	pid_t pid;		/* of the task the event was recorded in */
	char name[32];		/* zcdev_refuse, ... */
	char fields[224];	/* "op=alloc err=-22 reason=flags value=256" */
};

static int tr_write(const struct tr_instance *t, const char *file,
		    const char *val)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : n < 0 ? -errno : -EIO;
}

/* The top level's option @name: '0' or '1', or -errno. */
static int tr_top_option(const char *name)
{
	char path[256], c;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), TRACEFS "/options/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, &c, 1);
	close(fd);
	return n == 1 ? c : -EIO;
}

static int tr_set_top_option(const char *name, char val)
{
	const struct tr_instance top = { .dir = TRACEFS };
	char path[64], v[2] = { val, '\0' };

	snprintf(path, sizeof(path), "options/%s", name);
	return tr_write(&top, path, v);
}

/*
 * A new instance recording every zcdev event, without command names: an
 * instance takes its record-cmd from the top level when it is made and
 * cannot change it, so the top level's is off for that moment. 0 or
 * -errno.
 */
static int tr_create(struct tr_instance *t)
{
	int record_cmd = tr_top_option("record-cmd");
	int ret, err;

	snprintf(t->dir, sizeof(t->dir), TRACEFS "/instances/zcdev-test-%d",
		 getpid());
	if (record_cmd < 0)
		return record_cmd;
	ret = tr_set_top_option("record-cmd", '0');
	if (ret)
		return ret;
	err = mkdir(t->dir, 0700) ? -errno : 0;
	ret = tr_set_top_option("record-cmd", record_cmd);
	if (err)
		return err;
	t->made = true;
	return ret ? ret : tr_write(t, "events/zcdev/enable", "1");
}

static int tr_remove(struct tr_instance *t)
{
	if (!t->made)
		return 0;
	tr_write(t, "events/zcdev/enable", "0");
	t->made = false;
	return rmdir(t->dir) ? -errno : 0;
}

/* Forget what was recorded so far. */
static int tr_clear(const struct tr_instance *t)
{
	return tr_write(t, "trace", "");
}

/*
 * Parse one line of the trace file,
 *   "   <...>-123   [001] .....  45.678901: zcdev_refuse: op=..."
 * (the command is "<...>": names are not recorded) into @ev; false for
 * comments and lines of other systems.
 */
static bool tr_parse(const char *line, struct tr_event *ev)
{
	const char *cpu, *p, *name, *colon;

	if (line[0] == '#')
		return false;
	cpu = strstr(line, " [");
	name = cpu ? strstr(cpu, ": zcdev_") : NULL;
	if (!name)
		return false;
	/* The task is "comm-pid": the pid follows the last '-'. */
	for (p = cpu; p > line && p[-1] == ' '; p--)
		;
	while (p > line && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == line || p[-1] != '-')
		return false;
	ev->pid = atoi(p);
	name += 2;
	colon = strchr(name, ':');
	if (!colon || colon - name >= (long)sizeof(ev->name))
		return false;
	memcpy(ev->name, name, colon - name);
	ev->name[colon - name] = '\0';
	snprintf(ev->fields, sizeof(ev->fields), "%s",
		 colon[1] == ' ' ? colon + 2 : colon + 1);
	return true;
}

/* The zcdev events recorded since the last clear, oldest first: count. */
static int tr_collect(const struct tr_instance *t, struct tr_event *ev,
		      int max)
{
	char path[256], *buf, *line, *save;
	size_t len = 0;
	ssize_t n;
	int fd, nr = 0;

	snprintf(path, sizeof(path), "%s/trace", t->dir);
	buf = malloc(TRACE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	while (len < TRACE_MAX &&
	       (n = read(fd, buf + len, TRACE_MAX - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line && nr < max;
	     line = strtok_r(NULL, "\n", &save))
		nr += tr_parse(line, &ev[nr]);
	free(buf);
	return nr;
}

/* The value of field @key ("op", "err", ...) of @ev into @out; 0 or -1. */
static int tr_field(const struct tr_event *ev, const char *key, char *out,
		    size_t outlen)
{
	size_t klen = strlen(key), vlen;
	const char *p = ev->fields;

	for (;;) {
		if (!strncmp(p, key, klen) && p[klen] == '=')
			break;
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	p += klen + 1;
	vlen = strcspn(p, " ");
	if (vlen >= outlen)
		return -1;
	memcpy(out, p, vlen);
	out[vlen] = '\0';
	return 0;
}

/* A numeric field, or LLONG_MIN when there is none. */
static long long tr_num(const struct tr_event *ev, const char *key)
{
	char v[32];

	return tr_field(ev, key, v, sizeof(v)) ? LLONG_MIN :
						 strtoll(v, NULL, 0);
}

/* Does @ev's field @key read @want? */
static bool tr_is(const struct tr_event *ev, const char *key,
		  const char *want)
{
	char v[64];

	return !tr_field(ev, key, v, sizeof(v)) && !strcmp(v, want);
}

/* The first event @name whose field @key is @val, or NULL. */
static const struct tr_event *tr_find(const struct tr_event *ev, int nr,
				      const char *name, const char *key,
				      long long val)
{
	int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(ev[i].name, name) && tr_num(&ev[i], key) == val)
			return &ev[i];
	return NULL;
}

static int tr_count(const struct tr_event *ev, int nr, const char *name)
{
	int i, n = 0;

	for (i = 0; i < nr; i++)
		n += !strcmp(ev[i].name, name);
	return n;
}

/* The program's instance, made in its main process before any test. */
static struct tr_instance tr;
static int tr_made;	/* 0, or the -errno of making it */

static void tr_program_remove(void)
{
	int ret = tr_remove(&tr);

	if (ret)
		fprintf(stderr, "# rmdir %s: %s\n", tr.dir, strerror(-ret));
}

static void __attribute__((constructor)) tr_program_create(void)
{
	struct stat st;

	if (stat(TRACEFS "/instances", &st)) {
		tr_made = -ENOENT;
		return;
	}
	tr_made = tr_create(&tr);
	/* Test children _exit(): only the main process removes it. */
	atexit(tr_program_remove);
}

/* SKIP without tracefs; else an empty trace of the program's instance. */
#define TR_SETUP() do { \
	int __ret; \
	if (tr_made == -ENOENT) \
		ZT_SETUP_SKIP("no tracefs at %s", TRACEFS); \
	ASSERT_EQ(0, tr_made) TH_LOG("instance %s, events/zcdev: %s", \
				     tr.dir, strerror(-tr_made)); \
	__ret = tr_clear(&tr); \
	ASSERT_EQ(0, __ret) TH_LOG("clearing %s/trace: %s", tr.dir, \
				   strerror(-__ret)); \
} while (0)

/* ---- the kernel log ---- */

/* /dev/kmsg, positioned after every record there is so far. */
static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* What the kernel log got since kmsg_open_at_end(). */
struct kmsg_seen {
	int markers;		/* records containing the marker */
	int zcdev;		/* records mentioning zcdev */
	char first[1024];	/* the first of those */
};

/* Read every record logged since; 0 or -errno. */
static int kmsg_scan(int fd, const char *marker, struct kmsg_seen *seen)
{
	char rec[1024];
	ssize_t n;

	memset(seen, 0, sizeof(*seen));
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: read on */
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		rec[n] = '\0';
		seen->markers += !!strstr(rec, marker);
		if (strstr(rec, "zcdev") && !seen->zcdev++)
			snprintf(seen->first, sizeof(seen->first), "%s", rec);
	}
}

/* ---- refusals ---- */

FIXTURE(refusal) {
	int fd;
	struct zcdev_info info;
	size_t page;
	struct zcdev_alloc pg;		/* a PAGES buffer */
	struct zcdev_alloc coh;		/* a COHERENT buffer, if offered */
	int tx, rx;			/* loopback TCP */
	__u64 value;			/* the value the refusal must carry */
};


/* Each makes one refused call, sets self->value, returns -errno. */

static int alloc_unknown_flag(FIXTURE_DATA(refusal) *self)
{
	struct zcdev_alloc a = {
		.size = sizeof(a), .flags = 0x100,
		.kind = ZCDEV_BUF_PAGES, .len = self->page,
	};

	self->value = a.flags;
	return zt_ioctl(self->fd, ZCDEV_IOC_ALLOC, &a);
}

static int alloc_unknown_kind(FIXTURE_DATA(refusal) *self)
{
	self->value = 7;
	return zt_alloc(self->fd, 7, self->page, NULL);
}

static int free_unknown_handle(FIXTURE_DATA(refusal) *self)
{
	self->value = 0x7777;
	return zt_free(self->fd, 0x7777);
}

static int free_nonzero_reserved(FIXTURE_DATA(refusal) *self)
{
	struct zcdev_free f = {
		.size = sizeof(f), .handle = self->pg.handle, .reserved = 5,
	};

	self->value = 5;
	return zt_ioctl(self->fd, ZCDEV_IOC_FREE, &f);
}

static int info_size_below_ver0(FIXTURE_DATA(refusal) *self)
{
	struct zcdev_info i = { .size = 8 };

	self->value = 8;
	return zt_ioctl(self->fd, ZCDEV_IOC_INFO, &i);
}

static int query_size_over_max(FIXTURE_DATA(refusal) *self)
{
	struct zcdev_query q = {
		.size = ZCDEV_MAX_ARG_SIZE + 1, .handle = self->pg.handle,
	};

	self->value = q.size;
	return zt_ioctl(self->fd, ZCDEV_IOC_QUERY, &q);
}

static int sync_nonzero_tail(FIXTURE_DATA(refusal) *self)
{
	struct {
		struct zcdev_sync s;
		__u64 tail;
	} big = {
		.s = {
			.size = sizeof(big), .handle = self->pg.handle,
			.flags = ZCDEV_SYNC_FOR_CPU, .len = 1,
		},
		.tail = 1,
	};

	self->value = sizeof(big);
	return zt_ioctl(self->fd, ZCDEV_IOC_SYNC, &big);
}

static int sync_past_buffer_end(FIXTURE_DATA(refusal) *self)
{
	self->value = self->pg.buf_len;
	return zt_sync(self->fd, self->pg.handle, ZCDEV_SYNC_FOR_CPU,
		       self->pg.buf_len, 1);
}

static int sync_both_directions(FIXTURE_DATA(refusal) *self)
{
	self->value = ZCDEV_SYNC_FOR_CPU | ZCDEV_SYNC_FOR_DEVICE;
	return zt_sync(self->fd, self->pg.handle, self->value, 0, 1);
}

static int mmap_private(FIXTURE_DATA(refusal) *self)
{
	self->value = 0;
	return -zt_mmap_err(self->fd, self->page, MAP_PRIVATE, self->pg.offset);
}

/* Offset 0 is no buffer's: handles start at 1. */
static int write_outside_buffers(FIXTURE_DATA(refusal) *self)
{
	self->value = 0;
	return zt_pwrite(self->fd, "x", 1, 0);
}

static int submit_segs(FIXTURE_DATA(refusal) *self,
		       struct zcdev_dma_seg_desc *segs, __u32 nr,
		       __u32 seg_size)
{
	struct zcdev_dma_submit s = {
		.size = sizeof(s), .nr_segs = nr, .seg_size = seg_size,
		.segs_ptr = (__u64)(uintptr_t)segs,
	};
	unsigned int i;

	for (i = 0; i < nr; i++) {
		segs[i].src = zt_ep_buf(self->pg.handle, 0);
		segs[i].dst = zt_ep_buf(self->pg.handle, self->page / 2);
		segs[i].len = 1;
	}
	return zt_ioctl(self->fd, ZCDEV_IOC_DMA_SUBMIT, &s);
}

/* 40: the segment descriptor before ABI 1. */
static int dma_seg_size_below_ver0(FIXTURE_DATA(refusal) *self)
{
	struct zcdev_dma_seg_desc segs[2] = {};

	self->value = 40;
	return submit_segs(self, segs, 1, 40);
}

static int dma_seg_flag(FIXTURE_DATA(refusal) *self)
{
	struct zcdev_dma_seg_desc segs[1] = {};

	segs[0].flags = 0x10;
	self->value = 0x10;
	return submit_segs(self, segs, 1, sizeof(segs[0]));
}

/* The value is the index of the offending segment. */
static int dma_seg_reserved(FIXTURE_DATA(refusal) *self)
{
	struct zcdev_dma_seg_desc segs[2] = {};

	segs[1].reserved[2] = 1;
	self->value = 1;
	return submit_segs(self, segs, 2, sizeof(segs[0]));
}

static int dma_wait_unknown_id(FIXTURE_DATA(refusal) *self)
{
	self->value = 999999;
	return zt_dma_wait(self->fd, 999999, 0, 0, NULL);
}

static int dma_stats_chan_size_below_ver0(FIXTURE_DATA(refusal) *self)
{
	struct zcdev_dma_chan_stats c[1];
	struct zcdev_dma_stats st = {
		.size = sizeof(st), .chans_cap = 1, .chan_size = 64,
		.chans_ptr = (__u64)(uintptr_t)c,
	};

	self->value = 64;
	return zt_ioctl(self->fd, ZCDEV_IOC_DMA_STATS, &st);
}

static int send_from_coherent_buffer(FIXTURE_DATA(refusal) *self)
{
	self->value = self->coh.handle;
	return zs_send(self->fd, self->tx, self->coh.handle, 0, 10, 0, 0,
		       NULL);
}

static int send_reap_entry_size_below_ver0(FIXTURE_DATA(refusal) *self)
{
	struct zcdev_send_completion c[2];
	struct zcdev_reap r = {
		.size = sizeof(r), .entries_ptr = (__u64)(uintptr_t)c,
		.max_entries = 2, .entry_size = 8,
	};

	self->value = 8;
	return zt_ioctl(self->fd, ZCDEV_IOC_SEND_REAP, &r);
}

static int send_ring_entries_not_power_of_two(FIXTURE_DATA(refusal) *self)
{
	struct zcdev_send_ring r = { .size = sizeof(r), .entries = 3 };

	self->value = 3;
	return zt_ioctl(self->fd, ZCDEV_IOC_SEND_RING, &r);
}

enum refusal_need { NEED_NOTHING, NEED_DMA, NEED_SEND_COHERENT,
		    NEED_SEND };

FIXTURE_VARIANT(refusal) {
	int (*refuse)(FIXTURE_DATA(refusal) *self);
	enum refusal_need need;
	const char *op;
	int err;
	const char *reason;
};

#define REFUSAL(_name, _need, _op, _err, _reason) \
	FIXTURE_VARIANT_ADD(refusal, _name) { \
		.refuse = _name, .need = _need, .op = _op, .err = _err, \
		.reason = _reason, \
	}

REFUSAL(alloc_unknown_flag, NEED_NOTHING, "alloc", -EINVAL, "flags");
REFUSAL(alloc_unknown_kind, NEED_NOTHING, "alloc", -EINVAL, "kind");
REFUSAL(free_unknown_handle, NEED_NOTHING, "free", -ENOENT, "no_handle");
REFUSAL(free_nonzero_reserved, NEED_NOTHING, "free", -EINVAL, "reserved");
REFUSAL(info_size_below_ver0, NEED_NOTHING, "info", -EINVAL,
	"size_below_ver0");
REFUSAL(query_size_over_max, NEED_NOTHING, "query", -E2BIG, "size_over_max");
REFUSAL(sync_nonzero_tail, NEED_NOTHING, "sync", -E2BIG, "nonzero_tail");
REFUSAL(sync_past_buffer_end, NEED_NOTHING, "sync", -EINVAL, "bad_range");
REFUSAL(sync_both_directions, NEED_NOTHING, "sync", -EINVAL,
	"not_one_direction");
REFUSAL(mmap_private, NEED_NOTHING, "mmap", -EINVAL, "map_private");
REFUSAL(write_outside_buffers, NEED_NOTHING, "write", -ENXIO, "no_buffer");
REFUSAL(dma_seg_size_below_ver0, NEED_DMA, "dma_submit", -EINVAL,
	"seg_size");
REFUSAL(dma_seg_flag, NEED_DMA, "dma_submit", -EINVAL, "seg_flags");
REFUSAL(dma_seg_reserved, NEED_DMA, "dma_submit", -EINVAL, "seg_reserved");
REFUSAL(dma_wait_unknown_id, NEED_DMA, "dma_wait", -ENOENT, "no_transfer");
REFUSAL(dma_stats_chan_size_below_ver0, NEED_DMA, "dma_stats", -EINVAL,
	"chan_size");
REFUSAL(send_from_coherent_buffer, NEED_SEND_COHERENT, "send", -EOPNOTSUPP,
	"coherent_buffer");
REFUSAL(send_reap_entry_size_below_ver0, NEED_SEND, "send_reap", -EINVAL,
	"entry_size");
REFUSAL(send_ring_entries_not_power_of_two, NEED_SEND, "send_ring", -EINVAL,
	"entries");

FIXTURE_SETUP(refusal)
{
	const __u64 feat = variant->need == NEED_DMA ? ZCDEV_FEAT_DMA :
			   variant->need == NEED_SEND ? ZCDEV_FEAT_SEND :
			   variant->need == NEED_SEND_COHERENT ?
			   ZCDEV_FEAT_SEND | ZCDEV_FEAT_COHERENT : 0;

	self->fd = self->tx = self->rx = -1;
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	if ((self->info.features & feat) != feat)
		ZT_SETUP_SKIP("needs INFO.features 0x%llx, the module has 0x%llx",
			      (unsigned long long)feat,
			      (unsigned long long)self->info.features);
	self->page = self->info.page_size;
	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, self->page,
			      &self->pg));
	if (variant->need == NEED_SEND_COHERENT) {
		ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_COHERENT, self->page,
				      &self->coh));
		ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 0, 0));
	}
	TR_SETUP();
}

FIXTURE_TEARDOWN(refusal)
{
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	if (self->fd >= 0)
		close(self->fd);
}

/* One event, from this process, saying what was refused and why. */
TEST_F(refusal, emits_one_event_with_op_err_reason_and_value)
{
	static struct tr_event ev[EVENTS_MAX];
	const struct tr_event *e;
	char err[16];
	int ret, nr;

	ret = variant->refuse(self);
	ASSERT_EQ(variant->err, ret) TH_LOG("refused with %s, want %s",
					    strerror(-ret),
					    strerror(-variant->err));
	nr = tr_collect(&tr, ev, EVENTS_MAX);
	ASSERT_LE(0, nr);
	ASSERT_EQ(1, tr_count(ev, nr, "zcdev_refuse"))
		TH_LOG("%d zcdev events, first: %s: %s", nr,
		       nr ? ev[0].name : "-", nr ? ev[0].fields : "-");
	e = tr_find(ev, nr, "zcdev_refuse", "err", variant->err);
	ASSERT_NE(NULL, e) TH_LOG("no err=%d", variant->err);
	snprintf(err, sizeof(err), "%d", variant->err);
	EXPECT_TRUE(tr_is(e, "op", variant->op)) TH_LOG("%s", e->fields);
	EXPECT_TRUE(tr_is(e, "err", err)) TH_LOG("%s", e->fields);
	EXPECT_TRUE(tr_is(e, "reason", variant->reason))
		TH_LOG("%s", e->fields);
	EXPECT_EQ((long long)self->value, tr_num(e, "value"))
		TH_LOG("%s", e->fields);
	EXPECT_EQ(getpid(), e->pid);
}

/*
 * Any user can trigger a refusal at will: it must not reach the kernel
 * log. A record this test writes first must be read back, so the log is
 * known to be read from the right place.
 */
TEST_F(refusal, writes_nothing_to_the_kernel_log)
{
	struct kmsg_seen seen;
	char marker[64];
	int kmsg, w, ret;

	kmsg = kmsg_open_at_end();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(-kmsg));
	/* The newline ends the record: without it, it waits for more. */
	snprintf(marker, sizeof(marker), "trace_events marker %d\n", getpid());
	w = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, w);
	ASSERT_EQ((ssize_t)strlen(marker), write(w, marker, strlen(marker)));
	close(w);
	marker[strlen(marker) - 1] = '\0';
	ret = variant->refuse(self);
	ASSERT_EQ(variant->err, ret) TH_LOG("refused with %s",
					    strerror(-ret));
	ASSERT_EQ(0, kmsg_scan(kmsg, marker, &seen));
	close(kmsg);
	EXPECT_EQ(1, seen.markers);
	EXPECT_EQ(0, seen.zcdev) TH_LOG("logged: %s", seen.first);
}

/* ---- lifecycles ---- */

FIXTURE(life) {
	int fd;
	struct zcdev_info info;
	size_t page;
	struct tr_event ev[EVENTS_MAX];
	int nr;
};

FIXTURE_SETUP(life)
{
	self->fd = -1;
	zt_hold_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	self->page = self->info.page_size;
	TR_SETUP();
}

FIXTURE_TEARDOWN(life)
{
	if (self->fd >= 0)
		close(self->fd);
	zt_hold_restore();
}

/* Read what the instance holds into self->ev. */
#define LIFE_COLLECT() do { \
	self->nr = tr_collect(&tr, self->ev, EVENTS_MAX); \
	ASSERT_LE(0, self->nr) TH_LOG("reading the trace: %s", \
				      strerror(-self->nr)); \
} while (0)

/* The event @name with @key = @val, or fail the test. */
#define LIFE_FIND(e, name, key, val) do { \
	(e) = tr_find(self->ev, self->nr, (name), (key), (long long)(val)); \
	ASSERT_NE(NULL, (e)) TH_LOG("no %s with %s=%lld among %d events", \
				    (name), (key), (long long)(val), \
				    self->nr); \
} while (0)

static void expect_buf_event(struct __test_metadata *_metadata,
			     FIXTURE_DATA(life) *self, const char *name,
			     const struct zcdev_alloc *a, __u32 kind)
{
	const struct tr_event *e;

	LIFE_COLLECT();
	LIFE_FIND(e, name, "handle", a->handle);
	EXPECT_EQ((long long)kind, tr_num(e, "kind")) TH_LOG("%s", e->fields);
	EXPECT_EQ((long long)a->buf_len, tr_num(e, "len"))
		TH_LOG("%s", e->fields);
	/* Created in ALLOC, destroyed by FREE: both in this process. */
	EXPECT_EQ(getpid(), e->pid);
}

TEST_F(life, buffer_create_and_destroy_carry_handle_kind_and_len)
{
	const __u32 kinds[] = { ZCDEV_BUF_PAGES, ZCDEV_BUF_COHERENT };
	struct zcdev_alloc a;
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		if (!(self->info.features & zt_feature_of(kinds[k])))
			continue;
		ASSERT_EQ(0, tr_clear(&tr));
		/* Not whole pages: the events carry the rounded length. */
		ASSERT_EQ(0, zt_alloc(self->fd, kinds[k], 2 * self->page + 1,
				      &a));
		expect_buf_event(_metadata, self, "zcdev_buf_create", &a,
				 kinds[k]);
		EXPECT_EQ(0, tr_count(self->ev, self->nr, "zcdev_buf_destroy"));
		ASSERT_EQ(0, zt_free(self->fd, a.handle));
		expect_buf_event(_metadata, self, "zcdev_buf_destroy", &a,
				 kinds[k]);
	}
}

/* FREE drops the handle; the memory goes with the last mapping. */
TEST_F(life, buffer_destroy_waits_for_the_last_mapping)
{
	const struct tr_event *e;
	struct zcdev_alloc a;
	void *p;

	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, self->page, &a));
	p = zt_mmap(self->fd, self->page, MAP_SHARED, a.offset);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, zt_free(self->fd, a.handle));
	LIFE_COLLECT();
	EXPECT_EQ(0, tr_count(self->ev, self->nr, "zcdev_buf_destroy"));
	ASSERT_EQ(0, munmap(p, self->page));
	LIFE_COLLECT();
	LIFE_FIND(e, "zcdev_buf_destroy", "handle", a.handle);
	EXPECT_EQ((long long)a.buf_len, tr_num(e, "len"));
}

/* Two segments: one submit event with both, one end event when done. */
TEST_F(life, dma_submit_and_end_carry_id_segs_status_and_bytes)
{
	struct zt_region src, dst;
	struct zcdev_dma_seg_desc segs[2];
	const struct tr_event *e;
	struct zcdev_dma_wait w;
	__u64 id;

	if (!(self->info.features & ZCDEV_FEAT_DMA))
		SKIP(return, "no DMA channel (INFO.features lacks ZCDEV_FEAT_DMA)");
	ASSERT_EQ(0, zt_region_init(self->fd, &src, ZCDEV_BUF_PAGES,
				    2 * self->page, "src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &dst, ZCDEV_BUF_PAGES,
				    2 * self->page, "dst"));
	memset(segs, 0, sizeof(segs));
	segs[0].src = zt_region_ep(&src, 0);
	segs[0].dst = zt_region_ep(&dst, 0);
	segs[0].len = 1000;
	segs[1].src = zt_region_ep(&src, self->page);
	segs[1].dst = zt_region_ep(&dst, self->page);
	segs[1].len = 234;
	ASSERT_EQ(0, zt_dma_submit(self->fd, segs, 2, 0, &id));
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0, zt_deadline_in(ZT_HANG_NS),
				 &w));
	ASSERT_EQ(ZT_DONE, w.status);

	LIFE_COLLECT();
	LIFE_FIND(e, "zcdev_dma_submit", "id", id);
	EXPECT_EQ(2, tr_num(e, "segs")) TH_LOG("%s", e->fields);
	EXPECT_LE(1, tr_num(e, "runs")) TH_LOG("%s", e->fields);
	EXPECT_EQ(1234, tr_num(e, "bytes")) TH_LOG("%s", e->fields);
	EXPECT_EQ(getpid(), e->pid);
	LIFE_FIND(e, "zcdev_dma_end", "id", id);
	EXPECT_EQ(ZCDEV_DMA_DONE, tr_num(e, "status")) TH_LOG("%s", e->fields);
	EXPECT_EQ(0, tr_num(e, "error")) TH_LOG("%s", e->fields);
	EXPECT_EQ(1234, tr_num(e, "bytes")) TH_LOG("%s", e->fields);
	EXPECT_LT(0, tr_num(e, "latency_ns")) TH_LOG("%s", e->fields);
	EXPECT_EQ(1, tr_count(self->ev, self->nr, "zcdev_dma_end"));
	zt_region_fini(&dst);
	zt_region_fini(&src);
}

/*
 * A transfer held in zcdma's latency ends cancelled by DMA_CANCEL, another
 * timed out by a passed deadline: the end event carries the status and
 * the errno WAIT reports (negative there), and no bytes.
 */
TEST_F(life, dma_cancel_and_timeout_end_with_their_status)
{
	const struct { __u32 status; int err; } want[] = {
		{ ZCDEV_DMA_CANCELLED, ECANCELED },
		{ ZCDEV_DMA_TIMEDOUT, ETIMEDOUT },
	};
	struct zt_region src, dst;
	const struct tr_event *e;
	struct zcdev_dma_wait w;
	unsigned int i;
	__u64 id;

	if (!(self->info.features & ZCDEV_FEAT_DMA))
		SKIP(return, "no DMA channel (INFO.features lacks ZCDEV_FEAT_DMA)");
	if (zt_hold_unavailable(self->fd))
		SKIP(return, "%s", zt_hold_unavailable(self->fd));
	ASSERT_EQ(0, zt_region_init(self->fd, &src, ZCDEV_BUF_PAGES,
				    self->page, "src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &dst, ZCDEV_BUF_PAGES,
				    self->page, "dst"));
	ASSERT_EQ(0, zt_hold_set(5 * 1000 * 1000));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&src, 0),
					    zt_region_ep(&dst, 0), 100, 0,
					    &id));
		if (want[i].status == ZCDEV_DMA_CANCELLED)
			ASSERT_EQ(0, zt_dma_cancel(self->fd, id, 0, NULL));
		ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0,
					 zt_deadline_in(50 * NSEC_PER_MSEC),
					 &w));
		ASSERT_EQ(want[i].status, w.status);
		ASSERT_EQ(want[i].err, w.error);
		LIFE_COLLECT();
		LIFE_FIND(e, "zcdev_dma_end", "id", id);
		EXPECT_EQ(want[i].status, tr_num(e, "status"))
			TH_LOG("%s", e->fields);
		EXPECT_EQ(-want[i].err, tr_num(e, "error"))
			TH_LOG("%s", e->fields);
		EXPECT_EQ(0, tr_num(e, "bytes")) TH_LOG("%s", e->fields);
	}
	zt_hold_restore();
	zt_region_fini(&dst);
	zt_region_fini(&src);
}

/* Over loopback the stack always copies: the completion says so. */
TEST_F(life, send_and_completion_carry_id_bytes_and_copied)
{
	struct zcdev_send_completion c;
	const struct tr_event *e;
	struct zcdev_alloc a;
	struct zcdev_send s;
	struct zcdev_reap r;
	unsigned char *p, b[1000];
	int tx, rx;

	if (!(self->info.features & ZCDEV_FEAT_SEND))
		SKIP(return, "module lacks ZCDEV_FEAT_SEND");
	p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, self->page, SEED, &a);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &tx, &rx, 0, 0));
	ASSERT_EQ(0, zs_send(self->fd, tx, a.handle, 24, sizeof(b), 0, 9,
			     &s));
	ASSERT_EQ(sizeof(b), s.bytes);
	ASSERT_EQ((ssize_t)sizeof(b), zc_read_full(rx, b, sizeof(b)));
	EXPECT_EQ(0, memcmp(b, p + 24, sizeof(b)));
	ASSERT_EQ(0, zs_reap(self->fd, &c, 1,
			     zt_deadline_in(20 * NSEC_PER_SEC), &r));
	ASSERT_EQ(1U, r.nr);
	ASSERT_EQ(s.id, c.id);
	EXPECT_EQ(ZCDEV_COMPL_COPIED, c.flags & ZCDEV_COMPL_COPIED);

	LIFE_COLLECT();
	LIFE_FIND(e, "zcdev_send", "id", s.id);
	EXPECT_EQ(a.handle, tr_num(e, "handle")) TH_LOG("%s", e->fields);
	EXPECT_EQ(24, tr_num(e, "offset")) TH_LOG("%s", e->fields);
	EXPECT_EQ((long long)sizeof(b), tr_num(e, "bytes"))
		TH_LOG("%s", e->fields);
	EXPECT_EQ(getpid(), e->pid);
	LIFE_FIND(e, "zcdev_send_complete", "id", s.id);
	EXPECT_EQ((long long)s.id, tr_num(e, "last_id")) TH_LOG("%s", e->fields);
	EXPECT_EQ((long long)sizeof(b), tr_num(e, "bytes"))
		TH_LOG("%s", e->fields);
	EXPECT_EQ(1, tr_num(e, "copied")) TH_LOG("%s", e->fields);
	EXPECT_EQ(1, tr_count(self->ev, self->nr, "zcdev_send_complete"));
	close(tx);
	close(rx);
	munmap(p, a.buf_len);
}

TEST_HARNESS_MAIN
