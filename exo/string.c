/* Freestanding string functions; clang also emits calls to memset/memcpy. */
#include "exo/string.h"
#include <stdint.h>

void *memset(void *dst, int byte, size_t len)
{
	unsigned char *out = dst;
	/* Zeroing aligned structures (environments are ~1 KiB) a word at a time. */
	if (byte == 0 && ((uintptr_t)out & 7) == 0)
		for (; len >= 8; len -= 8, out += 8)
			*(uint64_t *)out = 0;
	while (len--)
		*out++ = (unsigned char)byte;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t len)
{
	unsigned char *out = dst;
	const unsigned char *in = src;
	/* Words when both are aligned (legal even with the MMU off): upcalls copy ~300 bytes. */
	if ((((uintptr_t)out | (uintptr_t)in) & 7) == 0) {
		/* 64 bytes a turn (register frames and contexts are hundreds of bytes), then 16. */
		for (; len >= 64; len -= 64, out += 64, in += 64)
			for (int i = 0; i < 8; i += 2) {
				uint64_t a = ((const uint64_t *)in)[i], b = ((const uint64_t *)in)[i + 1];
				((uint64_t *)out)[i] = a;
				((uint64_t *)out)[i + 1] = b;
			}
		for (; len >= 16; len -= 16, out += 16, in += 16) {
			((uint64_t *)out)[0] = ((const uint64_t *)in)[0];
			((uint64_t *)out)[1] = ((const uint64_t *)in)[1];
		}
	}
	while (len--)
		*out++ = *in++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t len)
{
	unsigned char *out = dst;
	const unsigned char *in = src;
	if (out < in)
		return memcpy(dst, src, len);
	while (len--)
		out[len] = in[len];
	return dst;
}

int memcmp(const void *a, const void *b, size_t len)
{
	const unsigned char *left = a, *right = b;
	for (size_t i = 0; i < len; i++)
		if (left[i] != right[i])
			return left[i] - right[i];
	return 0;
}

size_t strlen(const char *str)
{
	size_t len = 0;
	while (str[len])
		len++;
	return len;
}

size_t strnlen(const char *str, size_t max)
{
	size_t len = 0;
	while (len < max && str[len])
		len++;
	return len;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t len)
{
	for (; len > 0; len--, a++, b++)
		if (*a != *b || *a == '\0')
			return (unsigned char)*a - (unsigned char)*b;
	return 0;
}

char *strchr(const char *str, int ch)
{
	for (;; str++) {
		if (*str == (char)ch)
			return (char *)str;
		if (*str == '\0')
			return NULL;
	}
}
