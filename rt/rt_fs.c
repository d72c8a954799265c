#include "rt/rt_fs.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static __thread int first_error;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0 && errno != ENOENT && !first_error)
		first_error = -errno;
	return 0;
}

int rt_rmtree(const char *path)
{
	first_error = 0;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		return -errno;
	return first_error;
}
