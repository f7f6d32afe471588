// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench peers: zcbench's zero-copy send peers next to the kernel's own
 * tools, in the same boot, on the same path, at the same bytes per send.
 *
 * Two families, each with zcdev in it, so a ratio zcdev/peer never mixes
 * one harness's zcdev with another harness's peer:
 *
 *  kernel   tools/testing/selftests/net/msg_zerocopy -z and
 *           io_uring_zerocopy_tx (SEND_ZC from a fixed buffer; its default
 *           batch of 8 sends per io_uring_enter, and -n 1: one at a time,
 *           zcbench's shape), and `zcbench sendloop -z`, msg_zerocopy's
 *           loop with ZCDEV_IOC_SEND/SEND_REAP; each its own process, timed
 *           by its own -t window, against msg_zerocopy -r (the receiver
 *           the kernel's scripts use: data discarded with MSG_TRUNC);
 *           sender CPU is the process's rusage (wait4).
 *  zcbench  the methods msgzc, uring_sendzc_fixed and zcdev_send through
 *           `zcbench run` (a fixed number of bytes, a receiver thread that
 *           reads and checksums every byte, default socket buffers);
 *           sender CPU is the sender thread's rusage.
 *
 * io_uring_zerocopy_tx's default batch puts 8 unlinked SEND_ZC requests
 * on one TCP socket at a time; when one of them is cut short another can
 * go first, so its stream is not the payload repeated (sendloop -r -V
 * finds a payload starting inside another). Its receiver discards the
 * data and never notices; the like-for-like peer is its -n 1 row.
 *
 * The kernel tools print only what they counted (sends, MiB); throughput
 * here is bytes over the send window (-t + 0.2 s) for all of them, never
 * io_uring_zerocopy_tx's own MB/s line (which divides by -t alone).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zcbench.h"

#define PEER_MAX_REPS	16
#define PEER_LISTEN_MS	15000
/* Beyond its window a tool only waits for completions (0.5 s) and closes. */
#define PEER_SLACK_MS	60000

enum family { FAM_KERNEL, FAM_ZCBENCH };

struct row {
	enum family fam;
	const char *name;	/* as printed */
	const char *method;	/* FAM_ZCBENCH: the zcbench method */
	const char *args[4];	/* FAM_KERNEL: sendloop's extra options */
	bool zcdev;		/* the family's zcdev row */
	bool explain;		/* only with --explain */
	bool rx_verify;		/* receiver: sendloop -r -V, not msg_zerocopy -r */
	bool rx_plain;		/* ... with --rx-plain: zcbench run's receiver */
	int n;			/* samples */
	double mbps[PEER_MAX_REPS];
	double cpu_gib[PEER_MAX_REPS];
	double sys_send[PEER_MAX_REPS];	/* NaN where the tool does not say */
	double med, lo, hi, cpu, sys;
	char zc[8];		/* y/n, a share, or - */
	char why[200];		/* failed or unavailable: why */
};

struct peers_opts {
	const char *paths, *sizes;
	int time_s, reps, port;
	uint64_t zb_size;
	const char *tools, *dir;
	bool no_zcbench, verbose, explain;
};

static const char help[] =
"usage: zcbench peers [options]\n"
"\n"
"zcbench's zero-copy send peers next to the kernel's own tools, same boot,\n"
"same path, same bytes per send. Rows, in two families, each with zcdev:\n"
"  kernel   msg_zerocopy -z, io_uring_zerocopy_tx (-m 2: SEND_ZC fixed;\n"
"           its batch of 8, which can reorder the TCP stream, and -n 1, one\n"
"           at a time), zcbench sendloop -z (msg_zerocopy's loop\n"
"           with ZCDEV_IOC_SEND/SEND_REAP); all against msg_zerocopy -r,\n"
"           timed by their -t window, CPU = the sender process's rusage\n"
"  zcbench  msgzc, uring_sendzc_fixed, zcdev_send (zcbench run: --zb-size\n"
"           bytes, its checksumming receiver thread, sender thread's CPU)\n"
"\n"
"Per path and size one table: MB/s (median, min-max over --reps), sender CPU\n"
"s/GiB, system calls per send (where the tool counts them), the zero-copy\n"
"word of the completions, and zcdev/peer ratios of MB/s and CPU within each\n"
"family. A note follows where zcbench's peer and the kernel tool disagree by\n"
"more than their run-to-run spread, or their zcdev/peer ratios do.\n"
"\n"
"  -p, --path LIST    loop (127.0.0.1), nic (the VM's NIC pair, receiver in\n"
"                     the peer netns) (default loop,nic; nic where present)\n"
"  -s, --size LIST    bytes per send (default 65435,4096; 65435 is the most\n"
"                     msg_zerocopy and io_uring_zerocopy_tx take)\n"
"  -t, --time S       kernel-family send window: S + 0.2 s (default 2)\n"
"  -r, --reps N       repetitions, kernel rows interleaved (default 3)\n"
"      --zb-size B    bytes per zcbench transfer (default 16M)\n"
"      --port P       first TCP port (default 8100; one per run)\n"
"      --tools DIR    msg_zerocopy and io_uring_zerocopy_tx (default: this\n"
"                     program's directory, then PATH)\n"
"  -d, --dir DIR      zcbench's source files (default /tmp)\n"
"      --no-zcbench   kernel family only\n"
"      --explain      also sendloop with zcbench run's sender shape, one step\n"
"                     at a time: the kernel's autotuned SO_SNDBUF (auto),\n"
"                     blocking sends without POLLOUT polls (blk), a\n"
"                     receiver that reads and checks every byte (rx=read),\n"
"                     and that with zcbench run's socket options and\n"
"                     blocking reads to the end (rx=zcb);\n"
"                     the step that moves MB/s is what makes the families\n"
"                     disagree\n"
"  -v, --verbose      every run's figures on stderr\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0; 1 if a tool failed or lost completions; 2 usage.\n";

static double now_s(void)
{
	return zb_now_ns() / 1e9;
}

static const char *tool_path(const struct peers_opts *o, const char *name,
			     char *buf, size_t len)
{
	char self[200], *slash, *path, *dir, *save = NULL;
	ssize_t n;

	if (o->tools) {
		snprintf(buf, len, "%s/%s", o->tools, name);
		return access(buf, X_OK) ? NULL : buf;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/%s", self, name);
			if (!access(buf, X_OK))
				return buf;
		}
	}
	path = strdup(getenv("PATH") ?: "/bin:/usr/bin");
	for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/%s", dir, name);
		if (!access(buf, X_OK)) {
			free(path);
			return buf;
		}
	}
	free(path);
	return NULL;
}

