import CourierTransport
#if canImport(Glibc)
import Glibc
#endif

extension HTTPClient {
    /// An HTTP forward proxy: where it is and the credentials it wants (Basic).
    public struct Proxy: Sendable, Hashable, CustomStringConvertible {
        /// Host name or IP literal.
        public var host: String
        /// Port.
        public var port: Int
        /// User name for `Proxy-Authorization: Basic` (nil: none).
        public var username: String?
        /// Password for `Proxy-Authorization: Basic`.
        public var password: String?

        /// A proxy at `host:port`.
        public init(host: String, port: Int, username: String? = nil, password: String? = nil) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
        }

        /// A proxy from a URL: `http://[user[:password]@]host[:port]` (port 1080 when absent, as in curl; a
        /// missing scheme means http; userinfo is percent-decoded). Other schemes (https, socks) are refused.
        public init(url text: String) throws(HTTPClientError) {
            var rest = Substring(text.trimmingSpacesAndControls)
            if let separator = rest.firstRange(of: "://") {
                let scheme = rest[..<separator.lowerBound].lowercased()
                guard scheme == "http" else {
                    throw HTTPClientError(.proxyFailed, "unsupported proxy scheme \(scheme) in \(Self.redacted(text)) (only http:// proxies)")
                }
                rest = rest[separator.upperBound...]
            }
            if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
            var username: String?, password: String?
            if let at = rest.lastIndex(of: "@") {
                let userinfo = rest[..<at]
                rest = rest[rest.index(after: at)...]
                let parts = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                username = PercentDecoding.decode(parts[0])
                password = parts.count > 1 ? PercentDecoding.decode(parts[1]) : ""
                guard username != nil, password != nil else {
                    throw HTTPClientError(.proxyFailed, "malformed credentials in the proxy URL \(Self.redacted(text))")
                }
            }
            let hostAndPort: (host: String, port: Int?)
            do {
                hostAndPort = try HTTPClient.splitAuthority(String(rest))
            } catch {
                throw HTTPClientError(.proxyFailed, "malformed proxy URL \(Self.redacted(text)): \(error.message)")
            }
            self.init(host: hostAndPort.host, port: hostAndPort.port ?? 1080, username: username, password: password)
        }

        /// The `Proxy-Authorization` value, when credentials are set.
        public var authorization: String? {
            guard let username else { return nil }
            return "Basic " + Base64.encode(Array("\(username):\(password ?? "")".utf8))
        }

        var endpoint: ProxyEndpoint { ProxyEndpoint(host: host, port: port, authorization: authorization) }

        public var description: String {
            let hostPart = host.contains(":") ? "[\(host)]" : host
            return "http://\(username == nil ? "" : "***@")\(hostPart):\(port)"
        }

        static func redacted(_ url: String) -> String {
            guard let at = url.lastIndex(of: "@") else { return url }
            let start = url.firstRange(of: "://")?.upperBound ?? url.startIndex
            return String(url[..<start]) + "***" + String(url[at...])
        }
    }

    /// Which proxy, if any, each request goes through. Off by default; `.environment` reads the usual
    /// variables when the client is created.
    public struct ProxyConfiguration: Sendable {
        enum Setting: Sendable {
            case proxy(Proxy)
            case invalid(String)
        }

        var http: Setting?
        var https: Setting?
        /// Hosts that bypass the proxy.
        public var noProxy: NoProxyRules
        var readsEnvironment = false
        var environmentOverride: [String: String]?

        /// No proxy: every connection is direct.
        public static var none: ProxyConfiguration { ProxyConfiguration(http: nil, https: nil, noProxy: NoProxyRules("")) }

        /// `proxy` for both http and https origins, except hosts matching `noProxy` (`NO_PROXY` syntax).
        public static func proxy(_ proxy: Proxy, noProxy: String = "") -> ProxyConfiguration {
            ProxyConfiguration(http: .proxy(proxy), https: .proxy(proxy), noProxy: NoProxyRules(noProxy))
        }

        /// Separate proxies for http and https origins (nil: direct).
        public static func proxies(http: Proxy?, https: Proxy?, noProxy: String = "") -> ProxyConfiguration {
            ProxyConfiguration(http: http.map { .proxy($0) }, https: https.map { .proxy($0) }, noProxy: NoProxyRules(noProxy))
        }

        /// The proxy of a URL (`http://user:pass@host:port`) for every origin.
        public static func url(_ url: String, noProxy: String = "") throws(HTTPClientError) -> ProxyConfiguration {
            proxy(try Proxy(url: url), noProxy: noProxy)
        }

        /// From the environment when the client is created, as curl and most HTTP libraries read it:
        /// `http_proxy` for http origins, `https_proxy`/`HTTPS_PROXY` for https ones, `all_proxy`/`ALL_PROXY`
        /// for either, and `no_proxy`/`NO_PROXY`; lowercase wins. `HTTP_PROXY` in capitals is read too,
        /// except in a CGI process (`REQUEST_METHOD` set), where a request's `Proxy:` header would set it
        /// ("httpoxy"). A value that is not a usable http:// proxy makes the requests it covers fail with
        /// `proxyFailed` instead of going direct.
        public static var environment: ProxyConfiguration {
            var configuration = ProxyConfiguration.none
            configuration.readsEnvironment = true
            return configuration
        }

        /// As `environment`, from these variables instead of the process's (for tests and tools).
        public static func environment(_ variables: [String: String]) -> ProxyConfiguration {
            var configuration = ProxyConfiguration.environment
            configuration.environmentOverride = variables
            return configuration
        }

        /// The configuration with environment variables read.
        func resolved() -> ProxyConfiguration {
            guard readsEnvironment else { return self }
            let variables = environmentOverride
            func read(_ name: String) -> String? {
                let value = variables.map { $0[name] } ?? getenv(name).map { String(cString: $0) }
                guard let value, !value.trimmingSpacesAndControls.isEmpty else { return nil }
                return value
            }
            func setting(_ names: [String]) -> Setting? {
                guard let value = names.lazy.compactMap(read).first else { return nil }
                do {
                    return .proxy(try Proxy(url: value))
                } catch {
                    return .invalid(error.message)
                }
            }
            let isCGI = read("REQUEST_METHOD") != nil
            let http = setting(["http_proxy"] + (isCGI ? [] : ["HTTP_PROXY"]) + ["all_proxy", "ALL_PROXY"])
            let https = setting(["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"])
            return ProxyConfiguration(http: http, https: https, noProxy: NoProxyRules(read("no_proxy") ?? read("NO_PROXY") ?? ""))
        }

        /// The proxy for `origin`, nil for a direct connection; throws for a misconfigured proxy.
        func endpoint(for origin: Origin) throws(HTTPClientError) -> ProxyEndpoint? {
            guard origin.unixSocketPath == nil, let setting = origin.scheme == .https ? https : http else { return nil }
            if noProxy.matches(host: origin.host, port: origin.port) { return nil }
            switch setting {
            case .proxy(let proxy): return proxy.endpoint
            case .invalid(let message): throw HTTPClientError(.proxyFailed, message)
            }
        }

        /// The proxy chosen for a URL (nil: direct), for tools that show it (`curl -v` says "Uses proxy").
        public func proxy(for url: String) -> Proxy? {
            guard let reference = URLReference(absolute: url), let key = reference.originKey else { return nil }
            let resolved = self.resolved()
            guard let setting = key.scheme == "https" ? resolved.https : resolved.http,
                  case .proxy(let proxy) = setting,
                  !resolved.noProxy.matches(host: key.host, port: key.port) else { return nil }
            return proxy
        }
    }
}
