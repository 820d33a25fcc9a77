/*
 * tally_threads -- several C threads call the tally server at once.
 *
 * A multi-threaded client of the era: each cthread makes its calls with
 * msg_rpc on its own thread_reply() port; a mutex guards the shared
 * counters and a condition tells main when every thread is done.
 *
 * usage: tally_threads nthreads ncalls
 */
#include <cthreads.h>
#include <servers/netname.h>
#include "tally.h"

extern int atoi();
extern int printf();
extern int usleep();
extern int exit();

int	nthreads;
int	ncalls;
int	done;
int	replies;
int	failures;
port_t	server;
struct mutex lock = MUTEX_INITIALIZER;
struct condition all_done = CONDITION_INITIALIZER;

any_t
caller(arg)
	any_t arg;
{
	struct tally_msg m;
	int i, ok = 0, bad = 0;

	for (i = 1; i <= ncalls; i++) {
		m.head.msg_simple = TRUE;
		m.head.msg_size = sizeof m;
		m.head.msg_type = MSG_TYPE_NORMAL;
		m.head.msg_remote_port = server;
		m.head.msg_local_port = thread_reply();
		m.head.msg_id = TALLY_ADD;
		m.type.msg_type_name = MSG_TYPE_INTEGER_32;
		m.type.msg_type_size = 32;
		m.type.msg_type_number = 1;
		m.type.msg_type_inline = TRUE;
		m.type.msg_type_longform = FALSE;
		m.type.msg_type_deallocate = FALSE;
		m.value = i;
		if (msg_rpc(&m.head, MSG_OPTION_NONE, sizeof m, 0, 0) ==
		    RPC_SUCCESS && m.head.msg_id == TALLY_REPLY)
			ok++;
		else
			bad++;
	}
	mutex_lock(&lock);
	replies += ok;
	failures += bad;
	done++;
	condition_signal(&all_done);
	mutex_unlock(&lock);
	return (any_t) 0;
}

main(argc, argv)
	int argc;
	char **argv;
{
	int i, tries;

	nthreads = argc > 1 ? atoi(argv[1]) : 4;
	ncalls = argc > 2 ? atoi(argv[2]) : 25;
	for (tries = 0; tries < 200; tries++) {
		if (netname_look_up(name_server_port, "", TALLY_NAME, &server)
		    == NETNAME_SUCCESS)
			break;
		usleep(10000);
	}
	for (i = 0; i < nthreads; i++)
		cthread_detach(cthread_fork(caller, (any_t) i));
	mutex_lock(&lock);
	while (done < nthreads)
		condition_wait(&all_done, &lock);
	mutex_unlock(&lock);
	printf("tally_threads: %d threads, %d replies, %d failures\n",
	       nthreads, replies, failures);
	exit(failures != 0);
}
