/*
 * umach-netd, the network message server (docs/netd.md): a task that
 * links this kernel to netds on other hosts over TCP, as Mach's
 * netmsgserver did.  It checks its service port in with the name server
 * as "umach-netd"; netnamed forwards look-ups for other hosts to it, and
 * it answers them with proxies (proxy.c).  Threads: the service loop
 * (look-ups, main()), the proxy loop (forwarding), the notification loop,
 * the listener, and one reader per link (wire.c frames in, proxy.c acts).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <mach.h>
#include <mach/mig_errors.h>
#include <servers/netname.h>
#include "netnameServer.h"
#include "netd.h"

struct netd netd = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static const char usage[] =
	"usage: umach-netd [--name NAME] [--listen ADDR:PORT]\n"
	"                  [--peer HOST=ADDR:PORT ...] --secret FILE\n";

/* "ADDR:PORT" into addr and port; 0, or -1 if malformed. */
static int parse_addr(const char *s, char *addr, size_t len, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	struct in_addr a;
	char *end;

	if (colon == NULL || (size_t)(colon - s) >= len)
		return -1;
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	long p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || p < 1 || p > 65535 ||
	    inet_pton(AF_INET, addr, &a) != 1)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static int tcp_socket(const char *addr, uint16_t port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	inet_pton(AF_INET, addr, &sa->sin_addr);
	return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

/* ---- links ---- */

static void *reader(void *arg);

static int handle(struct netd_link *l, int type, const uint8_t *p,
		  uint32_t len);

/* Make an authenticated fd the link to host and start its reader.
 * Returns the link, or NULL (fd closed) if host already has one or no
 * slot is free. */
static struct netd_link *link_add(int fd, const char *host)
{
	struct netd_link *l = NULL;
	pthread_t t;
	int one = 1;
	struct timeval tv = { NETD_TIMEOUT_MS / 1000, 0 };

	/* A peer that stops reading for that long loses the link: a send
	 * never blocks us for good. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	pthread_mutex_lock(&netd.lock);
	for (int i = 0; i < NETD_LINKS_MAX; i++)
		if (netd.links[i].used &&
		    strcmp(netd.links[i].host, host) == 0)
			goto fail;
	for (int i = 0; i < NETD_LINKS_MAX && l == NULL; i++)
		if (!netd.links[i].used)
			l = &netd.links[i];
	if (l == NULL)
		goto fail;
	l->used = 1;
	l->up = 1;
	memcpy(l->host, host, NETD_NAME_MAX);
	pthread_mutex_lock(&l->wlock);
	l->fd = fd;
	pthread_mutex_unlock(&l->wlock);
	if (pthread_create(&t, NULL, reader, l) != 0) {
		l->used = l->up = 0;
		l->fd = -1;
		goto fail;
	}
	pthread_detach(t);
	pthread_mutex_unlock(&netd.lock);
	return l;
fail:
	pthread_mutex_unlock(&netd.lock);
	close(fd);
	return NULL;
}

/* Read and act on frames until the link ends, then tear it down. */
static void *reader(void *arg)
{
	struct netd_link *l = arg;
	uint8_t *p;
	uint32_t len;
	int type;

	while ((p = netd_frame_recv(l->fd, &type, &len)) != NULL) {
		int bad = handle(l, type, p, len);
		free(p);
		if (bad)
			break;
	}
	pthread_mutex_lock(&netd.lock);
	l->up = 0;
	pthread_mutex_unlock(&netd.lock);
	netd_link_lost(l);
	pthread_mutex_lock(&l->wlock);
	close(l->fd);
	l->fd = -1;
	pthread_mutex_unlock(&l->wlock);
	pthread_mutex_lock(&netd.lock);
	l->used = 0;
	pthread_mutex_unlock(&netd.lock);
	fprintf(stderr, "umach-netd: %s: link lost\n", l->host);
	return NULL;
}

/* A peer asks for name: look it up here and export what we find. */
static void serve_lookup(struct netd_link *l, const uint8_t *p)
{
	char name[80];
	port_t port = PORT_NULL;
	uint8_t out[12];
	uint32_t id = 0;

	memcpy(name, p + 4, sizeof name);
	kern_return_t r = netname_look_up(name_server_port, "", name, &port);
	if (r == KERN_SUCCESS) {
		pthread_mutex_lock(&netd.lock);
		id = netd_export(l, port);
		pthread_mutex_unlock(&netd.lock);
		if (id == 0)
			r = KERN_RESOURCE_SHORTAGE;
	}
	memcpy(out, p, 4);
	netd_put32(out + 4, (uint32_t)r);
	netd_put32(out + 8, id);
	netd_frame_send(l, NETD_LOOKUP_REPLY, out, sizeof out, NULL, 0);
}

static void lookup_answered(struct netd_link *l, const uint8_t *p)
{
	uint32_t seq = netd_get32(p);

	pthread_mutex_lock(&netd.lock);
	for (int i = 0; i < NETD_LOOKUPS_MAX; i++) {
		struct netd_lookup *q = &netd.lookups[i];
		if (q->seq == seq && q->link == l && !q->done) {
			q->done = 1;
			q->status = (int32_t)netd_get32(p + 4);
			q->id = netd_get32(p + 8);
		}
	}
	pthread_cond_broadcast(&netd.cond);
	pthread_mutex_unlock(&netd.lock);
}

/* Act on one frame; returns nonzero if it is malformed (the link ends). */
static int handle(struct netd_link *l, int type, const uint8_t *p,
		  uint32_t len)
{
	switch (type) {
	case NETD_LOOKUP:
		if (len != 84 || memchr(p + 4, '\0', 80) == NULL)
			return 1;
		serve_lookup(l, p);
		return 0;
	case NETD_LOOKUP_REPLY:
		if (len != 12)
			return 1;
		lookup_answered(l, p);
		return 0;
	case NETD_MSG:
		netd_deliver(l, p, len);	/* shuts a bad link down */
		return 0;
	case NETD_DEAD:
		if (len != 4)
			return 1;
		netd_dead(l, netd_get32(p));
		return 0;
	case NETD_FAIL:
		if (len != 8)
			return 1;
		netd_fail(l, netd_get32(p), (int)netd_get32(p + 4));
		return 0;
	default:			/* HELLO and AUTH only in the handshake */
		return 1;
	}
}

static void *accept_one(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char host[NETD_NAME_MAX];

	if (netd_handshake(fd, NULL, host) != 0) {
		fprintf(stderr, "umach-netd: a peer failed authentication\n");
		close(fd);
		return NULL;
	}
	link_add(fd, host);
	return NULL;
}

static void *listener(void *arg)
{
	int s = (int)(intptr_t)arg;
	pthread_t t;

	for (;;) {
		int fd = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE)
				continue;
			return NULL;
		}
		if (pthread_create(&t, NULL, accept_one,
				   (void *)(intptr_t)fd) != 0) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}

/* The up link to host, dialling a configured peer if there is none. */
static struct netd_link *link_to(const char *host)
{
	struct sockaddr_in sa;
	struct timeval tv = { NETD_TIMEOUT_MS / 1000, 0 };
	char got[NETD_NAME_MAX];

	pthread_mutex_lock(&netd.lock);
	for (int i = 0; i < NETD_LINKS_MAX; i++)
		if (netd.links[i].up && strcmp(netd.links[i].host, host) == 0) {
			pthread_mutex_unlock(&netd.lock);
			return &netd.links[i];
		}
	pthread_mutex_unlock(&netd.lock);
	for (int i = 0; i < netd.npeers; i++) {
		struct netd_peer *pe = &netd.peers[i];
		if (strcmp(pe->host, host) != 0)
			continue;
		int fd = tcp_socket(pe->addr, pe->port, &sa);
		if (fd < 0)
			return NULL;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
		    netd_handshake(fd, host, got) != 0) {
			close(fd);
			return NULL;
		}
		return link_add(fd, got);
	}
	return NULL;
}