/* The peer netns of --net nic (qemu/guest/net-nic.sh), or NULL. */
static const char *peer_netns(char *buf, size_t len)
{
	const char *ns = getenv("ZCDEV_PEER_NETNS");

	if (ns && *ns && !access(ns, F_OK))
		return ns;
	ns = getenv("ZCDEV_PEER_NS");
	if (!ns || !*ns)
		return NULL;
	snprintf(buf, len, "/run/netns/%s", ns);
	return access(buf, F_OK) ? NULL : buf;
}

/*
 * fork + exec @argv with stdout and stderr into @log (NULL: stdout to our
 * stderr, which keeps the table on stdout clean); @netns: setns first;
 * @cpu >= 0: pinned there (the nic path's side, net_side_cpu()), as
 * zcbench run pins its own sender and receivers.
 */
static pid_t spawn(char *const argv[], const char *log, const char *netns,
		   int cpu)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	fd = log ? open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : 2;
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (netns) {
		int nsfd = open(netns, O_RDONLY | O_CLOEXEC);

		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET)) {
			fprintf(stderr, "setns %s: %s\n", netns, strerror(errno));
			_exit(127);
		}
	}
	if (cpu >= 0 && net_pin_self(cpu)) {
		fprintf(stderr, "pinning to CPU %d: %s\n", cpu, strerror(errno));
		_exit(127);
	}
	execv(argv[0], argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* wait4 with a time limit: kills @pid when it passes. */
static int reap_child(pid_t pid, int limit_ms, int *status, struct rusage *ru)
{
	double end = now_s() + limit_ms / 1e3;
	struct timespec ts = { 0, 20 * 1000000 };
	pid_t r;

	for (;;) {
		r = wait4(pid, status, WNOHANG, ru);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (now_s() > end) {
			kill(pid, SIGKILL);
			wait4(pid, status, 0, ru);
			return -ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
}

/*
 * The receiver side's memory pressure (TcpExt of its netns): when the
 * receive queue overflows its buffer TCP prunes and collapses it, copying
 * skbs, in the softirq of whoever delivers (on loopback: the sender).
 */
static const char *const tcp_ext[] = {
	"PruneCalled", "TCPRcvCollapsed", "TCPRcvQDrop", "TCPZeroWindowDrop",
	"TCPToZeroWindowAdv",
};
#define NR_TCP_EXT	(int)(sizeof(tcp_ext) / sizeof(tcp_ext[0]))

static void tcp_ext_read(FILE *f, unsigned long long *v)
{
	char names[4096], vals[4096], *n, *x, *sn, *sx;
	int i;

	for (i = 0; i < NR_TCP_EXT; i++)
		v[i] = 0;
	if (!f || fseek(f, 0, SEEK_SET))
		return;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, "TcpExt:", 7))
			continue;
		n = strtok_r(names + 7, " \n", &sn);
		x = strtok_r(vals + 7, " \n", &sx);
		for (; n && x; n = strtok_r(NULL, " \n", &sn), x = strtok_r(NULL, " \n", &sx))
			for (i = 0; i < NR_TCP_EXT; i++)
				if (!strcmp(n, tcp_ext[i]))
					v[i] = strtoull(x, NULL, 10);
	}
}

