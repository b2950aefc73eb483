#define _GNU_SOURCE
#include "CCourierSystem.h"
#include <string.h>

int courier_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int courier_set_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD, 0);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

int courier_affinity_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}

void courier_set_thread_name(const char *name) {
    char buf[16];
    strncpy(buf, name, sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = 0;
    pthread_setname_np(pthread_self(), buf);
}

int courier_errno(void) { return errno; }

static _Thread_local void *courier_current_loop_ptr = NULL;

void *courier_current_loop(void) { return courier_current_loop_ptr; }

void courier_set_current_loop(void *loop) { courier_current_loop_ptr = loop; }

int courier_thread_create(pthread_t *thread, size_t stack_size, void *(*body)(void *), void *context) {
    pthread_attr_t attributes;
    int status = pthread_attr_init(&attributes);
    if (status != 0) return status;
    if (stack_size > 0) pthread_attr_setstacksize(&attributes, stack_size);
    status = pthread_create(thread, &attributes, body, context);
    pthread_attr_destroy(&attributes);
    return status;
}

int courier_accept(int fd, struct sockaddr *address, socklen_t *length) {
    return accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
