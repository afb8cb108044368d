/* The few C string functions the kernel uses (libc's on the host). */
#ifndef EXO_STRING_H
#define EXO_STRING_H

#include <stddef.h>

#ifdef EXO_HOST
#include <string.h>
#else
void *memset(void *dst, int byte, size_t len);
void *memcpy(void *dst, const void *src, size_t len);
void *memmove(void *dst, const void *src, size_t len);
int memcmp(const void *a, const void *b, size_t len);
size_t strlen(const char *str);
size_t strnlen(const char *str, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t len);
char *strchr(const char *str, int ch);
#endif

#endif
