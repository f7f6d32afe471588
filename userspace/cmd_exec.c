// SPDX-License-Identifier: GPL-2.0
/*
 * zcctl exec: hand a buffer to tools that know nothing about zcdev. The
 * buffer belongs to an open file of /dev/zcdev, so the child gets that
 * very file (not a new open, which would be a new, empty context) as fd 3
 * and finds the buffer at ZCDEV_OFFSET, where read/write/pread/pwrite and
 * mmap reach it. We keep the file open meanwhile, so the buffer outlives
 * whatever the child does with its copy of the fd.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "zcctl.h"

static const char help[] =
"usage: zcctl exec --kind coherent|pages --size SIZE [--fill SEED]\n"
"                  [--verify SEED] [--at-buffer] -- CMD [ARGS...]\n"
"\n"
"Allocate a buffer, optionally fill it with the test pattern of SEED, run\n"
"CMD with the device file that owns the buffer as fd 3, then optionally\n"
"check that the buffer holds the pattern of SEED. Exits with CMD's status\n"
"(128+N if a signal N killed it), or 1 if zcctl itself or the check failed.\n"
"\n"
"CMD's environment:\n"
"  ZCDEV_FD=3         the device file; it starts at file position 0\n"
"                     (--at-buffer: at ZCDEV_OFFSET)\n"
"  ZCDEV_OFFSET=N     the buffer's first byte in that file (decimal)\n"
"  ZCDEV_LEN=N        the buffer's length (page-rounded, decimal)\n"
"  ZCDEV_HANDLE=N     the buffer's handle; ZCDEV_KIND=coherent|pages\n"
"\n"
"fd 3 is one open file shared with zcctl: its position moves with every\n"
"read or write, and busybox dd's seek=/skip= are relative to it (SEEK_CUR).\n"
"Buffers do not start at position 0 (reads there fail with ENXIO), so\n"
"tools that cannot seek (cat) need --at-buffer; dd seeks by itself, once\n"
"per 'sh -c':\n"
"\n"
"  zcctl exec --kind pages --size 1M -- sh -c \\\n"
"    'dd if=/dev/urandom bs=4096 count=256 seek=$((ZCDEV_OFFSET/4096)) >&3'\n"
"  zcctl exec --kind pages --size 1M --verify 7 -- sh -c \\\n"
"    'zcctl pattern --seed 7 --size 1M | dd bs=4096 seek=$((ZCDEV_OFFSET/4096)) >&3'\n"
"  zcctl exec --kind coherent --size 64K --fill 7 -- sh -c \\\n"
"    'dd bs=4096 count=16 skip=$((ZCDEV_OFFSET/4096)) <&3 | zcctl pattern --check --seed 7 --size 64K'\n"
"  zcctl exec --kind pages --size 64K --at-buffer -- sh -c 'cat file >&3'\n"
"\n"
"  -k, --kind KIND     coherent or pages\n"
"  -s, --size SIZE     bytes; K, M, G suffixes (K = 1024)\n"
"  -f, --fill SEED     before CMD, write the pattern of SEED through a mapping\n"
"  -v, --verify SEED   after CMD succeeds, check the pattern of SEED in the\n"
"                      first SIZE bytes\n"
"  -a, --at-buffer     start fd 3 at the buffer's first byte, not at 0\n";

#define CHILD_FD	3

struct exec_opts {
	uint32_t kind;
	uint64_t size;
	uint64_t fill_seed, verify_seed;
	int fill, verify;
	int at_buffer;
	char **cmd;
};

static int parse(int argc, char **argv, struct exec_opts *o)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "fill", required_argument, NULL, 'f' },
		{ "verify", required_argument, NULL, 'v' },
		{ "at-buffer", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret, have_kind = 0, have_size = 0;

	/* "+": stop at CMD, so its own options are not taken for ours. */
	while ((c = getopt_long(argc, argv, "+:k:s:f:v:ah", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if ((ret = zcctl_opt_kind("exec", optarg, &o->kind)))
				return ret;
			have_kind = 1;
			break;
		case 's':
			if ((ret = zcctl_opt_size("exec", "--size", optarg, &o->size)))
				return ret;
			have_size = 1;
			break;
		case 'f':
			if ((ret = zcctl_opt_u64("exec", "--fill", optarg, &o->fill_seed)))
				return ret;
			o->fill = 1;
			break;
		case 'v':
			if ((ret = zcctl_opt_u64("exec", "--verify", optarg,
						 &o->verify_seed)))
				return ret;
			o->verify = 1;
			break;
		case 'a':
			o->at_buffer = 1;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			return zcctl_bad_option("exec", c, argv);
		}
	}
	if (!have_kind || !have_size)
		return zcctl_usage("exec", "--kind and --size are required");
	if (optind >= argc)
		return zcctl_usage("exec", "no command given (zcctl exec ... -- CMD)");
	o->cmd = argv + optind;
	return 0;
}

/* Through a mapping, so the fill and the check do not move fd 3's position. */
static int fill(int fd, const struct zc_buf *b, uint64_t seed)
{
	void *p;
	int ret = zc_map(fd, b, 0, 0, PROT_READ | PROT_WRITE, &p);

	if (ret) {
		zcctl_buf_error("exec: fill", ret, "mmap", b->handle);
		return -1;
	}
	zc_pattern_fill(p, b->len, seed, 0);
	zc_unmap(p, b->len);
	return 0;
}

