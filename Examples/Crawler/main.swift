// A paginated API crawler: walks a listing page by page (following `Link: rel="next"`), then fetches every
// item's details with bounded concurrency and a request-rate limit, against Courier's in-process test server.
//
//   make example-crawler                    (or: swift run ExampleCrawler [pages] [concurrency] [requests/s])
//
// Bounded concurrency comes from `Concurrently.asCompleted(_:maximumConcurrency:)`; the rate limit from
// CourierResilience's `RateLimiter` middleware (a token bucket per origin; requests wait for their token).
import Courier
import CourierResilience
import CourierTestServer
import Foundation
import Synchronization

struct ListingPage: Decodable, Sendable {
    var items: [Int]
}

struct ItemDetails: Decodable, Sendable {
    var id: Int
    var name: String
    var price: Int
}

/// Records how many detail requests the server sees at once (to show the bound holds).
final class InFlight: Sendable {
    private let state = Mutex((current: 0, maximum: 0))
    func enter() { state.withLock { $0.current += 1; $0.maximum = max($0.maximum, $0.current) } }
    func leave() { state.withLock { $0.current -= 1 } }
    var maximum: Int { state.withLock { $0.maximum } }
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Double($0) }
let pageCount = Int(arguments.first ?? 12)
let concurrency = Int(arguments.dropFirst().first ?? 6)
let rate = arguments.dropFirst(2).first ?? 200
let perPage = 10

// The API: `/api/items?page=N` lists ids with a Link to the next page; `/api/items/:id` has the details and
// takes 5–25 ms.
let server = try await TestServer.start()
let inFlight = InFlight()
server.route(.get, "/api/items") { request in
    let page = Int(request.queryValue("page") ?? "1") ?? 1
    let ids = (0..<perPage).map { (page - 1) * perPage + $0 + 1 }
    var response = TestResponse.json(#"{"items":\#(ids)}"#)
    if page < pageCount {
        response.headerFields[.init("Link")!] = "<\(server.baseURL)/api/items?page=\(page + 1)>; rel=\"next\""
    }
    return response
}
server.route(.get, "/api/items/:id") { request in
    inFlight.enter()
    defer { inFlight.leave() }
    let id = Int(request.parameters["id"]!)!
    try await Task.sleep(for: .milliseconds(5 + id % 21))
    return .json(#"{"id":\#(id),"name":"item \#(id)","price":\#(id * 7 % 100)}"#)
}

var configuration = HTTPClient.Configuration()
// At most `rate` requests per second to the API, in bursts of at most `concurrency`.
configuration.middleware = [RateLimiter(rate: rate, burst: concurrency, maximumWait: .seconds(60))]
let client = HTTPClient(configuration: configuration)
let started = ContinuousClock.now

// 1. The listing, page after page.
var ids: [Int] = []
for try await page in try client.pages(startingAt: server.url("/api/items?page=1"), read: { response in
    try await response.body.json(ListingPage.self)
}) {
    ids += page.items
}
print("listing: \(ids.count) items on \(pageCount) pages")

// 2. The details, at most `concurrency` at once and at most `rate` requests per second.
var details: [ItemDetails] = []
var failures = 0
for try await result in Concurrently.asCompleted(ids, maximumConcurrency: concurrency, { id in
    let response = try await client.get(server.url("/api/items/\(id)"))
    guard response.status == .ok else { throw HTTPClientError(.invalidRequest, "item \(id): status \(response.status)") }
    return try await response.body.json(ItemDetails.self)
}) {
    switch result.result {
    case .success(let item): details.append(item)
    case .failure(let error): failures += 1; print("item \(ids[result.index]) failed: \(error)")
    }
}
let elapsed = ContinuousClock.now - started
let total = details.reduce(0) { $0 + $1.price }
print("details: \(details.count) fetched, \(failures) failed, at most \(inFlight.maximum) in flight (limit \(concurrency))")
print("catalogue value: \(total); took \(elapsed)")
await client.shutdown()
await server.shutdown()
if details.count != ids.count || inFlight.maximum > concurrency { exit(1) }
