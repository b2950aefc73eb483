import Foundation
import HTTPTypes
import OpenAPIRuntime

/// A small client written the way swift-openapi-generator writes one: each operation builds an `HTTPRequest`
/// with a relative path, hands it to the transport with an `HTTPBody` and an operation ID, and switches on the
/// documented statuses.
struct ItemsAPIClient {
    let serverURL: URL
    let transport: any ClientTransport

    struct Item: Codable, Equatable, Sendable {
        var id: Int?
        var name: String
        var tags: [String]
    }

    enum CreateItemOutput: Equatable {
        case created(Item)
        case badRequest(String)
        case undocumented(statusCode: Int)
    }

    enum GetItemOutput: Equatable {
        case ok(Item)
        case notFound
        case undocumented(statusCode: Int)
    }

    /// `POST /items` with a JSON body.
    func createItem(_ item: Item) async throws -> CreateItemOutput {
        var request = HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/items?source=test")
        request.headerFields[.contentType] = "application/json; charset=utf-8"
        request.headerFields[.accept] = "application/json"
        let body = HTTPBody(try JSONEncoder().encode(item))
        let (response, responseBody) = try await transport.send(request, body: body, baseURL: serverURL,
                                                                 operationID: "createItem")
        switch response.status.code {
        case 201:
            let data = try await Data(collecting: responseBody!, upTo: 1 << 20)
            return .created(try JSONDecoder().decode(Item.self, from: data))
        case 400:
            return .badRequest(try await String(collecting: responseBody ?? HTTPBody(), upTo: 1 << 20))
        default:
            return .undocumented(statusCode: response.status.code)
        }
    }

    /// `GET /items/{id}`.
    func getItem(id: Int) async throws -> GetItemOutput {
        var request = HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/items/\(id)")
        request.headerFields[.accept] = "application/json"
        let (response, responseBody) = try await transport.send(request, body: nil, baseURL: serverURL,
                                                                 operationID: "getItem")
        switch response.status.code {
        case 200:
            let data = try await Data(collecting: responseBody!, upTo: 1 << 20)
            return .ok(try JSONDecoder().decode(Item.self, from: data))
        case 404:
            return .notFound
        default:
            return .undocumented(statusCode: response.status.code)
        }
    }

    /// `PUT /blobs/{name}` with an `application/octet-stream` body, streamed.
    func uploadBlob(name: String, body: HTTPBody) async throws -> (statusCode: Int, answer: String) {
        var request = HTTPRequest(method: .put, scheme: nil, authority: nil, path: "/blobs/\(name)")
        request.headerFields[.contentType] = "application/octet-stream"
        let (response, responseBody) = try await transport.send(request, body: body, baseURL: serverURL,
                                                                 operationID: "uploadBlob")
        return (response.status.code, try await String(collecting: responseBody ?? HTTPBody(), upTo: 1 << 16))
    }

    /// `GET /bytes/{count}` answered with `application/octet-stream`, returned as the streamed body.
    func downloadBytes(count: Int) async throws -> (HTTPResponse, HTTPBody?) {
        let request = HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/bytes/\(count)?chunk=65536")
        return try await transport.send(request, body: nil, baseURL: serverURL, operationID: "downloadBytes")
    }

    /// Any path, for status and fault tests.
    func raw(_ method: HTTPRequest.Method, _ path: String, body: HTTPBody? = nil) async throws -> (HTTPResponse, HTTPBody?) {
        let request = HTTPRequest(method: method, scheme: nil, authority: nil, path: path)
        return try await transport.send(request, body: body, baseURL: serverURL, operationID: "raw")
    }
}
