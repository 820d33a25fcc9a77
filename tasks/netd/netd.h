/*
 * umach-netd's private definitions (docs/netd.md): the wire format, the
 * link to one peer netd, and the tables of proxies (remote ports we stand
 * in for) and exports (local ports a peer may send to).  One mutex,
 * netd.lock, guards the tables and the links' state; a link's wlock
 * serializes whole frames on its socket.
 */
#ifndef UMACH_NETD_H
#define UMACH_NETD_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <mach.h>

#define NETD_WIRE_VERSION 1
#define NETD_NAME_MAX     64		/* host names, NUL included */
#define NETD_LINKS_MAX    16
#define NETD_PORTS_MAX    4096		/* proxies, and exports, each */
#define NETD_PENDING_MAX  1024		/* calls waiting for a reply */
#define NETD_LOOKUPS_MAX  32
#define NETD_FRAME_MAX    (16u << 20)	/* payload bytes of one frame */
#define NETD_SECRET_MIN   16
#define NETD_SECRET_MAX   4096
#define NETD_NONCE_BYTES  16
#define NETD_MAC_BYTES    32
#define NETD_TIMEOUT_MS   2000		/* connect, handshake, look-up */
#define NETD_SERVICE_NAME "umach-netd"

enum netd_frame_type {
	NETD_HELLO = 1,		/* nonce[16] name[64] */
	NETD_AUTH,		/* mac[32] */
	NETD_LOOKUP,		/* u32 seq, name[80] */
	NETD_LOOKUP_REPLY,	/* u32 seq, i32 status, u32 id */
	NETD_MSG,		/* docs/netd.md "Messages" */
	NETD_DEAD,		/* u32 id: that export is gone */
	NETD_FAIL,		/* u32 reply_id, i32 msg_id: not delivered */
	NETD_FRAME_LAST = NETD_FAIL
};

struct netd_link {
	/* Guarded by netd.lock. */
	int      used;			/* slot taken (reader thread runs) */
	int      up;			/* frames may be sent */
	char     host[NETD_NAME_MAX];
	/* Guarded by wlock. */
	pthread_mutex_t wlock;
	int      fd;
};

struct netd_proxy {			/* guarded by netd.lock */
	port_t   port;			/* our receive right; PORT_NULL = free */
	struct netd_link *link;
	uint32_t remote_id;		/* the peer's export id */
};

struct netd_export {			/* guarded by netd.lock */
	uint32_t id;			/* 0 = free */
	struct netd_link *link;
	port_t   port;			/* our send right */
};

struct netd_pending {			/* guarded by netd.lock */
	struct netd_link *link;		/* NULL = free */
	port_t   reply;			/* the caller's reply port */
	int      msg_id;
};

struct netd_lookup {			/* guarded by netd.lock */
	uint32_t seq;			/* 0 = free */
	int      done;
	int32_t  status;
	uint32_t id;
	struct netd_link *link;
};

struct netd_peer {			/* from the command line, read-only */
	char     host[NETD_NAME_MAX];
	char     addr[64];
	uint16_t port;
};

struct netd {
	char     name[NETD_NAME_MAX];		/* read-only after start */
	uint8_t  secret[NETD_SECRET_MAX];
	size_t   secret_len;
	struct netd_peer peers[NETD_LINKS_MAX];
	int      npeers;
	port_t   service, set;

	pthread_mutex_t lock;
	pthread_cond_t  cond;			/* a look-up was answered */
	struct netd_link    links[NETD_LINKS_MAX];
	struct netd_proxy   proxies[NETD_PORTS_MAX];
	struct netd_export  exports[NETD_PORTS_MAX];
	struct netd_pending pending[NETD_PENDING_MAX];
	struct netd_lookup  lookups[NETD_LOOKUPS_MAX];
	uint32_t next_id, next_seq;
};

extern struct netd netd;

/* wire.c */
void netd_put32(uint8_t *p, uint32_t v);
uint32_t netd_get32(const uint8_t *p);
int netd_read_full(int fd, void *buf, size_t len);
int netd_frame_send(struct netd_link *l, int type, const void *a,
		    size_t alen, const void *b, size_t blen);
uint8_t *netd_frame_recv(int fd, int *out_type, uint32_t *out_len);
int netd_handshake(int fd, const char *expect, char *out_host);
int netd_read_secret(const char *path);

/* proxy.c */
void netd_forward(msg_header_t *m);
void netd_deliver(struct netd_link *l, const uint8_t *p, uint32_t len);
port_t netd_proxy_get(struct netd_link *l, uint32_t id);
void netd_dead(struct netd_link *l, uint32_t id);
void netd_fail(struct netd_link *l, uint32_t reply_id, int msg_id);
void netd_port_deleted(port_t name);
void netd_link_lost(struct netd_link *l);
uint32_t netd_export(struct netd_link *l, port_t port);
int netd_needed(port_t name);

#endif