/* ---- the service: netname.defs, as netnamed forwards it ---- */

/* Wait for look-up slot q, NETD_TIMEOUT_MS at most; netd.lock held. */
static void wait_answer(struct netd_lookup *q)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += NETD_TIMEOUT_MS / 1000;
	while (!q->done &&
	       pthread_cond_timedwait(&netd.cond, &netd.lock, &until) == 0)
		;
}

static struct netd_lookup *lookup_slot(struct netd_link *l)
{
	for (int i = 0; i < NETD_LOOKUPS_MAX; i++)
		if (netd.lookups[i].seq == 0) {
			if (++netd.next_seq == 0)
				netd.next_seq = 1;
			netd.lookups[i] = (struct netd_lookup){
				.seq = netd.next_seq, .link = l };
			return &netd.lookups[i];
		}
	return NULL;
}

/*
 * A look-up on another host: ask that host's netd and answer with our
 * proxy for what it found.  NETNAME_NO_SUCH_HOST if host is not a peer or
 * cannot be reached, KERN_FAILURE if it does not answer in time,
 * KERN_RESOURCE_SHORTAGE if our tables are full, else the remote name
 * server's answer.
 */
kern_return_t _netname_look_up(port_t server_port, char *host_name,
			       char *port_name, port_t *port_id)
{
	uint8_t req[84] = { 0 };
	kern_return_t r;

	(void)server_port;
	host_name[sizeof(netname_name_t) - 1] = '\0';
	struct netd_link *l = link_to(host_name);
	if (l == NULL)
		return NETNAME_NO_SUCH_HOST;
	strncpy((char *)req + 4, port_name, 79);
	pthread_mutex_lock(&netd.lock);
	struct netd_lookup *q = lookup_slot(l);
	if (q == NULL) {
		pthread_mutex_unlock(&netd.lock);
		return KERN_RESOURCE_SHORTAGE;
	}
	netd_put32(req, q->seq);
	pthread_mutex_unlock(&netd.lock);
	netd_frame_send(l, NETD_LOOKUP, req, sizeof req, NULL, 0);
	pthread_mutex_lock(&netd.lock);
	wait_answer(q);
	r = !q->done ? KERN_FAILURE : q->status;
	if (r == KERN_SUCCESS) {
		*port_id = l->up ? netd_proxy_get(l, q->id) : PORT_NULL;
		if (*port_id == PORT_NULL)
			r = KERN_RESOURCE_SHORTAGE;
	}
	memset(q, 0, sizeof *q);
	pthread_mutex_unlock(&netd.lock);
	return r;
}