static void last_line(const char *log, char *out, size_t len)
{
	char line[256];
	FILE *f = fopen(log, "re");

	snprintf(out, len, "no output");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '\n') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "%.190s", line);
		}
	fclose(f);
}

/*
 * What the sender printed: sends and MiB (all), completions and zc= (the
 * msg_zerocopy line), exact bytes and system calls (sendloop). The MiB are
 * rounded down; sends x payload is exact unless a send was short, which
 * the two agreeing on the MiB confirms (else the MiB, + 0.5, stand).
 */
static int parse_tx(const char *log, int payload, double *bytes, double *sys,
		    char *zc)
{
	unsigned long pk = 0, mb = 0, txc, b, sends, sc;
	bool got = false;
	char line[512], z;
	FILE *f = fopen(log, "re");

	*sys = NAN;
	snprintf(zc, 8, "-");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "tx=%lu (%lu MB) txc=%lu zc=%c", &pk, &mb, &txc, &z) == 4) {
			snprintf(zc, 8, "%c", z);
			got = true;
		} else if (sscanf(line, "tx=%lu (MB=%lu)", &pk, &mb) == 2) {
			got = true;
		} else if (sscanf(line, "sendloop: bytes=%lu sends=%lu completions=%*u notifications=%*u copied=%*u syscalls=%lu",
				  &b, &sends, &sc) == 3) {
			*bytes = b;
			*sys = sends ? (double)sc / sends : NAN;
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	if (!got)
		return -EINVAL;
	*bytes = ((double)pk * payload) / (1 << 20) >= mb &&
		 ((double)pk * payload) / (1 << 20) < mb + 1 ?
		 (double)pk * payload : (mb + 0.5) * (1 << 20);
	return 0;
}

