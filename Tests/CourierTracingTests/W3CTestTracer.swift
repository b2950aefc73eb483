import InMemoryTracing
import Instrumentation
import ServiceContextModule
import Synchronization
import Tracing

/// An in-memory tracer (spans recorded by `InMemoryTracer`) whose `inject` writes W3C Trace Context
/// `traceparent` fields, as an OpenTelemetry propagator does, with W3C-shaped IDs.
struct W3CTestTracer: Tracer {
    typealias Span = InMemorySpan
    let recorder: InMemoryTracer

    init() {
        let counter = Atomic<UInt64>(0)
        let next: @Sendable (Int) -> String = { digits in
            let value = counter.add(1, ordering: .relaxed).newValue
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: digits - hex.count) + hex
        }
        recorder = InMemoryTracer(idGenerator: .init(nextTraceID: { "4bf92f3577b34da6" + next(16) },
                                                     nextSpanID: { next(16) }))
    }

    var finishedSpans: [FinishedInMemorySpan] { recorder.finishedSpans }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> InMemorySpan {
        recorder.startSpan(operationName, context: context(), ofKind: kind, at: instant(), function: function,
                           file: fileID, line: line)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        guard let span = context.inMemorySpanContext else { return }
        injector.inject("00-\(span.traceID)-\(span.spanID)-01", forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract.Carrier == Carrier {}
}
