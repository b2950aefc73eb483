import Courier
import Instrumentation

/// Writes a tracer's propagation fields (`traceparent`, `tracestate`, `baggage`...) into HTTP header fields,
/// replacing earlier values. Keys that are not valid field names are skipped.
public struct HTTPFieldsInjector: Injector {
    /// Creates the injector.
    public init() {}

    /// Sets the field `key` to `value`.
    public func inject(_ value: String, forKey key: String, into fields: inout HTTPFields) {
        guard let name = HTTPField.Name(key) else { return }
        fields[name] = value
    }
}
