/* Fixed-width types and the address types the kernel keeps apart. */
#ifndef EXO_TYPES_H
#define EXO_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t i32;
typedef int64_t i64;

/*
 * A physical address.  A struct, not an integer, so that a physical address
 * can never be dereferenced or mixed up with a virtual one by accident.
 */
typedef struct {
	u64 val;
} paddr_t;

static inline paddr_t pa(u64 val) { return (paddr_t){ val }; }

#define PAGE_SHIFT 12
#define PAGE_SIZE ((u64)1 << PAGE_SHIFT)
#define BLOCK_2M ((u64)1 << 21)

#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define ALIGN_UP(x, a) ALIGN_DOWN((x) + (u64)(a) - 1, (a))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
