// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: where the numbers come from (kernel, VM shape, accelerator) and
 * the ceiling every throughput is read against: one core's memcpy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "zcbench.h"

#define CEIL_BYTES	(16 << 20)
#define CEIL_RUNS	7

static bool file_has(const char *path, const char *needle)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/*
 * A guest under KVM gets kvm-clock; a TCG guest has the hypervisor CPUID
 * bit (QEMU sets it) but no kvm-clock. Bare metal has neither. The host
 * script can say it outright with ZCBENCH_ACCEL.
 */
static void detect_accel(struct zb_env *e)
{
	const char *a = getenv("ZCBENCH_ACCEL");

	if (a && *a) {
		snprintf(e->accel, sizeof(e->accel), "%s", a);
	} else if (file_has("/sys/devices/system/clocksource/clocksource0/available_clocksource",
			    "kvm-clock")) {
		snprintf(e->accel, sizeof(e->accel), "kvm");
	} else if (file_has("/proc/cpuinfo", " hypervisor")) {
		/* Some hypervisor without kvm-clock: TCG, or one we don't know. */
		snprintf(e->accel, sizeof(e->accel), "%s",
			 file_has("/proc/cpuinfo", "QEMU") ? "tcg" : "unknown");
	} else {
		snprintf(e->accel, sizeof(e->accel), "none");
	}
}

/*
 * Other VMs on the same host slow a TCG guest down in ways the guest
 * cannot see, so the host tells it (ZCBENCH_HOST_LOAD); natively it is
 * our own load average.
 */
static double host_load(void)
{
	const char *h = getenv("ZCBENCH_HOST_LOAD");
	double v = -1;
	FILE *f;

	if (h && *h)
		return strtod(h, NULL);
	f = fopen("/proc/loadavg", "re");
	if (f) {
		if (fscanf(f, "%lf", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

void env_detect(struct zb_env *e)
{
	const char *w = getenv("ZCBENCH_WHERE");
	struct utsname u;

	memset(e, 0, sizeof(*e));
	if (!uname(&u))
		snprintf(e->kernel, sizeof(e->kernel), "%.63s", u.release);
	e->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	e->mem_mb = (uint64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE) / ZB_MiB;
	detect_accel(e);
	e->host_load = host_load();
	if (w && *w)
		snprintf(e->where, sizeof(e->where), "%s", w);
	else
		snprintf(e->where, sizeof(e->where), "%s",
			 file_has("/proc/cmdline", "zcdev") ||
			 !access("/etc/zcdev/config", F_OK) ? "vm" : "native");
}

double env_memcpy_mbps(void)
{
	char *a = zb_alloc(CEIL_BYTES), *b = zb_alloc(CEIL_BYTES);
	double v[CEIL_RUNS];
	uint64_t t;
	int i;

	/* Fault both in first: the ceiling is copying, not page faults. */
	memset(a, 1, CEIL_BYTES);
	memset(b, 2, CEIL_BYTES);
	for (i = 0; i < CEIL_RUNS; i++) {
		t = zb_now_ns();
		memcpy(b, a, CEIL_BYTES);
		t = zb_now_ns() - t;
		/* Keep the copy from being optimised away. */
		__asm__ volatile("" : : "r"(b) : "memory");
		v[i] = t ? CEIL_BYTES / 1e6 / (t / 1e9) : 0;
	}
	zb_free(a, CEIL_BYTES);
	zb_free(b, CEIL_BYTES);
	/* A ceiling is what the machine can do: the best run, not the typical. */
	return st_max(v, CEIL_RUNS);
}
