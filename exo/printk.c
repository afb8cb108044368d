/* A small printf for the console, and one that formats into a buffer. */
#include "exo/printk.h"
#include "exo/string.h"

void (*console_putc)(char ch);

struct sink {
	char *buf; /* NULL: the console */
	size_t size, len;
};

static void emit(struct sink *sink, char ch)
{
	if (!sink->buf) {
		if (console_putc)
			console_putc(ch);
	} else if (sink->len + 1 < sink->size) {
		sink->buf[sink->len] = ch;
	}
	sink->len++;
}

struct spec {
	int width;
	bool zero_pad, left;
};

static void emit_padded(struct sink *sink, const char *text, size_t len, struct spec spec)
{
	size_t pad = spec.width > 0 && (size_t)spec.width > len ? spec.width - len : 0;
	char fill = spec.zero_pad && !spec.left ? '0' : ' ';
	if (!spec.left)
		while (pad--)
			emit(sink, fill);
	for (size_t i = 0; i < len; i++)
		emit(sink, text[i]);
	if (spec.left)
		while (pad--)
			emit(sink, ' ');
}

static void emit_number(struct sink *sink, u64 value, unsigned base, bool negative, struct spec spec)
{
	char digits[24];
	size_t len = 0;
	do {
		digits[sizeof(digits) - 1 - len++] = "0123456789abcdef"[value % base];
		value /= base;
	} while (value);
	if (negative) {
		if (spec.zero_pad && spec.width > 0) {
			emit(sink, '-');
			spec.width--;
		} else {
			digits[sizeof(digits) - 1 - len++] = '-';
		}
	}
	emit_padded(sink, digits + sizeof(digits) - len, len, spec);
}

/* Read an integer argument of the size the length modifier gives. */
static u64 take_unsigned(va_list *args, int longs)
{
	return longs ? va_arg(*args, u64) : va_arg(*args, unsigned);
}

static i64 take_signed(va_list *args, int longs)
{
	return longs ? va_arg(*args, i64) : va_arg(*args, int);
}

static void format(struct sink *sink, const char *fmt, va_list args)
{
	va_list ap;
	va_copy(ap, args);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			emit(sink, *fmt);
			continue;
		}
		struct spec spec = { 0, false, false };
		int longs = 0;
		for (fmt++; *fmt == '0' || *fmt == '-'; fmt++)
			*fmt == '0' ? (spec.zero_pad = true) : (spec.left = true);
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			spec.width = spec.width * 10 + (*fmt - '0');
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			longs++;
		switch (*fmt) {
		case 'c':
			emit(sink, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			str = str ? str : "(null)";
			emit_padded(sink, str, strlen(str), spec);
			break;
		}
		case 'd':
		case 'i': {
			i64 value = take_signed(&ap, longs);
			emit_number(sink, value < 0 ? -(u64)value : (u64)value, 10, value < 0, spec);
			break;
		}
		case 'u':
			emit_number(sink, take_unsigned(&ap, longs), 10, false, spec);
			break;
		case 'x':
			emit_number(sink, take_unsigned(&ap, longs), 16, false, spec);
			break;
		case 'p':
			emit(sink, '0');
			emit(sink, 'x');
			emit_number(sink, (u64)(uintptr_t)va_arg(ap, void *), 16, false,
			            (struct spec){ 16, true, false });
			break;
		case '%':
			emit(sink, '%');
			break;
		default: /* unknown conversion: show it rather than guess */
			emit(sink, '%');
			if (*fmt)
				emit(sink, *fmt);
			else
				fmt--;
		}
	}
	va_end(ap);
}

void kvprintf(const char *fmt, va_list args)
{
	struct sink sink = { NULL, 0, 0 };
	format(&sink, fmt, args);
}

void kprintf(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	kvprintf(fmt, args);
	va_end(args);
}

size_t kvsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	struct sink sink = { buf, size, 0 };
	format(&sink, fmt, args);
	if (size)
		buf[MIN(sink.len, size - 1)] = '\0';
	return sink.len;
}

size_t ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	size_t len = kvsnprintf(buf, size, fmt, args);
	va_end(args);
	return len;
}