kern_return_t _netname_check_in(port_t server_port, char *port_name,
				port_t signature, port_t port_id)
{
	(void)server_port, (void)port_name, (void)signature, (void)port_id;
	return KERN_FAILURE;		/* names are checked in locally */
}

kern_return_t _netname_check_out(port_t server_port, char *port_name,
				 port_t signature)
{
	(void)server_port, (void)port_name, (void)signature;
	return KERN_FAILURE;
}

kern_return_t _netname_version(port_t server_port, char *version)
{
	(void)server_port;
	snprintf(version, sizeof(netname_name_t), "umach netd %d",
		 NETD_WIRE_VERSION);
	return KERN_SUCCESS;
}

/* A failed request's rights are freed by the demux, except ours. */
int umig_keep_right(port_t name)
{
	return netd_needed(name);
}

union msg_buf {
	msg_header_t h;
	death_pill_t pill;
	char raw[MSG_SIZE_MAX];
};

/* Forward whatever arrives on a proxy; exit when our kernel is gone. */
static void *proxy_loop(void *arg)
{
	union msg_buf *in = malloc(sizeof *in);

	(void)arg;
	if (in == NULL)
		exit(1);
	for (;;) {
		in->h.msg_size = sizeof *in;
		in->h.msg_local_port = netd.set;
		msg_return_t r = msg_receive(&in->h, MSG_OPTION_NONE, 0);
		if (r == RCV_INVALID_PORT)
			exit(0);
		if (r == RCV_SUCCESS)
			netd_forward(&in->h);
	}
}

static void *notify_loop(void *arg)
{
	notification_t n;

	(void)arg;
	for (;;) {
		n.notify_header.msg_size = sizeof n;
		n.notify_header.msg_local_port = task_notify();
		msg_return_t r = msg_receive(&n.notify_header, MSG_OPTION_NONE, 0);
		if (r == RCV_INVALID_PORT)
			exit(0);
		if (r == RCV_SUCCESS &&
		    n.notify_header.msg_id == NOTIFY_PORT_DELETED)
			netd_port_deleted(n.notify_port);
	}
}

