// An in-process HTTP/1.1 and HTTP/2 server with fault injection, for tests of Courier and its users.
import CourierCore
import CourierTransport
