/* PL011 UART: polled output (QEMU needs no baud-rate set-up). */
#include "arch/arm64/drivers.h"
#include "arch/arm64/kmap.h"
#include "exo/printk.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1u << 5)

static volatile u32 *uart_regs;

static void pl011_putc(char ch)
{
	if (ch == '\n')
		pl011_putc('\r');
	while (uart_regs[UART_FR / 4] & UART_FR_TXFF)
		;
	uart_regs[UART_DR / 4] = (u8)ch;
}

bool uart_init(u64 base)
{
	uart_regs = kmap_device(base, PAGE_SIZE);
	if (uart_regs)
		console_putc = pl011_putc;
	return uart_regs != NULL;
}
