// Linux system interfaces that Glibc's Swift overlay does not expose: epoll, eventfd, timerfd,
// plus small wrappers for variadic or macro-only calls. Only CourierReactor imports this module.
#ifndef C_COURIER_SYSTEM_H
#define C_COURIER_SYSTEM_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <fcntl.h>
#include <errno.h>
#include <unistd.h>
#include <pthread.h>
#include <sched.h>

/// fcntl(fd, F_GETFL/F_SETFL) is variadic; Swift cannot call it directly.
int courier_set_nonblocking(int fd);
/// Sets FD_CLOEXEC.
int courier_set_cloexec(int fd);
/// The number of CPUs this thread may run on (sched_getaffinity), or 0 when unknown.
int courier_affinity_cpu_count(void);
/// Names the calling thread (for debuggers and `top -H`).
void courier_set_thread_name(const char *name);
/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (accept4 needs _GNU_SOURCE, which the Swift importer lacks).
int courier_accept(int fd, struct sockaddr *address, socklen_t *length);
/// errno of the calling thread.
int courier_errno(void);
/// The event loop running on the calling thread (an opaque pointer), or NULL on other threads.
void *courier_current_loop(void);
/// Records the event loop running on the calling thread.
void courier_set_current_loop(void *loop);
/// Creates a pthread running `body(context)` with a stack of `stack_size` bytes; returns 0 or an errno.
int courier_thread_create(pthread_t *thread, size_t stack_size, void *(*body)(void *), void *context);

#endif
