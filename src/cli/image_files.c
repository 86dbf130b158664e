/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark image files [OPTIONS] REF [PATH...]\n"
	"\n"
	"List the image's merged file system as a container sees it: layers applied\n"
	"in order with whiteouts, hard links and symlinks resolved inside the image.\n"
	"With PATHs, list only those (a directory with everything below it). Each\n"
	"line: mode, uid/gid, size, the layer that last set it, path (-> link target).\n"
	"\n"
	"Options:\n" IMAGE_OPTIONS_HELP;

struct files_out {
	FILE *f;
	bool json;
	bool first;
	const struct bw_image *img;
};

static char *put_u64(char *w, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*w++ = tmp[--n];
	return w;
}

static void mode_string(const struct bw_file *file, char out[11])
{
	static const char types[] = { '-', 'd', 'l', 'c', 'b', 'p', 's' };
	uint32_t m = file->mode;

	out[0] = file->hardlink ? 'h' : types[file->type];
	for (int i = 0; i < 3; i++) {
		uint32_t bits = (m >> (6 - 3 * i)) & 7;
		out[1 + 3 * i] = bits & 4 ? 'r' : '-';
		out[2 + 3 * i] = bits & 2 ? 'w' : '-';
		out[3 + 3 * i] = bits & 1 ? 'x' : '-';
	}
	if (m & 04000)
		out[3] = out[3] == 'x' ? 's' : 'S';
	if (m & 02000)
		out[6] = out[6] == 'x' ? 's' : 'S';
	if (m & 01000)
		out[9] = out[9] == 'x' ? 't' : 'T';
	out[10] = 0;
}

static int print_file(const struct bw_file *file, void *ud)
{
	struct files_out *o = ud;
	FILE *f = o->f;

	if (o->json) {
		/* Hundreds of thousands of lines: format by hand, not printf. */
		char line[512], *w = line;
		fputs_unlocked(o->first ? "\n    {\"path\": " : ",\n    {\"path\": ", f);
		o->first = false;
		json_put_string(f, file->path);
		w = stpcpy(w, ", \"type\": \"");
		w = stpcpy(w, bw_ftype_name(file->type));
		w = stpcpy(w, "\", \"mode\": \"");
		*w++ = (char)('0' + ((file->mode >> 9) & 7));
		*w++ = (char)('0' + ((file->mode >> 6) & 7));
		*w++ = (char)('0' + ((file->mode >> 3) & 7));
		*w++ = (char)('0' + (file->mode & 7));
		w = stpcpy(w, "\", \"uid\": ");
		w = put_u64(w, file->uid);
		w = stpcpy(w, ", \"gid\": ");
		w = put_u64(w, file->gid);
		w = stpcpy(w, ", \"size\": ");
		w = put_u64(w, file->size);
		w = stpcpy(w, ", \"mtime\": ");
		if (file->mtime < 0) {
			*w++ = '-';
			w = put_u64(w, (uint64_t)0 - (uint64_t)file->mtime);
		} else {
			w = put_u64(w, (uint64_t)file->mtime);
		}
		fwrite_unlocked(line, 1, (size_t)(w - line), f);
		if (file->link) {
			fputs_unlocked(file->hardlink ? ", \"hardlink\": " : ", \"link\": ", f);
			json_put_string(f, file->link);
		}
		if (file->type == BW_FT_CHAR || file->type == BW_FT_BLOCK)
			fprintf(f, ", \"devmajor\": %u, \"devminor\": %u", file->devmajor, file->devminor);
		if (file->layer >= 0) {
			w = stpcpy(line, ", \"layer\": ");
			w = put_u64(w, (uint64_t)file->layer + 1);
			w = stpcpy(w, ", \"layer_digest\": \"");
			w = stpcpy(w, bw_image_layer(o->img, (size_t)file->layer)->digest);
			w = stpcpy(w, "\"}");
			fwrite_unlocked(line, 1, (size_t)(w - line), f);
		} else {
			putc_unlocked('}', f);
		}
		return 0;
	}
	char mode[11], layer[16] = "-";
	mode_string(file, mode);
	if (file->layer >= 0)
		snprintf(layer, sizeof(layer), "%d", file->layer + 1);
	fprintf(f, "%s %5u/%-5u %12llu %3s  ", mode, file->uid, file->gid, (unsigned long long)file->size,
		layer);
	fputs(file->path, f);
	if (file->link)
		fprintf(f, " %s %s", file->hardlink ? "link to" : "->", file->link);
	fputc('\n', f);
	return 0;
}

int cmd_image_files(int argc, char **argv)
{
	static const struct option opts[] = { IMAGE_LONG_OPTIONS, { NULL, 0, NULL, 0 } };
	struct image_args a = { .opts = { .sz = sizeof(struct bw_image_opts) }, .format = "table" };
	struct bw_error *err = NULL;
	struct bw_image *img = NULL;
	struct bw_fs *fs = NULL;
	struct files_out o = { .first = true };
	const char *ref;
	int c, r;

	while ((c = getopt_long(argc, argv, "f:o:qdh", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		r = image_args_parse(&a, c, optarg, "image files");
		if (r < 0)
			return -r;
		if (r == 0)
			return cli_usage_error("image files", "unknown option `%s`", argv[optind - 1]);
	}
	if (argc - optind < 1)
		return cli_usage_error("image files", "expected an image reference");
	cli_setup_logging();
	ref = argv[optind];

	r = bw_image_open(ref, &a.opts, &img, &err);
	if (r == 0)
		r = bw_image_read_fs(img, &fs, &err);
	if (r < 0) {
		bw_error_wrap(&err, "image `%s`", ref);
		bw_image_free(img);
		return cli_fail(err);
	}
	o.f = output_open(&a, &err);
	if (!o.f) {
		bw_fs_free(fs);
		bw_image_free(img);
		return cli_fail(err);
	}
	o.json = !strcmp(a.format, "json");
	o.img = img;
	if (o.json) {
		fputs("{\n  \"image\": ", o.f);
		json_put_string(o.f, bw_image_ref(img)->name);
		fputs(",\n  \"manifest_digest\": ", o.f);
		if (bw_image_manifest_digest(img))
			json_put_string(o.f, bw_image_manifest_digest(img));
		else
			fputs("null", o.f);
		fprintf(o.f, ",\n  \"count\": %zu,\n  \"files\": [", bw_fs_count(fs));
	}
	if (argc - optind == 1) {
		r = bw_fs_walk(fs, "/", print_file, &o, &err);
	} else {
		for (int i = optind + 1; i < argc && r == 0; i++)
			r = bw_fs_walk(fs, argv[i], print_file, &o, &err);
	}
	if (o.json)
		fputs("\n  ]\n}\n", o.f);
	if (r < 0) {
		output_close(o.f, &a, NULL);
		bw_fs_free(fs);
		bw_error_wrap(&err, "image `%s`", ref);
		bw_image_free(img);
		return cli_fail(err);
	}
	bw_fs_free(fs);
	bw_image_free(img);
	if (output_close(o.f, &a, &err) < 0)
		return cli_fail(err);
	return EXIT_OK;
}
