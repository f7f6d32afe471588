// SPDX-License-Identifier: GPL-2.0
/*
 * splice(2), tee(2) and sendfile(2) from /dev/zcdev. The file offset is
 * the buffer's offset (zcdev_alloc.offset) plus the position in it, as for
 * pread(2).
 *
 *  - PAGES buffers go into the pipe by page reference: the right bytes at
 *    any offset, still readable after ZCDEV_IOC_FREE, munmap and close
 *    (the pipe holds the pages), and shared, not copied: a later write
 *    through the mapping shows in the pipe. Writing to the pipe after a
 *    splice never writes into the buffer's page.
 *  - COHERENT buffers are copied into the pipe.
 *  - A range running past the buffer's end is short, one starting at the
 *    end gives 0, one starting in no buffer ENXIO (as pread does).
 *  - sendfile(2) to a loopback TCP socket delivers the right bytes from
 *    both kinds; tee(2) duplicates a spliced pipe.
 *  - splice into a UDP socket: one splice is one datagram, UDP_CORK joins
 *    several.
 */
#include <netinet/udp.h>
#include <sys/sendfile.h>

#include "send_common.h"

#define SEED		97
#define SEED2		98
#define BUF_LEN		(256 * 1024)
#define PIPE_SZ		(1 << 20)

FIXTURE(spl) {
	int fd;
	struct zcdev_info info;
	__u64 page;
	unsigned char *p;
	struct zcdev_alloc a;
	int pipe[2];
	unsigned char *out;
	void *junk[4];
	size_t junk_len[4];
};

FIXTURE_VARIANT(spl) {
	__u32 kind;
};

FIXTURE_VARIANT_ADD(spl, pages) {
	.kind = ZCDEV_BUF_PAGES,
};

FIXTURE_VARIANT_ADD(spl, coherent) {
	.kind = ZCDEV_BUF_COHERENT,
};

FIXTURE_SETUP(spl)
{
	self->fd = self->pipe[0] = self->pipe[1] = -1;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_KIND(&self->info, variant->kind);
	self->page = self->info.page_size;
	self->p = zs_new_buf(self->fd, variant->kind, BUF_LEN, SEED,
			     &self->a);
	ASSERT_NE(NULL, self->p);
	ASSERT_EQ(0, pipe2(self->pipe, O_CLOEXEC));
	ASSERT_LE(PIPE_SZ, fcntl(self->pipe[1], F_SETPIPE_SZ, PIPE_SZ));
	self->out = malloc(PIPE_SZ);
	ASSERT_NE(NULL, self->out);
}

FIXTURE_TEARDOWN(spl)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (self->junk[i])
			munmap(self->junk[i], self->junk_len[i]);
	free(self->out);
	if (self->pipe[0] >= 0)
		close(self->pipe[0]);
	if (self->pipe[1] >= 0)
		close(self->pipe[1]);
	if (self->p)
		munmap(self->p, self->a.buf_len);
	if (self->fd >= 0)
		close(self->fd);
}

/* splice @len bytes at buffer position @pos into the pipe; count/-errno. */
static ssize_t splice_at(FIXTURE_DATA(spl) *self, __u64 pos, size_t len,
			 loff_t *end)
{
	loff_t off = self->a.offset + pos;
	ssize_t n = splice(self->fd, &off, self->pipe[1], NULL, len,
			   SPLICE_F_NONBLOCK);

	if (end)
		*end = off;
	return n < 0 ? -errno : n;
}

/* Read @len bytes from the pipe and compare with buffer bytes at @pos. */
static long pipe_check(FIXTURE_DATA(spl) *self, __u64 pos, size_t len,
		       unsigned int seed)
{
	ssize_t n = zc_read_full(self->pipe[0], self->out, len);

	if (n != (ssize_t)len)
		return n < 0 ? n : -1000 - n;
	return zt_check(self->out, len, pos, seed);
}

