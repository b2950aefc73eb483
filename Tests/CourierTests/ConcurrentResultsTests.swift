import CourierCore
import Testing
import Courier
import CourierTestSupport

/// Bounded concurrency: the bound holds, errors stay per item unless asked, order, laziness, cancellation.
@Suite struct ConcurrentResultsTests {
    /// Counts operations in flight; each waits until the batch is full (or every item has started), so the
    /// bound is reached deterministically when the helper allows it.
    final class Meter: Sendable {
        let state = Locked<(current: Int, maximum: Int, started: Int, cancelled: Int)>((0, 0, 0, 0))
        let limit: Int
        let total: Int
        init(limit: Int, total: Int) { self.limit = limit; self.total = total }

        func run<T: Sendable>(_ value: T) async throws -> T {
            state.withLock {
                $0.current += 1
                $0.started += 1
                $0.maximum = max($0.maximum, $0.current)
            }
            defer { state.withLock { $0.current -= 1 } }
            while true {
                let (current, started) = state.withLock { ($0.current, $0.started) }
                if current >= limit || started >= total { break }
                do {
                    try await Task.sleep(for: .milliseconds(1))
                } catch {
                    state.withLock { $0.cancelled += 1 }
                    throw error
                }
            }
            return value
        }
        var maximum: Int { state.withLock { $0.maximum } }
        var started: Int { state.withLock { $0.started } }
        var cancelled: Int { state.withLock { $0.cancelled } }
    }

    struct Boom: Error, Equatable { let index: Int }

    @Test(arguments: [1, 3, 8])
    func atMostNInFlightAndEveryResultDelivered(limit: Int) async throws {
        let meter = Meter(limit: limit, total: 40)
        let seen = try await withTimeout {
            var seen: [Int] = []
            for try await item in Concurrently.asCompleted(Array(0..<40), maximumConcurrency: limit, { try await meter.run($0) }) {
                #expect(try item.get() == item.index)
                seen.append(item.index)
            }
            return seen
        }
        #expect(seen.sorted() == Array(0..<40))
        #expect(meter.maximum == limit)
    }

