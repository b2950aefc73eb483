// HPACK header compression for HTTP/2 (RFC 7541): sans-I/O encoder and decoder.
import CourierCore