/* One run of a kernel-family sender against msg_zerocopy -r (or sendloop -r). */
static int kernel_run(const struct peers_opts *o, struct row *rw,
		      const char *path, const char *netns, const char *dst,
		      int payload, int port)
{
	char mzc[256], iou[256], self[256], ps[16], ss[16], ts[16];
	char rlog[] = "/tmp/zcpeers-rx.XXXXXX", slog[] = "/tmp/zcpeers-tx.XXXXXX";
	char *rx[16], *tx[24], nsf[64];
	unsigned long long ext0[NR_TCP_EXT], ext1[NR_TCP_EXT];
	FILE *netstat = NULL;
	struct rusage ru;
	double bytes = 0, cpu, window = o->time_s + 0.2, sys;
	int st, rst = 0, err = 0, i = 0, k, fd;
	pid_t rpid, spid;
	ssize_t n;

	if (!tool_path(o, "msg_zerocopy", mzc, sizeof(mzc)) ||
	    !tool_path(o, "io_uring_zerocopy_tx", iou, sizeof(iou))) {
		snprintf(rw->why, sizeof(rw->why),
			 "no msg_zerocopy/io_uring_zerocopy_tx (qemu/host/build-net-peers.sh)");
		return 1;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	snprintf(ps, sizeof(ps), "%d", port);
	snprintf(ss, sizeof(ss), "%d", payload);
	snprintf(ts, sizeof(ts), "%d", o->time_s);
	if ((fd = mkstemp(rlog)) >= 0)
		close(fd);
	if ((fd = mkstemp(slog)) >= 0)
		close(fd);

	if (rw->rx_verify) {
		rx[i++] = self; rx[i++] = "sendloop"; rx[i++] = "-V";
		if (rw->rx_plain)
			rx[i++] = "--rx-plain";
	} else {
		rx[i++] = mzc;
	}
	rx[i++] = "-4"; rx[i++] = "-r"; rx[i++] = "-D"; rx[i++] = (char *)dst;
	rx[i++] = "-p"; rx[i++] = ps; rx[i++] = "-s"; rx[i++] = ss;
	rx[i++] = "-t"; rx[i++] = ts; rx[i++] = "tcp"; rx[i] = NULL;

	i = 0;
	if (!strcmp(rw->name, "msg_zerocopy")) {
		tx[i++] = mzc; tx[i++] = "-z";
	} else if (!strncmp(rw->name, "io_uring_zerocopy_tx", 20)) {
		tx[i++] = iou; tx[i++] = "-m"; tx[i++] = "2";
		if (strstr(rw->name, "-n1")) {
			tx[i++] = "-n"; tx[i++] = "1";
		}
	} else {
		tx[i++] = self; tx[i++] = "sendloop"; tx[i++] = "-z";
		for (k = 0; k < 4 && rw->args[k]; k++)
			tx[i++] = (char *)rw->args[k];
	}
	tx[i++] = "-4"; tx[i++] = "-D"; tx[i++] = (char *)dst; tx[i++] = "-p"; tx[i++] = ps;
	tx[i++] = "-s"; tx[i++] = ss; tx[i++] = "-t"; tx[i++] = ts; tx[i++] = "tcp";
	tx[i] = NULL;

	rpid = spawn(rx, rlog, netns, net_side_cpu(path, true));
	if (rpid > 0 && zc_tcp_listening(rpid, port, PEER_LISTEN_MS)) {
		/* Opened now, read again after the run: the receiver's netns. */
		snprintf(nsf, sizeof(nsf), "/proc/%d/net/netstat", (int)rpid);
		netstat = fopen(nsf, "re");
		tcp_ext_read(netstat, ext0);
	} else {
		last_line(rlog, rw->why, sizeof(rw->why));
		err = -EIO;
		if (rpid > 0) {
			kill(rpid, SIGKILL);
			waitpid(rpid, NULL, 0);
		}
		goto out;
	}
	spid = spawn(tx, slog, NULL, net_side_cpu(path, false));
	err = spid < 0 ? -errno :
	      reap_child(spid, (int)(window * 1000) + PEER_SLACK_MS, &st, &ru);
	/* A sender that failed before connecting leaves it in accept(). */
	if (err || !WIFEXITED(st) || WEXITSTATUS(st))
		kill(rpid, SIGKILL);
	reap_child(rpid, PEER_SLACK_MS, &rst, NULL);
	tcp_ext_read(netstat, ext1);
	if (err || !WIFEXITED(st) || WEXITSTATUS(st)) {
		last_line(slog, rw->why, sizeof(rw->why));
		err = err ?: -EIO;
		goto out;
	}
	/* sendloop -r -V: wrong bytes fail the row. */
	if (rw->rx_verify && (!WIFEXITED(rst) || WEXITSTATUS(rst))) {
		last_line(rlog, rw->why, sizeof(rw->why));
		err = -EIO;
		goto out;
	}
	if (parse_tx(slog, payload, &bytes, &sys, rw->zc) || bytes <= 0) {
		snprintf(rw->why, sizeof(rw->why), "%s: no tx= line", rw->name);
		err = -EIO;
		goto out;
	}
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	rw->mbps[rw->n] = bytes / 1e6 / window;
	rw->cpu_gib[rw->n] = cpu / (bytes / (1 << 30));
	rw->sys_send[rw->n] = sys;
	if (o->verbose)
		fprintf(stderr, "peers: %s %d %-26s %8.1f MB/s %7.2f s/GiB (usr %.2f sys %.2f s, vcsw %ld ivcsw %ld) zc=%s\n",
			path, payload, rw->name, rw->mbps[rw->n], rw->cpu_gib[rw->n],
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
			ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
			ru.ru_nvcsw, ru.ru_nivcsw, rw->zc);
	if (o->verbose && netstat) {
		fprintf(stderr, "peers:   receiver netns TcpExt:");
		for (k = 0; k < NR_TCP_EXT; k++)
			fprintf(stderr, " %s +%llu", tcp_ext[k], ext1[k] - ext0[k]);
		fputc('\n', stderr);
	}
	rw->n++;
out:
	if (netstat)
		fclose(netstat);
	unlink(rlog);
	unlink(slog);
	return err;
}

/* zcbench's own three at @payload on @path, through `zcbench run`. */
static int zcbench_rows(const struct peers_opts *o, struct row *rows, int nrows,
			const char *path, int payload)
{
	char self[256], json[] = "/tmp/zcpeers-json.XXXXXX", bs[16], sz[24], rs[8];
	char *argv[] = { self, "run", "-w", "file2sock", "-m",
			 "msgzc,uring_sendzc_fixed,zcdev_send", "-s", sz, "-b", bs,
			 "-p", (char *)path, "-r", rs, "-d", (char *)o->dir,
			 "--no-trace", "--no-claims", "-q", "--json", json, NULL };
	struct result *res = NULL;
	int n = 0, i, k, st, fd;
	ssize_t len;
	pid_t pid;

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		return -errno;
	self[len] = '\0';
	fd = mkstemp(json);
	if (fd < 0)
		return -errno;
	close(fd);
	snprintf(bs, sizeof(bs), "%d", payload);
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)o->zb_size);
	snprintf(rs, sizeof(rs), "%d", o->reps);
	pid = spawn(argv, o->verbose ? NULL : "/dev/null", NULL, -1);
	if (pid < 0 || reap_child(pid, 1800 * 1000, &st, NULL))
		st = -1;
	jsonl_load(json, &res, &n);
	unlink(json);
	for (k = 0; k < nrows; k++) {
		struct row *rw = &rows[k];

		if (rw->fam != FAM_ZCBENCH)
			continue;
		snprintf(rw->why, sizeof(rw->why), "zcbench run gave no result (status %d)", st);
		for (i = 0; i < n; i++) {
			struct result *r = &res[i];

			if (strcmp(r->method, rw->method) || strcmp(r->path, path) ||
			    r->bufsize != (uint64_t)payload)
				continue;
			if (strcmp(r->status, "ok")) {
				snprintf(rw->why, sizeof(rw->why), "%.11s: %.180s", r->status, r->reason);
				break;
			}
			rw->why[0] = '\0';
			rw->n = (int)r->reps;
			rw->med = r->mbps;
			rw->lo = r->mbps_min;
			rw->hi = r->mbps_max;
			rw->cpu = r->snd_usr_gib + r->snd_sys_gib;
			rw->sys = r->syscalls_per_call;
			if (isnan(r->zc_share))
				snprintf(rw->zc, sizeof(rw->zc), "-");
			else
				snprintf(rw->zc, sizeof(rw->zc), "%.2f", r->zc_share);
		}
	}
	free(res);
	return st ? 1 : 0;
}

