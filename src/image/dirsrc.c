/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "image/internal.h"
#include "image/tar.h"

/* Kernel pseudo file systems: what is mounted there is not the image. */
static bool pseudo_fs(int fd)
{
	static const long skip[] = { PROC_SUPER_MAGIC, SYSFS_MAGIC, DEVPTS_SUPER_MAGIC, CGROUP_SUPER_MAGIC,
				     CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC, SECURITYFS_MAGIC,
				     BPF_FS_MAGIC, PSTOREFS_MAGIC, 0x62656570 /* configfs */,
				     0x65735543 /* fusectl */, 0x19800202 /* mqueue */,
				     HUGETLBFS_MAGIC, BINFMTFS_MAGIC, AUTOFS_SUPER_MAGIC,
				     NSFS_MAGIC };
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return false;
	for (size_t i = 0; i < BW_ARRAY_SIZE(skip); i++)
		if ((long)sf.f_type == skip[i])
			return true;
	return false;
}

struct dwalk {
	struct layer_index *li;
	struct bw_buf path;
	const char *root;
	struct bw_error **err;
	unsigned depth;
};

static int add(struct dwalk *w, const struct stat *st, const char *link)
{
	struct tar_entry e = { .name = w->path.data, .link = link, .mode = st->st_mode & 07777,
			       .uid = st->st_uid, .gid = st->st_gid, .mtime = st->st_mtim.tv_sec };

	switch (st->st_mode & S_IFMT) {
	case S_IFDIR:
		e.type = TAR_DIR;
		break;
	case S_IFLNK:
		e.type = TAR_SYMLINK;
		break;
	case S_IFCHR:
		e.type = TAR_CHAR;
		break;
	case S_IFBLK:
		e.type = TAR_BLOCK_DEV;
		break;
	case S_IFIFO:
		e.type = TAR_FIFO;
		break;
	case S_IFSOCK:
		return 0; /* sockets are not part of an image */
	default:
		e.type = TAR_REG;
		e.size = (uint64_t)st->st_size;
	}
	if (e.type == TAR_CHAR || e.type == TAR_BLOCK_DEV) {
		e.devmajor = major(st->st_rdev);
		e.devminor = minor(st->st_rdev);
	}
	return layer_index_add(w->li, &e, w->err);
}

static int walk_dir(struct dwalk *w, int dfd)
{
	DIR *d;
	struct dirent *de;
	size_t base = w->path.len;
	int r = 0;

	if (++w->depth > BW_MAX_PATH / 2)
		return bw_error_set(w->err, -ELOOP, "directories nested too deep below `%s`", w->root);
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return bw_error_set(w->err, -errno, "cannot read directory: %s", strerror(errno));
	}
	while (r == 0 && (errno = 0, de = readdir(d))) {
		struct stat st;
		char link[BW_MAX_PATH + 1];
		const char *lk = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		w->path.len = base;
		if ((base && bw_buf_puts(&w->path, "/") < 0) || bw_buf_puts(&w->path, de->d_name) < 0) {
			r = bw_error_set(w->err, -ENAMETOOLONG, "path too long below `%s`", w->root);
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue; /* removed while we looked: a live file system */
			r = bw_error_set(w->err, -errno, "cannot stat `%s/%s`: %s", w->root, w->path.data,
					 strerror(errno));
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
			if (n < 0)
				continue;
			link[n] = 0;
			lk = link;
		}
		r = add(w, &st, lk);
		if (r < 0 || !S_ISDIR(st.st_mode))
			continue;
		int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			continue; /* unreadable directory: listed, not entered */
		if (pseudo_fs(cfd)) {
			close(cfd);
			continue;
		}
		r = walk_dir(w, cfd);
	}
	if (r == 0 && errno)
		r = bw_error_set(w->err, -errno, "cannot read directory `%s`: %s", w->root, strerror(errno));
	w->path.len = base;
	if (w->path.data)
		w->path.data[base] = 0;
	w->depth--;
	closedir(d);
	return r;
}

int dir_read_fs(const char *root, struct bw_fs *fs, struct bw_error **err)
{
	struct dwalk w = { .path = BW_BUF_INIT(BW_MAX_PATH), .root = root, .err = err };
	struct stat st;
	int fd, r;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bw_error_set(err, -errno, "cannot open directory `%s`: %s", root, strerror(errno));
	w.li = layer_index_new();
	if (!w.li || bw_buf_puts(&w.path, "") < 0) {
		close(fd);
		layer_index_free(w.li);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	if (fstat(fd, &st) == 0)
		add(&w, &st, NULL); /* the root itself, path "" */
	r = walk_dir(&w, fd);
	if (r == 0)
		r = fs_apply_layer(fs, w.li, -1, false, err);
	layer_index_free(w.li);
	bw_buf_done(&w.path);
	return r;
}
