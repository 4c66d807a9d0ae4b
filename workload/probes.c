/*
 * tunwl --register TRACEFS PROBES [SYMBOLS]: the guest's probe registration.
 *
 * PROBES has one probe per line: `<wanted symbol>\t<kprobe_events line>\t<fallback line or empty>`.
 * SYMBOLS (optional) lists the wanted functions, space separated: they are looked up in ONE pass
 * over /proc/kallsyms; a probe whose symbol is absent is skipped (@@PROBE_SKIP, it was inlined or
 * not built) and a compiler clone's name replaces the wanted one in the line.
 *
 * All definitions go to kprobe_events in ONE write (the kernel parses it line by line; 28 probes
 * take about a tenth of the time of one write per probe under TCG). If the kernel refuses any,
 * the events are cleared and registered one by one, each refusal reported with the kernel's
 * error_log and its fallback tried.
 *
 * Output (stdout): @@SYM.../@@SYM_END, @@PROBE_OK <line> | @@PROBE_SKIP <grp/event> <symbol> |
 * @@PROBE_FAIL <line> followed by @@ERRLOG <error_log line>..., and
 * @@PROBES ok=N fail=N skip=N kallsyms_ms=T register_ms=T.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <time.h>

#include "wl.h"

#define MAX_PROBES 256

static double ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct probe {
	char *want, *line, *fallback;
	int skip;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	size_t k;
	while (b && (k = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (n + 1 >= cap)
			b = realloc(b, cap *= 2);
	}
	fclose(f);
	if (b)
		b[n] = 0;
	return b;
}

/* "p:grp/ev SYM[+off|%return] args" with SYM == want: the same line with `name` for SYM. */
static char *rename_symbol(const char *line, const char *want, const char *name)
{
	const char *sp = strchr(line, ' ');
	size_t wl = strlen(want);
	if (!sp || strncmp(sp + 1, want, wl) != 0)
		return strdup(line);
	char after = sp[1 + wl];
	if (after != ' ' && after != 0 && after != '+' && after != '%')
		return strdup(line);
	size_t n = strlen(line) + strlen(name) + 1;
	char *out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(sp + 1 - line), line, name, sp + 1 + wl);
	return out;
}

static void event_of(const char *line, char *out, size_t cap)
{
	const char *colon = strchr(line, ':');
	const char *sp = strchr(line, ' ');
	if (!colon || !sp || colon > sp) {
		snprintf(out, cap, "?");
		return;
	}
	snprintf(out, cap, "%.*s", (int)(sp - colon - 1), colon + 1);
}

static int write_all(const char *path, const char *data, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, data, len);
	int err = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return err;
}

static void report_error_log(const char *tracefs)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/error_log", tracefs);
	char *log = slurp(path);
	if (log) {
		for (char *l = strtok(log, "\n"); l; l = strtok(NULL, "\n"))
			printf("@@ERRLOG %s\n", l);
		free(log);
	}
	write_all(path, "\n", 1, O_TRUNC); /* clears it */
}

static int register_one(const char *events, const char *tracefs, const char *line)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 2);
	memcpy(buf, line, len);
	buf[len] = '\n';
	int err = write_all(events, buf, len + 1, O_APPEND);
	free(buf);
	if (!err) {
		printf("@@PROBE_OK %s\n", line);
		return 0;
	}
	printf("@@PROBE_FAIL %s\n", line);
	report_error_log(tracefs);
	return err;
}

int register_main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: tunwl --register TRACEFS PROBES [SYMBOLS]\n");
		return 2;
	}
	const char *tracefs = argv[0];
	char events[256];
	snprintf(events, sizeof(events), "%s/kprobe_events", tracefs);
	char *text = slurp(argv[1]);
	if (!text) {
		printf("@@PROBES ok=0 fail=0 skip=0\n");
		return 1;
	}
	struct probe p[MAX_PROBES];
	int n = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < MAX_PROBES; l = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(l, '\t');
		if (!t1)
			continue;
		*t1 = 0;
		char *t2 = strchr(t1 + 1, '\t');
		if (t2)
			*t2 = 0;
		if (!t1[1])
			continue;
		p[n++] = (struct probe){ .want = l, .line = t1 + 1, .fallback = t2 && t2[1] ? t2 + 1 : NULL };
	}

	double t0 = ms_now(), t1 = t0;
	/* The kallsyms pass, for the distinct wanted symbols. */
	char *symtext = argc > 2 ? slurp(argv[2]) : NULL;
	if (symtext) {
		char *want[MAX_PROBES];
		char *found[MAX_PROBES];
		int m = 0;
		for (char *save = NULL, *s = strtok_r(symtext, " \t\n", &save); s && m < MAX_PROBES; s = strtok_r(NULL, " \t\n", &save))
			want[m++] = s;
		if (m > 0 && kallsyms_scan(m, want, found) == 0) {
			for (int i = 0; i < m; i++)
				if (found[i])
					printf("@@SYM %s %s\n", want[i], found[i]);
			printf("@@SYM_END\n");
			for (int j = 0; j < n; j++) {
				int k = 0;
				while (k < m && strcmp(want[k], p[j].want) != 0)
					k++;
				if (k == m)
					continue; /* not asked for: register as written */
				if (!found[k]) {
					p[j].skip = 1;
				} else if (strcmp(found[k], p[j].want) != 0) {
					p[j].line = rename_symbol(p[j].line, p[j].want, found[k]);
					if (p[j].fallback)
						p[j].fallback = rename_symbol(p[j].fallback, p[j].want, found[k]);
				}
			}
		} else if (m > 0) {
			printf("@@SYM_ERROR cannot read /proc/kallsyms\n@@SYM_END\n");
		}
	}

	t1 = ms_now();
	int ok = 0, fail = 0, skip = 0;
	size_t total = 0;
	for (int j = 0; j < n; j++)
		if (!p[j].skip)
			total += strlen(p[j].line) + 1;
	char *all = malloc(total + 1);
	size_t off = 0;
	for (int j = 0; j < n; j++) {
		if (p[j].skip)
			continue;
		size_t len = strlen(p[j].line);
		memcpy(all + off, p[j].line, len);
		all[off + len] = '\n';
		off += len + 1;
	}
	int err = off ? write_all(events, all, off, O_APPEND) : 0;
	free(all);
	for (int j = 0; j < n; j++) {
		if (p[j].skip) {
			char ev[128];
			event_of(p[j].line, ev, sizeof(ev));
			printf("@@PROBE_SKIP %s %s\n", ev, p[j].want);
			skip++;
		}
	}
	if (!err) {
		for (int j = 0; j < n; j++)
			if (!p[j].skip) {
				printf("@@PROBE_OK %s\n", p[j].line);
				ok++;
			}
	} else {
		/* Some definition was refused: clear ours and go one by one. */
		write_all(events, "\n", 1, O_TRUNC);
		char log[256];
		snprintf(log, sizeof(log), "%s/error_log", tracefs);
		write_all(log, "\n", 1, O_TRUNC);
		for (int j = 0; j < n; j++) {
			if (p[j].skip)
				continue;
			if (register_one(events, tracefs, p[j].line) == 0 ||
			    (p[j].fallback && register_one(events, tracefs, p[j].fallback) == 0))
				ok++;
			else
				fail++;
		}
	}
	printf("@@PROBES ok=%d fail=%d skip=%d kallsyms_ms=%.0f register_ms=%.0f\n", ok, fail, skip, t1 - t0, ms_now() - t1);
	return fail ? 1 : 0;
}
