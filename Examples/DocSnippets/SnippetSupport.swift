import Courier

/// An item of the example API the guides call.
struct Item: Codable, Sendable {
    var id: Int
    var name: String
}

/// The error the guides' snippets throw for an unexpected status.
struct Failure: Error {
    var status: HTTPResponse.Status?
}
