import CourierCore
@testable import CourierTestServer
import HTTPTypes
import Testing

@Suite("Routing, requests and fault plans")
struct RoutingTests {
    @Test("route patterns: literals, parameters, wildcards")
    func patterns() {
        let items = RoutePattern("/items/:id")
        #expect(items.match("/items/42") == ["id": "42"])
        #expect(items.match("/items/a%20b") == ["id": "a b"])
        #expect(items.match("/items/a+b") == ["id": "a+b"])
        #expect(items.match("/items/") == nil)
        #expect(items.match("/items/1/2") == nil)
        #expect(items.match("/item/1") == nil)
        let files = RoutePattern("/files/*")
        #expect(files.match("/files/a/b/c") == ["*": "a/b/c"])
        #expect(files.match("/files") == ["*": ""])
        #expect(files.match("/other/a") == nil)
        #expect(RoutePattern("/").match("/") == [:])
        #expect(RoutePattern("/a/b").match("/a/b/") == nil)
        #expect(RoutePattern("/a").match("*") == nil)
    }

    @Test("request targets: path, query items, percent-decoding")
    func targets() {
        let request = TestRequest(method: .get, target: "/search?q=a+b&empty=&x=%41%zz&flag")
        #expect(request.path == "/search")
        #expect(request.query == "q=a+b&empty=&x=%41%zz&flag")
        #expect(request.queryValue("q") == "a b")
        #expect(request.queryValue("empty") == "")
        #expect(request.queryValue("x") == "A%zz")
        #expect(request.queryValue("flag") == "")
        #expect(request.queryValue("missing") == nil)
        #expect(TestRequest(method: .get, target: "/plain").query == nil)
    }

    @Test("handlers can be called directly with a complete body")
    func directCall() async throws {
        let request = TestRequest(method: .post, target: "/x", body: TestRequestBody(ByteBuffer(string: "payload")))
        #expect(try await request.body.collectString() == "payload")
        let limited = TestRequest(method: .post, target: "/x", body: TestRequestBody(ByteBuffer(string: "payload")))
        await #expect(throws: TestServerError.self) { try await limited.body.collect(upTo: 3) }
    }

    @Test("the pattern is deterministic and checkable")
    func pattern() {
        let bytes = TestPattern.bytes(offset: 1000, count: 200_000)
        #expect(bytes.readableBytes == 200_000)
        #expect(TestPattern.matches(bytes, offset: 1000))
        #expect(!TestPattern.matches(bytes, offset: 1001))
        #expect(TestPattern.matches(bytes.readableBytesView.prefix(500), offset: 1000))
        // Contiguous sequences (an array slice, as OpenAPI bodies hand out) and others check alike.
        var array = Array(bytes.readableBytesView)
        #expect(TestPattern.matches(array[70_000...], offset: 71_000))
        #expect(TestPattern.matches(array.lazy.map { $0 }, offset: 1000))
        array[150_000] &+= 1
        #expect(!TestPattern.matches(array[70_000...], offset: 71_000))
        #expect(!TestPattern.matches(array.lazy.map { $0 }, offset: 1000))
        #expect(TestPattern.matches(array[..<150_000], offset: 1000))
        #expect(TestPattern.byte(at: 251) == 0)
        #expect(TestPattern.byte(at: 250) == 250)
    }

    @Test("a fault plan keeps the earliest interruption and sums delays")
    func faultPlans() {
        let plan = FaultPlan([.delay(.milliseconds(10)), .stall(at: .afterBodyBytes(100)), .delay(.milliseconds(5)),
                              .reset(at: .afterBodyBytes(50)), .truncateChunkedBody()])
        #expect(plan.delay == .milliseconds(15))
        #expect(plan.interruptionOffset == 50)
        #expect(!plan.truncatesChunked)
        #expect(FaultPlan([.dropConnection(at: .afterBodyBytes(0))]).interruptsAfterHead != nil)
        #expect(FaultPlan([.truncateChunkedBody(), .stall(at: .beforeHead)]).interruptsBeforeHead == .stall)
        #expect(FaultPlan([.truncateChunkedBody()]).truncatesChunked)
    }

    @Test("Retry-After rounds up to whole seconds")
    func retryAfter() {
        #expect(TestResponse.tooManyRequests(retryAfter: .seconds(2)).headerFields[.retryAfter] == "2")
        #expect(TestResponse.serviceUnavailable(retryAfter: .milliseconds(1)).headerFields[.retryAfter] == "1")
        #expect(TestResponse.tooManyRequests(retryAfter: .zero).headerFields[.retryAfter] == "0")
    }
}
