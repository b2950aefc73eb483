/* Reference for BenchReactor: the same loopback ping-pong and bulk transfer in plain C (an epoll echo
   thread and a blocking client), to show what this machine allows. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int listener;
static int bulk_mode;
static long bulk_total = 2L * 1024 * 1024 * 1024;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void *server(void *arg) {
    (void)arg;
    int conn = accept(listener, NULL, NULL);
    int one = 1;
    setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    static char buffer[262144];
    if (bulk_mode) {
        long left = bulk_total;
        while (left > 0) { ssize_t n = write(conn, buffer, left < (long)sizeof buffer ? left : (long)sizeof buffer); if (n <= 0) break; left -= n; }
        close(conn);
        return NULL;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = conn};
    epoll_ctl(ep, EPOLL_CTL_ADD, conn, &ev);
    for (;;) {
        struct epoll_event out[8];
        int n = epoll_wait(ep, out, 8, -1);
        for (int i = 0; i < n; i++) {
            ssize_t r = read(conn, buffer, sizeof buffer);
            if (r <= 0) { close(conn); close(ep); return NULL; }
            write(conn, buffer, r);
        }
    }
}

static int connect_client(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    connect(fd, (struct sockaddr *)&address, sizeof address);
    return fd;
}

static int start_listener(void) {
    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    bind(listener, (struct sockaddr *)&address, sizeof address);
    listen(listener, 16);
    socklen_t length = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &length);
    return ntohs(address.sin_port);
}

int main(void) {
    const int rounds = 100000;
    int port = start_listener();
    pthread_t thread;
    pthread_create(&thread, NULL, server, NULL);
    int fd = connect_client(port);
    char message[64], reply[64];
    memset(message, 'a', sizeof message);
    double start = now();
    for (int i = 0; i < rounds; i++) {
        write(fd, message, sizeof message);
        size_t got = 0;
        while (got < sizeof reply) { ssize_t r = read(fd, reply + got, sizeof reply - got); if (r <= 0) return 1; got += r; }
    }
    double seconds = now() - start;
    printf("C reference echo ping-pong 64 B: %d round trips/s, %.2f µs each\n", (int)(rounds / seconds), seconds * 1e6 / rounds);
    close(fd);
    pthread_join(thread, NULL);

    bulk_mode = 1;
    pthread_create(&thread, NULL, server, NULL);
    fd = connect_client(port);
    static char sink[262144];
    long received = 0;
    start = now();
    for (;;) { ssize_t r = read(fd, sink, sizeof sink); if (r <= 0) break; received += r; }
    seconds = now() - start;
    printf("C reference bulk throughput, one socket: %d MB/s (%ld bytes)\n", (int)(received / seconds / 1e6), received);
    pthread_join(thread, NULL);
    return 0;
}
