/*
 * mg_buf.h — a growable byte buffer for text the control core produces
 * (admin responses, JSON, Prometheus text).
 *
 * Appends never fail loudly: the first allocation failure sets b->err to
 * -ENOMEM and every later append is a no-op, so a renderer issues a long run
 * of appends and checks b->err once at the end (the idea of stdio's ferror(),
 * and of Go's bufio.Writer sticky error).  The data is kept NUL-terminated
 * whenever anything was allocated, so b->data can be printed or parsed as a
 * C string; b->len never counts the NUL.
 *
 * Not for the packet path: it mallocs.
 */
#ifndef MG_BUF_H
#define MG_BUF_H

#include <stdarg.h>
#include <stddef.h>

/** Largest content a buffer may hold; growing beyond fails with -ENOMEM. */
#define MG_BUF_MAX ((size_t)1 << 30)

/** A growable, NUL-terminated byte buffer with a sticky error. */
struct mg_buf {
	char *data; /**< the bytes, NUL-terminated; NULL until the first append */
	size_t len; /**< bytes of content, without the NUL */
	size_t cap; /**< bytes allocated at data */
	int err;    /**< 0, or -ENOMEM once an allocation failed */
};

/**
 * Initialise an empty buffer (allocates nothing).
 *
 * @param b the buffer
 */
void mg_buf_init(struct mg_buf *b);

/**
 * Release the buffer's memory and leave it empty and usable.
 *
 * @param b the buffer
 */
void mg_buf_free(struct mg_buf *b);

/**
 * Empty the buffer and clear its error, keeping the memory for reuse.
 *
 * @param b the buffer
 */
void mg_buf_reset(struct mg_buf *b);

/**
 * Make room for at least n more bytes of content.
 *
 * @param b the buffer
 * @param n bytes needed beyond b->len
 * @return 0, or b->err (-ENOMEM) if allocation failed now or before, or the
 *         result would exceed MG_BUF_MAX
 */
int mg_buf_reserve(struct mg_buf *b, size_t n);

/**
 * Append n bytes.
 *
 * @param b   the buffer
 * @param ptr the bytes (may be NULL if n is 0)
 * @param n   how many
 * @return 0, or -ENOMEM (sticky; nothing is appended)
 */
int mg_buf_append(struct mg_buf *b, const void *ptr, size_t n);

/**
 * Append a NUL-terminated string (without its NUL).
 *
 * @param b the buffer
 * @param s the string
 * @return 0, or -ENOMEM (sticky)
 */
int mg_buf_puts(struct mg_buf *b, const char *s);

/**
 * Append printf-formatted text.
 *
 * @param b   the buffer
 * @param fmt printf format
 * @return 0, -ENOMEM (sticky), or -EINVAL if fmt is invalid (vsnprintf
 *         failed; the buffer's error is set too)
 */
int mg_buf_printf(struct mg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * mg_buf_printf() with a va_list.
 *
 * @param b   the buffer
 * @param fmt printf format
 * @param ap  the arguments
 * @return as mg_buf_printf()
 */
int mg_buf_vprintf(struct mg_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/**
 * Append s as a JSON string literal, quotes included (RFC 8259): '"' and
 * '\\' are escaped, control characters become \n, \t, ... or \u00XX, valid
 * UTF-8 passes through and every byte of an invalid UTF-8 sequence becomes
 * U+FFFD, so the output is always valid JSON in valid UTF-8.
 *
 * @param b the buffer
 * @param s NUL-terminated string (NULL is written as the empty string)
 * @return 0, or -ENOMEM (sticky)
 */
int mg_buf_json_str(struct mg_buf *b, const char *s);

#endif /* MG_BUF_H */
