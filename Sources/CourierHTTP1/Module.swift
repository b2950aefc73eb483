// HTTP/1.1 message codec (RFC 9110, RFC 9112): sans-I/O parser and serializer for both roles.
import CourierCore