static void summarize(struct row *rw)
{
	if (rw->fam != FAM_KERNEL)
		return;
	if (!rw->n) {
		rw->med = rw->lo = rw->hi = rw->cpu = rw->sys = NAN;
		return;
	}
	rw->med = st_median(rw->mbps, rw->n);
	rw->lo = st_min(rw->mbps, rw->n);
	rw->hi = st_max(rw->mbps, rw->n);
	rw->cpu = st_median(rw->cpu_gib, rw->n);
	rw->sys = st_median(rw->sys_send, rw->n);
}

static const struct row *zcdev_of(const struct row *rows, int n, enum family f)
{
	int i;

	for (i = 0; i < n; i++)
		if (rows[i].fam == f && rows[i].zcdev && !rows[i].why[0])
			return &rows[i];
	return NULL;
}

static void num(char *buf, size_t len, double v, const char *fmt)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, fmt, v);
}

/* Spread of a row relative to its median: (max - min) / median. */
static double spread(const struct row *r)
{
	return r->med > 0 ? (r->hi - r->lo) / r->med : NAN;
}

static void compare(const struct row *k, const struct row *z, const char *what)
{
	double d, s;

	if (!k || !z || k->why[0] || z->why[0] || isnan(k->med) || isnan(z->med))
		return;
	d = fabs(k->med - z->med) / fmax(k->med, z->med);
	s = fmax(spread(k), spread(z));
	if (k->lo == k->hi || z->lo == z->hi)
		printf("  %s: %s %.1f vs %s %.1f MB/s differ by %.0f%% (one repetition: no spread to judge by)\n",
		       what, k->name, k->med, z->name, z->med, 100 * d);
	else if (d > s)
		printf("  note: %s: %s %.1f vs %s %.1f MB/s differ by %.0f%%, more than the run-to-run spread (%.0f%%)\n",
		       what, k->name, k->med, z->name, z->med, 100 * d, 100 * s);
	else
		printf("  %s: %s %.1f vs %s %.1f MB/s agree within the spread (%.0f%% <= %.0f%%)\n",
		       what, k->name, k->med, z->name, z->med, 100 * d, 100 * s);
}

