/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcbench - side-by-side measurements of data-movement techniques.
 *
 * One harness (harness.c) runs every method the same way: set up outside
 * the clock, one counting run (kprobe copy counts, byte-exact verification),
 * then timed repetitions (cheap checksum verification, no tracing), and
 * reduces them to one struct result (median and spread). Methods only move
 * bytes; everything they share lives here.
 */
#ifndef ZCBENCH_H
#define ZCBENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "libzc.h"

#define ZB_MAX_RECV	2	/* receivers per run: fan-out has two */
#define ZB_MAX_REPS	101
#define ZB_KiB		1024ULL
#define ZB_MiB		(1024ULL * 1024)
#define ZB_GiB		(1024ULL * 1024 * 1024)

/* Pattern seed of the source data; the size is mixed in so files differ. */
#define ZB_SEED		0x7a6362656e6368ULL	/* "zcbench" */

/* ---- what a method needs; unmet needs make it "unavailable" ---- */
#define NEED_SOCK	0x01	/* a TCP connection on the run's path */
#define NEED_ZCDEV	0x02	/* /dev/zcdev */
#define NEED_ZC_SEND	0x04	/* the module's ZCDEV_IOC_SEND */
#define NEED_ZC_DMA	0x08	/* the module holds a DMA channel */
#define NEED_URING	0x10	/* io_uring_setup works */
#define NEED_ODIRECT	0x20	/* the storage dir takes O_DIRECT */
#define NEED_DSTFILE	0x40	/* a destination file next to the source */
#define NEED_COLD	0x80	/* the page cache can be dropped for a file */
#define NEED_VIVID	0x100	/* a vivid V4L2 capture node (module vivid) */

/* Bytes a pixel of the capture workload's frames (YUYV): --size WxH. */
#define ZB_FRAME_BPP	2

struct run;

/**
 * struct method - one technique
 * @name: what --method takes
 * @workload: what --workload takes
 * @desc: one line for --help: what moves the bytes, from where to where
 * @source: where the payload starts, for the JSON (honest comparisons)
 * @needs: NEED_* bits
 * @receivers: TCP receivers (0 for workloads without sockets)
 * @passes: times the payload is delivered per transfer (re-reads; capture:
 *	frames of a transfer), 0 = 1
 * @zc: the method gets completions saying zero-copy vs copied
 * @events: ZEV_* trace events of the module the counting run counts, to
 *	hold against what the method's completions or waits said
 * @setup: per configuration, outside the clock (may be NULL); -errno or
 *	1 = unavailable with run->reason set
 * @rep_setup: before each repetition, outside the clock (may be NULL)
 * @xfer: the timed part: move run->size bytes (per receiver)
 * @verify: after each repetition for non-socket targets (may be NULL)
 * @teardown: undo @setup (may be NULL)
 */
struct method {
	const char *name;
	const char *workload;
	const char *desc;
	const char *source;
	unsigned int needs;
	int receivers;
	int passes;
	bool zc;
	unsigned int events;
	int (*setup)(struct run *r);
	int (*rep_setup)(struct run *r);
	int (*xfer)(struct run *r);
	int (*verify)(struct run *r);
	void (*teardown)(struct run *r);
};

struct result;

/**
 * struct workload - a group of methods with one baseline
 * @name: --workload
 * @desc: one line
 * @baseline: the method every other one is a ratio to
 * @sockets: runs on paths (loop, nic); others run on path "local"
 * @source_in_sdir: the source file lives in --storage-dir, the file system
 *	every method of the workload reads, direct or not
 * @source_env: environment variable that names what holds the source
 *	(zcbench-vm.sh sets it), added to result.source; may be NULL
 * @summarize: the workload's own figures, from a result measured in
 *	@runs runs (the counting run included); may be NULL
 * @sizes: --size when none is given (NULL: 16M)
 */
struct workload {
	const char *name;
	const char *desc;
	const char *baseline;
	bool sockets;
	bool source_in_sdir;
	const char *source_env;
	void (*summarize)(struct result *res, int runs);
	const char *sizes;
};

