/* chunk: JSON lines cut at newlines (chunk.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "input.h"
#include "util.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t
chunk_cut(const char *buf, size_t len, size_t from)
{
	const char *p;

	if (from == 0)
		from = 1;
	while (from < len && (p = memchr(buf + from - 1, '\n', len - from)) != NULL) {
		size_t at = (size_t)(p - buf) + 1;

		if (!is_blank(buf[at]))
			return at;
		from = at + 1;
	}
	return 0;
}

uint64_t
chunk_count_lines(const char *buf, size_t n)
{
	const char *p = buf, *e = buf + n;
	uint64_t k = 0;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

void
chunker_init(struct chunker *c, struct ev_lines_rest *rest, size_t target, size_t max)
{
	memset(c, 0, sizeof *c);
	c->in = rest->in;
	c->buf = rest->buf;
	c->len = c->cap = rest->len;
	c->line = rest->line;
	c->col = rest->col;
	c->target = target > 0 ? target : 1;
	c->max = max > c->target ? max : c->target;
	memset(rest, 0, sizeof *rest);
}

/* Bytes read past target to find the cut: what is read past the cut is copied into the next
 * piece's buffer, so reading a whole target more each time would copy every byte once more. */
static size_t
lookahead(const struct chunker *c)
{
	size_t k = c->target / 16;

	return k < 4096 ? 4096 : k;
}

/* Hand buf[0, n) out as *ch; what follows stays. */
static void
hand(struct chunker *c, size_t n, struct chunk *ch)
{
	size_t left = c->len - n, cap = c->target + lookahead(c);
	char *rest;

	if (cap < left)
		cap = left;
	rest = xmalloc(cap + 1);
	memcpy(rest, c->buf + n, left);
	ch->buf = c->buf;
	ch->len = n;
	ch->buf[n] = '\0';
	ch->line = c->line;
	ch->col = c->col;
	c->line += chunk_count_lines(ch->buf, n);
	c->col = 1;
	c->buf = rest;
	c->len = left;
	c->cap = cap;
	c->scanned = 0;
}

/* Read more (up to target bytes and a lookahead past it): >0, 0 at the end (c->in closed),
 * -1 (c->err). */
static ssize_t
more(struct chunker *c)
{
	size_t want = lookahead(c);
	ssize_t n;

	if (c->in == NULL)
		return 0;
	if (c->len < c->target)
		want += c->target - c->len;
	if (c->cap - c->len < want) {
		c->cap = c->len + want;
		c->buf = xreallocarray(c->buf, c->cap + 1, 1);
	}
	n = input_read(c->in, c->buf + c->len, want, &c->err);
	if (n <= 0) {
		input_close(c->in);
		c->in = NULL;
		return n;
	}
	c->len += (size_t)n;
	return n;
}

int
chunker_next(struct chunker *c, struct chunk *ch, char **err, uint64_t *line,
    struct ev_lines_rest *rest)
{
	size_t at;
	ssize_t n;

	memset(ch, 0, sizeof *ch);
	for (;;) {
		if (c->len > c->target) {
			/* The newline must be before the last byte: what follows it decides. */
			if ((at = chunk_cut(c->buf, c->len, c->scanned > c->target ? c->scanned :
			    c->target)) != 0) {
				hand(c, at, ch);
				return 1;
			}
			c->scanned = c->len;
		}
		if (c->len >= c->max && c->in != NULL) {
			/* No cut past target: the last one before it, else the rest is read whole. */
			size_t lim = c->target < c->len ? c->target : c->len, cut = 0, k;

			while ((k = chunk_cut(c->buf, lim, cut + 1)) != 0)
				cut = k;
			if (cut != 0) {
				hand(c, cut, ch);
				return 1;
			}
			rest->in = c->in;
			rest->buf = c->buf;
			rest->len = c->len;
			rest->line = c->line;
			rest->col = c->col;
			c->in = NULL;
			c->buf = NULL;
			c->len = c->cap = 0;
			return 2;
		}
		if ((n = more(c)) > 0)
			continue;
		if (n < 0) {
			/* The complete lines first, then the failure. */
			size_t k = c->len;

			while (k > 0 && c->buf[k - 1] != '\n')
				k--;
			if (k > 0) {
				hand(c, k, ch);
				return 1;
			}
			*err = c->err;
			c->err = NULL;
			*line = c->line + chunk_count_lines(c->buf, c->len);
			c->len = 0;
			return -1;
		}
		if (c->err != NULL) {
			*err = c->err;
			c->err = NULL;
			*line = c->line + chunk_count_lines(c->buf, c->len);
			c->len = 0;
			return -1;
		}
		if (c->len == 0)
			return 0;
		hand(c, c->len, ch);
		return 1;
	}
}

void
chunker_free(struct chunker *c)
{
	input_close(c->in);
	free(c->buf);
	free(c->err);
	memset(c, 0, sizeof *c);
}