static const struct row *find(const struct row *rows, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	return NULL;
}

/* The zcdev/peer ratio in one family against the other's. */
static void compare_ratio(const struct row *rows, int n, const char *kpeer,
			  const char *zpeer)
{
	const struct row *kz = zcdev_of(rows, n, FAM_KERNEL);
	const struct row *zz = zcdev_of(rows, n, FAM_ZCBENCH);
	const struct row *kp = find(rows, n, kpeer), *zp = find(rows, n, zpeer);
	double rk, rz, sk, sz;

	if (!kz || !zz || !kp || !zp || kp->why[0] || zp->why[0])
		return;
	rk = kz->med / kp->med;
	rz = zz->med / zp->med;
	/* A ratio's own spread: its two rows' spreads add up. */
	sk = spread(kz) + spread(kp);
	sz = spread(zz) + spread(zp);
	if (kz->lo == kz->hi || zz->lo == zz->hi)
		return;
	printf("  %s zcdev/%s %.2f vs zcbench zcdev/%s %.2f: %s\n", "kernel", kpeer, rk,
	       zpeer, rz, fabs(rk - rz) / fmax(rk, rz) > fmax(sk, sz) ?
	       "note: DISAGREE beyond the spread" : "agree within the spread");
}

static void print_table(const struct row *rows, int n, const char *path,
			const char *net, int payload)
{
	int scpu = net_side_cpu(path, false), rcpu = net_side_cpu(path, true);
	char mb[48], cpu[16], sys[16], rm[16], rc[16];
	const struct row *z;
	int i;

	printf("\n== peers: path %s (%s), %d B per send", path, net, payload);
	if (scpu >= 0)
		printf("; senders on cpu%d, receivers on cpu%d", scpu, rcpu);
	printf(" ==\n");
	printf("%-8s %-26s %7s %-15s %9s %8s %5s %8s %8s\n", "family", "sender",
	       "MB/s", "[min-max]", "CPU s/GiB", "sys/send", "zc", "zcdev/p", "CPU z/p");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		if (r->why[0]) {
			printf("%-8s %-26s %s\n", r->fam == FAM_KERNEL ? "kernel" : "zcbench",
			       r->name, r->why);
			continue;
		}
		z = zcdev_of(rows, n, r->fam);
		snprintf(mb, sizeof(mb), "[%.1f-%.1f]", r->lo, r->hi);
		num(cpu, sizeof(cpu), r->cpu, "%.2f");
		num(sys, sizeof(sys), r->sys, "%.2f");
		if (z && !r->zcdev && !r->explain) {
			num(rm, sizeof(rm), z->med / r->med, "%.2f");
			num(rc, sizeof(rc), z->cpu / r->cpu, "%.2f");
		} else {
			snprintf(rm, sizeof(rm), "%s", r->zcdev ? "(zcdev)" :
				 r->explain ? "(step)" : "-");
			snprintf(rc, sizeof(rc), "-");
		}
		printf("%-8s %-26s %7.1f %-15s %9s %8s %5s %8s %8s\n",
		       r->fam == FAM_KERNEL ? "kernel" : "zcbench", r->name, r->med,
		       mb, cpu, sys, r->zc, rm, rc);
	}
	compare(find(rows, n, "msg_zerocopy"), find(rows, n, "msgzc"), "MSG_ZEROCOPY");
	compare(find(rows, n, "io_uring_zerocopy_tx -n1"), find(rows, n, "uring_sendzc_fixed"),
		"send_zc fixed, one send at a time");
	compare(find(rows, n, "zcbench sendloop"), find(rows, n, "zcdev_send"), "zcdev");
	compare_ratio(rows, n, "msg_zerocopy", "msgzc");
	compare_ratio(rows, n, "io_uring_zerocopy_tx -n1", "uring_sendzc_fixed");
}

