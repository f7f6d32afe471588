// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench on a tiny configuration (zcbench run --smoke): every method of
 * every workload runs once, its data is verified, and the JSON lines are
 * well formed and complete. A method that cannot run here (no NIC path,
 * no O_DIRECT file system, no module) must say why; only a method that
 * moved wrong data, or a malformed or missing result, fails.
 *
 * zcbench runs once per harness process, in the setup of whichever test
 * comes first, and every test looks at that run: its exit status, its
 * JSON lines. (One fixture for all of them: the harness runs every
 * TEST() before any TEST_F(), so checks written as TEST()s would run
 * before a TEST_F() that runs zcbench, and find nothing.) The output goes
 * to $TMPDIR and is removed when the harness exits. $ZCBENCH names the
 * binary (default: zcbench in PATH, as in the VM); $ZCBENCH_STORAGE_DIR a
 * file system with O_DIRECT.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zcdev_test.h"

#define MAX_LINES	512
#define LINE_MAX_LEN	8192

/* Where the run's output goes: per harness process, see smoke_paths(). */
static char out_json[256], out_log[256], out_rc[256];
static pid_t harness_pid;

static const char *tmpdir(void)
{
	const char *d = getenv("TMPDIR");

	return d && *d ? d : "/tmp";
}

static const char *zcbench(void)
{
	const char *b = getenv("ZCBENCH");

	return b && *b ? b : "zcbench";
}

/*
 * Runs before the harness forks its first test, so every test process
 * names the same files: those of the one zcbench run of this harness.
 */
static void __attribute__((constructor)) smoke_paths(void)
{
	harness_pid = getpid();
	snprintf(out_json, sizeof(out_json), "%s/zcbench-smoke-%d.jsonl",
		 tmpdir(), (int)harness_pid);
	snprintf(out_log, sizeof(out_log), "%s/zcbench-smoke-%d.log",
		 tmpdir(), (int)harness_pid);
	snprintf(out_rc, sizeof(out_rc), "%s/zcbench-smoke-%d.rc", tmpdir(),
		 (int)harness_pid);
}

/* The harness itself, not a test process, removes the run's output. */
static void __attribute__((destructor)) smoke_cleanup(void)
{
	if (getpid() != harness_pid)
		return;
	unlink(out_json);
	unlink(out_log);
	unlink(out_rc);
}

/* Runs @cmd with sh -c, output to @log; returns the exit status or -1. */
static int run_sh(const char *cmd, const char *log)
{
	char full[1400];
	int st;

	snprintf(full, sizeof(full), "%s >%s 2>&1", cmd, log);
	st = system(full);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static int read_lines(const char *file, char **lines, int max)
{
	FILE *f = fopen(file, "r");
	char buf[LINE_MAX_LEN];
	int n = 0;

	if (!f)
		return -errno;
	while (n < max && fgets(buf, sizeof(buf), f))
		lines[n++] = strdup(buf);
	fclose(f);
	return n;
}

/* "key":"value" of a flat JSON line into @out; false if absent. */
static bool json_str(const char *line, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	e = strchr(p, '"');
	if (!e)
		return false;
	snprintf(out, len, "%.*s", (int)(e - p), p);
	return true;
}

/*
 * A strict check of the flat objects zcbench writes: {"k":v,...} where v
 * is a string, a number, null, true or false; nothing after the '}'.
 */
static bool json_flat_valid(const char *s)
{
	const char *p = s;

	if (*p++ != '{')
		return false;
	for (;;) {
		if (*p++ != '"')
			return false;
		while (*p && *p != '"')
			p += *p == '\\' ? 2 : 1;
		if (*p++ != '"' || *p++ != ':')
			return false;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p += *p == '\\' ? 2 : 1)
				if ((unsigned char)*p < 0x20)
					return false;
			if (*p++ != '"')
				return false;
		} else if (!strncmp(p, "null", 4) || !strncmp(p, "true", 4)) {
			p += 4;
		} else if (!strncmp(p, "false", 5)) {
			p += 5;
		} else {
			char *end;

			strtod(p, &end);
			if (end == p)
				return false;
			p = end;
		}
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != '}')
			return false;
		while (*p == '\n' || *p == '\r')
			p++;
		return !*p;
	}
}

/* zcbench's exit status as the run recorded it, or -1 without a record. */
static int smoke_rc(void)
{
	FILE *f = fopen(out_rc, "r");
	int rc = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &rc) != 1)
		rc = -1;
	fclose(f);
	return rc;
}

static int smoke_record_rc(int rc)
{
	FILE *f = fopen(out_rc, "w");

	if (!f)
		return -errno;
	fprintf(f, "%d\n", rc);
	return fclose(f) ? -errno : 0;
}

/* The status of a run that did not get to the end (killed, timed out). */
#define SMOKE_UNFINISHED	-2

/*
 * Run zcbench --smoke unless this harness already did; its exit status:
 * 0 all fine, 1 some method moved wrong data or failed, -1 the shell could
 * not run it, SMOKE_UNFINISHED cut short, -errno its status not kept.
 */