TEST_F(spl, splice_delivers_bytes_at_unaligned_offsets)
{
	static const __u64 pos[] = { 0, 1, 4095, 4096, 4097, 12345 };
	static const size_t len[] = { 1, 100, 4096, 8193, 65536 + 3 };
	unsigned int i, j;
	loff_t end;

	for (i = 0; i < ARRAY_SIZE(pos); i++) {
		for (j = 0; j < ARRAY_SIZE(len); j++) {
			EXPECT_EQ((ssize_t)len[j],
				  splice_at(self, pos[i], len[j], &end))
				TH_LOG("splice %llu+%zu",
				       (unsigned long long)pos[i], len[j]);
			/* The offset moved on by what was spliced. */
			EXPECT_EQ((loff_t)(self->a.offset + pos[i] + len[j]),
				  end);
			EXPECT_EQ(-1, pipe_check(self, pos[i], len[j], SEED))
				TH_LOG("bytes of %llu+%zu",
				       (unsigned long long)pos[i], len[j]);
		}
	}
}

/* Without an offset pointer, splice reads at and moves the file position. */
TEST_F(spl, splice_uses_and_moves_the_file_position)
{
	ssize_t n;

	ASSERT_EQ((off_t)(self->a.offset + 777),
		  lseek(self->fd, self->a.offset + 777, SEEK_SET));
	n = splice(self->fd, NULL, self->pipe[1], NULL, 5000, 0);
	ASSERT_EQ(5000, n) TH_LOG("splice: %s", strerror(errno));
	EXPECT_EQ(-1, pipe_check(self, 777, 5000, SEED));
	EXPECT_EQ((off_t)(self->a.offset + 5777),
		  lseek(self->fd, 0, SEEK_CUR));
}

/* More than the pipe has room for: short, and what came is right. */
TEST_F(spl, splice_more_than_the_pipe_holds_is_short)
{
	ssize_t n;

	ASSERT_LE(16 * 4096, fcntl(self->pipe[1], F_SETPIPE_SZ, 16 * 4096));
	n = splice_at(self, 1, BUF_LEN - 1, NULL);
	EXPECT_LT(0, n);
	EXPECT_GE(16 * 4096, n);
	if (n > 0) {
		EXPECT_EQ(-1, pipe_check(self, 1, n, SEED));
	}
}

TEST_F(spl, splice_past_the_end_is_short)
{
	EXPECT_EQ(100, splice_at(self, self->a.buf_len - 100, 1000, NULL));
	EXPECT_EQ(-1, pipe_check(self, self->a.buf_len - 100, 100, SEED));
	EXPECT_EQ(1, splice_at(self, self->a.buf_len - 1, 2, NULL));
	EXPECT_EQ(-1, pipe_check(self, self->a.buf_len - 1, 1, SEED));
}

TEST_F(spl, splice_at_the_end_returns_zero)
{
	EXPECT_EQ(0, splice_at(self, self->a.buf_len, 1000, NULL));
	EXPECT_EQ(0, splice_at(self, self->a.buf_len, 1, NULL));
}

TEST_F(spl, splice_in_no_buffer_is_enxio)
{
	struct zcdev_alloc b;
	loff_t off;

	/* Past the end inside the buffer's window, as pread says. */
	EXPECT_EQ(-ENXIO, splice_at(self, self->a.buf_len + 1, 10, NULL));
	EXPECT_EQ(-ENXIO, splice_at(self, 2 * self->a.buf_len, 10, NULL));
	/* Offset 0 belongs to no buffer. */
	off = 0;
	EXPECT_EQ(-1, splice(self->fd, &off, self->pipe[1], NULL, 10, 0));
	EXPECT_EQ(ENXIO, errno);
	/* A freed buffer's offset. */
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, self->page, &b));
	ASSERT_EQ(0, zt_free(self->fd, b.handle));
	off = b.offset;
	EXPECT_EQ(-1, splice(self->fd, &off, self->pipe[1], NULL, 10, 0));
	EXPECT_EQ(ENXIO, errno);
	/* Nothing went into the pipe. */
	ASSERT_EQ(0, fcntl(self->pipe[0], F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->pipe[0], self->out, 1));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * The pipe holds what was spliced after the buffer is freed, unmapped and
 * its file closed, even when the memory is allocated again.
 */