    @Test func errorsStayPerItemUnlessFailFast() async throws {
        let results = try await withTimeout {
            try await Concurrently.gather(Array(0..<20), maximumConcurrency: 4) { index -> Int in
                if index % 5 == 0 { throw Boom(index: index) }
                return index * 2
            }
        }
        #expect(results.count == 20)
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let value): #expect(index % 5 != 0 && value == index * 2)
            case .failure(let error): #expect(index % 5 == 0 && (error as? Boom) == Boom(index: index))
            }
        }

        let meter = Meter(limit: 4, total: 1000)
        let error = await #expect(throws: Boom.self) {
            try await withTimeout {
                for try await _ in Concurrently.asCompleted(Array(0..<1000), maximumConcurrency: 4, failFast: true, { index -> Int in
                    if index == 10 { throw Boom(index: 10) }
                    return try await meter.run(index)
                }) {}
            }
        }
        #expect(error == Boom(index: 10))
        #expect(meter.started < 20)
    }

    @Test func inputOrderWithABoundedWindow() async throws {
        // Later items finish first; results still come out in input order, and no more than the window runs.
        let running = Locked((current: 0, maximum: 0))
        let order = try await withTimeout {
            var order: [Int] = []
            for try await item in Concurrently.inOrder(Array(0..<30), maximumConcurrency: 5, { index -> Int in
                running.withLock { $0.current += 1; $0.maximum = max($0.maximum, $0.current) }
                defer { running.withLock { $0.current -= 1 } }
                try await Task.sleep(for: .microseconds((30 - index) * 100))
                return index
            }) {
                order.append(try item.get())
            }
            return order
        }
        #expect(order == Array(0..<30))
        #expect(running.withLock { $0.maximum } <= 5)
    }

    @Test func inputsArePulledLazilyAndLeavingEarlyCancelsTheRest() async throws {
        let inputs = CountingSequence()
        let meter = Meter(limit: 6, total: Int.max)
        let taken = try await withTimeout {
            var taken = 0
            for try await _ in Concurrently.asCompleted(inputs, maximumConcurrency: 6, { index -> Int in
                if index < 50 { return index }
                return try await meter.run(index)  // blocks until cancelled: the batch never fills
            }) {
                taken += 1
                if taken == 50 { break }
            }
            return taken
        }
        #expect(taken == 50)
        #expect(inputs.pulled <= 50 + 6)
        try await withTimeout {
            while meter.state.withLock({ $0.current }) > 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(meter.cancelled == meter.started)
    }

    @Test func cancellingTheConsumerCancelsTheItems() async throws {
        let meter = Meter(limit: 100, total: Int.max)
        let consumer = Task {
            for try await _ in Concurrently.asCompleted(Array(0..<10), maximumConcurrency: 3, { try await meter.run($0) }) {}
        }
        try await withTimeout { while meter.started < 3 { try await Task.sleep(for: .milliseconds(1)) } }
        consumer.cancel()
        let result = try await withTimeout { await consumer.result }
        #expect(throws: CancellationError.self) { try result.get() }
        try await withTimeout { while meter.cancelled < 3 { try await Task.sleep(for: .milliseconds(1)) } }
        #expect(meter.started == 3)
    }

    @Test func progressIsReported() async throws {
        let last = Locked(ConcurrencyProgress())
        _ = try await withTimeout {
            try await Concurrently.gather(Array(0..<12), maximumConcurrency: 3, progress: { progress in
                last.withLock { if progress.completed >= $0.completed { $0 = progress } }
            }) { index -> Int in
                if index == 4 { throw Boom(index: 4) }
                return index
            }
        }
        let progress = last.withLock { $0 }
        #expect(progress.started == 12 && progress.completed == 12 && progress.failed == 1 && progress.inFlight == 0)
    }

    @Test func executeAllAgainstTheMockTransport() async throws {
        let mock = MockTransport()
        let meter = Meter(limit: 4, total: 25)
        mock.route(.get, "/item/:id") { request in .text(try await meter.run(request.parameters["id"]!)) }
        var configuration = HTTPClient.Configuration()
        configuration.transport = .mock(mock)
        let client = HTTPClient(configuration: configuration)
        let requests = try (0..<25).map { HTTPClientRequest(head: try HTTPClient.request(.get, "http://api.test/item/\($0)")) }
        let bodies = try await withTimeout {
            var bodies: [Int: String] = [:]
            for try await item in client.executeAll(requests, maximumConcurrency: 4, read: {
                try await $0.body.string(upTo: 100)
            }) {
                bodies[item.index] = try item.get()
            }
            return bodies
        }
        #expect(bodies == Dictionary(uniqueKeysWithValues: (0..<25).map { ($0, String($0)) }))
        #expect(mock.maximumRequestsInFlight == 4)
    }
}

