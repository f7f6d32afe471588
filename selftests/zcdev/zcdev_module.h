/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unloading and reloading zcdev.ko from a test: the module file, the
 * parameters the harness loaded it with, delete_module/finit_module.
 * ZCDEV_KO names the module file (default /opt/zcdev/modules/zcdev.ko).
 */
#ifndef ZCDEV_MODULE_H
#define ZCDEV_MODULE_H

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

#include "zcdev_test.h"

#define MOD_NAME	"zcdev"
#define KO_DEFAULT	"/opt/zcdev/modules/zcdev.ko"
#define PARAMS_DIR	"/sys/module/" MOD_NAME "/parameters"

static inline const char *ko_path(void)
{
	const char *p = getenv("ZCDEV_KO");

	return p && *p ? p : KO_DEFAULT;
}

static inline bool module_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/" MOD_NAME, &st);
}

static inline int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/*
 * "name=value ..." of the loaded module's readable parameters, so a reload
 * keeps the limits the harness chose. An unset string parameter reads
 * "(null)" and must not come back as that literal name.
 */
static inline void read_params(char *out, size_t size)
{
	char path[PATH_MAX], val[256];
	struct dirent *de;
	size_t used = 0;
	ssize_t n;
	DIR *d;
	int fd;

	out[0] = '\0';
	d = opendir(PARAMS_DIR);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", PARAMS_DIR, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, val, sizeof(val) - 1);
		close(fd);
		if (n <= 0)
			continue;
		val[n] = '\0';
		val[strcspn(val, "\n")] = '\0';
		if (!val[0] || strchr(val, ' ') || strchr(val, '"') ||
		    !strcmp(val, "(null)"))
			continue;
		n = snprintf(out + used, size - used, "%s%s=%s",
			     used ? " " : "", de->d_name, val);
		if (n < 0 || (size_t)n >= size - used) {
			out[used] = '\0';
			break;
		}
		used += n;
	}
	closedir(d);
}

/* finit_module() of the module file @ko with @params; 0 or -errno. */
static inline int finit_ko(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

/* finit_module() of ZCDEV_KO with @params; 0 or -errno. */
static inline int load_module(const char *params)
{
	return finit_ko(ko_path(), params);
}

/*
 * Load ZCDEV_KO again with the parameters it had (@params, from
 * read_params()); a module file that refuses them (another build) is
 * loaded with its defaults. 0 or -errno.
 */
static inline int reload_module(const char *params)
{
	int ret = load_module(params);

	if (ret == -EINVAL && params[0])
		ret = load_module("");
	return ret;
}

#endif /* ZCDEV_MODULE_H */
