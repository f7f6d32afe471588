// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: zcdev's own trace events, counted, as a second witness next to
 * what the ioctls told the method. A send completion's ZCDEV_COMPL_COPIED
 * flag and the zcdev_send_complete event's copied field come from the same
 * place in the module, as do a DMA wait's status and zcdev_dma_end's: if
 * the two counts differ, one of the two reporting paths is wrong, and the
 * output says so.
 *
 * The events go to a tracefs instance of our own (instances/zcbench-PID),
 * so nothing another tracer set up in the top-level buffer is disturbed
 * or counted, and removing the instance leaves nothing behind. The trace
 * is read once, after the window: its header says whether the ring buffer
 * dropped events, and counts from a buffer that did are reported as
 * unavailable, never as numbers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zcbench.h"

struct zev_event {
	unsigned int bit;
	const char *name;
};

static const struct zev_event zev_events[] = {
	{ ZEV_SEND_COMPLETE, "zcdev_send_complete" },
	{ ZEV_DMA_END, "zcdev_dma_end" },
};
#define NR_EVENTS	(sizeof(zev_events) / sizeof(zev_events[0]))

/* The instance of the window in progress ("" when none). */
static char inst[160];

static __attribute__((format(printf, 2, 3)))
void unavailable(struct zev_counts *c, const char *fmt, ...)
{
	va_list ap;

	c->avail = false;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

/* Instances of zcbench runs that were killed before they removed theirs. */
static void remove_stale(const char *mount)
{
	char dir[128], path[192];
	struct dirent *d;
	DIR *dp;
	int pid, end;

	snprintf(dir, sizeof(dir), "%s/instances", mount);
	dp = opendir(dir);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		end = 0;
		if (sscanf(d->d_name, "zcbench-%d%n", &pid, &end) != 1 ||
		    d->d_name[end] || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d", pid);
		if (!access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "%s/zcbench-%d", dir, pid);
		rmdir(path);
	}
	closedir(dp);
}

static void remove_instance(void)
{
	if (inst[0] && rmdir(inst))
		zb_log("could not remove tracefs instance %s: %s", inst,
		       strerror(errno));
	inst[0] = '\0';
}

/*
 * mkdir the instance with the top level's record-cmd off, restored after:
 * an instance copies it when made, and with it on, every enable and
 * disable patches the scheduler's tracepoints too, which under TCG once
 * hung a guest in text_poke_bp(). 0, or -1 with errno.
 */
static int make_instance(const char *mount)
{
	char top[128], old[4] = "";
	int fd, ret, saved;

	snprintf(top, sizeof(top), "%s/options/record-cmd", mount);
	fd = open(top, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, old, 1) != 1)
			old[0] = '\0';
		close(fd);
	}
	if (old[0] == '1')
		tracefs_write(mount, "options/record-cmd", "0");
	ret = mkdir(inst, 0700);
	saved = errno;
	if (old[0] == '1')
		tracefs_write(mount, "options/record-cmd", "1");
	errno = saved;
	return ret;
}

bool zev_start(unsigned int events, struct zev_counts *c)
{
	const char *mount = tracefs_mount("instances");
	char path[192];
	size_t i;
	int err;

	memset(c, 0, sizeof(*c));
	c->events = events;
	if (!mount) {
		unavailable(c, "no writable tracefs instances (not root, or tracefs not mounted)");
		return false;
	}
	snprintf(path, sizeof(path), "%s/events/zcdev", mount);
	if (access(path, F_OK)) {
		unavailable(c, "no events/zcdev in tracefs (zcdev.ko not loaded)");
		return false;
	}
	remove_stale(mount);
	snprintf(inst, sizeof(inst), "%s/instances/zcbench-%d", mount, (int)getpid());
	if (make_instance(mount)) {
		unavailable(c, "mkdir %s: %s", inst, strerror(errno));
		inst[0] = '\0';
		return false;
	}
	for (i = 0; i < NR_EVENTS; i++) {
		if (!(events & zev_events[i].bit))
			continue;
		snprintf(path, sizeof(path), "events/zcdev/%s/enable",
			 zev_events[i].name);
		err = tracefs_write(inst, path, "1");
		if (err) {
			unavailable(c, "enable %s: %s", zev_events[i].name,
				    strerror(-err));
			remove_instance();
			return false;
		}
	}
	c->avail = true;
	return true;
}

