// SPDX-License-Identifier: GPL-2.0
/*
 * serial: a 16550A UART at 0x3f8 (COM1, IRQ 4), the guest's console.
 *
 * Transmission is instantaneous (THR is always empty), which is what the
 * 8250 driver's THRE tests expect of a real 16550.  Output goes to stdout
 * and/or a file; input comes from stdin.  A line starting with
 * MEMPLUG_GUEST_READY marks "the guest reached its init" for the boot timeout
 * and the boot-time measurement.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memplug/guest.h"
#include "memplug/vmm.h"

#define COM1_BASE	0x3f8
#define COM1_IRQ	4
#define RX_SIZE		4096

/* register offsets and bits (8250/16550) */
#define UART_RX		0
#define UART_IER	1
#define UART_IIR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7
#define IER_RDI		0x01
#define IER_THRI	0x02
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO	0xc0
#define LCR_DLAB	0x80
#define MCR_LOOP	0x10
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define FCR_ENABLE	0x01

struct vmm_serial {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending;
	bool irq_level;
	uint8_t rx[RX_SIZE];
	unsigned int rx_head, rx_tail;	/* tail == head: empty */
	FILE *file;
	char line[128];
	size_t line_len;
	uint64_t first_ns;
};

static unsigned int rx_count(struct vmm_serial *s)
{
	return (s->rx_head - s->rx_tail) % RX_SIZE;
}

static uint8_t iir(struct vmm_serial *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((s->ier & IER_RDI) && rx_count(s))
		return fifo | IIR_RDI;
	if ((s->ier & IER_THRI) && s->thre_pending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

static void update_irq(struct vmm *vmm, struct vmm_serial *s)
{
	bool level = !(iir(s) & IIR_NO_INT);

	if (level != s->irq_level) {
		s->irq_level = level;
		kvm__irq_line(vmm, COM1_IRQ, level);
	}
}

static void tx(struct vmm *vmm, struct vmm_serial *s, uint8_t c)
{
	if (!s->first_ns) {
		s->first_ns = mp_now_ns();
		pr_info("first console output after %.1f ms",
			(s->first_ns - vmm->start_ns) / 1e6);
	}
	if (vmm->cfg.console_stdio) {
		ssize_t n = write(STDOUT_FILENO, &c, 1);
		(void)n;
	}
	if (s->file)
		fputc(c, s->file);
	if (c == '\n' || s->line_len == sizeof(s->line) - 1) {
		s->line[s->line_len] = 0;
		if (!vmm->init_ns && !strncmp(s->line, MEMPLUG_GUEST_READY,
					      strlen(MEMPLUG_GUEST_READY))) {
			vmm->init_ns = mp_now_ns();
			pr_info("guest reached init after %.1f ms",
				(vmm->init_ns - vmm->start_ns) / 1e6);
		}
		if (s->file)
			fflush(s->file);
		s->line_len = 0;
	} else if (c != '\r') {
		s->line[s->line_len++] = c;
	}
}

static void serial__io(struct vmm *vmm, void *opaque, uint64_t port,
		       uint8_t *data, uint32_t len, bool is_write)
{
	struct vmm_serial *s = opaque;
	unsigned int off = port - COM1_BASE;
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t v = data[0];

	if (is_write) {
		switch (off) {
		case UART_RX:
			if (dlab) {
				s->dll = v;
			} else {
				if (!(s->mcr & MCR_LOOP))
					tx(vmm, s, v);
				s->thre_pending = true;
			}
			break;
		case UART_IER:
			if (dlab) {
				s->dlm = v;
			} else {
				s->ier = v & 0x0f;
				/* a 16550 reasserts THRE when it is enabled */
				if (s->ier & IER_THRI)
					s->thre_pending = true;
			}
			break;
		case UART_IIR:
			s->fcr = v & ~0x06;	/* the clear bits self-clear */
			if (v & 0x02)
				s->rx_tail = s->rx_head;
			break;
		case UART_LCR:
			s->lcr = v;
			break;
		case UART_MCR:
			s->mcr = v & 0x1f;
			break;
		case UART_SCR:
			s->scr = v;
			break;
		}
	} else {
		memset(data, 0, len);
		switch (off) {
		case UART_RX:
			if (dlab) {
				v = s->dll;
			} else if (rx_count(s)) {
				v = s->rx[s->rx_tail];
				s->rx_tail = (s->rx_tail + 1) % RX_SIZE;
			} else {
				v = 0;
			}
			break;
		case UART_IER:
			v = dlab ? s->dlm : s->ier;
			break;
		case UART_IIR:
			v = iir(s);
			/* reading IIR acknowledges a THRE interrupt */
			if ((v & 0x0f) == IIR_THRI)
				s->thre_pending = false;
			break;
		case UART_LCR:
			v = s->lcr;
			break;
		case UART_MCR:
			v = s->mcr;
			break;
		case UART_LSR:
			v = LSR_THRE | LSR_TEMT | (rx_count(s) ? LSR_DR : 0);
			break;
		case UART_MSR:
			if (s->mcr & MCR_LOOP)	/* RTS->CTS DTR->DSR OUT1->RI OUT2->DCD */
				v = ((s->mcr & 0x02) << 3) | ((s->mcr & 0x01) << 5) |
				    ((s->mcr & 0x04) << 4) | ((s->mcr & 0x08) << 4);
			else
				v = 0xb0;	/* DCD, DSR, CTS */
			break;
		case UART_SCR:
			v = s->scr;
			break;
		}
		data[0] = v;
	}
	update_irq(vmm, s);
}

/* Called with vmm->dev_lock held or from the input thread (takes it). */
void serial__input(struct vmm *vmm, const char *buf, size_t len)
{
	struct vmm_serial *s = vmm->serial;

	pthread_mutex_lock(&vmm->dev_lock);
	while (len--) {
		if (rx_count(s) == RX_SIZE - 1)
			break;
		s->rx[s->rx_head] = *buf++;
		s->rx_head = (s->rx_head + 1) % RX_SIZE;
	}
	update_irq(vmm, s);
	pthread_mutex_unlock(&vmm->dev_lock);
}

static void *stdin__thread(void *arg)
{
	struct vmm *vmm = arg;
	char buf[256];
	ssize_t n;

	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		serial__input(vmm, buf, n);
	}
	return NULL;
}

int serial__init(struct vmm *vmm)
{
	struct vmm_serial *s;
	pthread_t t;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (vmm->cfg.console_file) {
		s->file = fopen(vmm->cfg.console_file, "we");
		if (!s->file) {
			int ret = -errno;

			pr_err("cannot open console file %s: %s",
			       vmm->cfg.console_file, strerror(errno));
			free(s);
			return ret;
		}
	}
	vmm->serial = s;
	if (vmm->cfg.console_stdio &&
	    pthread_create(&t, NULL, stdin__thread, vmm) == 0)
		pthread_detach(t);
	return kvm__register_pio(vmm, COM1_BASE, 8, serial__io, s);
}