TEST_F(spl, pipe_keeps_bytes_after_free_munmap_and_close)
{
	struct zcdev_alloc b;
	unsigned int i;

	ASSERT_EQ(65536, splice_at(self, 3, 65536, NULL));
	ASSERT_EQ(0, zt_free(self->fd, self->a.handle));
	ASSERT_EQ(0, munmap(self->p, self->a.buf_len));
	self->p = NULL;
	for (i = 0; i < 4; i++) {
		self->junk[i] = zs_new_buf(self->fd, variant->kind, BUF_LEN,
					   SEED2, &b);
		self->junk_len[i] = b.buf_len;
	}
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(-1, pipe_check(self, 3, 65536, SEED));
}

/*
 * PAGES: the pipe holds the buffer's own pages (page references, not a
 * copy), so a write through the mapping after the splice shows in the
 * pipe. COHERENT: the pipe holds a copy, so it does not.
 */
TEST_F(spl, splice_shares_pages_or_copies_by_kind)
{
	const __u64 pos = 4096 + 10, len = 3 * 4096;

	ASSERT_EQ((ssize_t)len, splice_at(self, pos, len, NULL));
	zt_fill(self->p, self->a.buf_len, 0, SEED2);
	if (variant->kind == ZCDEV_BUF_PAGES) {
		EXPECT_EQ(-1, pipe_check(self, pos, len, SEED2));
	} else {
		EXPECT_EQ(-1, pipe_check(self, pos, len, SEED));
	}
}

/*
 * A write to the pipe after a splice must not append into the spliced
 * page (the pipe buffer must not be mergeable): the buffer keeps its
 * bytes, and the reader gets the spliced bytes, then the written ones.
 */
TEST_F(spl, pipe_write_after_splice_leaves_the_buffer_alone)
{
	static const char msg[] = "written to the pipe";

	ASSERT_EQ(100, splice_at(self, 0, 100, NULL));
	ASSERT_EQ((ssize_t)sizeof(msg), write(self->pipe[1], msg, sizeof(msg)));
	EXPECT_EQ(-1, zt_check(self->p, self->a.buf_len, 0, SEED));
	ASSERT_EQ(-1, pipe_check(self, 0, 100, SEED));
	ASSERT_EQ((ssize_t)sizeof(msg),
		  zc_read_full(self->pipe[0], self->out, sizeof(msg)));
	EXPECT_EQ(0, memcmp(self->out, msg, sizeof(msg)));
}

TEST_F(spl, tee_duplicates_a_spliced_pipe)
{
	const __u64 pos = 3, len = 10000;
	int p2[2];
	ssize_t n;

	ASSERT_EQ(0, pipe2(p2, O_CLOEXEC));
	ASSERT_EQ((ssize_t)len, splice_at(self, pos, len, NULL));
	n = tee(self->pipe[0], p2[1], len, 0);
	ASSERT_EQ((ssize_t)len, n) TH_LOG("tee: %s", strerror(errno));
	/* The copy first, from its own pipe... */
	ASSERT_EQ((ssize_t)len, zc_read_full(p2[0], self->out, len));
	EXPECT_EQ(-1, zt_check(self->out, len, pos, SEED));
	/* ...and the original is still all there. */
	EXPECT_EQ(-1, pipe_check(self, pos, len, SEED));
	close(p2[0]);
	close(p2[1]);
}

