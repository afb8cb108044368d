/* ksnprintf: the formats the kernel's reports rely on. */
#include "exo/printk.h"
#include "tests/host/check.h"
#include <string.h>

static char out[128];

#define FORMATS_AS(expected, ...) \
	(ksnprintf(out, sizeof(out), __VA_ARGS__), strcmp(out, expected) == 0)

static void integers(void)
{
	EXPECT(FORMATS_AS("-42 17 ff", "%d %u %x", -42, 17u, 255u));
	EXPECT(FORMATS_AS("ffff000040080000", "%lx", (u64)0xffff000040080000));
	EXPECT(FORMATS_AS("-9223372036854775808", "%ld", (i64)INT64_MIN));
	EXPECT(FORMATS_AS("18446744073709551615", "%lu", (u64)UINT64_MAX));
	EXPECT(FORMATS_AS("0", "%x", 0u));
}

static void padding(void)
{
	EXPECT(FORMATS_AS("0000000000000abc", "%016lx", (u64)0xabc));
	EXPECT(FORMATS_AS("x7 |", "x%-2u|", 7u));
	EXPECT(FORMATS_AS("   42", "%5d", 42));
	EXPECT(FORMATS_AS("-0042", "%05d", -42));
}

static void strings_and_pointers(void)
{
	EXPECT(FORMATS_AS("a(null)b", "a%sb", (char *)NULL));
	EXPECT(FORMATS_AS("[ab  ]", "[%-4s]", "ab"));
	EXPECT(FORMATS_AS("0x0000000000001000", "%p", (void *)0x1000));
	EXPECT(FORMATS_AS("100%", "100%%"));
}

static void truncation(void)
{
	char small[5];
	size_t len = ksnprintf(small, sizeof(small), "%s", "abcdefgh");
	EXPECT(len == 8);
	EXPECT(strcmp(small, "abcd") == 0);
	EXPECT(ksnprintf(small, 0, "xyz") == 3);
}

int main(void)
{
	RUN("printk", integers);
	RUN("printk", padding);
	RUN("printk", strings_and_pointers);
	RUN("printk", truncation);
	return check_failures != 0;
}
