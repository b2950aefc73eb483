// The event loop: epoll, non-blocking sockets, timers and DNS. Only this module touches epoll.
import CourierCore
import CCourierSystem
