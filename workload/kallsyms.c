/*
 * The one-pass symbol check: /proc/kallsyms read once for every wanted function.
 * A compiler clone (`rt_set_nexthop.constprop.0`, `.isra.N`, `.part.N`) counts as its base name
 * when the plain name is absent: probes go on the clone (`.cold` parts are not entry points).
 * Data symbols count only by their exact name (@symbol fetches of old kernels).
 * Busybox awk needs about 1.5 s for this pass under TCG; this takes a small fraction of that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl.h"

int kallsyms_scan(int n, char **want, char **found)
{
	int *exact = calloc((size_t)n + 1, sizeof(int));
	size_t *wlen = calloc((size_t)n + 1, sizeof(size_t));
	if (!exact || !wlen)
		return -1;
	for (int i = 0; i < n; i++) {
		wlen[i] = strlen(want[i]);
		found[i] = NULL;
	}
	FILE *f = fopen("/proc/kallsyms", "r");
	if (!f) {
		free(exact);
		free(wlen);
		return -1;
	}
	static char buf[1 << 16];
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		/* "ffffffff81000000 T name\t[module]" */
		char *type = strchr(line, ' ');
		if (!type)
			continue;
		type++;
		char t = *type;
		int text = t == 't' || t == 'T' || t == 'w' || t == 'W';
		char *name = type + 2;
		size_t len = strcspn(name, "\t\n ");
		name[len] = 0;
		for (int i = 0; i < n; i++) {
			if (exact[i] || name[0] != want[i][0] || len < wlen[i] || memcmp(name, want[i], wlen[i]) != 0)
				continue;
			if (len == wlen[i]) {
				free(found[i]);
				found[i] = strdup(name);
				exact[i] = 1;
			} else if (text && name[wlen[i]] == '.' && !found[i] && !strstr(name + wlen[i], ".cold")) {
				found[i] = strdup(name);
			}
		}
	}
	fclose(f);
	free(exact);
	free(wlen);
	return 0;
}

/* tunwl --kallsyms SYM...: prints `@@SYM <wanted> <kallsyms name>` per symbol found, then `@@SYM_END`. */
int kallsyms_main(int n, char **want)
{
	char **found = calloc((size_t)n + 1, sizeof(char *));
	if (!found || kallsyms_scan(n, want, found) < 0) {
		printf("@@SYM_ERROR cannot read /proc/kallsyms\n@@SYM_END\n");
		return 1;
	}
	for (int i = 0; i < n; i++)
		if (found[i])
			printf("@@SYM %s %s\n", want[i], found[i]);
	printf("@@SYM_END\n");
	return 0;
}