static const struct row row_set[] = {
	{ .fam = FAM_KERNEL, .name = "msg_zerocopy" },
	{ .fam = FAM_KERNEL, .name = "io_uring_zerocopy_tx" },
	{ .fam = FAM_KERNEL, .name = "io_uring_zerocopy_tx -n1" },
	{ .fam = FAM_KERNEL, .name = "zcbench sendloop", .zcdev = true },
	{ .fam = FAM_KERNEL, .name = "sendloop auto", .explain = true,
	  .args = { "--sndbuf", "0" } },
	{ .fam = FAM_KERNEL, .name = "sendloop blk", .explain = true,
	  .args = { "--blocking" } },
	{ .fam = FAM_KERNEL, .name = "sendloop blk,auto", .explain = true,
	  .args = { "--blocking", "--sndbuf", "0" } },
	{ .fam = FAM_KERNEL, .name = "sendloop blk,auto,rx=read", .explain = true,
	  .args = { "--blocking", "--sndbuf", "0" }, .rx_verify = true },
	{ .fam = FAM_KERNEL, .name = "sendloop blk,auto,rx=zcb", .explain = true,
	  .args = { "--blocking", "--sndbuf", "0" }, .rx_verify = true,
	  .rx_plain = true },
	{ .fam = FAM_ZCBENCH, .name = "msgzc", .method = "msgzc" },
	{ .fam = FAM_ZCBENCH, .name = "uring_sendzc_fixed", .method = "uring_sendzc_fixed" },
	{ .fam = FAM_ZCBENCH, .name = "zcdev_send", .method = "zcdev_send", .zcdev = true },
};
#define NR_ROWS	(int)(sizeof(row_set) / sizeof(row_set[0]))

static int add_item(const char *s, void *arg)
{
	char **l = arg;
	int i;

	for (i = 0; l[i]; i++)
		;
	if (i >= 7)
		zb_die("too many items in a list");
	l[i] = strdup(s);
	return 0;
}