/* Bytes moved per run, for the report: delivered = size * receivers. */
struct counters {
	uint64_t syscalls;	/* counted by the method's own calls (sc_*) */
	uint64_t zc_bytes;	/* completions said: sent without a copy */
	uint64_t copied_bytes;	/* completions said: the stack copied */
	uint64_t sends;		/* sends that asked for zero-copy */
	uint64_t zc_compls;	/* completions without ZCDEV_COMPL_COPIED */
	uint64_t copied_compls;	/* completions with it */
	uint64_t dma_done;	/* DMA transfers reaped ZCDEV_DMA_DONE */
	uint64_t dma_bytes;	/* the bytes those waits reported */
	uint64_t umode_copied;	/* bytes the method memcpy'd itself in user space */
};

/**
 * struct run - one configuration (method x size x bufsize x path)
 * @m: the method
 * @size: bytes per receiver (file size)
 * @bufsize: bytes per call of the methods that take a buffer size
 * @path: "loop", "nic" or "local"
 * @dir: where source files live (tmpfs in the VM)
 * @sdir: storage directory (O_DIRECT capable), may equal @dir
 * @src_fd: the source file, O_RDONLY, in the page cache unless a cold method
 * @src_path: its name
 * @seed: pattern seed of the source
 * @sock: connected sockets, one per receiver (file2sock, fanout)
 * @dst_fd: destination file (file2file, storage writes)
 * @dst_path: its name
 * @cnt: filled by the method during xfer
 * @priv: the method's own state between setup and teardown
 * @mem: the source loaded into anonymous memory (zb_mem_load), for the
 *	methods that send from user memory
 * @reason: why unavailable or failed
 * @note: what the method says of its configuration, for the table and
 *	the JSON (capture: the frame and its checksum); may stay empty
 * @engine: the DMA engine that moved the bytes (zcdev's channels' driver),
 *	empty for methods without DMA
 * @counting: this is the counting run (tracing on)
 */
struct run {
	const struct method *m;
	uint64_t size;
	uint64_t bufsize;
	const char *path;
	const char *dir;
	const char *sdir;
	int src_fd;
	char src_path[256];
	uint64_t seed;
	int sock[ZB_MAX_RECV];
	int dst_fd;
	char dst_path[256];
	struct counters cnt;
	void *priv;
	char *mem;
	char reason[200];
	char note[200];
	char engine[32];
	bool counting;
	/* NIC path: the CPUs net_connect() pinned the sides to, else -1 */
	int snd_cpu, rcv_cpu;
	char pinning[48];	/* what net_finish() found them on */
};

