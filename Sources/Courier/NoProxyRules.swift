import CourierReactor

/// The hosts that bypass a proxy, in `NO_PROXY` syntax as curl reads it: entries separated by commas or
/// spaces; `*` alone matches everything; a name matches itself and its subdomains (a leading `.` or `*.`
/// is ignored); `name:port` only that port; IP addresses match exactly, or by prefix in CIDR notation
/// (`10.0.0.0/8`, `fd00::/8`); IPv6 may be bracketed. Case-insensitive.
public struct NoProxyRules: Sendable, Hashable {
    enum Rule: Sendable, Hashable {
        case everything
        case domain(String, port: Int?)
        case address([UInt8], prefixLength: Int, port: Int?)
    }

    let rules: [Rule]

    /// Parses a `NO_PROXY` value (malformed entries are ignored).
    public init(_ text: String) {
        var rules: [Rule] = []
        for rawEntry in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) {
            var entry = rawEntry.lowercased()
            if entry == "*" {
                rules.append(.everything)
                continue
            }
            var port: Int?
            var prefixLength: Int?
            if let slash = entry.lastIndex(of: "/") {
                prefixLength = Int(entry[entry.index(after: slash)...])
                entry = String(entry[..<slash])
                if prefixLength == nil { continue }
            }
            if entry.hasPrefix("[") {
                guard let close = entry.firstIndex(of: "]") else { continue }
                let rest = entry[entry.index(after: close)...]
                if rest.hasPrefix(":") { port = Int(rest.dropFirst()) }
                entry = String(entry[entry.index(after: entry.startIndex)..<close])
            } else if entry.filter({ $0 == ":" }).count == 1, let colon = entry.firstIndex(of: ":") {
                port = Int(entry[entry.index(after: colon)...])
                entry = String(entry[..<colon])
            }
            if let bytes = Self.addressBytes(entry) {
                let length = min(prefixLength ?? bytes.count * 8, bytes.count * 8)
                rules.append(.address(bytes, prefixLength: max(0, length), port: port))
                continue
            }
            guard prefixLength == nil else { continue }
            while entry.hasPrefix("*.") { entry.removeFirst(2) }
            while entry.hasPrefix(".") { entry.removeFirst() }
            if entry.hasSuffix(".") { entry.removeLast() }
            guard !entry.isEmpty else { continue }
            rules.append(.domain(entry, port: port))
        }
        self.rules = rules
    }

    /// Whether a request to `host:port` should go direct.
    public func matches(host: String, port: Int) -> Bool {
        guard !rules.isEmpty else { return false }
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        let address = Self.addressBytes(host)
        for rule in rules {
            switch rule {
            case .everything:
                return true
            case .domain(let domain, let rulePort):
                guard rulePort == nil || rulePort == port else { continue }
                if host == domain || (address == nil && host.hasSuffix("." + domain)) { return true }
            case .address(let bytes, let prefixLength, let rulePort):
                guard rulePort == nil || rulePort == port, let address, address.count == bytes.count else { continue }
                if Self.samePrefix(address, bytes, bits: prefixLength) { return true }
            }
        }
        return false
    }

    static func addressBytes(_ text: String) -> [UInt8]? {
        guard let address = try? SocketAddress(ipAddress: text, port: 0) else { return nil }
        switch address {
        case .ipv4(let v4): return [v4.bytes.0, v4.bytes.1, v4.bytes.2, v4.bytes.3]
        case .ipv6(let v6): return v6.bytes
        case .unix: return nil
        }
    }

    static func samePrefix(_ a: [UInt8], _ b: [UInt8], bits: Int) -> Bool {
        var remaining = bits
        for index in a.indices where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if a[index] & mask != b[index] & mask { return false }
            remaining -= 8
        }
        return true
    }
}
