/*
 * peers.c: the built-in rows of the table, in the order they are printed.
 * Each peer file defines its rows; this list decides which run.  umach's
 * rows come from a list of their own (driver.h, "HOW TO ADD A PEER").
 */
#include <stddef.h>

#include "driver.h"

extern const struct bench_peer bench_peer_pipe, bench_peer_pipe_1m;
extern const struct bench_peer bench_peer_unix_stream;
extern const struct bench_peer bench_peer_unix_seqpacket;
extern const struct bench_peer bench_peer_posix_mq, bench_peer_sysv_mq;
extern const struct bench_peer bench_peer_dbus;

const struct bench_peer *const bench_os_peers[] = {
	&bench_peer_pipe,
	&bench_peer_pipe_1m,
	&bench_peer_unix_stream,
	&bench_peer_unix_seqpacket,
	&bench_peer_posix_mq,
	&bench_peer_sysv_mq,
	&bench_peer_dbus,
	NULL,
};
