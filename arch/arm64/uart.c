/* PL011 UART: polled output and input (QEMU needs no baud-rate set-up). */
#include "arch/arm64/drivers.h"
#include "arch/arm64/kmap.h"
#include "exo/console.h"
#include "exo/printk.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1u << 5)
#define UART_FR_RXFE (1u << 4)

static volatile u32 *uart_regs;

static void pl011_putc(char ch)
{
	if (ch == '\n')
		pl011_putc('\r');
	while (uart_regs[UART_FR / 4] & UART_FR_TXFF)
		;
	uart_regs[UART_DR / 4] = (u8)ch;
}

static int pl011_getc(void)
{
	if (uart_regs[UART_FR / 4] & UART_FR_RXFE)
		return -1;
	return (int)(uart_regs[UART_DR / 4] & 0xff);
}

bool uart_init(u64 base)
{
	uart_regs = kmap_device(base, PAGE_SIZE);
	if (uart_regs) {
		console_putc = pl011_putc;
		console_getc = pl011_getc;
	}
	return uart_regs != NULL;
}