static int parse_peer(const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct netd_peer *pe = &netd.peers[netd.npeers];

	if (netd.npeers == NETD_LINKS_MAX || eq == NULL || eq == arg ||
	    (size_t)(eq - arg) >= NETD_NAME_MAX)
		return -1;
	memcpy(pe->host, arg, (size_t)(eq - arg));
	if (parse_addr(eq + 1, pe->addr, sizeof pe->addr, &pe->port) != 0)
		return -1;
	netd.npeers++;
	return 0;
}

/* Parse argv; returns 0, 1 (error, said) or 2 (usage). */
static int parse_args(int argc, char **argv, int *listen_fd)
{
	const char *secret = NULL;
	struct sockaddr_in sa;
	char addr[64];
	uint16_t port;
	int one = 1;

	*listen_fd = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			return 2;
		i++;
		if (strcmp(a, "--secret") == 0) {
			secret = v;
		} else if (strcmp(a, "--name") == 0) {
			if (v[0] == '\0' || strlen(v) >= NETD_NAME_MAX)
				return 2;
			snprintf(netd.name, sizeof netd.name, "%s", v);
		} else if (strcmp(a, "--peer") == 0) {
			if (parse_peer(v) != 0)
				return 2;
		} else if (strcmp(a, "--listen") == 0 && *listen_fd < 0) {
			if (parse_addr(v, addr, sizeof addr, &port) != 0)
				return 2;
			*listen_fd = tcp_socket(addr, port, &sa);
			setsockopt(*listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
				   sizeof one);
			if (bind(*listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
			    listen(*listen_fd, 16) != 0) {
				fprintf(stderr, "umach-netd: error: cannot listen "
					"on %s: %s\n", v, strerror(errno));
				return 1;
			}
		} else {
			return 2;
		}
	}
	if (secret == NULL)
		return 2;
	if (netd.name[0] == '\0' &&
	    gethostname(netd.name, sizeof netd.name - 1) != 0)
		return 1;
	return netd_read_secret(secret) == 0 ? 0 : 1;
}

/* Start the loops and check our service port in as NETD_SERVICE_NAME. */
static int start(int listen_fd)
{
	pthread_t t;

	for (int i = 0; i < NETD_LINKS_MAX; i++) {
		pthread_mutex_init(&netd.links[i].wlock, NULL);
		netd.links[i].fd = -1;
	}
	if (port_allocate(task_self(), &netd.service) != KERN_SUCCESS ||
	    port_set_allocate(task_self(), &netd.set) != KERN_SUCCESS)
		return -1;
	if (pthread_create(&t, NULL, proxy_loop, NULL) != 0 ||
	    pthread_create(&t, NULL, notify_loop, NULL) != 0 ||
	    (listen_fd >= 0 && pthread_create(&t, NULL, listener,
					      (void *)(intptr_t)listen_fd)))
		return -1;
	return netname_check_in(name_server_port, NETD_SERVICE_NAME,
				netd.service, netd.service) == KERN_SUCCESS ?
	       0 : -1;
}

int main(int argc, char **argv)
{
	static union msg_buf in, out;
	int listen_fd;

	int rc = parse_args(argc, argv, &listen_fd);
	if (rc != 0) {
		if (rc == 2)
			fputs(usage, stderr);
		return rc;
	}
	if (mach_init() != KERN_SUCCESS || name_server_port == PORT_NULL) {
		fprintf(stderr, "umach-netd: error: no kernel (is umachd "
			"running? see $UMACH_SOCKET)\n");
		return 1;
	}
	if (start(listen_fd) != 0) {
		fprintf(stderr, "umach-netd: error: cannot start (is another "
			"netd checked in?)\n");
		return 1;
	}
	for (;;) {
		in.h.msg_size = sizeof in;
		in.h.msg_local_port = netd.service;
		msg_return_t r = msg_receive(&in.h, MSG_OPTION_NONE, 0);
		if (r == RCV_INVALID_PORT)
			return 0;
		if (r != RCV_SUCCESS)
			continue;
		netname_server(&in.h, &out.h);
		if (out.pill.RetCode != MIG_NO_REPLY &&
		    out.h.msg_remote_port != PORT_NULL)
			msg_send(&out.h, SEND_TIMEOUT, 0);
	}
}
