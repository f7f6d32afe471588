// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: the pipes of the splice methods (file2sock, fanout, file2file).
 * A pipe is the only way splice() moves file pages to a socket or a file,
 * so each of those methods fills one and drains it the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "zcbench.h"

/* What Linux gives a pipe by default, and the least we ask for. */
#define PIPE_MIN	65536

int zb_pipe_open(int p[2], size_t want, size_t *cap)
{
	int sz;

	if (pipe2(p, O_CLOEXEC)) {
		p[0] = p[1] = -1;
		return -errno;
	}
	/*
	 * A request must fit the pipe, or a splice would move less per call
	 * than the other methods do; above /proc/sys/fs/pipe-max-size the
	 * pipe keeps what it has.
	 */
	sz = fcntl(p[1], F_SETPIPE_SZ, want < PIPE_MIN ? PIPE_MIN : want);
	if (sz < 0)
		sz = fcntl(p[1], F_GETPIPE_SZ);
	*cap = sz > 0 ? (size_t)sz : PIPE_MIN;
	return 0;
}

void zb_pipe_close(int p[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		if (p[i] >= 0)
			close(p[i]);
		p[i] = -1;
	}
}

int sc_splice_drain(struct run *r, int pfd, int fd, loff_t *off_out, size_t n)
{
	ssize_t m;

	while (n) {
		sc_count(r, 1);
		m = splice(pfd, NULL, fd, off_out, n, SPLICE_F_MOVE | SPLICE_F_MORE);
		if (m < 0 && errno == EINTR)
			continue;
		if (m <= 0)
			return zb_fail(r, "splice pipe->%s: %s",
				       off_out ? "file" : "socket",
				       m ? strerror(errno) : "nothing moved");
		n -= m;
	}
	return 0;
}