/* One line of the trace; false if it is an event of ours we cannot read. */
static bool count_line(const char *line, struct zev_counts *c)
{
	const char *send = strstr(line, "zcdev_send_complete: ");
	const char *dma = strstr(line, "zcdev_dma_end: ");
	unsigned long long bytes;
	unsigned int status;
	int copied;

	if (send) {
		/* last_id since ABI 3: one event per completion, a range or not. */
		if (sscanf(send, "zcdev_send_complete: id=%*u last_id=%*u bytes=%llu copied=%d",
			   &bytes, &copied) != 2 &&
		    sscanf(send, "zcdev_send_complete: id=%*u bytes=%llu copied=%d",
			   &bytes, &copied) != 2)
			return false;
		c->sends[!!copied]++;
		c->send_bytes[!!copied] += bytes;
	} else if (dma) {
		if (sscanf(dma, "zcdev_dma_end: id=%*u status=%u error=%*d bytes=%llu",
			   &status, &bytes) != 2)
			return false;
		c->dma[status <= ZCDEV_DMA_CANCELLED ? status : 0]++;
		c->dma_bytes += bytes;
	}
	return true;
}

void zev_stop(struct zev_counts *c)
{
	unsigned long in_buf, written;
	char path[192], line[512];
	FILE *f;

	if (!c->avail)
		return;
	/* Nothing more comes in while the buffer is read. */
	tracefs_write(inst, "tracing_on", "0");
	snprintf(path, sizeof(path), "%s/trace", inst);
	f = fopen(path, "re");
	if (!f) {
		unavailable(c, "read %s: %s", path, strerror(errno));
		remove_instance();
		return;
	}
	while (c->avail && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "# entries-in-buffer/entries-written: %lu/%lu",
			   &in_buf, &written) == 2 && in_buf != written)
			unavailable(c, "the trace buffer dropped %lu of %lu events",
				    written - in_buf, written);
		else if (strstr(line, "[LOST "))
			unavailable(c, "the trace buffer dropped events");
		else if (line[0] != '#' && !count_line(line, c))
			unavailable(c, "unexpected event format: %.60s", line);
	}
	fclose(f);
	remove_instance();
}

/* "12 DONE, 1 CANCELLED, 13631488 bytes": the statuses that occurred. */
static void fmt_dma(const struct zev_counts *c, char *out, size_t len)
{
	static const unsigned int order[] = {
		ZCDEV_DMA_DONE, ZCDEV_DMA_ERROR, ZCDEV_DMA_TIMEDOUT,
		ZCDEV_DMA_CANCELLED, 0,
	};
	size_t o = 0, i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		unsigned int s = order[i];

		if (c->dma[s] && o < len)
			o += snprintf(out + o, len - o, "%llu %s, ",
				      (unsigned long long)c->dma[s],
				      s ? zc_dma_status_name(s) : "of another status");
	}
	if (o < len)
		snprintf(out + o, len - o, "%s%llu bytes", o ? "" : "none, ",
			 (unsigned long long)c->dma_bytes);
}

/* "3 zero-copy, 1 copied (196608/65536 bytes)" */
static void fmt_sends(const struct zev_counts *c, char *out, size_t len)
{
	snprintf(out, len, "%llu zero-copy, %llu copied (%llu/%llu bytes)",
		 (unsigned long long)c->sends[0], (unsigned long long)c->sends[1],
		 (unsigned long long)c->send_bytes[0],
		 (unsigned long long)c->send_bytes[1]);
}

/* Appends "EVENT: counts: agrees with WITNESS" or the disagreement. */
static bool compare_one(const char *event, const char *witness,
			void (*fmt)(const struct zev_counts *, char *, size_t),
			bool same, const struct zev_counts *traced,
			const struct zev_counts *seen, char *note, size_t len)
{
	size_t o = strlen(note);
	char tr[96], sn[96];

	fmt(traced, tr, sizeof(tr));
	fmt(seen, sn, sizeof(sn));
	if (same)
		snprintf(note + o, len - o, "%s%s: %s: agrees with the %s",
			 o ? "; " : "", event, tr, witness);
	else
		snprintf(note + o, len - o, "%s%s: %s: DISAGREES with the %s: %s",
			 o ? "; " : "", event, tr, witness, sn);
	return same;
}

bool zev_compare(const struct zev_counts *traced, const struct zev_counts *seen,
		 char *note, size_t len)
{
	bool agree = true;

	if (!traced->avail) {
		snprintf(note, len, "unavailable: %s", traced->why);
		return false;
	}
	note[0] = '\0';
	if (traced->events & ZEV_SEND_COMPLETE)
		agree &= compare_one("zcdev_send_complete", "completions", fmt_sends,
				     !memcmp(traced->sends, seen->sends,
					     sizeof(seen->sends)) &&
				     !memcmp(traced->send_bytes, seen->send_bytes,
					     sizeof(seen->send_bytes)),
				     traced, seen, note, len);
	if (traced->events & ZEV_DMA_END)
		agree &= compare_one("zcdev_dma_end", "waits", fmt_dma,
				     !memcmp(traced->dma, seen->dma, sizeof(seen->dma)) &&
				     traced->dma_bytes == seen->dma_bytes,
				     traced, seen, note, len);
	return agree;
}
