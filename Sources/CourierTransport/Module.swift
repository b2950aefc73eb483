// Connection drivers binding the sans-I/O codecs and TLS engine to reactor sockets.
import CourierCore
import CourierReactor
import CourierTLS
import CourierHTTP1
import CourierHTTP2
