import Courier
import Instrumentation

/// Reads propagation fields back from HTTP header fields (for a server, or a test checking what was sent).
public struct HTTPFieldsExtractor: Extractor {
    /// Creates the extractor.
    public init() {}

    /// The value of the field `key`, if present.
    public func extract(key: String, from fields: HTTPFields) -> String? {
        guard let name = HTTPField.Name(key) else { return nil }
        return fields[name]
    }
}