TEST_F_TIMEOUT(spl, sendfile_over_tcp_delivers_the_bytes, 60)
{
	const __u64 pos = 4096 + 9, len = BUF_LEN - 4096 - 100;
	struct zs_seg seg = { pos, len };
	struct zs_rx r;
	loff_t off = self->a.offset + pos;
	__u64 done = 0;
	int tx, rx;

	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &tx, &rx, 0, 0));
	zs_rx_init(&r, rx, SEED, &seg, 1);
	r.want_eof = true;
	ASSERT_EQ(0, zs_rx_start(&r));
	while (done < len) {
		ssize_t n = sendfile(tx, self->fd, &off, len - done);

		if (n <= 0) {
			EXPECT_LT(0, n) TH_LOG("sendfile: %s",
					       strerror(errno));
			break;
		}
		done += n;
	}
	EXPECT_EQ(len, done);
	EXPECT_EQ((loff_t)(self->a.offset + pos + len), off);
	close(tx);
	zs_rx_join(&r);
	EXPECT_TRUE(zs_rx_ok(&r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&r));
	close(rx);
}

/*
 * splice from the device through a pipe into a connected UDP socket: one
 * splice is one datagram, whatever number of pipe buffers it takes (6.1
 * passes "more" to the socket between them, 6.5+ hands them to one
 * MSG_SPLICE_PAGES sendmsg), and UDP_CORK joins several splices.
 */
static void splice_to_udp(struct __test_metadata *_metadata,
			  FIXTURE_DATA(spl) *self, __u64 pos, size_t len,
			  unsigned int splices, int *datagrams)
{
	size_t got = 0, part = len / splices;
	unsigned int i;
	int tx, rx;
	ssize_t n;

	ASSERT_EQ(0, zs_udp_pair(AF_INET, &tx, &rx));
	if (splices > 1)
		ASSERT_EQ(0, zs_setint(tx, IPPROTO_UDP, UDP_CORK, 1));
	for (i = 0; i < splices; i++) {
		ASSERT_EQ((ssize_t)part, splice_at(self, pos + i * part, part, NULL));
		n = splice(self->pipe[0], NULL, tx, NULL, part, 0);
		ASSERT_EQ((ssize_t)part, n)
			TH_LOG("splice to UDP: %s", strerror(errno));
	}
	if (splices > 1)
		ASSERT_EQ(0, zs_setint(tx, IPPROTO_UDP, UDP_CORK, 0));
	*datagrams = 0;
	while (got < len) {
		n = recv(rx, self->out + got, PIPE_SZ - got, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += n;
		(*datagrams)++;
	}
	EXPECT_EQ(len, got);
	EXPECT_EQ(-1, zt_check(self->out, got, pos, SEED));
	close(tx);
	close(rx);
}

TEST_F(spl, splice_into_udp_small_is_one_datagram)
{
	int datagrams;

	splice_to_udp(_metadata, self, 100, 1000, 1, &datagrams);
	EXPECT_EQ(1, datagrams);
}

TEST_F(spl, splice_into_udp_many_pages_is_one_datagram)
{
	int datagrams;

	splice_to_udp(_metadata, self, 4096, 8 * 4096 + 300, 1, &datagrams);
	EXPECT_EQ(1, datagrams);
}

TEST_F(spl, splices_into_corked_udp_are_one_datagram)
{
	int datagrams;

	splice_to_udp(_metadata, self, 4096 + 5, 3 * 4096, 3, &datagrams);
	EXPECT_EQ(1, datagrams);
}

/* sendfile stops at the buffer's end, like read. */
TEST_F(spl, sendfile_past_the_end_is_short)
{
	loff_t off = self->a.offset + self->a.buf_len - 50;
	int tx, rx;
	ssize_t n;

	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &tx, &rx, 0, 0));
	n = sendfile(tx, self->fd, &off, 1000);
	EXPECT_EQ(50, n) TH_LOG("sendfile: %s", strerror(errno));
	EXPECT_EQ(50, zc_read_full(rx, self->out, 50));
	EXPECT_EQ(-1, zt_check(self->out, 50, self->a.buf_len - 50, SEED));
	EXPECT_EQ(0, sendfile(tx, self->fd, &off, 1000));
	close(tx);
	close(rx);
}

TEST_HARNESS_MAIN
