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
/// Address of errno for the calling thread.
int courier_errno(void);

#endif