/* Only the @len bytes asked for: the page-rounded tail is not CMD's to fill. */
static int verify(int fd, const struct zc_buf *b, uint64_t len, uint64_t seed)
{
	uint64_t bad;
	void *p;
	int ret = zc_map(fd, b, 0, 0, PROT_READ, &p);

	if (ret) {
		zcctl_buf_error("exec: verify", ret, "mmap", b->handle);
		return -1;
	}
	ret = zc_pattern_verify(p, len, seed, 0, &bad);
	if (ret)
		zcctl_mismatch("exec: verify", p, 0, bad, seed);
	zc_unmap(p, b->len);
	return ret ? -1 : 0;
}

static void setenv_u64(const char *name, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	setenv(name, s, 1);
}

/* In the child: put the device file at fd 3, inheritable, and exec. */
static void __attribute__((noreturn)) run_child(int fd, const struct zc_buf *b,
						int at_buffer, char **cmd)
{
	if (fd != CHILD_FD) {
		if (dup2(fd, CHILD_FD) < 0)
			goto fail;
	} else if (fcntl(fd, F_SETFD, 0) < 0) {
		/* dup2() onto itself would leave O_CLOEXEC set. */
		goto fail;
	}
	if (at_buffer && lseek(CHILD_FD, (off_t)b->offset, SEEK_SET) < 0)
		goto fail;
	setenv_u64("ZCDEV_FD", CHILD_FD);
	setenv_u64("ZCDEV_OFFSET", b->offset);
	setenv_u64("ZCDEV_LEN", b->len);
	setenv_u64("ZCDEV_HANDLE", b->handle);
	setenv("ZCDEV_KIND", zc_kind_name(b->kind), 1);
	execvp(cmd[0], cmd);
fail:
	fprintf(stderr, "zcctl: exec: %s: %s: %s\n", cmd[0], zc_errname(errno),
		strerror(errno));
	/* The shell's convention: 127 not found, 126 found but not runnable. */
	_exit(errno == ENOENT ? 127 : 126);
}

/* Returns the child's exit status in the shell's encoding, or -1. */
static int run(int fd, const struct zc_buf *b, int at_buffer, char **cmd)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	int status, ret;
	pid_t pid;

	/*
	 * Like system(): ^C is for the child; we stay to report and clean up.
	 * Ignored before fork() so no ^C can slip in between; the child gets
	 * back whatever we were started with.
	 */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		run_child(fd, b, at_buffer, cmd);
	}
	if (pid < 0) {
		ret = -errno;
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		zcctl_error("exec", ret, "fork: %s", strerror(-ret));
		return -1;
	}
	while ((ret = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (ret < 0) {
		zcctl_error("exec", -errno, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "zcctl: exec: %s killed by signal %d (%s)\n", cmd[0],
			WTERMSIG(status), strsignal(WTERMSIG(status)));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

int cmd_exec(int argc, char **argv)
{
	struct exec_opts o = { 0 };
	char s[ZC_FMT_SIZE_LEN];
	struct zc_buf b;
	int fd, ret, status;

	ret = parse(argc, argv, &o);
	if (ret)
		return ret < 0 ? ZCCTL_OK : ret;

	fd = zcctl_open("exec");
	if (fd < 0)
		return ZCCTL_FAIL;
	ret = zc_alloc(fd, o.kind, o.size, &b);
	if (ret) {
		zcctl_alloc_error("exec", fd, ret, o.kind, o.size);
		close(fd);
		return ZCCTL_FAIL;
	}
	if (o.fill && fill(fd, &b, o.fill_seed)) {
		close(fd);
		return ZCCTL_FAIL;
	}
	/* On stderr: stdout belongs to CMD. */
	fprintf(stderr, "zcctl: exec: fd %d: %s buffer, handle %u, %s at offset %"
		PRIu64 " (ZCDEV_OFFSET), ZCDEV_LEN %" PRIu64 "%s\n", CHILD_FD,
		zc_kind_name(b.kind), b.handle, zc_fmt_size(b.len, s, sizeof(s)),
		b.offset, b.len, o.fill ? ", filled" : "");
	if (o.at_buffer)
		fprintf(stderr, "zcctl: exec: fd %d starts at the buffer (position %"
			PRIu64 ")\n", CHILD_FD, b.offset);

	status = run(fd, &b, o.at_buffer, o.cmd);
	if (status < 0) {
		close(fd);
		return ZCCTL_FAIL;
	}
	if (o.verify && status == 0) {
		if (verify(fd, &b, o.size, o.verify_seed)) {
			close(fd);
			return ZCCTL_FAIL;
		}
		fprintf(stderr, "zcctl: exec: verify: %s match pattern seed %" PRIu64
			"\n", zc_fmt_size(o.size, s, sizeof(s)), o.verify_seed);
	} else if (o.verify) {
		fprintf(stderr, "zcctl: exec: verify skipped, %s exited %d\n",
			o.cmd[0], status);
	}
	/* close() frees the buffer with its file; nothing else holds it now. */
	close(fd);
	return status;
}
