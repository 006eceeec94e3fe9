/* nodelay-shim.c -- LD_PRELOAD shim for the imap bench: every connect() of a TCP
 * socket sets TCP_NODELAY on it first.
 *
 * Why: UW c-client (mailutil) never sets TCP_NODELAY.  Its APPEND waits for the
 * server's "+" before each literal, so Nagle's algorithm holds each small write back
 * until the previous one is acknowledged, and the peer's delayed ACK makes that about
 * 40 ms a message (DESIGN.md: 23 msgs/s stock, 1,190 with TCP_NODELAY forced).  The
 * bench compares against the tool at its best.
 *
 * Built by bench/imap_bench.py:  cc -shared -fPIC -O2 -o nodelay-shim.so nodelay-shim.c -ldl
 * With M2C_NODELAY_SHIM_LOG=FILE set, each socket it touched is logged there (one line
 * "nodelay fd N: 0" or ": errno"), so that the bench can check the shim was loaded.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

static void
log_socket(int fd, int result)
{
	const char *path = getenv("M2C_NODELAY_SHIM_LOG");
	char line[64];
	int log_fd, len;

	if (path == NULL)
		return;
	log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (log_fd < 0)
		return;
	len = snprintf(line, sizeof line, "nodelay fd %d: %d\n", fd, result);
	if (write(log_fd, line, (size_t)len) < 0) {
		/* nothing to do: the bench sees the line missing */
	}
	close(log_fd);
}

int
connect(int fd, const struct sockaddr *addr, socklen_t addr_len)
{
	static connect_fn real_connect;
	int saved_errno = errno;
	int type = 0;
	socklen_t type_len = sizeof type;

	if (real_connect == NULL)
		real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
	if (addr != NULL && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) &&
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) == 0 && type == SOCK_STREAM) {
		int on = 1;
		int rc = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);

		log_socket(fd, rc == 0 ? 0 : errno);
	}
	errno = saved_errno;
	return real_connect(fd, addr, addr_len);
}
