/* Line records on stdout and in the log file, and STEP markers in the trace. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wl.h"

static int log_fd = -1;
static int quiet; /* WL_QUIET: only progress and errors on stdout, every record in the log */

void out_open(const char *log_path)
{
	const char *q = getenv("WL_QUIET");
	if (log_path && *log_path)
		log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	quiet = log_fd >= 0 && q && *q && strcmp(q, "0") != 0;
}

/* Records a human watching the console needs: where the workload is, and what went wrong. */
static int progress_record(const char *line)
{
	return strncmp(line, "@@SCENARIO_", 11) == 0 || strncmp(line, "@@ERROR", 7) == 0 ||
	       strncmp(line, "@@NOTE", 6) == 0 || strncmp(line, "@@WL_", 5) == 0;
}

/* One whole line per write(2), so that nothing is lost or interleaved when the guest powers off. */
static void put_line(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n = 0;
	if (prefix) {
		int k = snprintf(buf, sizeof(buf), "%s", prefix);
		n = k > 0 ? (size_t)k : 0;
	}
	int k = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (k < 0)
		k = 0;
	n += (size_t)k;
	if (n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if ((!quiet || progress_record(buf)) && write(1, buf, n) < 0) { /* nothing better to do */ }
	if (log_fd >= 0 && write(log_fd, buf, n) < 0) { /* idem */ }
}

void emit(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	put_line(NULL, fmt, ap);
	va_end(ap);
}

void step(const char *substep)
{
	emit("@@STEP %s %s", W.scenario, substep);
	if (W.marker >= 0) {
		char m[256];
		int n = snprintf(m, sizeof(m), "STEP %s %s", W.scenario, substep);
		if (n > 0 && write(W.marker, m, (size_t)n) < 0) { /* tracing gone: the host notices */ }
	}
}

void obs(const char *substep, const char *fmt, ...)
{
	char prefix[160];
	snprintf(prefix, sizeof(prefix), "@@OBS scenario=%s step=%s ", W.scenario, substep);
	va_list ap;
	va_start(ap, fmt);
	put_line(prefix, fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	char prefix[160];
	snprintf(prefix, sizeof(prefix), "@@NOTE scenario=%s ", W.scenario);
	va_list ap;
	va_start(ap, fmt);
	put_line(prefix, fmt, ap);
	va_end(ap);
}

void fail(const char *fmt, ...)
{
	char prefix[160];
	snprintf(prefix, sizeof(prefix), "@@ERROR scenario=%s ", W.scenario);
	va_list ap;
	va_start(ap, fmt);
	put_line(prefix, fmt, ap);
	va_end(ap);
	W.failed = 1;
}

/* A few rotating buffers so that several addresses fit in one printf. */
const char *ipstr(in_addr_t a)
{
	static char bufs[8][INET_ADDRSTRLEN];
	static int i;
	char *b = bufs[i++ & 7];
	struct in_addr in = { .s_addr = a };
	inet_ntop(AF_INET, &in, b, INET_ADDRSTRLEN);
	return b;
}

in_addr_t ip4(const char *dotted)
{
	struct in_addr in;
	if (inet_pton(AF_INET, dotted, &in) != 1)
		return 0;
	return in.s_addr;
}
