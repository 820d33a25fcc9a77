/*
 * netd's wire (docs/netd.md "Frames" and "Authentication"): every frame
 * is an 8-byte header (u32 payload length, big-endian; u8 version; u8
 * type; u16 zero) and at most NETD_FRAME_MAX payload bytes.  Anything
 * else ends the link.  Peers prove they hold the shared secret with an
 * HMAC-SHA256 challenge-response over both nonces and the sender's name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <nettle/hmac.h>
#include "netd.h"

void netd_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t netd_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Read exactly len bytes; 0 on success, -1 on error, EOF or timeout. */
int netd_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Send one frame whose payload is a then b (either may be empty) on link
 * l.  Returns 0, or -1 if the link is down or the write failed (the
 * reader then sees the link end).  Blocks until the kernel's socket
 * buffer takes the bytes.
 */
int netd_frame_send(struct netd_link *l, int type, const void *a,
		    size_t alen, const void *b, size_t blen)
{
	uint8_t h[8] = { 0 };
	int rc = -1;

	if (alen + blen > NETD_FRAME_MAX)
		return -1;
	netd_put32(h, (uint32_t)(alen + blen));
	h[4] = NETD_WIRE_VERSION;
	h[5] = (uint8_t)type;
	pthread_mutex_lock(&l->wlock);
	if (l->fd >= 0 && write_full(l->fd, h, sizeof h) == 0 &&
	    write_full(l->fd, a, alen) == 0 && write_full(l->fd, b, blen) == 0)
		rc = 0;
	else if (l->fd >= 0)
		shutdown(l->fd, SHUT_RDWR);	/* the reader ends the link */
	pthread_mutex_unlock(&l->wlock);
	return rc;
}

/*
 * Read one frame from fd.  Returns its payload (malloc'd, owned by the
 * caller; never NULL on success, even when empty) with its type and
 * length, or NULL on EOF, error, a bad version, an unknown type or a
 * length over NETD_FRAME_MAX.
 */
uint8_t *netd_frame_recv(int fd, int *out_type, uint32_t *out_len)
{
	uint8_t h[8];

	if (netd_read_full(fd, h, sizeof h) != 0)
		return NULL;
	uint32_t len = netd_get32(h);
	if (h[4] != NETD_WIRE_VERSION || h[5] < NETD_HELLO ||
	    h[5] > NETD_FRAME_LAST || h[6] != 0 || h[7] != 0 ||
	    len > NETD_FRAME_MAX)
		return NULL;
	uint8_t *p = malloc(len ? len : 1);
	if (p == NULL || netd_read_full(fd, p, len) != 0) {
		free(p);
		return NULL;
	}
	*out_type = h[5];
	*out_len = len;
	return p;
}

/* HMAC-SHA256(secret, "umach-netd 1" | to_nonce | from_nonce | from_name). */
static void mac(const uint8_t *to_nonce, const uint8_t *from_nonce,
		const char *from_name, uint8_t *out)
{
	struct hmac_sha256_ctx c;
	static const char tag[] = "umach-netd 1";

	hmac_sha256_set_key(&c, netd.secret_len, netd.secret);
	hmac_sha256_update(&c, sizeof tag - 1, (const uint8_t *)tag);
	hmac_sha256_update(&c, NETD_NONCE_BYTES, to_nonce);
	hmac_sha256_update(&c, NETD_NONCE_BYTES, from_nonce);
	hmac_sha256_update(&c, NETD_NAME_MAX, (const uint8_t *)from_name);
	hmac_sha256_digest(&c, NETD_MAC_BYTES, out);
}

static int expect_frame(int fd, int type, uint8_t *buf, uint32_t len)
{
	int t;
	uint32_t n;
	uint8_t *p = netd_frame_recv(fd, &t, &n);
	int ok = p != NULL && t == type && n == len;

	if (ok)
		memcpy(buf, p, len);
	free(p);
	return ok ? 0 : -1;
}

static int send_raw(int fd, int type, const void *p, size_t len)
{
	struct netd_link tmp = { .fd = fd };
	int rc;

	pthread_mutex_init(&tmp.wlock, NULL);
	rc = netd_frame_send(&tmp, type, p, len, NULL, 0);
	pthread_mutex_destroy(&tmp.wlock);
	return rc;
}

/*
 * Both ends send HELLO (a fresh nonce and their name), then AUTH (the MAC
 * of mac() with the other's nonce).  A peer that names itself as we are,
 * names itself badly, or whose MAC is wrong, fails.  expect, if not NULL,
 * is the name the peer must give.  Returns 0 with the peer's name in
 * out_host, or -1.  Blocks up to NETD_TIMEOUT_MS per read.
 */
int netd_handshake(int fd, const char *expect, char *out_host)
{
	uint8_t mine[NETD_NONCE_BYTES + NETD_NAME_MAX] = { 0 };
	uint8_t theirs[sizeof mine], want[NETD_MAC_BYTES], got[NETD_MAC_BYTES];
	char name[NETD_NAME_MAX];
	struct timeval tv = { NETD_TIMEOUT_MS / 1000, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (getrandom(mine, NETD_NONCE_BYTES, 0) != NETD_NONCE_BYTES)
		return -1;
	memcpy(mine + NETD_NONCE_BYTES, netd.name, NETD_NAME_MAX);
	if (send_raw(fd, NETD_HELLO, mine, sizeof mine) != 0 ||
	    expect_frame(fd, NETD_HELLO, theirs, sizeof theirs) != 0)
		return -1;
	memcpy(name, theirs + NETD_NONCE_BYTES, NETD_NAME_MAX);
	if (memchr(name, '\0', sizeof name) == NULL || name[0] == '\0' ||
	    strcmp(name, netd.name) == 0 ||
	    (expect != NULL && strcmp(name, expect) != 0))
		return -1;
	mac(theirs, mine, netd.name, want);
	if (send_raw(fd, NETD_AUTH, want, sizeof want) != 0 ||
	    expect_frame(fd, NETD_AUTH, got, sizeof got) != 0)
		return -1;
	mac(mine, theirs, name, want);
	uint8_t diff = 0;
	for (int i = 0; i < NETD_MAC_BYTES; i++)	/* constant time */
		diff |= (uint8_t)(want[i] ^ got[i]);
	if (diff != 0)
		return -1;
	tv.tv_sec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	memcpy(out_host, name, NETD_NAME_MAX);
	return 0;
}

/*
 * Load the shared secret from path: a regular file of NETD_SECRET_MIN to
 * NETD_SECRET_MAX bytes that only its owner may read or write.  Returns 0,
 * or -1 after saying why on stderr.
 */
int netd_read_secret(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "umach-netd: %s: cannot open\n", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		fprintf(stderr, "umach-netd: %s: error: must be a regular file "
			"that only its owner can read (chmod 600)\n", path);
		close(fd);
		return -1;
	}
	n = read(fd, netd.secret, sizeof netd.secret);
	close(fd);
	if (n < NETD_SECRET_MIN || st.st_size > NETD_SECRET_MAX) {
		fprintf(stderr, "umach-netd: %s: error: the secret must be %d "
			"to %d bytes\n", path, NETD_SECRET_MIN, NETD_SECRET_MAX);
		return -1;
	}
	netd.secret_len = (size_t)n;
	return 0;
}