int cmd_peers(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "time", required_argument, NULL, 't' },
		{ "reps", required_argument, NULL, 'r' },
		{ "zb-size", required_argument, NULL, 'Z' },
		{ "port", required_argument, NULL, 'P' },
		{ "tools", required_argument, NULL, 'T' },
		{ "dir", required_argument, NULL, 'd' },
		{ "no-zcbench", no_argument, NULL, 'N' },
		{ "explain", no_argument, NULL, 'E' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct peers_opts o = {
		.paths = NULL, .sizes = "65435,4096", .time_s = 2, .reps = 3,
		.port = 8100, .zb_size = 16 << 20, .dir = "/tmp",
	};
	char *paths[8] = { 0 }, *sizes[8] = { 0 }, nsbuf[256];
	struct row rows[NR_ROWS];
	int c, p, s, rep, k, rc = 0, port, nrows, nkern;
	uint64_t v;

	while ((c = getopt_long(argc, argv, "p:s:t:r:d:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'p': o.paths = optarg; break;
		case 's': o.sizes = optarg; break;
		case 't': o.time_s = atoi(optarg); break;
		case 'r': o.reps = atoi(optarg); break;
		case 'Z':
			if (zc_parse_size(optarg, &v) || !v)
				zb_die("bad --zb-size '%s'", optarg);
			o.zb_size = v;
			break;
		case 'P': o.port = atoi(optarg); break;
		case 'T': o.tools = optarg; break;
		case 'd': o.dir = optarg; break;
		case 'N': o.no_zcbench = true; break;
		case 'E': o.explain = true; break;
		case 'v': o.verbose = true; break;
		case 'h': fputs(help, stdout); return 0;
		default: fputs(help, stderr); return 2;
		}
	}
	if (optind != argc || o.time_s < 1 || o.reps < 1 || o.reps > PEER_MAX_REPS) {
		fputs(help, stderr);
		return 2;
	}
	if (!o.paths)
		o.paths = peer_netns(nsbuf, sizeof(nsbuf)) ? "loop,nic" : "loop";
	zb_split(o.paths, add_item, paths);
	zb_split(o.sizes, add_item, sizes);
	port = o.port;
	/* A receiver that goes away early must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	for (p = 0; paths[p]; p++) {
		const char *netns = NULL, *dst = "127.0.0.1", *net = "loopback";

		if (!strcmp(paths[p], "nic")) {
			netns = peer_netns(nsbuf, sizeof(nsbuf));
			dst = getenv("ZCDEV_PEER4") ?: "198.18.0.2";
			net = getenv("ZCDEV_NET") ?: "nic";
			if (!netns) {
				printf("\n== peers: path nic: no peer netns (qemu/run.sh --net nic) ==\n");
				continue;
			}
		} else if (strcmp(paths[p], "loop")) {
			zb_die("unknown path '%s' (loop, nic)", paths[p]);
		}
		for (s = 0; sizes[s]; s++) {
			int payload = atoi(sizes[s]);

			if (payload < 1 || payload > 65435)
				zb_die("bad size '%s' (1..65435)", sizes[s]);
			/* Kernel family first: the round robin below takes them. */
			for (k = nrows = nkern = 0; k < NR_ROWS; k++) {
				if ((row_set[k].explain && !o.explain) ||
				    (row_set[k].fam == FAM_ZCBENCH && o.no_zcbench))
					continue;
				rows[nrows++] = row_set[k];
				nkern += row_set[k].fam == FAM_KERNEL;
			}
			/* Round robin, a different first sender each round: host
			 * load that drifts spreads over all of them. */
			for (rep = 0; rep < o.reps; rep++)
				for (k = 0; k < nkern; k++) {
					struct row *rw = &rows[(k + rep) % nkern];

					if (rw->why[0])
						continue;
					if (kernel_run(&o, rw, paths[p], netns, dst, payload,
						       port++) < 0)
						rc = 1;
				}
			if (!o.no_zcbench)
				zcbench_rows(&o, rows, nrows, paths[p], payload);
			for (k = 0; k < nrows; k++)
				summarize(&rows[k]);
			print_table(rows, nrows, paths[p], net, payload);
			fflush(stdout);
		}
	}
	return rc;
}