/* ---- result of one configuration; NaN = not measured (JSON null) ---- */
struct result {
	char where[16];		/* vm | native | a name in ZCBENCH_WHERE */
	char workload[16];
	char method[32];
	char path[8];
	uint64_t size;
	uint64_t bufsize;
	char status[12];	/* ok | fail | unavailable */
	char reason[200];
	char source[64];
	char kernel[64];
	char accel[8];		/* tcg | kvm | none (bare metal) | unknown */
	char copies_note[96];	/* why copy counts are unavailable, or caveats */
	char net[12];		/* loopback | nic | hub (NIC path without offloads) */
	char events_note[200];	/* zcdev trace events vs completions/waits */
	char note[200];		/* the method's own remark (struct run.note) */
	char engine[32];	/* DMA engine: driver of zcdev's channels */
	char pinning[48];	/* NIC path: sender's and receivers' CPUs */
	/* Only doubles from here to the end: result_init() sets them to NaN. */
	double cpus;
	double mem_mb;
	double host_load;	/* 1-min load average of the machine that ran it */
	double reps;
	double mbps, mbps_min, mbps_max, mbps_q1, mbps_q3;
	double secs;			/* median seconds of one transfer */
	double snd_usr_gib, snd_sys_gib;	/* sender CPU seconds per GiB */
	double rcv_usr_gib, rcv_sys_gib;	/* receivers, all together */
	double sys_cpu_gib;		/* all CPUs, from /proc/stat */
	double cpu_busy;		/* all CPUs' busy share in the run */
	double cpu_busy_snd, cpu_busy_rcv;	/* the pinned sides' CPUs */
	double syscalls_gib;		/* counted by the harness */
	double ksyscalls_gib;		/* counted by the kernel (sys_enter) */
	double syscalls_per_call;	/* syscalls per bufsize-worth moved */
	double vcsw_gib, ivcsw_gib;	/* sender context switches */
	double faults;			/* sender page faults per transfer */
	double faults_gib;
	double cp_snd_user, cp_snd_kern;	/* CPU-copied bytes per byte */
	double cp_rcv_user, cp_rcv_kern;	/* delivered, from kprobes */
	double cp_other;		/* softirq threads, kworkers */
	double cp_ubufs;		/* zero-copy fallback (skb_copy_ubufs) */
	double cp_umode;		/* copied by the method itself in user space */
	double cp_total;
	double zc_share;		/* completions: share sent without a copy */
	double zc_bytes, copied_bytes;
	double ceiling_mbps;		/* in-run single-core memcpy */
	double verified;		/* 1: every repetition verified */
	/* dma: dmatest-style totals */
	double tests, failures, iops;
	double files;			/* zcdev files moving data in parallel */
	double channels;		/* DMA channels zcdev uses */
	double lat_us;			/* mean engine time per DMA transfer */
	double fps;			/* capture: frames per second, median */
	/* zcdev trace events of the counting run (events_note: agreement) */
	double ev_zc_sends, ev_copied_sends, ev_zc_share;
	double ev_dma_done, ev_dma_other;
};

/* ---- util.c: counted system calls and small helpers ---- */

/*
 * The sc_* wrappers (libzc's zc_io() and zc_io_full()) count every system
 * call they make in @r->cnt.syscalls, so the syscall figures come from
 * what the method really did, not from a formula. They retry EINTR and
 * return -errno.
 */
ssize_t sc_read(struct run *r, int fd, void *buf, size_t len);
/*
 * All @len bytes, continuing after short transfers (a stream socket may
 * take less); 0, or -EIO when the file ends or takes nothing.
 */
int sc_write_all(struct run *r, int fd, const void *buf, size_t len);
int sc_pwrite_all(struct run *r, int fd, const void *buf, size_t len, off_t off);
int sc_pread_all(struct run *r, int fd, void *buf, size_t len, off_t off);
/* Count a call the method made itself (mmap, ioctl, io_uring_enter ...). */
static inline void sc_count(struct run *r, uint64_t n)
{
	r->cnt.syscalls += n;
}

