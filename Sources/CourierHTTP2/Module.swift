// HTTP/2 framing and connection state machine (RFC 9113): sans-I/O, both roles.
import CourierCore
import CourierHPACK