/// Lazy pagination by `Link` headers and cursors.
@Suite struct PagesTests {
    @Test func linkHeaderParsing() {
        let links = WebLink.parse(#"<https://api.test/items?page=2>; rel="next", <https://api.test/items?page=9>; rel=last; title="Last, really", </a;b>;rel="prev PREFETCH";type=text/html"#)
        #expect(links.map(\.target) == ["https://api.test/items?page=2", "https://api.test/items?page=9", "/a;b"])
        #expect(links.map(\.relations) == [["next"], ["last"], ["prev", "prefetch"]])
        #expect(links[1].parameters["title"] == "Last, really")
        #expect(links[2].parameters["type"] == "text/html")
        #expect(WebLink.parse("garbage, <x>").map(\.target) == [])
        #expect(WebLink.parse(#"<x>; rel="next"; rel="prev""#).first?.relations == ["next"])
    }

    @Test func followsLinkHeadersLazilyWithOnePageAtATime() async throws {
        let mock = MockTransport()
        mock.route(.get, "/items") { request in
            let page = Int(QueryString.decode(request.query ?? "").first { $0.0 == "page" }?.1 ?? "1")!
            var fields = HTTPFields()
            if page < 5 { fields[HTTPField.Name("Link")!] = "<?page=\(page + 1)>; rel=\"next\", </items?page=5>; rel=\"last\"" }
            return .text("page \(page)", headerFields: fields)
        }
        var configuration = HTTPClient.Configuration()
        configuration.transport = .mock(mock)
        let client = HTTPClient(configuration: configuration)
        let pages = try client.pages(startingAt: "http://api.test/items", headerFields: [.authorization: "Bearer t"]) {
            try await $0.body.string(upTo: 100)
        }
        #expect(mock.requestCount == 0)  // nothing fetched before iterating
        let (first, countAfterFirst, all) = try await withTimeout {
            var iterator = pages.makeAsyncIterator()
            let first = try await iterator.next()
            let countAfterFirst = mock.requestCount
            var all = [first ?? ""]
            while let page = try await iterator.next() { all.append(page) }
            return (first, countAfterFirst, all)
        }
        #expect(first == "page 1")
        #expect(countAfterFirst == 1)
        #expect(all == (1...5).map { "page \($0)" })
        #expect(mock.requestCount == 5)
        #expect(mock.requests.allSatisfy { $0.headerFields[.authorization] == "Bearer t" })

        let limited = try client.pages(startingAt: "http://api.test/items", maximumPages: 2) { try await $0.body.string(upTo: 100) }
        var count = 0
        for try await _ in limited { count += 1 }
        #expect(count == 2)
    }

    @Test func cursorsFromThePage() async throws {
        let mock = MockTransport()
        mock.route(.get, "/feed") { request in
            let cursor = QueryString.decode(request.query ?? "").first { $0.0 == "after" }?.1 ?? ""
            let next = ["": "c 1", "c 1": "c/2", "c/2": ""][cursor]!
            return .json(#"{"next":"\#(next)","seen":"\#(cursor)"}"#)
        }
        var configuration = HTTPClient.Configuration()
        configuration.transport = .mock(mock)
        let client = HTTPClient(configuration: configuration)
        struct Page: Decodable, Sendable { let next: String; let seen: String }
        let pages = try client.pages(startingAt: "http://api.test/feed?limit=10",
                                     next: .cursor(parameter: "after") { (page: Page) in page.next }) {
            try await $0.body.json(Page.self)
        }
        var seen: [String] = []
        for try await page in pages { seen.append(page.seen) }
        #expect(seen == ["", "c 1", "c/2"])
        #expect(mock.requests.map { $0.head.path! } == ["/feed?limit=10", "/feed?limit=10&after=c+1", "/feed?limit=10&after=c%2F2"])
    }

    @Test func aNextLinkPointingAtItselfIsAnError() async throws {
        let mock = MockTransport { _ in .text("loop", headerFields: [HTTPField.Name("Link")!: "</same>; rel=next"]) }
        var configuration = HTTPClient.Configuration()
        configuration.transport = .mock(mock)
        let client = HTTPClient(configuration: configuration)
        let pages = try client.pages(startingAt: "http://api.test/same") { try await $0.body.string(upTo: 100) }
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { for try await _ in pages {} }
        }
        #expect(error?.code == .protocolViolation)
    }
}

/// 0, 1, 2, … without end, counting how many were pulled.
struct CountingSequence: Sequence, Sendable {
    final class Counter: Sendable { let value = Locked(0) }
    let counter = Counter()
    var pulled: Int { counter.value.withLock { $0 } }

    struct Iterator: IteratorProtocol {
        let counter: Counter
        mutating func next() -> Int? {
            counter.value.withLock { value in
                defer { value += 1 }
                return value
            }
        }
    }

    func makeIterator() -> Iterator { Iterator(counter: counter) }
}
