// SPDX-License-Identifier: GPL-2.0
/*
 * The outside peers of zcbench's send methods: the kernel's own
 * msg_zerocopy and io_uring_zerocopy_tx (tools/testing/selftests/net,
 * built by qemu/host/build-net-peers.sh into the payload) and `zcbench
 * sendloop`, msg_zerocopy's loop with ZCDEV_IOC_SEND. Each runs a 1 s
 * round over loopback TCP/IPv4 and must move bytes and get every
 * completion back; where the stream can be checked it is:
 *  - msg_zerocopy restarts its payload after a short send, so its stream
 *    has no fixed shape: its own receiver (-r), no check;
 *  - io_uring_zerocopy_tx -n 1 sends whole payloads one at a time
 *    (MSG_WAITALL; its default batch of 8 unlinked sends can let one
 *    overtake another cut short) and sendloop continues after a short
 *    send, so both
 *    streams are the payload repeated: `zcbench sendloop -r -V` reads and
 *    checks every byte.
 * Finally `zcbench peers` (kernel family) must print a table with a
 * positive throughput in every row.
 *
 * The tools are looked up next to zcbench in PATH ($ZCBENCH names
 * zcbench). The ARM payload does not build them (the board's only NIC, a
 * LAN9118 without offloads, moves ~2 MB/s: no zero-copy to compare): SKIP.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libzc.h"	/* zc_tcp_listening() */
#include "zcdev_test.h"

#define LISTEN_WAIT_MS	15000
#define RUN_LIMIT_S	60

static const char *zcbench(void)
{
	const char *b = getenv("ZCBENCH");

	return b && *b ? b : "zcbench";
}