static int smoke_run_once(void)
{
	const char *sd = getenv("ZCBENCH_STORAGE_DIR");
	char cmd[768], sdir[300] = "";
	int rc;

	if (!access(out_rc, F_OK))
		return smoke_rc();
	unlink(out_json);
	if (sd && *sd)
		snprintf(sdir, sizeof(sdir), "--storage-dir %s", sd);
	snprintf(cmd, sizeof(cmd),
		 "%s run --smoke --no-claims --quiet --json %s %s", zcbench(),
		 out_json, sdir);
	/* A run cut short leaves this behind, and every test then fails. */
	rc = smoke_record_rc(SMOKE_UNFINISHED);
	if (rc)
		return rc;
	rc = run_sh(cmd, out_log);
	return smoke_record_rc(rc) ? -1 : rc;
}

/* Every method on both paths: minutes under TCG, not the default 30 s. */
#define SMOKE_TIMEOUT	600

FIXTURE(smoke) {
	int rc;		/* zcbench's exit status */
};

FIXTURE_SETUP(smoke)
{
	if (run_sh("command -v ${ZCBENCH:-zcbench}", "/dev/null") &&
	    access(zcbench(), X_OK))
		ZT_SETUP_SKIP("no zcbench binary (set ZCBENCH)");
	self->rc = smoke_run_once();
}

FIXTURE_TEARDOWN(smoke)
{
}

TEST_F_TIMEOUT(smoke, runs_every_method_without_wrong_data, SMOKE_TIMEOUT)
{
	char *lines[MAX_LINES];
	int n, i;

	EXPECT_NE(SMOKE_UNFINISHED, self->rc)
		TH_LOG("zcbench did not finish (killed or timed out)");
	if (self->rc) {
		n = read_lines(out_log, lines, MAX_LINES);
		for (i = 0; i < n; i++)
			if (strstr(lines[i], "fail"))
				TH_LOG("%s", lines[i]);
	}
	EXPECT_EQ(0, self->rc);
}

TEST_F_TIMEOUT(smoke, json_lines_are_complete_and_valid, SMOKE_TIMEOUT)
{
	char *lines[MAX_LINES], *fields[128], name[64];
	char cmd[300], fields_file[300];
	int n, nf, i, j, nfields = 0;

	/* The schema as zcbench documents it: every field on every line. */
	snprintf(fields_file, sizeof(fields_file), "%s/zcbench-fields", tmpdir());
	snprintf(cmd, sizeof(cmd), "%s help json", zcbench());
	ASSERT_EQ(0, run_sh(cmd, fields_file));
	nf = read_lines(fields_file, fields, 128);
	unlink(fields_file);
	ASSERT_LT(0, nf);
	for (i = 0; i < nf; i++) {
		if (sscanf(fields[i], "  %63s", name) == 1 && fields[i][0] == ' ' &&
		    fields[i][2] != ' ')
			fields[nfields++] = strdup(name);
	}
	ASSERT_LT(20, nfields);
	n = read_lines(out_json, lines, MAX_LINES);
	ASSERT_LT(0, n) TH_LOG("no JSON lines in %s", out_json);
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(json_flat_valid(lines[i])) TH_LOG("line %d not valid: %s", i + 1, lines[i]);
		EXPECT_NE(NULL, strstr(lines[i], "\"schema\":\"zcbench/1\""));
		for (j = 0; j < nfields; j++) {
			char pat[80];

			snprintf(pat, sizeof(pat), "\"%s\":", fields[j]);
			EXPECT_NE(NULL, strstr(lines[i], pat))
				TH_LOG("line %d lacks %s", i + 1, fields[j]);
		}
	}
}

TEST_F_TIMEOUT(smoke, every_listed_method_has_a_result, SMOKE_TIMEOUT)
{
	char *lines[MAX_LINES], *list[256], cmd[300], list_file[300];
	char wl[64] = "", m[64], want[160];
	int n, nl, i, j, methods = 0;

	snprintf(list_file, sizeof(list_file), "%s/zcbench-list", tmpdir());
	snprintf(cmd, sizeof(cmd), "%s list", zcbench());
	ASSERT_EQ(0, run_sh(cmd, list_file));
	nl = read_lines(list_file, list, 256);
	unlink(list_file);
	n = read_lines(out_json, lines, MAX_LINES);
	ASSERT_LT(0, n);
	for (i = 0; i < nl; i++) {
		/* "workload: ..." starts a group; "  method  desc" is a method. */
		if (!isspace((unsigned char)list[i][0])) {
			sscanf(list[i], "%63[^:]", wl);
			continue;
		}
		if (sscanf(list[i], "  %63s", m) != 1 || list[i][2] == ' ' ||
		    !strcmp(m, "baseline"))
			continue;
		methods++;
		snprintf(want, sizeof(want), "\"workload\":\"%s\",\"method\":\"%s\"", wl, m);
		for (j = 0; j < n && !strstr(lines[j], want); j++)
			;
		EXPECT_LT(j, n) TH_LOG("no result for %s/%s", wl, m);
	}
	EXPECT_LT(25, methods);
}

