import CourierCore
import CourierReactor
import CourierTLS
import CourierHTTP1
import CourierHTTP2

extension TestServer {
    /// How a `TestServer` listens, speaks and records. The defaults give a cleartext HTTP/1.1 server on
    /// 127.0.0.1 with a free port, the built-in routes, and recording on.
    public struct Configuration: Sendable {
        /// Where the server listens.
        public enum BindTarget: Sendable, Hashable {
            /// 127.0.0.1, a free port.
            case loopbackIPv4
            /// ::1, a free port.
            case loopbackIPv6
            /// A Unix domain socket at this path (an existing file there is replaced).
            case unixSocket(path: String)
            /// Any address (port 0 picks a free port).
            case address(SocketAddress)
        }

        /// When the server answers `Expect: 100-continue`.
        public enum ContinueBehavior: Sendable, Hashable {
            /// When the handler starts reading the body (a handler that answers without reading sends none).
            case whenBodyIsRead
            /// As soon as the head arrives.
            case immediately
            /// Never: the client has to give up waiting and send the body anyway.
            case never
        }

        /// Where the server listens. Default: 127.0.0.1 with a free port.
        public var bindTarget: BindTarget = .loopbackIPv4
        /// TLS settings; nil serves cleartext. Default: nil.
        public var tls: TLS?
        /// The loops to run on; nil starts a group of `loopCount` loops owned (and shut down) by the server.
        public var eventLoopGroup: EventLoopGroup?
        /// The number of loops of the server's own group. Default: 2.
        public var loopCount = 2
        /// Whether the built-in routes (`/echo`, `/bytes/N`, `/status/N`, ...) are served. Default: on.
        public var builtinRoutes = true
        /// Close keep-alive connections idle for this long, silently (as servers do). Default: never.
        public var idleTimeout: Duration?
        /// Close each connection after this many requests. Default: no limit.
        public var maximumRequestsPerConnection: Int?
        /// Whether the last response before a limit-driven close says `Connection: close` (true), or the
        /// connection just closes after it so the client finds it stale (false). Default: true.
        public var announcesConnectionClose = true
        /// When `Expect: 100-continue` is answered. Default: when the handler reads the body.
        public var continueBehavior: ContinueBehavior = .whenBodyIsRead
        /// Whether HTTP/2 is served: over TLS when the client picks `h2` with ALPN, over cleartext when it
        /// starts with the HTTP/2 preface (prior knowledge). Default: on.
        public var servesHTTP2 = true
        /// HTTP/2 settings, windows and defences (e.g. `maxConcurrentStreams`, 100 by default).
        public var http2 = HTTP2Configuration()
        /// Limits for parsing HTTP/1.1 requests (line lengths, header count and size). Default: the parser's.
        public var requestLimits = HTTP1Limits()
        /// Request body bytes buffered for a handler before the server stops reading. Default: 256 KiB.
        public var requestBodyBufferSize = 256 * 1024
        /// The most recent requests kept by the recorder. Default: 10,000.
        public var recordingCapacity = 10_000
        /// Body bytes kept per recorded request. Default: 1 MiB.
        public var recordedBodyLimit = 1 << 20
        /// Largest streamed response body collected for an HTTP/1.0 client (which cannot take chunked).
        /// Default: 64 MiB.
        public var http10BodyCollectionLimit = 64 << 20

        /// The defaults: cleartext on 127.0.0.1, free port.
        public init() {}

        /// The defaults with TLS (a generated CA and localhost certificate unless `tls` says otherwise).
        public static func tls(_ tls: TLS = TLS()) -> Configuration {
            var configuration = Configuration()
            configuration.tls = tls
            return configuration
        }
    }

    /// TLS settings of a test server.
    public struct TLS: Sendable {
        /// The CA that issues the server certificate; nil generates a throwaway one. Clients trust it through
        /// `TestServer.trustRoots`.
        public var certificateAuthority: TLSCertificateAuthority?
        /// The certificate to present; nil issues one for `localhost`, 127.0.0.1 and ::1 from the CA.
        public var certificate: TLSCertificateKeyPair?
        /// The oldest version accepted. Default: TLS 1.2.
        public var minimumVersion: TLSVersion = .tls12
        /// The newest version accepted. Default: TLS 1.3.
        public var maximumVersion: TLSVersion = .tls13
        /// ALPN protocols offered, in preference order; nil offers what the server speaks (`h2` when
        /// `servesHTTP2`, then `http/1.1`).
        public var applicationProtocols: [String]?
        /// Refuse clients whose ALPN offer has nothing in common. Default: off.
        public var requireApplicationProtocolMatch = false
        /// Whether client certificates are requested. Default: no.
        public var clientAuthentication: TLSClientAuthentication = .none
        /// Whether sessions can be resumed. Default: on.
        public var sessionResumption = true
        /// Handshakes not finished within this time fail. Default: 10 s.
        public var handshakeTimeout: Duration = .seconds(10)

        /// The defaults: generated CA and localhost certificate.
        public init() {}
    }
}
