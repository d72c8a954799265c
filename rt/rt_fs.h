/*
 * rt_fs.h — small file-system helpers for cold paths (tests, tools, temporary
 * directories). Never on a hot path.
 */
#ifndef RT_FS_H
#define RT_FS_H

/* rm -rf: remove path and everything below it, not following symbolic links.
 * Returns 0, or -errno of the first entry that could not be removed (the walk goes
 * on and removes what it can). A path that does not exist is 0. */
int rt_rmtree(const char *path);

#endif
