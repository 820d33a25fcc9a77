/*
 * The fuzz harnesses' kernel (fuzz_kernel.h).  Each task gets a port of
 * its own (port_allocate_in) and a send right to the other task's port,
 * so that inputs find live names among the small integers: 1 and 2 are a
 * task's kernel and notify ports, 3 its own port, 4 the other's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_kernel.h"
#include "fail.h"

static void die(const char *what)
{
	fprintf(stderr, "fuzz_kernel: %s\n", what);
	abort();
}

static int32_t give_send(struct ktask *from, int32_t name, struct ktask *to)
{
	struct entry *e = space_lookup(&from->space, name);

	if (e == NULL || space_reserve(&to->space, 1) != KERN_SUCCESS)
		die("give_send: no entry or no space");
	struct entry *ne = space_insert(&to->space, e->port, PORT_TYPE_SEND,
					NULL);
	if (ne == NULL)
		die("give_send: insert failed");
	return ne->name;
}

void fk_setup(struct fk *f, uint32_t profile)
{
	umach__fail_after(-1);
	if (kernel_init(&f->k, profile) != KERN_SUCCESS)
		die("kernel_init");
	for (int i = 0; i < 2; i++) {
		f->t[i] = ktask_create(&f->k, getpid(), getuid(),
				       i ? "fuzz-b" : "fuzz-a");
		if (f->t[i] == NULL)
			die("ktask_create");
		if (port_allocate_in(&f->k, &f->t[i]->space, &f->rcv[i]) !=
		    KERN_SUCCESS)
			die("port_allocate_in");
	}
	f->snd[0] = give_send(f->t[1], f->rcv[1], f->t[0]);
	f->snd[1] = give_send(f->t[0], f->rcv[0], f->t[1]);
}

void fk_teardown(struct fk *f)
{
	umach__fail_after(-1);
	kernel_fini(&f->k);
	if (f->k.ntasks != 0 || f->k.tasks != NULL)
		die("a task outlived kernel_fini");
	if (f->k.nports != 0)
		die("a port leaked (nports != 0 after kernel_fini)");
	if (f->k.nkmsgs != 0)
		die("a kmsg leaked (nkmsgs != 0 after kernel_fini)");
	if (f->k.heap_len != 0)
		die("a timer outlived its activation");
}