TEST_F_TIMEOUT(smoke, results_are_verified_or_say_why_not, SMOKE_TIMEOUT)
{
	char *lines[MAX_LINES], status[32], method[64], reason[256], path[16];
	int n, i, ok = 0, unavailable = 0;

	n = read_lines(out_json, lines, MAX_LINES);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(json_str(lines[i], "status", status, sizeof(status)));
		json_str(lines[i], "method", method, sizeof(method));
		json_str(lines[i], "path", path, sizeof(path));
		json_str(lines[i], "reason", reason, sizeof(reason));
		if (!strcmp(status, "ok")) {
			ok++;
			EXPECT_NE(NULL, strstr(lines[i], "\"verified\":1"))
				TH_LOG("%s %s: ok but not verified", method, path);
			EXPECT_EQ(NULL, strstr(lines[i], "\"mbps\":null"))
				TH_LOG("%s %s: ok without a throughput", method, path);
		} else if (!strcmp(status, "unavailable")) {
			unavailable++;
			EXPECT_NE(0UL, strlen(reason)) TH_LOG("%s %s: unavailable, no reason", method, path);
			/* Not a failure: this machine lacks something. Say what. */
			TH_LOG("unavailable here: %s %s: %s", method, path, reason);
		} else {
			EXPECT_STREQ("ok", status) TH_LOG("%s %s: %s", method, path, reason);
		}
	}
	EXPECT_LT(0, ok);
	TH_LOG("%d ok, %d unavailable of %d", ok, unavailable, n);
}

/* The CPU /proc/irq/IRQ/smp_affinity_list names, -1 if it is not one. */
static int irq_cpu(const char *irq)
{
	char path[300], buf[32], *end;
	FILE *f;
	long cpu;

	snprintf(path, sizeof(path), "/proc/irq/%s/smp_affinity_list", irq);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	cpu = strtol(buf, &end, 10);
	return end != buf && (*end == '\n' || !*end) ? (int)cpu : -1;
}

/*
 * On the nic path each side has a CPU of its own (qemu/guest/net-nic.sh):
 * every interrupt of eth0 goes to $ZCDEV_NIC_CPU, and zcbench says its
 * sender and receivers ran where net-nic.sh put their NICs' interrupts;
 * where it set no CPUs (one vCPU, the ARM board's LAN9118), nothing is
 * pinned. The peer's eth1 is in its own netns: only eth0's are looked at.
 */
TEST_F_TIMEOUT(smoke, nic_sides_run_where_their_interrupts_go, SMOKE_TIMEOUT)
{
	const char *ncpu = getenv("ZCDEV_NIC_CPU"), *pcpu = getenv("ZCDEV_PEER_CPU");
	char *lines[MAX_LINES], path[16], status[32], method[64], pin[64], want[64];
	char dir[] = "/sys/class/net/eth0/device/../msi_irqs";
	const char *net = getenv("ZCDEV_NET");
	struct dirent *de;
	int n, i, checked = 0, irqs = 0;
	DIR *d;

	if (!net || (strcmp(net, "nic") && strcmp(net, "hub")))
		SKIP(return, "no NIC path (ZCDEV_NET=%s; qemu/run.sh --net nic)",
		     net ? net : "unset");
	n = read_lines(out_json, lines, MAX_LINES);
	ASSERT_LT(0, n);
	if (!ncpu || !*ncpu || !pcpu || !*pcpu)
		snprintf(want, sizeof(want), "none");
	else
		snprintf(want, sizeof(want), "sender cpu%s, receivers cpu%s", ncpu, pcpu);
	for (i = 0; i < n; i++) {
		json_str(lines[i], "path", path, sizeof(path));
		json_str(lines[i], "status", status, sizeof(status));
		if (strcmp(path, "nic") || strcmp(status, "ok") ||
		    !strstr(lines[i], "\"workload\":\"file2sock\""))
			continue;
		json_str(lines[i], "method", method, sizeof(method));
		ASSERT_TRUE(json_str(lines[i], "pinning", pin, sizeof(pin)));
		EXPECT_STREQ(want, pin) TH_LOG("%s", method);
		if (strcmp(want, "none"))
			EXPECT_EQ(NULL, strstr(lines[i], "\"cpu_busy_rcv\":null"))
				TH_LOG("%s: pinned, but no busy share of the receivers' CPU", method);
		checked++;
	}
	EXPECT_LT(0, checked) TH_LOG("no file2sock result on the nic path");
	if (!strcmp(want, "none"))
		return;
	d = opendir(dir);
	ASSERT_NE(NULL, d) TH_LOG("%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		EXPECT_EQ(atoi(ncpu), irq_cpu(de->d_name)) TH_LOG("eth0's interrupt %s", de->d_name);
		irqs++;
	}
	closedir(d);
	EXPECT_LT(0, irqs);
}

TEST_HARNESS_MAIN
