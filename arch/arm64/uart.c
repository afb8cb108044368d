/*
 * PL011 UART: polled output; input polled until the GIC is up, then by
 * interrupt into the console's ring (QEMU needs no baud-rate set-up).
 */
#include "arch/arm64/drivers.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/kmap.h"
#include "exo/console.h"
#include "exo/printk.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1u << 5)
#define UART_FR_RXFE (1u << 4)
#define UART_IMSC 0x38
#define UART_ICR 0x44
#define UART_INT_RX (1u << 4) /* a byte received */
#define UART_INT_RT (1u << 6) /* received, then quiet: the FIFO's last bytes */

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

static void pl011_irq(void)
{
	/* Cleared first: a byte that comes while we drain raises it again, and is not left unseen. */
	uart_regs[UART_ICR / 4] = UART_INT_RX | UART_INT_RT;
	for (int ch; (ch = pl011_getc()) >= 0;)
		console_input((char)ch);
	console_input_done();
}

void uart_input_interrupts(unsigned intid)
{
	if (!uart_regs || !intid || intid >= GIC_MAX_INTID)
		return; /* none the GIC can take: input stays polled */
	gic_enable(intid, pl011_irq);
	uart_regs[UART_IMSC / 4] = UART_INT_RX | UART_INT_RT;
	console_input_interrupts();
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