/* @name in PATH into @buf, or NULL. */
static const char *which(const char *name, char *buf, size_t len)
{
	char *path = strdup(getenv("PATH") ?: "/bin:/usr/bin"), *dir, *save;

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

static bool is_arm(void)
{
	struct utsname u;

	return !uname(&u) && !strncmp(u.machine, "arm", 3);
}

/* fork + execvp @argv, stdout and stderr into @log. */
static pid_t start(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (!pid) {
		if (!freopen(log, "w", stdout) || dup2(1, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Exit status of @pid, -1 if it did not exit within RUN_LIMIT_S (killed). */
static int finish(pid_t pid)
{
	struct timespec ts = { 0, 20 * 1000000 };
	int st, i;

	for (i = 0; i < RUN_LIMIT_S * 50; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* The first line of @log that starts with @prefix, into @out. */
static bool grep_line(const char *log, const char *prefix, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen(log, "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, prefix, strlen(prefix))) {
			snprintf(out, len, "%s", line);
			found = true;
		}
	fclose(f);
	return found;
}

static void dump(struct __test_metadata *_metadata, const char *what, const char *log)
{
	char line[512];
	FILE *f = fopen(log, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		TH_LOG("%s: %s", what, line);
	fclose(f);
}

struct round {
	int rx_rc, tx_rc;
	char rx_log[64], tx_log[64];
};

/* One 1 s round: receiver @rx (listening on @port) and sender @tx. */
static bool run_round(struct __test_metadata *_metadata, char *const rx[],
		      char *const tx[], int port, struct round *r)
{
	pid_t rp, tp;

	snprintf(r->rx_log, sizeof(r->rx_log), "/tmp/net_peers-rx-%d.log", (int)getpid());
	snprintf(r->tx_log, sizeof(r->tx_log), "/tmp/net_peers-tx-%d.log", (int)getpid());
	rp = start(rx, r->rx_log);
	if (rp < 0 || !zc_tcp_listening(rp, port, LISTEN_WAIT_MS)) {
		if (rp > 0) {
			kill(rp, SIGKILL);
			finish(rp);
		}
		dump(_metadata, "receiver", r->rx_log);
		return false;
	}
	tp = start(tx, r->tx_log);
	r->tx_rc = tp < 0 ? -1 : finish(tp);
	if (r->tx_rc)
		kill(rp, SIGKILL);
	r->rx_rc = finish(rp);
	if (r->tx_rc || r->rx_rc) {
		dump(_metadata, "sender", r->tx_log);
		dump(_metadata, "receiver", r->rx_log);
	}
	return true;
}

static void cleanup(struct round *r)
{
	unlink(r->rx_log);
	unlink(r->tx_log);
}

#define NEED_TOOL(name, buf)						\
	do {								\
		if (is_arm())						\
			SKIP(return, "the ARM payload has no kernel peer tools (its LAN9118 path copies at ~2 MB/s)"); \
		ASSERT_NE(NULL, which(name, buf, sizeof(buf)))		\
			TH_LOG("%s not in PATH: the payload lacks it (make guest, qemu/host/build-net-peers.sh)", name); \
	} while (0)

/* No state: a fixture only because the 6.1 harness's plain TEST() warns. */
FIXTURE(peers) {
	int unused;
};

FIXTURE_SETUP(peers)
{
}

FIXTURE_TEARDOWN(peers)
{
}

TEST_F(peers, msg_zerocopy_round)
{
	char tool[256], line[256], zc;
	unsigned long tx, mb, txc;
	struct round r;

	NEED_TOOL("msg_zerocopy", tool);
	{
		char *rx[] = { tool, "-4", "-r", "-D", "127.0.0.1", "-p", "8201", "-t", "1", "tcp", NULL };
		char *txa[] = { tool, "-4", "-z", "-D", "127.0.0.1", "-p", "8201", "-t", "1",
				"-s", "4096", "tcp", NULL };

		ASSERT_TRUE(run_round(_metadata, rx, txa, 8201, &r));
	}
	EXPECT_EQ(0, r.tx_rc);
	EXPECT_EQ(0, r.rx_rc);
	ASSERT_TRUE(grep_line(r.tx_log, "tx=", line, sizeof(line)))
		dump(_metadata, "sender", r.tx_log);
	ASSERT_EQ(4, sscanf(line, "tx=%lu (%lu MB) txc=%lu zc=%c", &tx, &mb, &txc, &zc));
	EXPECT_LT(0UL, tx);
	/* Every zero-copy send's notification came back. */
	EXPECT_EQ(tx, txc);
	EXPECT_FALSE(grep_line(r.tx_log, "missing notifications", line, sizeof(line)));
	cleanup(&r);
}

TEST_F(peers, io_uring_zerocopy_tx_round_verified)
{
	char tool[256], line[256];
	unsigned long tx, mb, bytes;
	struct round r;
	const char *zb = zcbench();

	NEED_TOOL("io_uring_zerocopy_tx", tool);
	{
		char *rx[] = { (char *)zb, "sendloop", "-4", "-r", "-V", "-D", "127.0.0.1",
			       "-p", "8202", "-t", "1", "-s", "65435", "tcp", NULL };
		char *txa[] = { tool, "-4", "-m", "2", "-n", "1", "-D", "127.0.0.1", "-p",
				"8202", "-t", "1", "-s", "65435", "tcp", NULL };

		ASSERT_TRUE(run_round(_metadata, rx, txa, 8202, &r));
	}
	if (r.tx_rc && grep_line(r.tx_log, "io_uring: queue init", line, sizeof(line)))
		SKIP(cleanup(&r); return, "no io_uring here: %s", line);
	EXPECT_EQ(0, r.tx_rc);
	ASSERT_TRUE(grep_line(r.tx_log, "tx=", line, sizeof(line)));
	ASSERT_EQ(2, sscanf(line, "tx=%lu (MB=%lu)", &tx, &mb));
	EXPECT_LT(0UL, tx);
	/* The receiver read every byte and found the payload repeated. */
	EXPECT_EQ(0, r.rx_rc);
	ASSERT_TRUE(grep_line(r.rx_log, "rx: ", line, sizeof(line)));
	ASSERT_EQ(1, sscanf(line, "rx: %lu bytes verified", &bytes)) TH_LOG("%s", line);
	EXPECT_LT(0UL, bytes);
	cleanup(&r);
}

static void sendloop_round(struct __test_metadata *_metadata, const char *size,
			   const char *port)
{
	unsigned long bytes, sends, compl, rbytes;
	char line[512], tool[256];
	const char *zb = zcbench();
	struct round r;
	int fd;

	if (is_arm())
		SKIP(return, "the ARM payload has no kernel peer tools (its LAN9118 path copies at ~2 MB/s)");
	fd = open("/dev/zcdev", O_RDWR);
	if (fd < 0)
		SKIP(return, "/dev/zcdev: %s", strerror(errno));
	close(fd);
	if (zb[0] != '/')
		ASSERT_NE(NULL, which(zb, tool, sizeof(tool)));
	{
		char *rx[] = { (char *)zb, "sendloop", "-4", "-r", "-V", "-D", "127.0.0.1",
			       "-p", (char *)port, "-t", "1", "-s", (char *)size, "tcp", NULL };
		char *txa[] = { (char *)zb, "sendloop", "-4", "-z", "-D", "127.0.0.1",
				"-p", (char *)port, "-t", "1", "-s", (char *)size, "tcp", NULL };

		ASSERT_TRUE(run_round(_metadata, rx, txa, atoi(port), &r));
	}
	EXPECT_EQ(0, r.tx_rc);
	EXPECT_EQ(0, r.rx_rc);
	ASSERT_TRUE(grep_line(r.tx_log, "sendloop: ", line, sizeof(line)));
	ASSERT_EQ(3, sscanf(line, "sendloop: bytes=%lu sends=%lu completions=%lu",
			    &bytes, &sends, &compl));
	EXPECT_LT(0UL, bytes);
	EXPECT_EQ(sends, compl);
	ASSERT_TRUE(grep_line(r.rx_log, "rx: ", line, sizeof(line)));
	ASSERT_EQ(1, sscanf(line, "rx: %lu bytes verified", &rbytes)) TH_LOG("%s", line);
	/* Accepted by the socket, not yet read when the receiver stopped: at most its buffers. */
	EXPECT_LT(0UL, rbytes);
	EXPECT_GE(bytes, rbytes);
	cleanup(&r);
}

TEST_F(peers, sendloop_round_verified_64k)
{
	sendloop_round(_metadata, "65435", "8203");
}

TEST_F(peers, sendloop_round_verified_4k)
{
	sendloop_round(_metadata, "4096", "8204");
}

/* zcbench peers, kernel family, one short round: every row has a rate. */
TEST_F(peers, peers_table)
{
	char cmd[512], line[512], tool[256];
	int rows = 0, rc;
	double mbps;
	FILE *p;

	NEED_TOOL("msg_zerocopy", tool);
	snprintf(cmd, sizeof(cmd),
		 "%s peers -p loop -s 4096 -t 1 -r 1 --no-zcbench --port 8210 2>&1",
		 zcbench());
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p)) {
		TH_LOG("%s", line);
		if (strncmp(line, "kernel ", 7))
			continue;
		/* "%-8s %-26s %7.1f": family, sender, MB/s (else why not). */
		if (strlen(line) > 36 && sscanf(line + 36, "%lf", &mbps) == 1 && mbps > 0)
			rows++;
	}
	rc = pclose(p);
	EXPECT_EQ(0, WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
	/* msg_zerocopy, io_uring_zerocopy_tx, its -n1, and zcbench sendloop. */
	EXPECT_EQ(4, rows);
}

TEST_HARNESS_MAIN
