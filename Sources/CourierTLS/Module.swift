// TLS through the system OpenSSL over memory BIOs: a sans-I/O engine plus configuration values.
import CourierCore
import COpenSSL
import CCourierOpenSSLShims
