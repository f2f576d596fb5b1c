/* lacctl: talks to lac-core's control socket.
 *
 *   lacctl [-s SOCKET] show sessions|tunnels|counters
 *   lacctl [-s SOCKET] disconnect SESSION_ID
 *
 * Exit status: 0 when the daemon answered "ok", 1 on "error:", 2 on usage,
 * 3 when the daemon cannot be reached. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: lacctl [-s SOCKET] COMMAND...\n"
		"  show sessions          subscriber sessions (state, user, LNS, tunnel/session ids)\n"
		"  show tunnels           L2TP tunnels\n"
		"  show counters          daemon counters\n"
		"  drain | undrain        refuse new calls (live sessions stay) | take them again\n"
		"  disconnect ID          tear down one subscriber session\n"
		"SOCKET defaults to $LAC_CTL or /run/realm-lns/lac.sock\n");
}

int main(int argc, char **argv)
{
	const char *path = getenv("LAC_CTL") ? getenv("LAC_CTL") : "/run/realm-lns/lac.sock";
	int i = 1;
	if (i < argc && strcmp(argv[i], "-s") == 0) {
		if (i + 1 >= argc) {
			usage(stderr);
			return 2;
		}
		path = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}

	char cmd[1024];
	size_t len = 0;
	for (; i < argc; i++) {
		int n = snprintf(cmd + len, sizeof(cmd) - len, "%s%s", len ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(cmd) - len - 1) {
			fprintf(stderr, "lacctl: command too long\n");
			return 2;
		}
		len += (size_t)n;
	}
	cmd[len++] = '\n';

	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "lacctl: socket path too long: %s\n", path);
		return 2;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "lacctl: cannot reach lac-core at %s: %s\n", path, strerror(errno));
		return 3;
	}
	if (write(fd, cmd, len) != (ssize_t)len) {
		fprintf(stderr, "lacctl: write failed: %s\n", strerror(errno));
		return 3;
	}
	char buf[4096];
	int first = 1, status = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	for (;;) {
		int r = poll(&pfd, 1, 5000);
		if (r == 0) {
			fprintf(stderr, "lacctl: no answer from lac-core within 5 s\n");
			return 3;
		}
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (first) {
			status = strncmp(buf, "ok", 2) == 0 ? 0 : 1;
			first = 0;
		}
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	if (first) {
		fprintf(stderr, "lacctl: empty answer from lac-core\n");
		return 3;
	}
	return status;
}