void zb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void zb_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void *zb_alloc(size_t len);		/* page-aligned, zeroed; dies on ENOMEM */
void zb_free(void *p, size_t len);
uint64_t zb_now_ns(void);
/* Sets run->reason, returns 1 (the "unavailable" return of setup). */
int zb_unavail(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sets run->reason, returns -EIO (a failure). */
int zb_fail(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *zb_fmt_size(uint64_t v, char *buf, size_t len);	/* "64K", "16M" */
/* Comma-separated list: calls @fn for each item; non-zero stops. */
int zb_split(const char *list, int (*fn)(const char *item, void *arg), void *arg);

/* ---- files.c: source files and page cache state ---- */
/* Creates (or reuses) dir/zcbench-src-SIZE filled with the pattern. */
int zb_source_file(const char *dir, uint64_t size, char *path, size_t plen,
		   uint64_t *seed);
/* Writes back and drops @fd's pages; returns the share still cached (0..1). */
double zb_drop_cache(int fd, uint64_t size);
/* Share of [0, size) of @fd resident in the page cache (mincore). */
double zb_cached_share(int fd, uint64_t size);
/* Back to the source's first byte, for methods that read() it: a rep_setup. */
int zb_rewind_source(struct run *r);
/* Byte-exact check of a file against the pattern; -EBADMSG with a reason. */
int zb_verify_file(struct run *r, int fd, uint64_t size, uint64_t seed);
bool zb_odirect_ok(const char *dir);
/*
 * The source file read once into page-aligned anonymous memory, faulted
 * in: the "messages already in memory" starting point of the methods that
 * send user memory (MSG_ZEROCOPY, io_uring), outside the clock.
 */
int zb_mem_load(struct run *r);
void zb_mem_free(struct run *r);

/* ---- pipe.c: the pipes of the splice methods ---- */
/*
 * pipe2(O_CLOEXEC) resized to hold @want bytes (at least 64 KiB), so one
 * splice moves a whole request; *@cap receives what it holds. On failure
 * both ends are -1. 0 or -errno.
 */
int zb_pipe_open(int p[2], size_t want, size_t *cap);
/* Closes the ends that are open and marks them -1. */
void zb_pipe_close(int p[2]);
/*
 * Moves the @n bytes that are in pipe @pfd on to @fd with splice(), at
 * *@off_out (advanced) when @fd is a file, NULL for a socket. Each call
 * is counted; 0, or -EIO with run->reason set.
 */
int sc_splice_drain(struct run *r, int pfd, int fd, loff_t *off_out, size_t n);

/* ---- vsum.c: streaming verification of received bytes ---- */
/*
 * Two modes: exact compares every byte with the pattern (the counting run,
 * names the first bad offset); sum keeps a position-weighted checksum
 * (timed runs: about a tenth of the exact cost, so a slow receiver does not
 * become what is measured) that is compared with the pattern's at the end.
 */
struct vsum {
	uint64_t seed;
	uint64_t off;		/* bytes seen */
	bool exact;
	bool bad;
	uint64_t bad_off;
	uint64_t s1, s2;	/* Fletcher-style sums over 8-byte words */
	uint8_t tail[8];	/* partial word carried between calls */
};
void vsum_init(struct vsum *v, uint64_t seed, bool exact);
void vsum_update(struct vsum *v, const void *buf, size_t len);
/* 0 if the @len bytes seen match the pattern, else -EBADMSG. */
int vsum_check(struct vsum *v, uint64_t len, char *why, size_t wlen);

/* ---- net.c: paths and receivers ---- */
bool net_path_ok(const char *path, char *why, size_t wlen);
/*
 * One listener per path, created once (in the peer netns for "nic");
 * rep_connect opens @n connections and starts a receiver thread for each.
 */
int net_connect(struct run *r, int n, bool exact);
struct recv_stats {
	uint64_t bytes;
	uint64_t t_last_ns;	/* when the last expected byte arrived */
	struct rusage ru0, ru1;
	int tid;
	int cpu;	/* where the receiver ran when it finished */
	int err;
	char why[160];
};
/* Half-closes the sockets, waits for the receivers, closes everything. */
int net_finish(struct run *r, int n, struct recv_stats *st);
void net_cleanup(void);
int net_tid_of(int i);	/* tid of receiver i of the current rep, for tracing */
/*
 * The CPU a side of @path is pinned to (@peer: the receivers'), the one
 * its NIC's interrupts go to; -1 where nothing is pinned (not the nic
 * path, one CPU, or no ZCDEV_NIC_CPU/ZCDEV_PEER_CPU from net-nic.sh).
 */
int net_side_cpu(const char *path, bool peer);
int net_pin_self(int cpu);	/* the calling thread to @cpu; 0 or -errno */
/* What carries @path here: "loopback", "nic", "hub" (no offloads) or "". */
const char *net_mode(const char *path);

/* ---- trace.c: copies and syscalls counted in the kernel ---- */
/*
 * The tracefs mount where @entry ("kprobe_events", "instances") is
 * writable: mounted, and we may change it (root); NULL if none.
 */
const char *tracefs_mount(const char *entry);
/* Appends @text to @dir/@file, as `echo TEXT >> FILE` would; 0 or -errno. */
int tracefs_write(const char *dir, const char *file, const char *text);
struct trace_counts {
	bool avail;
	char why[96];
	uint64_t snd_user, snd_kern, rcv_user, rcv_kern, other, ubufs;
	uint64_t snd_syscalls;
	bool ubufs_bytes;	/* false: ubufs counts calls, not bytes */
};
bool trace_init(char *why, size_t wlen);	/* once; false: counts unavailable */
void trace_start(void);
void trace_mark(int snd);	/* right after the transfer: sender syscalls */
/* @snd: sender tid; @rcv: receiver tids (n of them). */
void trace_stop(int snd, const int *rcv, int n, struct trace_counts *tc);
void trace_cleanup(void);

/* ---- events.c: zcdev's trace events, counted next to the ioctls' word ---- */
#define ZEV_SEND_COMPLETE	0x1	/* zcdev_send_complete: copied or not */
#define ZEV_DMA_END		0x2	/* zcdev_dma_end: status and bytes */

/**
 * struct zev_counts - zcdev events of one window, or what the ioctls said
 * @events: ZEV_* bits counted
 * @avail: the counts are real; else @why says why there are none
 * @why: reason, for the output
 * @sends: send completions: [0] zero-copy, [1] copied
 * @send_bytes: their bytes, the same way
 * @dma: DMA transfers ended, by ZCDEV_DMA_* status ([0]: any other)
 * @dma_bytes: bytes those transfers moved
 */
struct zev_counts {
	unsigned int events;
	bool avail;
	char why[96];
	uint64_t sends[2];
	uint64_t send_bytes[2];
	uint64_t dma[ZCDEV_DMA_CANCELLED + 1];
	uint64_t dma_bytes;
};
/*
 * Starts counting @events (ZEV_*) of every task in a tracefs instance of
 * our own; false, with @c->why set, where that cannot be done. One window
 * at a time.
 */
bool zev_start(unsigned int events, struct zev_counts *c);
/* Ends the window: counts into @c (or why not), instance removed. */
void zev_stop(struct zev_counts *c);
/*
 * One sentence for the output: what @traced counted and whether it agrees
 * with @seen, what the completions and waits said (or why there are no
 * counts). True only when both were counted and agree.
 */
bool zev_compare(const struct zev_counts *traced, const struct zev_counts *seen,
		 char *note, size_t len);

/* ---- btf.c: kernel struct layout from /sys/kernel/btf/vmlinux ---- */
/* Byte offset of @member in struct @sname, or -errno. */
long btf_member_offset(const char *sname, const char *member);
/* Value of enumerator @name, or -errno (value must be >= 0). */
long btf_enum_value(const char *name);

/* ---- env.c ---- */
struct zb_env {
	char where[16];
	char kernel[64];
	char accel[8];
	int cpus;
	uint64_t mem_mb;
	double host_load;
};
void env_detect(struct zb_env *e);
/* Single-core memcpy bandwidth in MB/s (the ceiling), median of runs. */
double env_memcpy_mbps(void);

/* ---- stats.c ---- */
double st_median(const double *v, int n);
double st_quantile(const double *v, int n, double q);
double st_min(const double *v, int n);
double st_max(const double *v, int n);

/* ---- methods.c: the registry ---- */
extern const struct workload zb_workloads[];
extern const int zb_nworkloads;
const struct method *const *zb_methods(int *n);
const struct method *zb_find_method(const char *workload, const char *name);
const struct workload *zb_find_workload(const char *name);

/* Method tables of each file, NULL-terminated. */
extern const struct method *const m_file2sock[];
extern const struct method *const m_zerocopy[];
extern const struct method *const m_uring[];
extern const struct method *const m_zcdev[];
extern const struct method *const m_file2file[];
extern const struct method *const m_fanout[];
extern const struct method *const m_storage[];
extern const struct method *const m_dma[];
extern const struct method *const m_capture[];
/* The dma workload's dmatest-style totals (tests, failures, iops). */
void m_dma_summarize(struct result *res, int runs);
/* The capture workload's frames per second and system calls per frame. */
void m_capture_summarize(struct result *res, int runs);

/* ---- region.c: DMA endpoints of each kind ---- */
/**
 * struct region - memory a DMA transfer reads or writes
 * @kind: ZCDEV_BUF_PAGES, ZCDEV_BUF_COHERENT, or 0 for plain user memory
 * @p: the CPU's view (a zcdev mapping, or anonymous memory)
 * @len: bytes
 * @zb: the zcdev buffer (kinds other than user)
 */
struct region {
	uint32_t kind;
	char *p;
	size_t len;
	struct zc_buf zb;
};
/* "pages", "coherent", "user" -> kind; -EINVAL otherwise. */
int region_kind(const char *name, uint32_t *kind);
const char *region_kind_name(uint32_t kind);
/* Allocates and maps (or mmaps anonymous memory); -errno. */
int region_alloc(int zfd, uint32_t kind, size_t len, struct region *rg);
void region_free(struct region *rg);
void region_ep(const struct region *rg, uint64_t off, struct zcdev_dma_ep *ep);
/* Hands [off, off+len) to the device or back to the CPU (no-op for user). */
int region_sync(int zfd, const struct region *rg, uint32_t flags, uint64_t off,
		uint64_t len);

/* ---- dmatest.c: zcbench dma's workload on one open of /dev/zcdev ---- */
#define DT_MAX_DEPTH	64

/**
 * struct dt_cfg - the workload, the same for every file
 * @iters: transfers per phase
 * @size: bytes per transfer
 * @segs: segments per transfer
 * @depth: transfers in flight, 1 .. DT_MAX_DEPTH
 * @seed: of the random offsets
 * @skind: region kind of the sources (0: user memory)
 * @dkind: of the destinations
 * @verify: dmatest's three checks after every transfer
 */
struct dt_cfg {
	uint64_t iters, size, segs, depth, seed;
	uint32_t skind, dkind;
	bool verify;
};

/* One transfer's buffer pair and where in them the copy goes. */
struct dt_slot {
	struct region src, dst;
	uint64_t soff, doff;
	bool busy;
};

/**
 * struct dt_file - one open of /dev/zcdev and the transfers it runs
 * @c: the workload
 * @idx: its number, for messages
 * @zfd: the open file; the module binds it to a channel at its first submit
 * @slots: buffer pairs, one per transfer in flight
 * @x: state of the random offsets
 * @go: set by the caller: the start line of a parallel phase (NULL: alone)
 * @t0: when the last phase started (ns)
 * @t1: when it ended
 * @cpu: CPU seconds of the thread that ran it
 * @failures: its tests that failed
 * @err: it stopped early because an ioctl failed: -errno
 * @seen: what the waits said, summed over every phase, for the trace events
 * @engine_ns: engine time of the last phase's transfers, summed (the waits'
 *	engine_ns: from the head of the channel's queue to the completion)
 */
struct dt_file {
	const struct dt_cfg *c;
	int idx;
	int zfd;
	struct dt_slot slots[DT_MAX_DEPTH];
	uint64_t x;
	pthread_barrier_t *go;
	uint64_t t0, t1;
	double cpu;
	uint64_t failures;
	int err;
	struct zev_counts seen;
	uint64_t engine_ns;
};

/* Bytes of each buffer: room for a copy at any offset, and its guards. */
size_t dt_buf_len(const struct dt_cfg *c);
/*
 * Opens the file and fills its slots, outside any clock; file @idx gets
 * offsets of its own. 0 or -errno; release it either way.
 */
int dt_file_setup(struct dt_file *f, const struct dt_cfg *c, int idx);
void dt_file_release(struct dt_file *f);
/* One phase: c->iters transfers, checked; a pthread start routine (@arg: the file). */
void *dt_file_run(void *arg);
/* The CPU copies as many bytes between @f's slots; ns, and *@cpu seconds. */
uint64_t dt_memcpy(struct dt_file *f, double *cpu);

/* ---- engine.c: which DMA engine zcdev's channels belong to ---- */
/**
 * struct dma_engine - the device behind zcdev's DMA channels
 * @driver: its driver (zcdma, dma-pl330, ...), from sysfs; "unknown" if
 *	sysfs does not say
 * @device: the device (12850000.dma-controller, zcdma, ...)
 * @chans: zcdev's channels, comma-separated
 * @nchans: how many
 */
struct dma_engine {
	char driver[32];
	char device[64];
	char chans[160];
	uint32_t nchans;
};
/* Fills @e from ZCDEV_IOC_DMA_STATS and /sys/class/dma; 0 or -errno. */
int dma_engine_get(int zfd, struct dma_engine *e);

/* ---- dma_table.c: zcbench dma --table and --merge ---- */
/*
 * One engine's table: coherent, PAGES and user pairs at 4K and 1M, each
 * beside memcpy, then the CPU's bandwidth through each kind of mapping.
 * @base->iters 0: a default per size. 0; 1 if a test failed; 3 if no DMA.
 */
int dma_table_run(const struct dt_cfg *base, FILE *jf);
/* One table of the --table JSON lines in @files (e.g. one per engine). */
int dma_table_merge(char **files, int nfiles);

/* ---- harness.c ---- */
/* Busy seconds of all CPUs so far (/proc/stat), NaN if unreadable. */
double zb_cpu_busy_s(void);
struct harness_opts {
	int reps;
	int warmup;		/* extra untimed runs before the counting run */
	bool trace;		/* count copies when tracefs allows */
	bool quiet;
	const char *dir;
	const char *sdir;
	double ceiling;
	struct zb_env env;
};
/* Runs one configuration and fills @res (status ok, fail or unavailable). */
void harness_run(const struct harness_opts *o, const struct method *m,
		 uint64_t size, uint64_t bufsize, const char *path,
		 struct result *res, const char *progress);
void result_init(struct result *res, const struct zb_env *e);
bool zb_progress_inplace(void);	/* progress rewrites one line (a terminal) */

/* ---- schema.c: the JSON schema, one entry per struct result field ---- */
enum ftype { F_STR, F_U64, F_DBL };
struct field {
	const char *name;
	enum ftype type;
	size_t off;
	size_t len;		/* F_STR: buffer size */
	const char *doc;	/* unit and meaning, for --help-json */
};
extern const struct field zb_fields[];
extern const int zb_nfields;
#define ZB_SCHEMA	"zcbench/1"

/* ---- output.c ---- */
void out_json(FILE *f, const struct result *res);
/* Table of @n results, grouped by workload, ratios to each baseline. */
void out_table(FILE *f, const struct result *res, int n, const char *title);
/* The VM vs native ratio table (report). */
void out_compare(FILE *f, const struct result *res, int n);
/*
 * gnuplot data, one file per workload (DIR/plot-WORKLOAD.dat): a row per
 * configuration with the VM's and the native throughput and sender CPU as
 * ratios to the baseline. Returns 0 or -1.
 */
int out_plot_data(const char *dir, const struct result *res, int n);

/* ---- jsonl.c ---- */
#define ZB_MAX_WHERES	8
/*
 * The environments (where) of @res: vm and native first, then any other
 * (ZCBENCH_WHERE) in order of appearance; points into @res, returns how many.
 */
int zb_wheres(const struct result *res, int n, const char **out);
/* Parses one JSON line into @res; -EINVAL on junk. */
int jsonl_parse(const char *line, struct result *res);
/* Reads every line of @file, appending to *@res (realloc'd). */
int jsonl_load(const char *file, struct result **res, int *n);

/* ---- claims.c ---- */
/* The claims table; returns the number of claims that do not hold. */
int claims_table(FILE *f, const struct result *res, int n);

/* ---- commands ---- */
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_dma(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_peers(int argc, char **argv);
int cmd_sendloop(int argc, char **argv);

#endif /* ZCBENCH_H */
